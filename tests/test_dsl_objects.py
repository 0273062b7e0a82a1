"""dsl.objects on real ARC-AGI-1 training grids (task ids cited) and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from dsl.common import (
    Color,
    bounding_box,
    bounding_box_mask,
    check_between_objects,
    crop,
    detect_objects,
    find_connected_components,
    is_contiguous,
    object_boundary,
    object_colors,
    object_interior,
    object_neighbors,
    object_position,
)


def arr(task, k=0, which="input", split="train"):
    ex = getattr(task, split)[k]
    return np.array(getattr(ex, which), dtype=int)


# --- find_connected_components -------------------------------------------------------------

def test_components_of_3aa6fb7a(arc1_train):
    grid = arr(arc1_train["3aa6fb7a"])  # two teal L shapes
    comps = find_connected_components(grid, background=Color.BLACK, connectivity=4)
    assert len(comps) == 2
    assert all(c.shape == grid.shape for c in comps)
    assert all(np.sum(c == Color.TEAL) == 3 for c in comps)
    assert np.array_equal(sum(c != Color.BLACK for c in comps), grid != Color.BLACK)


def test_components_are_ordered_by_colour_then_raster(arc1_train):
    grid = arr(arc1_train["72ca375d"])  # red, pink and orange shapes
    comps = find_connected_components(grid, connectivity=8)
    colours = [object_colors(c)[0] for c in comps]
    assert colours == sorted(colours)  # this grid's colours come out ascending (see object_colors)
    firsts = [tuple(np.argwhere(c != 0)[0]) for c in comps if object_colors(c)[0] == colours[0]]
    assert firsts == sorted(firsts)


def test_multicolour_components_of_b8825c91_merge(arc1_train):
    grid = arr(arc1_train["b8825c91"])  # no black at all: one multicolour blob
    assert len(find_connected_components(grid, monochromatic=False)) == 1
    assert len(find_connected_components(grid, monochromatic=True)) > 10


@pytest.mark.parametrize(
    "connectivity, monochromatic, expected",
    [(4, True, 900), (8, True, 2), (4, False, 1), (8, False, 1)],
)
def test_components_on_30x30_checkerboard(connectivity, monochromatic, expected):
    board = np.where(np.add.outer(np.arange(30), np.arange(30)) % 2 == 0, Color.BLUE, Color.RED)
    assert len(find_connected_components(board, connectivity=connectivity, monochromatic=monochromatic)) == expected


def test_components_full_grid_and_single_cell():
    full = np.full((30, 30), Color.GREEN)  # one region of 900 cells: must not hit recursion limits
    assert len(find_connected_components(full)) == 1
    assert find_connected_components(np.zeros((1, 1), dtype=int)) == []
    (single,) = find_connected_components(np.array([[Color.PINK]]))
    assert single.tolist() == [[Color.PINK]]


def test_components_rejects_bad_connectivity():
    with pytest.raises(ValueError):
        find_connected_components(np.zeros((3, 3), dtype=int), connectivity=6)


# --- bounding boxes, crop, positions, colours ---------------------------------------------

def test_bounding_box_and_crop_on_1cf80156(arc1_train):
    task = arc1_train["1cf80156"]
    grid = arr(task)
    assert bounding_box(grid) == (2, 3, 4, 4)
    for ex in task.train:
        assert crop(np.array(ex.input)).tolist() == [list(r) for r in ex.output]
    mask = bounding_box_mask(grid)
    assert mask.sum() == 16 and mask[2:6, 3:7].all()


def test_bounding_box_edge_cases():
    assert crop(np.zeros((4, 4), dtype=int)).size == 0
    assert bounding_box(np.full((30, 30), 3)) == (0, 0, 30, 30)
    assert bounding_box(np.array([[5]])) == (0, 0, 1, 1)


@pytest.mark.parametrize(
    "anchor, expected",
    [("upper left", (2, 2)), ("upper right", (3, 2)), ("lower left", (2, 3)), ("lower right", (3, 3)),
     ("center", (2.5, 2.5)), ("top left", (2, 2)), ("upper center", (2.5, 2)), ("right center", (3, 2.5))],
)
def test_object_position_on_5c0a986e(arc1_train, anchor, expected):
    grid = arr(arc1_train["5c0a986e"])  # blue 2x2 square at rows 2-3, columns 2-3
    blue = np.where(grid == Color.BLUE, grid, 0)
    assert object_position(blue, anchor=anchor) == expected


def test_object_position_types_and_errors():
    x, y = object_position(np.array([[0, 1], [0, 0]]))
    assert (x, y) == (0, 1) and isinstance(x, int) and isinstance(y, int)
    with pytest.raises(ValueError):
        object_position(np.array([[1]]), anchor="middle-ish")


def test_object_colors_on_72ca375d(arc1_train):
    assert object_colors(arr(arc1_train["72ca375d"])) == [Color.RED, Color.PINK, Color.ORANGE]
    assert object_colors(np.full((2, 2), 4), background=4) == []


# --- interior, boundary, neighbours --------------------------------------------------------

def test_interior_of_hollow_shapes_d5d6de2d(arc1_train):
    task = arc1_train["d5d6de2d"]
    for ex in task.train:
        grid, out = np.array(ex.input), np.array(ex.output)
        holes = object_interior(grid) & (grid == Color.BLACK)
        assert np.array_equal(holes, out == Color.GREEN)


def test_boundary_of_a_hollow_square_d5d6de2d(arc1_train):
    grid = arr(arc1_train["d5d6de2d"])
    first = find_connected_components(grid)[0]  # the 3x3 ring at rows 1-3, cols 1-3
    boundary = object_boundary(first)
    assert np.array_equal(boundary, first != Color.BLACK)  # every ring cell touches the outside
    solid = np.zeros((5, 5), dtype=int)
    solid[1:4, 1:4] = 2
    b = object_boundary(solid)
    assert b.sum() == 8 and not b[2, 2]
    assert object_boundary(np.full((3, 3), 1)).sum() == 8  # canvas edge counts as boundary


def test_neighbors_are_the_ring_of_4258a5f9(arc1_train):
    task = arc1_train["4258a5f9"]
    grid, out = arr(task), arr(task, which="output")
    ring = np.zeros_like(grid, dtype=bool)
    for obj in find_connected_components(grid):
        ring |= object_neighbors(obj, connectivity=8)
    assert np.array_equal(ring, out == Color.BLUE)
    dot = np.zeros((3, 3), dtype=int)
    dot[1, 1] = 5
    assert object_neighbors(dot, connectivity=4).sum() == 4
    assert object_neighbors(np.full((30, 30), 1)).sum() == 0


def test_interior_edge_cases():
    assert object_interior(np.zeros((30, 30), dtype=int)).sum() == 0
    assert object_interior(np.full((30, 30), 2)).all()
    assert object_interior(np.array([[0]])).sum() == 0


# --- contiguity, betweenness ---------------------------------------------------------------

def test_is_contiguous_on_3aa6fb7a(arc1_train):
    grid = arr(arc1_train["3aa6fb7a"])
    assert not is_contiguous(grid)
    assert all(is_contiguous(c) for c in find_connected_components(grid))
    diagonal = np.eye(3, dtype=int)
    assert not is_contiguous(diagonal, connectivity=4) and is_contiguous(diagonal, connectivity=8)
    assert not is_contiguous(np.zeros((2, 2), dtype=int))


def test_check_between_objects_on_a699fb00(arc1_train):
    grid = arr(arc1_train["a699fb00"])  # row 0: blue at columns 0 and 2
    left, right = np.zeros_like(grid), np.zeros_like(grid)
    left[0, 0], right[0, 2] = 1, 1
    assert check_between_objects(left, right, 0, 1)
    assert check_between_objects(right, left, 0, 1)
    assert not check_between_objects(left, right, 1, 1)
    assert not check_between_objects(left, right, 0, 1, padding=1)


# --- detect_objects ------------------------------------------------------------------------

def test_detect_objects_with_connectivity_matches_components_1cf80156(arc1_train):
    grid = arr(arc1_train["1cf80156"])
    (obj,) = detect_objects(grid, connectivity=8)
    assert np.array_equal(obj, grid)


def test_detect_objects_scans_touching_squares_ce22a75a(arc1_train):
    out = arr(arc1_train["ce22a75a"], which="output")  # three blue 3x3 squares touching at corners
    assert len(find_connected_components(out, connectivity=8)) == 1
    squares = detect_objects(out, allowed_dimensions=[(3, 3)], monochromatic=True)
    assert len(squares) == 3
    assert all(crop(s).shape == (3, 3) and (crop(s) == Color.BLUE).all() for s in squares)
    assert np.array_equal(sum(s != 0 for s in squares), out != 0)


def test_detect_objects_filters_by_colour_and_predicate(arc1_train):
    grid = arr(arc1_train["72ca375d"])
    pink = detect_objects(grid, colors=[Color.PINK], monochromatic=True, connectivity=8)
    assert [object_colors(o) for o in pink] == [[Color.PINK]]
    symmetric = detect_objects(grid, connectivity=8, predicate=lambda s: np.array_equal(s, s[:, ::-1]))
    assert len(symmetric) == 1 and object_colors(symmetric[0]) == [Color.PINK]


def test_detect_objects_crowded_grid_terminates():
    rng = np.random.default_rng(0)
    grid = rng.integers(1, 10, size=(30, 30))  # every 2x2 window overlaps its neighbours
    objects = detect_objects(grid, allowed_dimensions=[(2, 2)])
    masks = [o != 0 for o in objects]
    assert sum(m.sum() for m in masks) == np.logical_or.reduce(masks).sum()  # no overlaps
    assert len(detect_objects(grid, allowed_dimensions=[(2, 2)], can_overlap=True)) == 29 * 29

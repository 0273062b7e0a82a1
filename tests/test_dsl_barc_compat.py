"""Where BARC's helper library behaves in a way one would not guess, dsl.common behaves the same:
BARC's models were trained on programs run against that behaviour (colour and point orders,
quirks of detect_objects, truncated coordinates). Each case is pinned on a small hand-made grid
and on a real ARC-AGI-1 training task (ids cited)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from dsl.common import (
    Color,
    MirrorSymmetry,
    RotationalSymmetry,
    TranslationalSymmetry,
    blit,
    blit_sprite,
    bounding_box,
    collision,
    contact,
    crop,
    detect_objects,
    detect_rotational_symmetry,
    detect_translational_symmetry,
    find_connected_components,
    object_colors,
    object_position,
    orbit,
    randomly_scatter_points,
    randomly_spaced_indices,
)


def arr(task, k=0, which="input"):
    return np.array(getattr(task.train[k], which), dtype=int)


# --- colour order: object_colors and find_connected_components(monochromatic=True) ----------
# BARC lists set(grid.flatten()) - {background}: CPython's set order, which puts teal (8) and
# maroon (9) first in small sets and depends on which colour appears first.

@pytest.mark.parametrize(
    "grid, background, expected",
    [
        ([[1, 0], [0, 8]], 0, [8, 1]),
        ([[8, 0, 1]], 0, [8, 1]),
        ([[5, 9], [1, 5]], 5, [9, 1]),
        ([[0, 1, 2], [8, 9, 0]], 0, [8, 1, 2, 9]),
        ([[0, 8]], 5, [0, 8]),  # first appearance decides which of 0 and 8 comes first
        ([[8, 0]], 5, [8, 0]),
        ([[1, 2], [3, 0]], 0, [1, 2, 3]),
        ([[0, 9, 2], [3, 4, 5]], 0, [2, 3, 4, 5, 9]),  # six values: a bigger table, ascending
    ],
)
def test_object_colors_order(grid, background, expected):
    colours = object_colors(np.array(grid), background=background)
    assert colours == expected and all(type(c) is int for c in colours)


def test_object_colors_order_on_05f2a901(arc1_train):
    # a red shape and a teal square on black: BARC lists teal first
    for k in range(3):
        assert object_colors(arr(arc1_train["05f2a901"], k)) == [Color.TEAL, Color.RED]


@pytest.mark.parametrize(
    "grid, expected_first_pixels",
    [
        # colour by colour in object_colors order, each colour's components in raster order
        ([[2, 0, 8], [0, 0, 0], [2, 0, 0]], [(0, 2), (0, 0), (2, 0)]),
        ([[0, 9, 0], [1, 0, 1]], [(0, 1), (1, 0), (1, 2)]),
        ([[1, 0, 1], [0, 9, 0]], [(0, 0), (0, 2), (1, 1)]),  # blue seen first: blue first
        ([[1, 0, 1], [0, 3, 0]], [(0, 0), (0, 2), (1, 1)]),
    ],
)
def test_components_follow_object_colors_order(grid, expected_first_pixels):
    comps = find_connected_components(np.array(grid), connectivity=4, monochromatic=True)
    assert [tuple(int(v) for v in np.argwhere(c != 0)[0]) for c in comps] == expected_first_pixels


def test_first_component_of_05f2a901_is_the_teal_square(arc1_train):
    grid = arr(arc1_train["05f2a901"])
    first, second = find_connected_components(grid, monochromatic=True)
    assert object_colors(first) == [Color.TEAL] and crop(first).shape == (2, 2)
    assert object_colors(second) == [Color.RED]


# --- detect_objects ------------------------------------------------------------------------

def _pixels(objects):
    return [sorted((int(x), int(y)) for x, y in np.argwhere(o != 0)) for o in objects]


@pytest.mark.parametrize(
    "grid, kwargs, expected",
    [
        # connectivity=None (the default) finds no components at all
        ([[1, 0], [0, 2]], {}, []),
        ([[1, 0], [0, 2]], {"connectivity": 4}, [[(0, 0)], [(1, 1)]]),
        # ...but allowed_dimensions still scans windows
        ([[1, 0], [0, 0]], {"allowed_dimensions": [(1, 1)]}, [[(0, 0)]]),
        # an empty colour list filters no component
        ([[1, 0], [0, 2]], {"connectivity": 4, "colors": []}, [[(0, 0)], [(1, 1)]]),
        # components survive allowed_dimensions only when the grid's shape is listed...
        ([[1, 0, 0], [0, 0, 0], [0, 0, 2]], {"connectivity": 4, "allowed_dimensions": [(3, 3)], "can_overlap": True},
         [[(0, 0)], [(2, 2)], [(0, 0), (2, 2)]]),
        # ...so a 2x2 square is not kept as a component in a 3x3 grid, only found by the scan
        ([[0, 0, 0], [0, 4, 4], [0, 4, 4]], {"connectivity": 4, "allowed_dimensions": [(2, 2)], "can_overlap": True},
         [[(1, 1)], [(1, 1), (1, 2)], [(1, 1), (2, 1)], [(1, 1), (1, 2), (2, 1), (2, 2)]]),
        # windows equal to each other are all kept (only equality with a component is checked)
        ([[0, 0, 0], [0, 3, 0], [0, 0, 0]], {"allowed_dimensions": [(2, 2)], "can_overlap": True},
         [[(1, 1)]] * 4),
    ],
)
def test_detect_objects_quirks(grid, kwargs, expected):
    assert _pixels(detect_objects(np.array(grid), **kwargs)) == expected


def test_detect_objects_without_connectivity_on_1cf80156(arc1_train):
    grid = arr(arc1_train["1cf80156"])
    assert detect_objects(grid) == []
    assert len(detect_objects(grid, connectivity=8)) == 1


def test_detect_objects_scan_on_ce22a75a(arc1_train):
    task = arc1_train["ce22a75a"]
    grid = arr(task)  # isolated grey pixels on 9x9 black
    found = detect_objects(grid, connectivity=4, allowed_dimensions=[(3, 3)], can_overlap=True)
    # the grid's shape is not allowed: no component survives; every window holding colour is
    # kept, so an isolated pixel comes back once per window around it
    windows_with_colour = sum(grid[i : i + 3, j : j + 3].any() for i in range(7) for j in range(7))
    assert len(found) == windows_with_colour
    assert len({o.tobytes() for o in found}) < len(found)
    out = arr(task, which="output")  # three blue 3x3 squares touching at corners
    squares = detect_objects(out, connectivity=8, allowed_dimensions=[(3, 3)])
    assert len(squares) == 3 and all((crop(s) == Color.BLUE).all() for s in squares)


# --- bounding_box of nothing ---------------------------------------------------------------

@pytest.mark.parametrize(
    "grid, background, expected",
    [
        (np.zeros((4, 4), dtype=int), Color.BLACK, (4, 4, -4, -4)),
        (np.zeros((2, 5), dtype=int), Color.BLACK, (2, 5, -2, -5)),
        (np.full((3, 3), Color.GREY), Color.GREY, (3, 3, -3, -3)),
    ],
)
def test_bounding_box_of_empty_grid(grid, background, expected):
    assert bounding_box(grid, background=background) == expected
    assert crop(grid, background=background).size == 0
    assert object_position(grid, background=background) == expected[:2]


def test_bounding_box_of_absent_colour_on_1cf80156(arc1_train):
    grid = arr(arc1_train["1cf80156"])  # red shape on black, 10x12: no teal
    teal = np.where(grid == Color.TEAL, grid, Color.BLACK)
    assert bounding_box(teal) == (10, 12, -10, -12)


# --- blit with float coordinates: truncated with int() --------------------------------------

@pytest.mark.parametrize(
    "x, y, corner",
    [(1.5, 0.2, (1, 0)), (-0.5, 1.9, (0, 1)), (np.float64(2.99), 0, (2, 0)), (0.0, 2.5, (0, 2))],
)
def test_blit_truncates_float_coordinates(x, y, corner):
    expected = np.zeros((4, 4), dtype=int)
    expected[corner] = 7
    for draw in (blit, blit_sprite):
        grid = np.zeros((4, 4), dtype=int)
        draw(grid, np.array([[7]]), x, y)
        assert grid.tolist() == expected.tolist()


def test_blit_sprite_at_half_cells_builds_007bbfb7(arc1_train):
    for ex in arc1_train["007bbfb7"].train:
        grid = np.array(ex.input)
        out = np.zeros((9, 9), dtype=int)
        for x, y in np.argwhere(grid != 0):
            blit_sprite(out, grid, x=3 * x + 0.5, y=3 * y + 0.9)
        assert out.tolist() == [list(r) for r in ex.output]


# --- collision and contact: the offset is int(x2 - x1) --------------------------------------

@pytest.mark.parametrize(
    "x1, x2, collides, touches",
    [
        # b sits int(x2 - x1) rows below the top of a's two-pixel column
        (0.6, 2.4, True, True),  # int(1.8) == 1: overlaps the lower pixel (not 2 - 0 == 2)
        (0.6, 3.4, False, True),  # int(2.8) == 2: just below the column, not 3 - 0
        (0.5, -0.9, False, True),  # int(-1.4) == -1: just above, not 0 - 0
        (0, 3, False, False),
    ],
)
def test_collision_and_contact_truncate_the_offset(x1, x2, collides, touches):
    a = np.array([[3], [3]])  # two pixels in a column
    b = np.array([[4]])
    assert collision(object1=a, object2=b, x1=x1, x2=x2) is collides
    assert contact(object1=a, object2=b, x1=x1, x2=x2) is touches


def test_collision_offset_on_0ca9ddb6(arc1_train):
    grid = arr(arc1_train["0ca9ddb6"])  # isolated single pixels
    dot = crop(find_connected_components(grid)[0])
    assert dot.shape == (1, 1)
    assert collision(object1=dot, object2=dot, x1=0.6, x2=1.4)
    assert not collision(object1=dot, object2=dot, x1=0, x2=1)


# --- RotationalSymmetry.apply: negative iters do not turn -----------------------------------

@pytest.mark.parametrize(
    "iters, expected",
    [(1, (0, 3)), (2, (3, 3)), (3, (3, 0)), (4, (0, 0)), (5, (0, 3)), (0, (0, 0)), (-1, (0, 0)), (-3, (0, 0))],
)
def test_rotation_iters(iters, expected):
    assert RotationalSymmetry(1.5, 1.5).apply(0, 0, iters=iters) == expected


def test_rotation_negative_iters_on_7fe24cdd(arc1_train):
    grid = arr(arc1_train["7fe24cdd"], which="output")
    sym = detect_rotational_symmetry(grid)
    for x, y in np.argwhere(grid != 0):
        assert sym.apply(x, y, iters=-1) == (x, y)
        assert sym.apply(*sym.apply(x, y), iters=3) == (x, y)


# --- orbit: BARC's point order -------------------------------------------------------------

def barc_orbit(shape, x, y, symmetries):
    """The facts, one walk at a time: every combination of iteration counts (itertools.product,
    first symmetry slowest), a walk abandoned once it leaves the canvas, the set of end points
    listed."""
    ends = []
    ranges = [range(*s._iter_range(shape)) for s in symmetries]
    for counts in itertools.product(*ranges):
        px, py = x, y
        for sym, i in zip(symmetries, counts):
            px, py = sym.apply(px, py, i)
            if not (0 <= px < shape[0] and 0 <= py < shape[1]):
                break
        else:
            ends.append((px, py))
    return list(set(ends))


@pytest.mark.parametrize(
    "shape, point, symmetries, expected",
    [
        ((5, 5), (0, 1), [MirrorSymmetry(2, None), MirrorSymmetry(None, 2)], [(0, 1), (0, 3), (4, 1), (4, 3)]),
        ((4, 4), (0, 0), [RotationalSymmetry(1.5, 1.5)], [(0, 3), (3, 3), (3, 0), (0, 0)]),
        ((3, 7), (1, 2), [TranslationalSymmetry(0, 2)], [(1, 0), (1, 6), (1, 2), (1, 4)]),
        ((4, 4), (3, 1), [TranslationalSymmetry(1, 0), TranslationalSymmetry(0, 2)],
         [(0, 1), (2, 1), (3, 1), (1, 1), (0, 3), (2, 3), (3, 3), (1, 3)]),
        ((3, 3), (1, 1), [], [(1, 1)]),
    ],
)
def test_orbit_order(shape, point, symmetries, expected):
    assert barc_orbit(shape, *point, symmetries) == expected
    assert orbit(np.zeros(shape, dtype=int), *point, symmetries) == expected


def test_orbit_order_on_0dfd9992(arc1_train):
    grid = arr(arc1_train["0dfd9992"])
    syms = detect_translational_symmetry(grid, ignore_colors=[Color.BLACK])
    assert len(syms) == 2
    for x, y in [(0, 0), (5, 7), (20, 20), (13, 2)]:
        points = orbit(grid, x, y, syms)
        assert points == barc_orbit(grid.shape, x, y, syms)
        assert points != sorted(points)


# --- random helpers draw what BARC's draw from the same seed --------------------------------

@pytest.mark.parametrize("seed", range(10))
def test_spaced_indices_keep_the_last_two_free(seed):
    random.seed(seed)
    # with a border, BARC's range is [border_size, max_len - 2): exactly 1, 2, 3 here
    assert randomly_spaced_indices(6, 3, border_size=1, padding=0).tolist() == [1, 2, 3]


def test_scattered_points_follow_barc_draws():
    np.random.seed(3)
    grid = randomly_scatter_points(np.zeros((4, 5), dtype=int), Color.GREY, density=0.3)
    np.random.seed(3)
    expected, coloured = np.zeros((4, 5), dtype=int), 0
    while coloured < 0.3 * 20:  # x then y from np.random.randint, background cells only
        x, y = np.random.randint(0, 4), np.random.randint(0, 5)
        if expected[x, y] == 0:
            expected[x, y], coloured = Color.GREY, coloured + 1
    assert grid.tolist() == expected.tolist()

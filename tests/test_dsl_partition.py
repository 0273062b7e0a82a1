"""Cutting grids into parts, picking and combining them, and per-object transforms."""

import numpy as np

from dsl.object_ops import (
    copy_to_markers,
    fill_bounding_boxes,
    fill_holes_by_size,
    filter_objects,
    move_until_contact,
    object_feature,
    object_shape,
    rewrite_objects,
)
from dsl.cells import split_cells, two_halves
from dsl.partition import combine_parts, compress_grid, object_parts, overlay_parts, pick_part, split_equal


def test_split_cells_cuts_at_full_separator_lines():
    g = np.array([[1, 0, 5, 2, 2],
                  [0, 1, 5, 2, 0],
                  [5, 5, 5, 5, 5],
                  [3, 3, 5, 0, 4]])
    parts = split_cells(g, separator="most")
    assert [p.tolist() for p in parts] == [[[1, 0], [0, 1]], [[2, 2], [2, 0]], [[3, 3]], [[0, 4]]]
    assert split_cells(g) == []  # grey is the most common colour: no other colour's lines cut
    assert split_cells(np.zeros((3, 3), dtype=int), separator="most") == []


def test_split_cells_separator_rules():
    # Black (the most common colour) and grey lines both cut; which ones do depends on the rule.
    g = np.array([[1, 0, 2, 0, 3, 5, 4],
                  [0, 0, 0, 0, 0, 5, 0],
                  [6, 0, 0, 0, 7, 5, 8]])
    assert [p.shape for p in split_cells(g)] == [(3, 5), (3, 1)]  # grey, not the most common colour
    gaps = split_cells(g, separator="gaps")  # black: the blocks apart by empty columns
    assert [p.tolist() for p in gaps] == [[[1], [0], [6]], [[2], [0], [0]], [[3, 5, 4], [0, 5, 0], [7, 5, 8]]]
    assert [p.tolist() for p in split_cells(g, separator="most")] == [p.tolist() for p in gaps]  # 3 cells beat 2
    assert [p.shape for p in split_cells(g, separator="either")] == [(3, 5), (3, 1)]
    assert split_cells(np.array([[1, 2], [3, 4]]), separator="either") == []


def test_split_equal_drops_one_line_separators():
    g = np.array([[1, 2, 7, 3, 4]])
    assert [p.tolist() for p in split_equal(g, 1, 2)] == [[[1, 2]], [[3, 4]]]
    rows = np.array([[1], [9], [2]])
    assert [p.tolist() for p in split_equal(rows, 2, 1)] == [[[1]], [[2]]]
    assert split_equal(np.zeros((4, 4), dtype=int), 3, 1) == []


def test_pick_part_refuses_ties():
    a, b, c = np.array([[1, 1]]), np.array([[2, 0]]), np.array([[3, 0]])
    assert pick_part([a, b, c], "max_cells").tolist() == [[1, 1]]
    assert pick_part([a, b, c], "min_cells") is None  # b and c tie
    assert pick_part([b, b, a], "odd_one").tolist() == [[1, 1]]
    assert pick_part([b, b, a], "most_common").tolist() == [[2, 0]]


def test_object_parts_isolates_each_object():
    g = np.array([[1, 1, 0],
                  [2, 1, 0],
                  [0, 0, 3]])
    assert [p.tolist() for p in object_parts(g, 0, 4, True, True)] == [[[1, 1], [0, 1]], [[2]], [[3]]]
    assert [p.tolist() for p in object_parts(g, 0, 8, False, False)] == [g.tolist()]


def test_overlay_and_combine_parts():
    a, b = np.array([[1, 0], [0, 0]]), np.array([[2, 2], [0, 0]])
    assert overlay_parts([a, b]).tolist() == [[2, 2], [0, 0]]
    assert overlay_parts([a, b], reverse=True).tolist() == [[1, 2], [0, 0]]
    assert combine_parts([a, b], "xor", 4).tolist() == [[0, 4], [0, 0]]
    assert combine_parts([a, b], "nor", 4).tolist() == [[0, 0], [4, 4]]
    assert combine_parts([b, a], "first_only", 4).tolist() == [[0, 4], [0, 0]]
    assert combine_parts([a, b], "none_first", 4).tolist() == [[0, 4], [0, 0]]
    assert combine_parts(None, "and", 4) is None  # what a cut that found no parts hands on


def test_halves_combine_as_parts():
    g = np.array([[1, 0, 9, 0, 2],
                  [0, 0, 9, 3, 3]])
    assert combine_parts(two_halves(g, axis=1), "first_only", 4, background=0).tolist() == [[4, 0], [0, 0]]
    assert combine_parts(two_halves(g, axis=1), "and", 4, background=0).tolist() == [[0, 0], [0, 0]]
    assert combine_parts(two_halves(np.array([[1, 2, 3], [1, 4, 3]]), axis=1), "or", 4) is None  # no uniform middle line


def test_pick_part_background_is_shared_by_the_parts():
    # background=None: the most common colour of the parts together (here 0), not each part's own.
    a, b, c = np.array([[7, 7, 0]]), np.array([[0, 0, 2]]), np.array([[0, 0, 0]])
    assert pick_part([a, b, c], "max_cells", background=None).tolist() == [[7, 7, 0]]
    rows = np.array([[1, 2], [3, 4]]), np.array([[1, 1], [2, 2]]), np.array([[1, 2], [3, 5]])
    assert pick_part(list(rows), "symmetric").tolist() == [[1, 1], [2, 2]]  # the only one a mirror keeps


def test_compress_grid_keeps_each_run_once():
    g = np.array([[1, 1, 2], [1, 1, 2], [3, 3, 3]])
    assert compress_grid(g).tolist() == [[1, 2], [3, 3]]


def test_filter_objects_refuses_unseen_values():
    g = np.array([[1, 0, 2], [0, 0, 0], [3, 0, 1]])
    assert filter_objects(g, "color", keep=(1, 3), drop=(2,)).tolist() == [[1, 0, 0], [0, 0, 0], [3, 0, 1]]
    assert filter_objects(g, "color", keep=(1,), drop=(2,)) is None


def test_move_until_contact_stops_beside_the_anchor():
    g = np.zeros((5, 3), dtype=int)
    g[0, 1], g[4, 1] = 2, 8
    out = move_until_contact(g, 2, 8)
    assert out[3, 1] == 2 and out[0, 1] == 0 and out[4, 1] == 8
    assert move_until_contact(g, 2, 8, "up") is None  # it would leave the grid


def test_copy_to_markers_centres_the_template():
    g = np.zeros((6, 6), dtype=int)
    g[0:3, 0:3] = [[1, 1, 1], [1, 2, 1], [1, 1, 1]]
    g[4, 4] = 5
    out = copy_to_markers(g, 5, "center")
    assert out[3:6, 3:6].tolist() == g[0:3, 0:3].tolist()


def test_fill_holes_by_size():
    g = np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0]])
    assert fill_holes_by_size(g, (1,), (4,))[1, 1] == 4
    assert fill_holes_by_size(g, (2,), (4,)) is None


def test_object_feature_widens_object_property():
    g = np.array([[1, 0, 2], [0, 0, 0], [2, 0, 0]])
    masks = [g == 1, (g == 2) & (np.arange(3)[None, :] == 2), (g == 2) & (np.arange(3)[:, None] == 2)]
    assert object_feature(g, masks[0], masks, "color") == 1
    assert [object_feature(g, m, masks, "color_is_unique") for m in masks] == [True, False, False]
    assert object_feature(g, masks[0], masks, "size") == 1  # delegated to object_property

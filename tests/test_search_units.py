"""Operations, parameter fitting, emission and the search's contract on small hand-made grids."""

import numpy as np
import pytest

import arc
from arc.grid import as_grid
from arc.task import Example, Task
from arc.views import SYMMETRY_NAMES, apply_symmetry
from dsl.neighbourhood import cell_features
from search import OPS, Step, WorkBudget, emit_program, group_hits, search_programs
from search.steps import fit_color_map, fitted_steps, task_info


def _task(pairs, tests):
    return Task("hand", tuple(Example(as_grid(i), as_grid(o)) for i, o in pairs),
                tuple(Example(as_grid(i), as_grid(o)) for i, o in tests))


@pytest.mark.parametrize("name", [n for n in SYMMETRY_NAMES if n != "identity"])
def test_symmetries_agree_with_views(name):
    g = np.arange(12).reshape(3, 4) % 10
    assert as_grid(OPS[name](g)) == apply_symmetry(name, as_grid(g))


def test_fit_color_map_consistent_and_inconsistent():
    a, b = np.array([[1, 2], [0, 1]]), np.array([[3, 2], [0, 3]])
    assert fit_color_map([a], [b]) == ((0, 0), (1, 3), (2, 2))  # unchanged colours are named too
    assert OPS["recolor"](np.array([[1, 7]]), fit_color_map([a], [b])) is None  # 7 was never seen
    assert fit_color_map([a], [np.array([[3, 2], [0, 4]])]) is None  # 1 -> 3 and 1 -> 4
    assert fit_color_map([np.array([[1, 2]])], [np.array([[3, 2]])]) is None  # 1 -> 3 on one cell only


def test_fitted_scale_factors():
    g = np.zeros((2, 3), dtype=int)
    info = task_info([(g, np.zeros((4, 9), dtype=int))])
    ops = {s.op: dict(s.params) for s in fitted_steps([g], [np.zeros((4, 9), dtype=int)], info)}
    assert ops["upscale"] == {"ky": 2, "kx": 3} and ops["tile"] == {"ny": 2, "nx": 3}


def test_recolor_objects_refuses_values_it_never_saw():
    g = np.array([[5, 5, 0, 5]])
    mapping = (((5, 2), 1),)
    assert OPS["recolor_objects"](g, "size", mapping, 0, 4) is None  # the size-1 object is unknown
    assert OPS["recolor_objects"](g, "size", mapping + (((5, 1), 5),), 0, 4).tolist() == [[1, 1, 0, 5]]


def test_complete_symmetry_off_centre():
    row = np.array([[0, 1, 2, 3, 2, 1]])  # mirror axis at column 3, not the grid's centre
    grid = np.vstack([row, row])
    broken = grid.copy()
    broken[1, 4] = 9
    assert OPS["complete_symmetry"](broken, 9).tolist() == grid.tolist()


def test_gravity_objects_keeps_shapes_rigid():
    g = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 2]])
    assert OPS["gravity_objects"](g, "down", 0).tolist() == [[0, 0, 0], [0, 0, 0], [1, 1, 0], [0, 1, 2]]
    assert OPS["gravity"](g, "down", 0).tolist() == [[0, 0, 0], [0, 0, 0], [0, 1, 0], [1, 1, 2]]


def test_emit_writes_calls_of_dsl_operations_not_their_source():
    src = emit_program([Step("crop_object", (("by", "max_cells"), ("background", 0),
                                              ("connectivity", 8), ("by_color", False))), Step("flip_lr")])
    assert src.startswith("from common import *\nimport numpy as np\n")
    assert [line for line in src.splitlines() if line.startswith("def ")] == ["def transform(input_grid):"]
    lines = [line.strip() for line in src.splitlines()]
    assert "grid = crop_object(grid, by='max_cells', background=0, connectivity=8, by_color=False)" in lines
    assert "grid = flip_lr(grid)" in lines
    # crop_object may refuse (no single object stands out); flip_lr never does.
    assert lines.count("if grid is None:") == 1
    with pytest.raises(KeyError):
        emit_program([Step("no_such_operation")])


def test_every_operation_is_a_dsl_function_programs_can_call():
    from dsl import common

    for name, fn in OPS.items():
        assert getattr(common, name) is fn and name in common.__all__, name
        assert fn.__module__.split(".")[0] in ("dsl", "arc"), name


def test_find_objects_memo_hands_out_copies():
    from dsl.objects import find_objects

    g = np.array([[1, 1, 0], [0, 0, 2]])
    first = find_objects(g, 0, 4, True)
    first[0][:] = False  # a caller changing its masks does not change the next answer
    again = find_objects(g, 0, 4, True)
    assert [m.tolist() for m in again] == [[[True, True, False], [False, False, False]],
                                            [[False, False, False], [False, False, True]]]
    assert len(find_objects(g, None, 4, True)) == 2  # background None: the most common colour, 0


def test_search_finds_simplest_composition_and_is_deterministic():
    pairs = [([[1, 2], [3, 4]], [[4, 3], [2, 1]]), ([[5, 0, 0]], [[0, 0, 5]])]
    task = _task(pairs, [([[7, 8]], [[8, 7]])])
    hits = search_programs(task, budget=8_000_000)
    assert hits[0].description == "rot180"
    assert [h.description for h in hits] == [h.description for h in search_programs(task, budget=8_000_000)]
    status, ranked = group_hits(hits)
    assert ranked[0] == (((8, 7),),)


def test_search_returns_nothing_for_unrelated_outputs():
    rng = np.random.default_rng(0)
    pairs = [(rng.integers(0, 10, (4, 4)).tolist(), rng.integers(0, 10, (3, 5)).tolist()) for _ in range(3)]
    task = _task(pairs, [(rng.integers(0, 10, (4, 4)).tolist(), [[0]])])
    hits = search_programs(task, budget=2_000_000, max_depth=2)
    assert hits == []
    assert group_hits(hits) == ("none", [])


def test_max_programs_is_respected():
    # One symmetric demonstration: several symmetries explain it.
    task = _task([([[1, 2], [2, 1]], [[2, 1], [1, 2]])], [([[3, 4], [4, 3]], [[4, 3], [3, 4]])])
    assert len(search_programs(task, budget=8_000_000)) > 2
    assert len(search_programs(task, budget=8_000_000, max_programs=2)) == 2


def test_group_hits_statuses():
    from search.hits import SearchHit

    def hit(g, call="f"):
        return SearchHit(f"grid = {call}(grid)", "", (), (g,))

    a, b = ((1,),), ((2,),)
    assert group_hits([hit(a), hit(a)])[0] == "unique"
    status, ranked = group_hits([hit(b), hit(a), hit(a, "g")])  # two kinds of program agree on a
    assert status == "several" and ranked == [(a,), (b,)]


def test_hits_name_the_family_that_found_them():
    """Each hit says which part of the search found it, so the benchmark can count per family."""
    tasks = arc.load_dataset("arc1-train")
    composed = search_programs(tasks["3c9b0459"], budget=8_000_000)
    assert composed and composed[0].family == "compose"
    local = [h for h in search_programs(tasks["b1948b0a"], budget=8_000_000) if h.family == "local-rule"]
    assert local and not local[0].steps


def test_self_tile_key_and_connect_pairs_colour():
    g = np.array([[5, 0], [5, 5]])
    out = OPS["self_tile"](g, background=0, key="least_common")  # 0 is the least common colour
    assert out.tolist() == [[0, 0, 5, 0], [0, 0, 5, 5], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert OPS["self_tile"](np.array([[1, 2], [2, 1]]), background=0, key="most_common") is None  # a tie
    line = np.array([[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    assert OPS["connect_pairs"](line, direction="hv", background=0, color=2).tolist() == \
        [[1, 2, 2, 1], [2, 0, 0, 0], [1, 0, 0, 0]]


def test_tile_views_and_continue_pattern():
    g = np.array([[1, 2], [3, 4]])
    out = OPS["tile_views"](g, (("identity", "flip_lr"),))
    assert out.tolist() == [[1, 2, 2, 1], [3, 4, 4, 3]]
    assert OPS["tile_views"](np.array([[1, 2, 3]]), (("identity", "rot90"),)) is None  # shapes differ
    row = np.array([[0, 0, 0], [2, 3, 2], [0, 0, 0]])  # rows have no period but 3; columns repeat every 2
    assert OPS["continue_pattern"](row, ky=1, kx=2).tolist() == [[0] * 6, [2, 3, 2, 3, 2, 3], [0] * 6]
    assert OPS["continue_pattern"](row, ky=1, kx=1) is None
    column = np.array([[1], [2], [1], [2]])
    assert OPS["continue_pattern"](column, ky=1.5, kx=1).ravel().tolist() == [1, 2, 1, 2, 1, 2]
    assert OPS["continue_pattern"](row, ky=1.5, kx=1) is None  # 4.5 rows
    assert OPS["repeating_tile"](np.array([[1, 2, 1, 2], [3, 4, 3, 4]])).tolist() == [[1, 2], [3, 4]]
    assert OPS["repeating_tile"](np.array([[1, 2], [3, 4]])) is None


def test_color_sequence():
    stripes = np.array([[1, 1, 2, 3], [1, 2, 2, 3], [1, 1, 2, 3]])  # stripes standing up, one ragged edge
    assert OPS["color_sequence"](stripes, by="bands").tolist() == [[1, 2, 3]]
    assert OPS["color_sequence"](stripes.T, by="bands").tolist() == [[1], [2], [3]]
    counts = np.array([[0, 5, 5, 5], [0, 7, 7, 0], [4, 0, 0, 0]])
    assert OPS["color_sequence"](counts, by="count", background=0).tolist() == [[5], [7], [4]]
    assert OPS["color_sequence"](counts, by="count", background=0, skip=1, column=False).tolist() == [[7, 4]]
    assert OPS["color_sequence"](np.array([[1, 2]]), by="count", background=0) is None  # a tie


def test_fold_halves():
    g = np.array([[1, 0, 5, 0, 2], [0, 0, 5, 3, 0]])
    assert OPS["fold_halves"](g, axis=1).tolist() == [[1, 0], [0, 3]]  # [2 0] mirrored to [0 2] under [1 0]
    assert OPS["fold_halves"](g, axis=1, mirror=False).tolist() == [[1, 2], [3, 0]]
    assert OPS["fold_halves"](np.array([[1, 2, 3], [1, 4, 3]]), axis=1) is None  # the middle is no separator


def test_pad_grid():
    g = np.array([[1, 2]])
    assert OPS["pad_grid"](g, bottom=1, right=1, color=0).tolist() == [[1, 2, 0], [0, 0, 0]]
    assert OPS["pad_grid"](g, top=1, left=1, color=5).tolist() == [[5, 5, 5], [5, 1, 2]]
    assert OPS["pad_grid"](g, bottom=30) is None


def test_cross_lines_and_diagonal_surround():
    g = np.array([[0, 0, 0, 0], [0, 5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert OPS["cross_lines"](g, color=6, direction="hv").tolist() == \
        [[0, 6, 0, 0], [6, 5, 6, 6], [0, 6, 0, 0], [0, 6, 0, 0]]
    wide = np.array([[0, 0, 0], [5, 5, 0], [0, 0, 0]])  # two columns wide: no middle column
    assert OPS["cross_lines"](wide, color=6, direction="hv").tolist() == [[0, 0, 0], [5, 5, 6], [0, 0, 0]]
    assert OPS["surround_cells"](g, source=5, color=4, connectivity="diag").tolist() == \
        [[4, 0, 4, 0], [0, 5, 0, 0], [4, 0, 4, 0], [0, 0, 0, 0]]


def test_shrink_blocks_keep_color_and_surround_any():
    g = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 2, 2], [0, 0, 2, 2]])
    assert OPS["shrink_blocks"](g).tolist() == [[1, 0], [0, 2]]
    assert OPS["shrink_blocks"](np.array([[1, 2], [3, 4]])) is None
    h = np.array([[3, 0, 3], [0, 5, 0], [3, 0, 0]])
    assert OPS["keep_color"](h, by="least_common", background=0).tolist() == [[0, 0, 0], [0, 5, 0], [0, 0, 0]]
    assert OPS["keep_color"](np.array([[3, 5]]), by="least_common", background=0) is None  # a tie
    assert OPS["surround_cells"](np.array([[0, 0, 0], [0, 0, 0], [0, 0, 7]]), source=None, color=2,
                                 connectivity=4).tolist() == [[0, 0, 0], [0, 0, 2], [0, 2, 7]]


def test_repeat_band_and_continue_segments():
    g = np.array([[0, 0], [1, 2], [3, 4], [0, 0], [0, 0]])
    assert OPS["repeat_band"](g, axis=0, background=0).tolist() == [[3, 4], [1, 2], [3, 4], [1, 2], [3, 4]]
    assert OPS["repeat_band"](np.zeros((2, 2), dtype=int), axis=0) is None
    row = np.array([[0, 0, 0, 5, 6, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 7]])
    assert OPS["continue_segments"](row, direction="h", background=0).tolist() == \
        [[6, 5, 6, 5, 6, 5, 6, 5], [0, 0, 0, 0, 0, 0, 0, 7]]  # a single cell is no run
    assert OPS["continue_segments"](row, direction="v", background=0) is None


def test_run_half_feature():
    g = np.array([[1, 0], [1, 0], [1, 3], [1, 3], [1, 0]])
    assert cell_features(g, ("vrun_half",))[..., 0].tolist() == [[0, 0], [0, 2], [1, 0], [2, 2], [2, 1]]
    assert cell_features(g.T, ("hrun_half",))[..., 0].tolist() == [[0, 0, 1, 2, 2], [0, 2, 0, 2, 1]]


def test_colour_rank_and_least_colour_features():
    g = np.array([[0, 0, 0], [0, 3, 3], [6, 0, 0]])
    assert cell_features(g, ("colour_rank",))[..., 0].tolist() == [[0, 0, 0], [0, 1, 1], [2, 0, 0]]
    assert (cell_features(g, ("least_colour",)) == 6).all()
    tie = np.array([[0, 0, 0], [0, 3, 6]])
    assert cell_features(tie, ("colour_rank",))[1, 1:, 0].tolist() == [10, 10]
    assert (cell_features(tie, ("least_colour",)) == 10).all()


def test_mirror_tile_and_cells_from_first():
    g = np.array([[1, 2], [3, 4], [5, 6]])
    assert OPS["mirror_tile"](g, ny=3, nx=1).tolist() == [[1, 2], [3, 4], [5, 6], [3, 4], [1, 2], [3, 4], [5, 6]]
    assert OPS["mirror_tile"](g, ny=1, nx=1) is None
    panels = np.array([[1, 2, 5, 0, 0], [3, 4, 5, 0, 0]])
    assert OPS["cells_from_first"](panels, views=("rot180",)).tolist() == [[1, 2, 5, 4, 3], [3, 4, 5, 2, 1]]
    assert OPS["cells_from_first"](panels, views=("rot180", "rot90")) is None  # two cells, not three
    out = np.array([[1, 2, 5, 4, 3], [3, 4, 5, 2, 1]])
    assert ("cells_from_first", (("views", ("rot180",)),)) in \
        [(s.op, s.params) for s in fitted_steps([panels], [out], task_info([(panels, out)]))]


def test_fill_between_corners_and_extend_ends():
    g = np.zeros((5, 6), dtype=int)
    g[0, 0] = g[0, 3] = g[3, 0] = g[3, 3] = 4
    filled = OPS["fill_between_corners"](g, color=2, background=0)
    assert (filled[1:3, 1:3] == 2).all() and (filled == 2).sum() == 4
    assert OPS["fill_between_corners"](np.eye(4, dtype=int), color=2) is None
    line = np.zeros((5, 5), dtype=int)
    line[1, 1] = line[2, 2] = 3  # a diagonal of two cells: both are ends
    assert OPS["extend_ends"](line, background=0).tolist() == np.where(np.eye(5, dtype=bool), 3, 0).tolist()
    assert OPS["extend_ends"](np.full((2, 2), 5), background=0) is None  # no end: every cell has three neighbours


def test_paint_choice_needs_a_colour_that_varies():
    from search.enumerate import _paint_choice

    grids = [np.array([[0, 1], [1, 0]]), np.array([[1, 1], [0, 0]])]
    inputs = [np.array([[3, 3, 7], [0, 0, 0]]), np.array([[4, 4, 2], [0, 0, 0]])]
    targets = [np.where(grids[0] > 0, 7, 0), np.where(grids[1] > 0, 2, 0)]
    assert _paint_choice(grids, targets, inputs, 0) == "least_common"
    same = [np.where(g > 0, 7, 0) for g in grids]  # one colour for both: a recolouring, not a choice
    assert _paint_choice(grids, same, inputs, 0) is None
    assert _paint_choice(grids, [targets[0], np.where(grids[1] > 0, 5, 0)], inputs, 0) is None  # no choice picks 5


def test_color_histogram():
    g = np.array([[8, 8, 2], [3, 8, 3]])
    assert OPS["color_histogram"](g, background=None, fill=0).tolist() == [[8, 3, 2], [8, 3, 0], [8, 0, 0]]
    assert OPS["color_histogram"](g, background=8, fill=0).tolist() == [[3, 2], [3, 0]]
    assert OPS["color_histogram"](np.array([[0, 1]]), background=None, fill=0) is None  # the fill is counted


def test_cells_apart_by_gaps():
    g = np.array([[1, 1, 0, 2], [1, 0, 0, 2], [0, 0, 0, 0], [3, 3, 0, 0], [3, 3, 0, 5], [0, 0, 0, 0]])
    assert OPS["cells_to_pixels"](g) is None  # no separator of a colour other than the most common
    assert OPS["cells_to_pixels"](g, separator="gaps").tolist() == [[1, 2], [3, 5]]


def test_copied_cell_and_neighbours_read_in_the_grid():
    g = np.array([[0, 0, 5, 0, 0], [0, 0, 5, 0, 0], [0, 0, 5, 3, 1]])
    copy = OPS["redraw_cells"](g, by="max_cells", mode="copy")
    assert copy.tolist() == [[0, 0, 5, 0, 0], [0, 0, 5, 0, 0], [3, 1, 5, 3, 1]]
    assert OPS["redraw_cells"](np.array([[1, 0, 5, 0, 2], [0, 0, 5, 0, 0]]), by="max_cells", mode="copy") is None  # a tie
    corner = np.array([[1, 0], [0, 0]])
    n4, n4_in = cell_features(corner, ("n4", "n4_in"))[0, 0]
    assert n4 != n4_in  # up and left are off the grid: outside for n4, background for n4_in
    assert n4_in == cell_features(np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]), ("n4",))[1, 1, 0]


def test_step_toward_moves_straight_or_diagonally():
    g = np.zeros((7, 7), dtype=int)
    g[1, 1], g[4, 4] = 3, 4
    out = OPS["step_toward"](g, mover_color=3, anchor_color=4, steps=1, background=0)
    assert out[2, 2] == 3 and out[1, 1] == 0 and out[4, 4] == 4
    g = np.zeros((5, 5), dtype=int)
    g[0, 2], g[3, 2] = 3, 4  # two steps would land on the anchor: it stops beside it
    out = OPS["step_toward"](g, mover_color=3, anchor_color=4, steps=5, background=0)
    assert out[2, 2] == 3 and out[3, 2] == 4 and (out == 3).sum() == 1
    assert OPS["step_toward"](g, mover_color=5, anchor_color=4, steps=1, background=0) is None


def test_in_boxes_feature():
    g = np.array([[2, 0, 0, 0], [0, 1, 0, 1], [0, 0, 2, 0]])
    boxes = cell_features(g, ("in_boxes",))[..., 0]
    both, red = (1 << 1) | (1 << 2), 1 << 2
    assert boxes.tolist() == [[red, red, red, 0], [red, both, both, 1 << 1], [red, red, red, 0]]


def test_tile_views_fitted_on_the_foreground():
    from search.steps import fit_tile_views

    g = np.array([[1, 0], [1, 1]])
    t = OPS["tile_views"](g * 4, views=(("identity", "flip_lr"),))  # the mirror images, in another colour
    assert fit_tile_views([g], [t], 1, 2) is None
    assert fit_tile_views([g], [t], 1, 2, background=0) == (("identity", "flip_lr"),)


def test_complete_templates_by_colours_and_by_shape():
    g = np.zeros((7, 8), dtype=int)
    g[0:2, 0:2] = [[1, 2], [3, 4]]  # the template: four colours
    g[4, 5] = 2  # a fragment: the template's 2, so a copy goes up-left of it
    out = OPS["complete_templates"](g, match="colors", views="identity", keep_template=True, background=0)
    assert out[4:6, 4:6].tolist() == [[1, 2], [3, 4]] and out[0:2, 0:2].tolist() == [[1, 2], [3, 4]]
    gone = OPS["complete_templates"](g, match="colors", views="identity", keep_template=False, background=0)
    assert gone[0:2, 0:2].tolist() == [[0, 0], [0, 0]] and gone[4:6, 4:6].tolist() == [[1, 2], [3, 4]]
    g[6, 0] = 7  # a fragment no copy explains: the rule says nothing about it
    assert OPS["complete_templates"](g, match="colors", views="identity", background=0) is None
    s = np.zeros((6, 6), dtype=int)
    s[0:2, 0:2] = [[1, 2], [3, 4]]
    s[3:5, 3:5] = 5  # a one-colour block of the template's shape takes its colours
    out = OPS["complete_templates"](s, match="shape", views="identity", background=0)
    assert out[3:5, 3:5].tolist() == [[1, 2], [3, 4]]
    # under the eight views the square block fits four different colourings: no answer
    assert OPS["complete_templates"](s, match="shape", views="rigid", background=0) is None


def test_complete_templates_in_the_fragments_own_colours():
    g = np.zeros((6, 6), dtype=int)
    g[0, :] = [3, 3, 2, 3, 3, 2]  # the template: the largest object of two colours
    g[2, :3] = [8, 8, 4]  # its start in other colours: 3 -> 8, 2 -> 4
    g[4, :2] = [1, 1]  # shows one colour only: the swap for 2 is unknown
    complete = lambda grid: OPS["complete_templates"](grid, match="recolor", views="identity", background=0)
    assert complete(g) is None
    g[4, :2] = [1, 6]  # "16" lies on the template's "32": the copy starts a column off the grid
    assert complete(g)[4].tolist() == [1, 6, 1, 1, 6, 0]
    g[4, :3] = [1, 1, 6]
    out = complete(g)
    # the copy placed at column 0 holds all its cells on the grid; the one starting three columns
    # to the left ("332" also reads "116") loses the tie
    assert out[2].tolist() == [8, 8, 4, 8, 8, 4] and out[4].tolist() == [1, 1, 6, 1, 1, 6]
    assert out[0].tolist() == g[0].tolist()
    g[4, :3] = [1, 1, 1]  # two template colours onto one: not a swap
    assert complete(g) is None
    with pytest.raises(ValueError):
        OPS["complete_templates"](g, match="colours", background=0)


def test_paint_parts_stencil_and_key_at_either_size():
    paint = OPS["paint_parts"]
    key = np.array([[1, 2], [3, 4]])
    stencil = np.zeros((4, 4), dtype=int)
    stencil[0:2, 0:2] = stencil[2:4, 2:4] = 5
    stencil[0, 2] = 5
    empty = np.zeros((2, 4), dtype=int)  # all background: not a part that counts
    big = paint([stencil, empty, key], size="mask", background=0)
    assert big.tolist() == [[1, 1, 2, 0], [1, 1, 0, 0], [0, 0, 4, 4], [0, 0, 4, 4]]
    assert paint([stencil, key], size="key", background=0) is None  # a block half set
    stencil[0, 2] = 0
    assert paint([key, stencil], size="key", background=0).tolist() == [[1, 0], [0, 4]]
    two = np.array([[1], [2]])  # two colours, fewer than the key's four: neither stencil nor key
    assert paint([stencil, two, key], size="key", background=0).tolist() == [[1, 0], [0, 4]]
    assert paint([stencil, stencil, key], size="mask", background=0) is None  # two stencils
    assert paint([stencil, key, key + 1], size="mask", background=0) is None  # two keys
    assert paint([stencil[:3], key], size="mask", background=0) is None  # 3 rows: no whole factor
    with pytest.raises(ValueError):
        paint([stencil, key], size="stencil", background=0)


def test_fill_largest_empty_rectangle_at_least_side_by_side():
    fill = OPS["fill_largest_empty_rectangle"]
    g = np.array([[0, 0, 0, 0, 0, 0, 0],
                  [1, 1, 0, 0, 1, 1, 1],
                  [1, 1, 0, 0, 1, 1, 1],
                  [1, 1, 1, 1, 1, 1, 1]])
    # one cell thick allowed: the top row (7 cells) beats the 3x2 block it tops (6 cells)
    assert fill(g, color=6, side=1, background=0)[0].tolist() == [6] * 7
    out = fill(g, color=6, side=2, background=0)  # two by two at least: the block
    assert out[:3, 2:4].tolist() == [[6, 6]] * 3 and (out == 6).sum() == 6
    assert fill(g, color=6, side=3, background=0) is None  # no 3x3 of background
    assert fill(np.array([[0, 0, 1, 0, 0]]), color=6, side=1, background=0) is None  # two strips of two tie


def test_shoot_pixels_rays_moves_and_stacks():
    g = np.zeros((6, 6), dtype=int)
    g[5, :] = 5  # the anchor line
    g[1, 1] = 3
    g[0, 4], g[2, 4] = 2, 2  # two pixels in one column stack onto the line
    ray = OPS["shoot_pixels"](g, anchor=5, mode="ray", unaligned="keep", directions="hv", background=0)
    assert ray[1:5, 1].tolist() == [3, 3, 3, 3]
    moved = OPS["shoot_pixels"](g, anchor=5, mode="move", unaligned="keep", directions="hv", background=0)
    assert moved[4, 1] == 3 and moved[1, 1] == 0 and moved[3:5, 4].tolist() == [2, 2] and (moved == 2).sum() == 2
    joined = OPS["shoot_pixels"](g, anchor=5, mode="join", unaligned="keep", directions="hv", background=0)
    assert joined[4, 1] == 5 and joined[3:5, 4].tolist() == [5, 5]
    lone = np.zeros((4, 4), dtype=int)
    lone[1, 1] = 3
    assert OPS["shoot_pixels"](lone, anchor=5, mode="ray", background=0) is None  # nothing to reach


def test_symmetrize_finds_the_centre():
    g = np.zeros((7, 7), dtype=int)
    g[1, 1], g[1, 3], g[1, 5], g[3, 1] = 1, 2, 1, 2  # a top row and one side: the centre is (3, 3)
    out = OPS["symmetrize"](g, group="d4", background=0)
    assert out is not None and (out == out[::-1]).all() and (out == out.T).all()
    assert out[5, 5] == 1 and out[5, 3] == out[3, 5] == 2 and (out != 0).sum() == 8
    lr = np.zeros((3, 6), dtype=int)
    lr[1, 1:3] = [1, 2]
    lr[1, 3] = 2  # 1 2 2 _ : the mirror that matches 2 onto 2 puts the 1 at column 4
    assert OPS["symmetrize"](lr, group="lr", background=0)[1].tolist() == [0, 1, 2, 2, 1, 0]
    occluded = np.array([[0, 1, 2, 2, 1, 0], [0, 1, 2, 6, 6, 0]])  # 6, the fewest cells, hides a part
    out = OPS["symmetrize"](occluded, group="lr", remove="fewest", background=0)
    assert out.tolist() == [[0, 1, 2, 2, 1, 0], [0, 1, 2, 2, 1, 0]]


def test_counting_helpers():
    g = np.array([[1, 1, 0, 2], [0, 0, 0, 2], [1, 0, 3, 0]])
    assert OPS["count_objects"](g, color=1, connectivity=4, background=0) == 2
    assert OPS["count_objects"](g, color=None, connectivity=4, min_size=2, background=0) == 2
    assert OPS["count_colors"](g, background=0) == 3
    assert OPS["fill_first"]((2, 3), 4, 1, 0, "rows").tolist() == [[1, 1, 1], [1, 0, 0]]
    assert OPS["fill_first"]((2, 3), 4, 1, 0, "cols").tolist() == [[1, 1, 0], [1, 1, 0]]
    assert OPS["fill_first"]((2, 3), 4, 1, 0, "snake").tolist() == [[1, 1, 1], [0, 0, 1]]
    assert OPS["fill_first"]((2, 3), 7, 1, 0, "rows") is None


def test_region_extreme_and_hole_kinds():
    g = np.array([[1, 0, 1, 1, 1], [0, 0, 1, 0, 1], [1, 1, 1, 1, 1]])
    ext = cell_features(g, ("region_extreme",))[..., 0]
    assert ext[1, 1] == 1 and ext[1, 3] == 2  # the largest background region, the smallest
    assert ext[0, 0] == 2 and ext[2, 2] == 1  # the lone 1 is the smallest region of 1s, the ring the largest
    boxes = np.ones((5, 7), dtype=int)
    boxes[1:3, 1:3] = 0  # a square hole
    boxes[1:2, 4:6] = 0  # a flat one
    out = OPS["fill_holes_by"](boxes, prop="kind", values=("rect", "square"), colors=(0, 2), background=0)
    assert out[1:3, 1:3].tolist() == [[2, 2], [2, 2]] and out[1, 4:6].tolist() == [0, 0]
    assert OPS["fill_holes_by"](boxes, prop="kind", values=("square",), colors=(2,), background=0) is None
    odd = OPS["fill_holes_by"](boxes, prop="parity", values=(0,), colors=(7,), background=0)
    assert (odd == 7).sum() == 6  # both holes have an even count of cells


def test_connect_pairs_diagonal_and_shortest_band():
    g = np.zeros((5, 5), dtype=int)
    g[0, 0], g[3, 3], g[1, 4], g[4, 1], g[0, 2], g[4, 2] = 4, 4, 6, 6, 7, 7
    out = OPS["connect_pairs"](g, direction="diag", background=0)
    assert out[1, 1] == out[2, 2] == 4 and out[2, 3] == out[3, 2] == 6
    assert out[1:4, 2].tolist() == [0, 4, 6]  # a column pair is not a diagonal one
    band = np.zeros((2, 9), dtype=int)
    band[0, :5] = [1, 2, 3, 1, 2]  # period 3, shown one and two thirds times
    assert OPS["repeat_band"](band, axis=1, background=0, shortest=True)[0].tolist() == [1, 2, 3] * 3
    assert OPS["repeat_band"](band, axis=1, background=0)[0].tolist() == [1, 2, 3, 1, 2, 1, 2, 3, 1]


def test_pixels_to_cells_inverts_cells_to_pixels():
    g = np.zeros((5, 5), dtype=int)
    g[2, :] = g[:, 2] = 8  # separator lines, and the most common colour is the cells' own
    g[0:2, 0:2] = 3
    assert OPS["cells_to_pixels"](g) is not None  # 8 separates 0 cells
    small = OPS["cells_to_pixels"](g)
    assert small.tolist() == [[3, 0], [0, 0]]
    small[1, 1] = 4
    out = OPS["pixels_to_cells"](small, g)
    assert out[3:5, 3:5].tolist() == [[4, 4], [4, 4]] and (out[2] == 8).all() and out[0, 0] == 3
    assert OPS["pixels_to_cells"](np.zeros((3, 3), dtype=int), g) is None  # not one pixel per cell
    lines = np.full((5, 5), 8)
    lines[0:2, 0:2] = lines[3:5, 3:5] = 0  # here the separator is the most common colour
    assert OPS["cells_to_pixels"](lines, separator="color") is None
    assert OPS["cells_to_pixels"](lines, separator="either").tolist() == [[0, 8], [8, 0]]


def test_recolor_like_key():
    g = np.zeros((7, 7), dtype=int)
    g[0:4, 3] = g[3, 0:4] = 5  # a corner frame
    g[1, 1] = g[1, 0] = 2  # the key inside its box: a flat pair of cells
    g[5, 4:6] = 7  # the same shape elsewhere
    g[5:7, 1] = 7  # another shape: kept
    out = OPS["recolor_like_key"](g, paint="frame", background=0)
    assert out[5, 4:6].tolist() == [5, 5] and out[5:7, 1].tolist() == [7, 7] and out[1, 0] == 2
    assert OPS["recolor_like_key"](g, paint="key", background=0)[5, 4:6].tolist() == [2, 2]
    g[5, 4:6] = 0
    assert OPS["recolor_like_key"](g, paint="key", background=0) is None  # nothing to recolour


def test_connect_corner():
    g = np.zeros((4, 5), dtype=int)
    g[0, 4], g[3, 0] = 3, 2
    out = OPS["connect_corner"](g, start=2, end=3, color=8, first="h", background=0)
    assert out[3].tolist() == [2, 8, 8, 8, 8] and out[:3, 4].tolist() == [3, 8, 8] and (out == 8).sum() == 6
    up = OPS["connect_corner"](g, start=2, end=3, color=8, first="v", background=0)
    assert up[:3, 0].tolist() == [8, 8, 8] and up[0].tolist() == [8, 8, 8, 8, 3]
    g[1, 1] = 2  # two start cells: which one?
    assert OPS["connect_corner"](g, start=2, end=3, color=8, background=0) is None


def test_region_offsets_mod2():
    g = np.array([[0, 0, 0, 0, 0], [0, 3, 3, 3, 3], [0, 3, 3, 3, 3]])
    feats = cell_features(g, ("region_row_mod2", "region_col_mod2"))
    assert feats[1, 1:, 1].tolist() == [0, 1, 0, 1]  # counted from the bar's left end, not the grid's
    assert feats[1:, 2, 0].tolist() == [0, 1]


def test_align_objects():
    g = np.zeros((6, 6), dtype=int)
    g[1, 0:2] = 1  # the anchor
    g[4:6, 3] = 2
    out = OPS["align_objects"](g, anchor_color=1, edge="top", background=0)
    assert out[1:3, 3].tolist() == [2, 2] and out[1, 0:2].tolist() == [1, 1] and (out != 0).sum() == 4
    assert OPS["align_objects"](g, anchor_color=1, edge="bottom", background=0)[0:2, 3].tolist() == [2, 2]
    assert OPS["align_objects"](g, anchor_color=7, edge="top", background=0) is None  # no anchor


def test_color_roles_rename_by_cell_count():
    from dsl.grids import recolor
    from dsl.palette import color_roles
    g = np.array([[0, 7, 7], [0, 7, 3], [0, 0, 0]])
    roles = dict(color_roles(g, fixed=(0,)))
    assert sorted(roles) == list(range(10)) and sorted(roles.values()) == list(range(10))  # all ten, one to one
    assert roles[0] == 0 and roles[7] == 1 and roles[3] == 2  # most cells first, into the free colours
    assert recolor(g, tuple(roles.items())).tolist() == [[0, 1, 1], [0, 1, 2], [0, 0, 0]]
    tie = np.array([[0, 4, 2], [0, 0, 0]])  # a tie is broken by the first cell in reading order
    assert dict(color_roles(tie, fixed=(0,)))[4] == 1 and dict(color_roles(tie, fixed=(0,)))[2] == 2
    assert dict(color_roles(g, fixed=(0, 7)))[3] == 1  # fixed colours keep their names


def test_colours_renamed_by_role_only_where_they_change():
    from search.lifts import lifted_hits, role_lift, task_roles
    from search.problem import Problem
    same = _task([([[0, 1], [1, 1]], [[1, 0], [1, 1]]), ([[1, 0], [1, 1]], [[0, 1], [1, 1]])], [([[1, 1], [0, 1]], [[1, 1], [1, 0]])])
    assert task_roles(Problem.of(same, WorkBudget(1))) is None  # one renaming for every grid: nothing to gain
    varied = _task([([[0, 2], [2, 2]], [[2, 0], [2, 2]]), ([[0, 5], [5, 5]], [[5, 0], [5, 5]])],
                   [([[0, 6], [0, 6]], [[6, 0], [6, 0]])])
    problem = Problem.of(varied, WorkBudget(4_000_000))
    fixed, renamings = task_roles(problem)
    assert fixed == (0,) and len({r for r in renamings}) == 3
    lift = role_lift(problem, (fixed, renamings), problem.budget)
    hits = lifted_hits(lift, search_programs, max_depth=2)
    assert hits and all(h.family.startswith("roles:") for h in hits)
    right = [h for h in hits if h.test_outputs == (as_grid([[6, 0], [6, 0]]),)]  # found on 1s, named back to 6
    assert right and "color_roles(grid, fixed=(0,))" in right[0].source


def test_part_programs_survive_an_input_all_background():
    # The crop of an input that is all background is empty: the part families once divided by its height.
    from search.families.parts import part_programs
    inputs = [np.array([[0, 0], [0, 0]]), np.array([[0, 3], [0, 0]])]
    targets = [np.array([[1]]), np.array([[3]])]
    info = task_info(list(zip(inputs, targets)))
    assert info.background == 0
    from search.problem import Problem
    list(part_programs(Problem.of_arrays("t", inputs, targets, inputs[:1], WorkBudget(10**6))))

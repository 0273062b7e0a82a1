"""The broad image transforms the enumeration composes (issue 30, part 3): rows and columns left
out, one colour kept, the foreground painted one colour, objects' insides or outlines repainted,
each object's hull filled, the object holding a marker cropped; their declared invariants; and
the charges that keep work in step with CPU time."""

import numpy as np
import pytest

from search.budget import WorkBudget
from search.enumerate import STEP_WEIGHT, enumerate_programs
from search.problem import Problem
from search.invariants import COLORS_KEPT, SHAPE_KEPT, LastStep, _named_colors, palette
from search.steps import TaskInfo, static_steps, step

from dsl.fill import hollow_objects
from dsl.object_ops import fill_bounding_boxes
from dsl.palette import paint_foreground
from dsl.partition import compress_grid, keep_color
from dsl.selection import crop_object
from tests.search_checks import assert_reruns


def test_compress_grid_drops_one_colour_lines():
    grid = np.array([[1, 5, 2],
                     [5, 5, 5],
                     [3, 5, 4]])
    assert compress_grid(grid, drop="uniform").tolist() == [[1, 2], [3, 4]]
    assert compress_grid(grid, drop="uniform", color=5).tolist() == [[1, 2], [3, 4]]
    assert compress_grid(grid, drop="uniform", color=0).tolist() == grid.tolist()  # no line of 0
    assert compress_grid(np.full((2, 2), 5), drop="uniform") is None  # nothing left
    margins = np.zeros((4, 5), dtype=int)
    margins[1, 1:3] = [7, 8]
    assert compress_grid(margins, drop="uniform", color=0).tolist() == [[7, 8]]
    assert compress_grid(np.array([[1, 1, 2], [1, 1, 2]])).tolist() == [[1, 2]]  # repeats, as before


def test_hollow_objects_repaints_inside_or_outline():
    grid = np.zeros((5, 5), dtype=int)
    grid[1:4, 1:4] = 3
    inside = grid.copy()
    inside[2, 2] = 6
    assert hollow_objects(grid, background=0, color=6).tolist() == inside.tolist()
    outline = np.zeros_like(grid)
    outline[2, 2] = 3
    assert hollow_objects(grid, background=0, keep="interior").tolist() == outline.tolist()
    plus = np.zeros((3, 3), dtype=int)
    plus[1, :] = plus[:, 1] = 2
    # the centre of a plus has its four sides but not its corners: inside by 4, not by 8
    hollow = plus.copy()
    hollow[1, 1] = 0
    assert hollow_objects(plus, background=0).tolist() == hollow.tolist()
    assert hollow_objects(plus, background=0, connectivity=8) is None


def test_fill_bounding_boxes_with_each_objects_colour():
    grid = np.zeros((4, 6), dtype=int)
    grid[0, 0] = grid[1, 1] = 2  # a diagonal pair: its box is 2x2
    grid[3, 3:6] = [4, 0, 4]
    hull = fill_bounding_boxes(grid, color=None, background=0, connectivity=8, by_color=True)
    assert hull[:2, :2].tolist() == [[2, 2], [2, 2]]
    assert hull[3].tolist() == [0, 0, 0, 4, 0, 4]  # two separate one-cell objects: nothing between
    assert fill_bounding_boxes(grid, color=None, background=0, connectivity=8, by_color=False)[3].tolist() == \
        [0, 0, 0, 4, 0, 4]


def test_keep_color_by_number_and_paint_foreground():
    grid = np.array([[1, 0, 2], [2, 0, 1]])
    assert keep_color(grid, by=2, background=0).tolist() == [[0, 0, 2], [2, 0, 0]]
    assert keep_color(grid, by=7, background=0) is None
    assert paint_foreground(grid, color=5, background=0).tolist() == [[5, 0, 5], [5, 0, 5]]


def test_crop_object_holding_a_marker():
    grid = np.zeros((6, 7), dtype=int)
    grid[0:2, 0:2] = 1
    grid[0, 0] = 4  # the marker
    grid[3:6, 3:7] = 1  # larger, but unmarked
    assert crop_object(grid, by="max_cells", background=0, connectivity=8, by_color=False, color=4).tolist() == \
        [[4, 1], [1, 1]]
    assert crop_object(grid, by="max_cells", background=0, connectivity=8, by_color=False).shape == (3, 4)


NEW = ("compress_grid", "paint_foreground", "fill_bounding_boxes")


def _info(**kw) -> TaskInfo:
    base = dict(background=0, in_colors=(0, 1, 2), out_colors=(0, 1, 3), grown_colors=(3,), mask_colors=(),
                same_shape=True, smaller=False, larger=False, squared=False)
    base.update(kw)
    return TaskInfo(**base)


def test_new_steps_are_offered_and_declare_their_invariants():
    same = [s.op for s in static_steps(_info())]
    assert {"paint_foreground", "fill_bounding_boxes"} <= set(same)
    assert any(s.op == "hollow_objects" and dict(s.params).get("color") == 3 for s in static_steps(_info()))
    smaller = static_steps(_info(same_shape=False, smaller=True))
    assert any(s.op == "compress_grid" and dict(s.params).get("drop") == "uniform" for s in smaller)
    assert {"paint_foreground", "fill_bounding_boxes", "keep_color"} <= SHAPE_KEPT
    assert "compress_grid" in COLORS_KEPT


def test_new_invariants_prune_correctly():
    grid = np.array([[1, 5, 2], [5, 5, 5], [3, 5, 4]])
    small = np.array([[1, 2], [3, 4]])
    # compress keeps colours: it cannot bring in 6, so a target with 6 rules it out
    can = LastStep([grid], [np.array([[6, 2], [3, 4]])], [palette(np.array([[6, 2], [3, 4]]))])
    assert not can.possible(step("compress_grid", drop="uniform"))
    can = LastStep([grid], [small], [palette(small)])
    assert can.possible(step("compress_grid", drop="uniform"))
    # paint_foreground keeps the shape: a differently shaped target rules it out; its colour is named
    assert not can.possible(step("paint_foreground", color=1, background=0))
    same = LastStep([grid], [np.where(grid == 5, 0, 7)], [palette(np.where(grid == 5, 0, 7))])
    assert same.possible(step("paint_foreground", color=7, background=0))
    assert not same.possible(step("fill_bounding_boxes", color=None, background=0, connectivity=8, by_color=True))
    assert _named_colors(step("fill_bounding_boxes", color=None, background=0)) == 1


@pytest.mark.parametrize("seed", range(5))
def test_new_steps_keep_their_declared_invariants_on_random_grids(seed):
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 4, size=(rng.integers(3, 9), rng.integers(3, 9)))
    steps = [s for s in static_steps(_info(same_shape=True, smaller=True, in_colors=(0, 1, 2, 3)))
             if s.op in NEW or s.op in ("hollow_objects", "keep_color", "crop_object")]
    assert len(steps) > 20
    for s in steps:
        out = s.apply(grid)
        if out is None:
            continue
        if s.op in SHAPE_KEPT:
            assert out.shape == grid.shape, s.label
        if s.op in COLORS_KEPT:
            assert palette(out) & ~(palette(grid) | _named_colors(s)) == 0, s.label


def test_costly_steps_are_charged_more():
    # a lattice or a symmetry tried per cell costs many plain calls (measured): the budget must say so
    assert STEP_WEIGHT["complete_periodic"] >= 10 and STEP_WEIGHT["complete_symmetry"] >= 5
    assert "flip_lr" not in STEP_WEIGHT


# arc1-train tasks the new steps express in fewer steps or on a smaller budget than before, each
# with the call its program must make: (task, budget, call)
TASKS = [
    ("694f12f3", 2_500_000, "hollow_objects(grid, background=0, color=2"),  # insides painted, the smaller recoloured
    ("1c786137", 4_000_000, "compress_grid("),  # the framed box cropped, its frame's one-colour lines dropped
    ("3aa6fb7a", 1_000_000, "fill_bounding_boxes(grid, color=1"),  # each corner's box completed
]


@pytest.mark.parametrize("task_id,budget,call", TASKS)
def test_new_steps_solve_tasks_and_run_in_the_sandbox(arc1_train, task_id, budget, call):
    task = arc1_train[task_id]
    hits = enumerate_programs(Problem.of(task, WorkBudget(budget)), max_programs=50, max_depth=3)
    hit = next((h for h in hits if call in h.source), None)
    assert hit is not None, [h.description for h in hits]
    truth = tuple(ex.output for ex in task.test)
    assert hit.test_outputs == truth
    assert_reruns(hit.source, task, truth)


def test_painting_insides_does_not_fire_where_the_insides_stay(arc1_train):
    # 4347f46a: rectangles hollowed out (their insides become background): no colour to paint
    problem = Problem.of(arc1_train["4347f46a"], WorkBudget(10**6))
    steps = static_steps(problem.info)
    painted = [s for s in steps if s.op == "hollow_objects" and dict(s.params).get("color") is not None]
    assert painted == []
    hits = enumerate_programs(problem, max_programs=50, max_depth=1)
    assert hits and all("color=" not in h.source.split("hollow_objects(")[-1].split(")")[0] for h in hits)

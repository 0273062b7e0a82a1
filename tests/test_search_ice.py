"""Mechanisms from the study of the arc1-train tasks icecuber solves and the search did not
(issue 30, round 38): objects moved or trailed the way a marker colour on their edge points
(``move_by_marker``, the ``marked`` family); the object picked because another colour's drawing
copies it larger, cut by the border (``copy_scale``, a feature of ``pick-object``). Each solves
the real training tasks it reaches (``marked``: one arc1-train task and one ARC-AGI-2 training task
in neither ARC-AGI-1 set; ``copy_scale``: one arc1-train task) with a small work budget, its program
run in the sandbox as it ran in-process, and none fires where its rule does not fit."""

import numpy as np
import pytest

import arc
from dsl.object_rules import copy_scale
from dsl.rays import marked_parts, move_by_marker
from search.families import object_programs
from tests.search_checks import assert_case_solved, assert_cases_rerun

# (dataset, task id, families, text its program must hold): each checked against the known test output.
CASES = [
    # a 2x2 block swept to the border along each diagonal its red corner cells point, all in its colour
    ("arc1-train", "1f0c79e5", ("marked",), "amount='trail', marker='paint'"),
    # each shape moved one cell toward the corner its marker (8) sits on, the marker painted over
    ("arc2-train", "470c91de", ("marked",), "amount=1, marker='paint'"),
    # the small shape whose twice-larger copy (in another colour, cut by the border) the grid shows
    ("arc1-train", "ce602527", ("pick-object",), "by='copy_scale'"),
]


BUDGET = 300_000


@pytest.mark.parametrize("dataset,task_id,families,text", CASES)
def test_mechanism_solves_task(dataset, task_id, families, text):
    assert_case_solved((dataset, task_id, families, text), BUDGET)


def test_programs_through_sandbox():
    assert_cases_rerun(CASES, BUDGET)


def test_marker_directions_and_trail():
    grid = np.zeros((5, 5), dtype=int)
    grid[2, 1:4] = 3
    grid[2, 3] = 2  # the bar's right end marked: it points right
    (shape, body, directions), = marked_parts(grid, 2, 0)
    assert body == 3 and directions == ("right",) and shape.sum() == 3
    moved = move_by_marker(grid, 2, amount=1, marker="paint", background=0)
    assert moved[2].tolist() == [0, 0, 3, 3, 3]
    dropped = move_by_marker(grid, 2, amount=1, marker="drop", background=0)
    assert dropped[2].tolist() == [0, 0, 3, 3, 0]
    assert move_by_marker(grid, 2, amount=2, background=0) is None  # it would leave the grid
    trail = move_by_marker(grid, 2, amount="trail", background=0)
    assert trail[2].tolist() == [0, 3, 3, 3, 3] and trail.sum() == 12
    grid[2, 2] = 2  # a marker inside the box points nowhere
    grid[2, 3] = 3
    assert marked_parts(grid, 2, 0) is None


def test_marked_does_not_fire_without_its_rule():
    # 05f2a901: a shape slides until it touches the 8 block (no marker points the way); 3bd67248 and
    # 6d58a25d: lines drawn from an object or dots (nothing moves); a5313dff: enclosed regions filled
    for task_id in ("05f2a901", "3bd67248", "6d58a25d", "a5313dff"):
        task = arc.load_dataset("arc1-train")[task_id]
        found = object_programs(task, families=("marked",), budget=BUDGET)
        assert found == [], (task_id, [p.description for p, _ in found])


def test_copy_scale_reads_a_copy_cut_by_the_border():
    grid = np.zeros((8, 8), dtype=int)
    grid[1, 1:3] = 2
    grid[2, 1] = 2  # an L of three cells
    grid[4:6, 5:8] = 3  # the L twice as large, its right quarter cut off by the border
    grid[6:8, 5:7] = 3
    assert copy_scale(grid, grid == 2, 0) == 2
    assert copy_scale(grid, grid == 3, 0) == 0  # the larger drawing has no larger copy
    grid[7, 5] = 0  # the copy broken
    assert copy_scale(grid, grid == 2, 0) == 0


def test_copy_scale_does_not_pick_where_another_feature_does():
    # pick-object tasks of main whose answer another feature gives: no copy larger in another colour
    for task_id in ("23b5c85d", "a87f7484", "be94b721"):
        task = arc.load_dataset("arc1-train")[task_id]
        found = object_programs(task, families=("pick-object",), budget=BUDGET)
        assert found and not any("copy_scale" in p.source for p, _ in found), task_id

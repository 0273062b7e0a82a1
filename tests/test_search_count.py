"""Outputs generated from a seed or a count read off the input, not continued from a pattern it
shows (issue 30, round 39): the input's one drawn row stepped once a row (shifted, its runs grown
or shrunk) above and below it, on the input's shape or on one whose sides are read off the input
(``stack_steps``, the ``stairs`` family). It solves the three real arc1-train tasks it reaches
(three looks: a two-coloured staircase about a bar, a growing bar on a grid half as tall as the
row is wide, a diagonal band on a square as wide as the row times its colours) with a small work
budget, its program run in the sandbox as it ran in-process, and it fires where its rule does
not fit on no task. And the input's seed cells each with a motif repeated from it by a period to
the grid's edge, one motif ahead and one behind (``repeat_from_seeds``, the ``repeat`` family):
three arc1-train tasks (a zigzag hanging from each top cell, a comb of columns running right from
a bottom cell, a staircase climbing both ways from a cell).

On main the module does not import (neither operation exists there)."""

import numpy as np
import pytest

import arc
from dsl.grids import repeat_from_seeds, stack_steps
from search.families import object_programs
from tests.search_checks import assert_case_solved, assert_cases_rerun

# (dataset, task id, families, text its program must hold): each checked against the known test output.
CASES = [
    # a bar of n cells: rows above it n+1, n+2 ... cells of green, rows below n-1 ... of blue
    ("arc1-train", "a65b410d", ("stairs",), "up=('grow_right', 3)"),
    # a 1 x w row of n cells: w/2 rows, row k holding n+k cells
    ("arc1-train", "bbc9ae5d", ("stairs",), "shape=(grid.shape[1] // 2, grid.shape[1]), at='top'"),
    # a 1 x 5 row of n colours: a (5n x 5n) grid, the row shifted one cell right each row up
    ("arc1-train", "feca6190", ("stairs",), "up=('right', None)"),
    # each top cell: its two diagonal neighbours below, then itself again two rows down, to the bottom
    ("arc1-train", "3ac3eb23", ("repeat",), "period=(2, 0)"),
    # a staircase of grey climbing up-right and down-left from a teal cell, two cells a step
    ("arc1-train", "d06dbe63", ("repeat",), "period=(-2, 2)"),
    # a bottom cell: every other column from it filled, grey caps alternating top and bottom
    ("arc1-train", "8403a5d5", ("repeat",), "repeat_from_seeds("),
]

BUDGET = 300_000


@pytest.mark.parametrize("dataset,task_id,families,text", CASES)
def test_mechanism_solves_task(dataset, task_id, families, text):
    assert_case_solved((dataset, task_id, families, text), BUDGET)


def test_programs_through_sandbox():
    assert_cases_rerun(CASES, BUDGET)


def test_stack_steps_sides_shape_and_columns():
    grid = np.zeros((5, 6), dtype=int)
    grid[2, 1:3] = 4
    out = stack_steps(grid, up=("grow_left", 1), down=("right", None), background=0)
    assert out[1].tolist() == [1, 1, 1, 0, 0, 0] and out[0].tolist() == [1, 1, 1, 0, 0, 0]  # the edge stops it
    assert out[3].tolist() == [0, 0, 4, 4, 0, 0] and out[4].tolist() == [0, 0, 0, 4, 4, 0]
    shrunk = stack_steps(grid, down=("shrink_left", None), background=0)
    assert shrunk[3].tolist() == [0, 0, 4, 0, 0, 0] and not shrunk[4].any()
    tall = stack_steps(grid, down=("left", None), shape=(3, 4), at="top", background=0)
    assert tall.tolist() == [[0, 4, 4, 0], [4, 4, 0, 0], [4, 0, 0, 0]]
    grid[0, 0] = 4  # two drawn rows: no seed
    assert stack_steps(grid, down=("left", None), background=0) is None


def test_repeat_from_seeds_both_ways_and_own_colour():
    grid = np.zeros((6, 6), dtype=int)
    grid[2, 2] = 7
    out = repeat_from_seeds(grid, ahead=((0, 1, None),), behind=((0, -1, 3),), period=(0, 2), background=0)
    assert out[2].tolist() == [0, 3, 7, 7, 0, 7] and (out[[0, 1, 3, 4, 5]] == 0).all()
    assert repeat_from_seeds(np.zeros((3, 3), dtype=int), ((1, 0, None),), (), (1, 0), background=0) is None


def test_repeat_does_not_fire_without_its_rule():
    # 834ec97d: the seed itself moves; e9614598: a plus between two cells; a78176bb: a diagonal
    # shadowed past a block; d22278a0: corner cells growing combs that meet
    for task_id in ("834ec97d", "e9614598", "a78176bb", "d22278a0"):
        task = arc.load_dataset("arc1-train")[task_id]
        found = object_programs(task, families=("repeat",), budget=BUDGET)
        assert found == [], (task_id, [p.description for p, _ in found])


def test_stairs_does_not_fire_without_its_rule():
    # 3ac3eb23: a seed row whose pattern alternates below it (a period, not a step); d0f5fe59: a count
    # drawn as a diagonal; 8403a5d5: a seed cell whose columns repeat to the right; 3bd67248: a full
    # column with rays from its end
    for task_id in ("3ac3eb23", "d0f5fe59", "8403a5d5", "3bd67248"):
        task = arc.load_dataset("arc1-train")[task_id]
        found = object_programs(task, families=("stairs",), budget=BUDGET)
        assert found == [], (task_id, [p.description for p, _ in found])

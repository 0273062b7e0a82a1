"""Cells that take their colour from a related lone pixel (issue 30, round 39: a per-object
parameter read off another object): each lone pixel paints the target cell nearest to it, or each
target cell takes the colour of the pixel nearest to it (``paint_from_pixels``, the ``relate``
family). It solves three arc1-train tasks of different look with a small work budget, its program
run in the sandbox as it ran in-process, and fires nowhere its rule does not fit."""

import numpy as np
import pytest

import arc
from dsl.object_ops import paint_from_pixels
from search.families import object_programs
from tests.search_checks import assert_case_solved, assert_cases_rerun

# (dataset, task id, families, text its program must hold): each checked against the known test output.
CASES = [
    # dots on the border: each paints the block cell in its row or column nearest to it; the dots stay
    ("arc1-train", "1f642eb9", ("relate",), "mode='pixel', pixels='keep', crop=False"),
    # four dots about a 2x2 block: each paints the block cell nearest to it (its quadrant's); the dots go
    ("arc1-train", "d89b689b", ("relate",), "mode='pixel', pixels='delete', crop=False"),
    # four corner colours outside a frame: each 8 inside takes the nearest corner's colour; the 8s' box kept
    ("arc1-train", "77fdfe62", ("relate",), "mode='cell'"),
]

BUDGET = 300_000


@pytest.mark.parametrize("dataset,task_id,families,text", CASES)
def test_relate_solves_task(dataset, task_id, families, text):
    assert_case_solved((dataset, task_id, families, text), BUDGET)


def test_programs_through_sandbox():
    assert_cases_rerun(CASES, BUDGET)


def test_pixels_paint_their_nearest_cell():
    grid = np.zeros((6, 6), dtype=int)
    grid[2:4, 2:4] = 8
    grid[0, 0], grid[5, 4] = 3, 4
    out = paint_from_pixels(grid, 8, mode="pixel", pixels="delete", background=0)
    assert out[2:4, 2:4].tolist() == [[3, 8], [8, 4]] and out[0, 0] == out[5, 4] == 0
    box = paint_from_pixels(grid, 8, mode="cell", pixels="keep", crop=True, background=0)
    assert box.tolist() == [[3, 4], [4, 4]]  # (2, 3) and (3, 2) lie nearer the 4 (5, 4) than the 3 (0, 0)


def test_ties_and_clashes_give_none():
    grid = np.zeros((5, 5), dtype=int)
    grid[2, 1], grid[2, 3] = 8, 8
    grid[0, 2] = 3  # as near to both cells
    assert paint_from_pixels(grid, 8, mode="pixel", background=0) is None
    assert paint_from_pixels(grid, 8, mode="cell", background=0)[2].tolist() == [0, 3, 0, 3, 0]
    grid[4, 2] = 5  # now each cell is as near to a 3 as to a 5
    assert paint_from_pixels(grid, 8, mode="cell", background=0) is None
    grid = np.zeros((3, 5), dtype=int)
    grid[1, 2] = 8
    grid[1, 0], grid[1, 4] = 3, 4  # two pixels paint one cell two colours
    assert paint_from_pixels(grid, 8, mode="pixel", background=0) is None
    assert paint_from_pixels(np.zeros((3, 3), dtype=int), 8, background=0) is None  # nothing to paint


def test_relate_does_not_fire_without_its_rule():
    # 444801d8: a cup filled with the colour of the dot inside (its box, not one cell); 6d58a25d: dots
    # joined to a shape by lines; a5313dff: enclosed regions filled; 2204b7a8: dots take the colour of
    # the nearest border line (not a lone pixel)
    for task_id in ("444801d8", "6d58a25d", "a5313dff", "2204b7a8"):
        task = arc.load_dataset("arc1-train")[task_id]
        found = object_programs(task, families=("relate",), budget=BUDGET)
        assert found == [], (task_id, [p.description for p, _ in found])

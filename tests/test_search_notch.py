"""The object map's "notch" fate (issue 30, round 43): an object moved, unturned, to the one place
where it completes a notch of what stays: with one still part a full rectangle, or filling one gap
of that part's box (a cup it may stick out of), each notch taking one object, in its own colours or
in one colour ("notch:<colour>"). It solves real training tasks (ARC-AGI-1 training and ARC-AGI-2
training outside ARC-AGI-1), its program run in the sandbox as it ran in-process, and it places
nothing where no notch is completed."""

import numpy as np
import pytest

from dsl.object_rules import map_objects, notch_moves, notch_places
from tests.search_checks import assert_reruns, first_hit

# (dataset, task id, text its program must hold, whether it is tentative): each checked against
# the known test output.
CASES = [
    # jigsaw: each piece goes to the grey-blue block it closes into a rectangle; in the test two
    # pieces could each close two blocks, and the one size every rectangle has decides
    ("arc2-train", "18447a8d", "default='notch'", False),
    # grey pieces rise into the cups of the red wall they fill, turning blue; the rule keyed by
    # colour holds each demonstration out only with the other's colours, so it stays tentative
    ("arc1-train", "6a1e5592", "'notch:1'", True),
]

MAP = ("map",)
BUDGET = 2_000_000


@pytest.mark.parametrize("dataset,task_id,text,tentative", CASES)
def test_notch_solves_task(dataset, task_id, text, tentative):
    task, (program, outputs) = first_hit(dataset, task_id, MAP, text, BUDGET)
    assert outputs == tuple(ex.output for ex in task.test), program.description
    assert program.tentative == tentative, program.description


def test_notch_programs_through_sandbox():
    for dataset, task_id, text, _ in CASES:
        task, (program, outputs) = first_hit(dataset, task_id, MAP, text, BUDGET)
        assert_reruns(program.source, task, outputs, label=task_id)


def test_a_piece_closes_a_rectangle_once():
    grid = np.zeros((7, 9), dtype=int)
    grid[1:4, 0:2] = 8
    grid[3, 2] = 8  # a 3x3 block of 8 but for two cells of its right column
    grid[5:7, 7] = 1  # a bar of two cells far to its right
    places = notch_places(grid == 1, grid == 8)
    assert [(slot[1], move, shape) for slot, move, shape in places] == [("rect", (-4, -5), (3, 3))]
    out = map_objects(grid, "color", ((8, "keep"),), default="notch", background=0)
    assert out[1:4, 0:3].tolist() == [[8, 8, 1], [8, 8, 1], [8, 8, 8]] and (out[4:] == 0).all()


def test_a_rectangle_comes_before_a_cup():
    grid = np.zeros((7, 9), dtype=int)
    grid[1:4, 0:2] = 8
    grid[2, 2] = 8  # the block's right column has two one-cell gaps, above and below its middle
    grid[5:7, 7] = 1
    # the bar closes no rectangle; it fills either gap sticking out of the box (up or down): two
    # places, so it stays
    places = notch_places(grid == 1, grid == 8)
    assert sorted(move for _, move, shape in places if shape is None) == [(-5, -5), (-2, -5)]
    assert notch_moves([grid == 1], grid == 8) == {}


def test_a_piece_fills_a_cup_and_may_stick_out():
    grid = np.zeros((6, 7), dtype=int)
    grid[0] = 2
    grid[1, [0, 1, 4, 5, 6]] = 2  # a wall with a cup two cells wide, open downwards
    grid[4, 2:4] = 5
    grid[5, 2:4] = 5  # a 2x2 piece below it: fills the cup and sticks out one row
    moved = notch_moves([grid == 5], grid == 2)
    assert moved == {0: (-3, 0)}
    out = map_objects(grid, "color", ((2, "keep"),), default="notch:1", background=0)
    assert out[1, 2:4].tolist() == [1, 1] and out[2, 2:4].tolist() == [1, 1] and (out[3:] == 0).all()


def test_each_notch_takes_one_piece():
    grid = np.zeros((6, 8), dtype=int)
    grid[0] = 2
    grid[1, [0, 2, 3, 5, 6, 7]] = 2  # two one-cell cups, at columns 1 and 4
    pieces = [np.zeros(grid.shape, dtype=bool), np.zeros(grid.shape, dtype=bool)]
    pieces[0][4, 1] = True  # two one-cell pieces: each fills either cup
    pieces[1][5, 6] = True
    # nothing tells them apart: both stay
    assert notch_moves(pieces, grid == 2) == {}
    # with the cup at column 4 filled, the one left (it now closes the wall's rectangle) is taken
    # once, by the first piece only
    grid[1, 4] = 2
    assert notch_moves(pieces, grid == 2) == {0: (-3, 0)}


def test_nothing_moves_where_no_notch_is_completed():
    grid = np.zeros((6, 6), dtype=int)
    grid[0:2, 0:2] = 3  # a full square: no gap, and a single cell closes no rectangle with it
    grid[4, 4] = 5
    assert notch_places(grid == 5, grid == 3) == []
    out = map_objects(grid, "color", ((3, "keep"),), default="notch", background=0)
    assert np.array_equal(out, grid)


def test_notch_charges_each_place_it_looks_at():
    """The places looked at grow with the object's cells and the still parts' boxes: the charge
    counts them (experiments/calibrate_work.py's measure: a unit a cell placed)."""
    def charged(piece_cells: int) -> int:
        grid = np.zeros((12, 12), dtype=int)
        grid[0:3, 0:3] = 8
        grid[1, 2] = 0  # a gap any piece could fill: its places are looked at
        grid[10, 0:piece_cells] = 1
        spent = []
        notch_moves([grid == 1], grid == 8, spent.append)
        return sum(spent)

    small, large = charged(1), charged(4)
    assert small >= 5 * 5 and large >= 4 * small  # at least (3 + 1 + 1)^2 places a cell

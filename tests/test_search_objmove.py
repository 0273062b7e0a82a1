"""The object map's moves read per object (issue 30, round 35): an object mirrored across the line
of the first obstacle it faces, moved away from the one object it touches, toward the nearest
still cell of its colour ("home"), by its own count of cells; objects moving to contact stack, an object already as far as a relative move takes it counted as making that move,
and a table of moves whose entries one object alone shows (tentative: never ``unique``). Each
solves real training tasks (ARC-AGI-1 training and ARC-AGI-2 training outside ARC-AGI-1), its
program run in the sandbox as it ran in-process, and none fires where its rule does not fit."""

import numpy as np
import pytest

from dsl.object_rules import map_objects, object_action_cells
from tests.search_checks import assert_reruns, first_hit, found

# (dataset, task id, text its program must hold, whether it is tentative): each checked against
# the known test output.
CASES = [
    ("arc1-train", "6855a6e4", "'mirror'", False),  # grey shapes mirrored across the red bracket they face
    ("arc1-train", "f8a8fe49", "'mirror'", False),  # grey shapes inside the brackets mirrored out of them
    ("arc2-train", "5623160b", "'away'", False),  # shapes on a maroon hub slide away from it to the border
    ("arc2-train", "b2bc3ffd", "'up:size'", False),  # shapes rise by their count of cells above the floor
    ("arc2-train", "342dd610", "'down:2'", True),  # each colour moves its own way; one pixel shows maroon's
    ("arc2-train", "f0100645", "'home'", False),  # shapes slide to the wall of their colour and stack there
    ("arc1-train", "a1570a43", "'centre'", False),  # the red shape goes to the middle of the four green corners
]


MAP = ("map",)
BUDGET = 2_000_000


def _case(dataset, task_id, text):
    """The task and the first object-map program holding ``text`` (one search a case a session: the
    sandbox test runs the very programs the in-process test checked)."""
    return first_hit(dataset, task_id, MAP, text, BUDGET)


@pytest.mark.parametrize("dataset,task_id,text,tentative", CASES)
def test_map_moves_solve_task(dataset, task_id, text, tentative):
    task, (program, outputs) = _case(dataset, task_id, text)
    assert outputs == tuple(ex.output for ex in task.test), program.description
    assert program.tentative == tentative, program.description


def test_programs_through_sandbox():
    for dataset, task_id, text, _ in CASES[:3] + CASES[-1:]:
        task, (program, outputs) = _case(dataset, task_id, text)
        assert_reruns(program.source, task, outputs, label=task_id)


def test_mirror_away_size_and_contact_in_place():
    grid = np.zeros((8, 6), dtype=int)
    grid[1, 1:3] = 1
    grid[2, 1] = 1
    grid[4] = 2
    # mirrored across the red row it faces (row 4): upside down below it, rows 1-2 to rows 7-6
    out = map_objects(grid, "color", ((1, "mirror"), (2, "keep")))
    assert out[:4].sum() == 0 and out[6].tolist() == [0, 1, 0, 0, 0, 0] and out[7].tolist() == [0, 1, 1, 0, 0, 0]
    # with the red row lower, the mirror image would leave the grid: refused
    low = np.zeros((8, 6), dtype=int)
    low[2, 1:3] = 1
    low[3, 1] = 1
    low[6] = 2
    assert object_action_cells(low, low == 1, "mirror", low == 2) is None
    # moved down by its count of cells (3)
    down = map_objects(grid, "color", ((1, "down:size"), (2, "delete")))
    assert down[4].tolist() == [0, 1, 1, 0, 0, 0] and down[5].tolist() == [0, 1, 0, 0, 0, 0] and down[:4].sum() == 0
    # touching the red row, each slides away from it to the border
    touching = np.zeros((8, 6), dtype=int)
    touching[4] = 2
    touching[3, 2] = 1
    touching[5, 0] = 3
    away = map_objects(touching, "color", ((2, "keep"),), default="away")
    assert away[0, 2] == 1 and away[7, 0] == 3 and away[3, 2] == 0 and away[5, 0] == 0
    # "contact" where the object already touches that way: it stays (nowhere to go), not refused
    up = map_objects(touching, "color", ((2, "keep"),), default="up:contact")
    assert up is not None and up[0, 2] == 1 and up[5, 0] == 3


def test_away_needs_one_touched_side():
    grid = np.array([[0, 2, 0],
                     [2, 1, 0],
                     [0, 0, 0]])
    assert object_action_cells(grid, grid == 1, "away", grid == 2) is None  # touches above and left


def test_moves_do_not_fire_where_no_rule_fits(arc1_train):
    # a cell between two walls of its colour, equally near: no way home
    grid = np.array([[4, 0, 4, 0, 4]])
    assert object_action_cells(grid, np.array([[0, 0, 1, 0, 0]], dtype=bool), "home", grid == 4) is None
    # 0d3d703e changes every cell by a colour table; 3befdf3e grows each square outward: no move,
    # mirror or per-object amount explains them
    for task_id in ("0d3d703e", "3befdf3e"):
        assert not any(w in p.source for p, _ in found("arc1-train", task_id, MAP, BUDGET)[1] for w in ("mirror", "away", ":size")), task_id


def test_moves_to_contact_stack_and_go_home():
    grid = np.array([[4, 0, 4, 0, 4, 0, 6],
                     [4, 0, 0, 0, 0, 0, 6],
                     [4, 0, 0, 6, 0, 0, 6]])
    # the two yellow cells of row 0 slide left and stack against the wall, nearest first
    left = map_objects(grid, "size", ((3, "keep"), (1, "left:contact")), connectivity=4)
    assert left[0].tolist() == [4, 4, 4, 0, 0, 0, 6]
    # each small object goes to the wall of its own colour: yellow left, magenta right
    home = map_objects(grid, "size", ((3, "keep"), (1, "home")), connectivity=4)
    assert home[0].tolist() == [4, 4, 4, 0, 0, 0, 6] and home[2].tolist() == [4, 0, 0, 0, 0, 6, 6]


def test_centre_needs_whole_cells_and_a_free_middle():
    grid = np.zeros((7, 7), dtype=int)
    grid[0, 0] = grid[0, 6] = grid[6, 0] = grid[6, 6] = 3  # corners: their box's middle is (3, 3)
    grid[5, 4:6] = 2  # a bar of two: its middle is half a cell off any cell's middle across
    assert object_action_cells(grid, grid == 2, "centre", grid == 3) is None
    grid[5, 4:6] = 0
    grid[4:6, 5] = 2  # upright, one column: its middle can be the corners' middle, across and down
    assert object_action_cells(grid, grid == 2, "centre", grid == 3) is None  # two rows: half a cell
    grid[4:6, 5] = 0
    grid[4:7, 4] = 2  # three rows, one column: moves up 2 and left 1
    r, c, colors = object_action_cells(grid, grid == 2, "centre", grid == 3)
    assert r.tolist() == [2, 3, 4] and c.tolist() == [3, 3, 3] and colors.tolist() == [2, 2, 2]
    grid[3, 3] = 3  # the middle taken by a still cell: refused
    assert object_action_cells(grid, grid == 2, "centre", grid == 3) is None
    # an object larger than the room around the middle would leave the grid: refused
    wide = np.zeros((3, 5), dtype=int)
    wide[0, 1] = wide[2, 1] = 3  # their middle is (1, 1)
    wide[1, 0:5] = 2  # a row of five: centred there it would start a column before the grid
    assert object_action_cells(wide, wide == 2, "centre", wide == 3) is None

"""Lines drawn from markers (issue 30's breadth, round 35): rays painted as a dotted cycle of
colours, diagonals that bounce between two borders, and the rest of the background filled;
objects of one colour joined corner to corner; each read off real training tasks, its program run
through the sandbox as it ran in-process."""

import numpy as np
import pytest

from arc import load_dataset
from arc.grid import as_grid
from dsl.fill import connect_pairs
from dsl.rays import cast_rays
from search import WorkBudget, search_programs
from search.families import object_programs
from search.program import compile_program
from tests.search_checks import assert_reruns

# (task id, text its program must hold): each checked against the known test output.
CASES = [
    ("97999447", "(None, 'right', (5, None), 'obstacle')"),  # every pixel shoots right, every other step grey
    ("a3df8b1e", "'bounce_h'"),  # a pixel's diagonal bounces between the side borders
    ("e179c5f4", "'bounce_h'), ), background=0, rest=8"),  # the same, the rest of the background azure
]


@pytest.mark.parametrize("task_id,text", CASES)
def test_rays_solve_task_and_run_in_the_sandbox(arc1_train, task_id, text):
    task = arc1_train[task_id]
    found = object_programs(task, families=("rays",), budget=2_000_000)
    assert found, f"rays found nothing for {task_id}"
    program, outputs = found[0]
    assert text.replace(" ", "") in program.source.replace(" ", ""), program.description
    assert not program.tentative
    assert outputs == tuple(ex.output for ex in task.test), program.description
    transform = compile_program(program.source)
    for ex in task.train:
        assert as_grid(transform(np.array(ex.input))) == ex.output
    assert_reruns(program.source, task, outputs)


def test_cast_rays_cycles_bounces_and_fills_the_rest(arc1_train):
    grid = np.zeros((4, 3), dtype=int)
    grid[3, 0] = 2
    dotted = cast_rays(grid, ((2, "up", (None, "skip"), "border"),), background=0)
    assert dotted[:, 0].tolist() == [2, 0, 2, 2]  # steps 1 and 3 painted, 2 left as it is
    bounced = cast_rays(grid, ((2, "up_right", None, "bounce_h"),), background=0, rest=7)
    assert bounced.tolist() == [[7, 2, 7], [7, 7, 2], [7, 2, 7], [2, 7, 7]]
    assert cast_rays(grid, ((2, "up_right", None, "obstacle"),), background=0).tolist() == [
        [0, 0, 0], [0, 0, 2], [0, 2, 0], [2, 0, 0]]  # no bounce: it leaves at the right border
    # and the family stays off what rays do not draw: 0a938d79's two pixels become stripes
    # repeated across the grid (no cycle or bounce of theirs draws them)
    assert not object_programs(arc1_train["0a938d79"], families=("rays",), budget=2_000_000)


def test_enumeration_joins_objects_corner_to_corner_and_runs_in_the_sandbox():
    # 342ae2ed (ARC-AGI-2 training, in neither ARC-AGI-1 set): squares of one colour whose facing
    # corners lie on one diagonal are joined by a line between those corners
    task = load_dataset("arc2-train")["342ae2ed"]
    expected = tuple(ex.output for ex in task.test)
    hits = search_programs(task, budget=WorkBudget(12_000_000))
    right = [h for h in hits if h.test_outputs == expected and "ends='objects'" in h.description]
    assert right, [h.description for h in hits]
    assert_reruns(right[0].source, task, expected)


def test_corner_joins_need_facing_corners_on_one_diagonal():
    grid = np.zeros((6, 6), dtype=int)
    grid[0:2, 0:2] = 3
    grid[4:6, 4:6] = 3
    joined = connect_pairs(grid, "diag", background=0, ends="objects")
    assert joined[2, 2] == joined[3, 3] == 3 and (joined != grid).sum() == 2  # one line, corner to corner
    grid[4:6, 4:6] = 0
    grid[4:6, 3:5] = 3  # one column off the diagonal: no pair
    assert connect_pairs(grid, "diag", background=0, ends="objects") is None
    grid[4:6, 3:5] = 0
    grid[4:6, 4:6] = 5  # another colour: no pair
    assert connect_pairs(grid, "diag", background=0, ends="objects") is None

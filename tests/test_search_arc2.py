"""The object map's general fates (issue 30, judged on ARC-AGI-2 training tasks outside ARC-AGI-1):
an object recoloured like the object it corresponds to (same columns, nearest, same shape, ...),
the background around, inside or in the box of an object painted, and the background's own
regions kept or recoloured, each fate chosen by one object feature read off the demonstrations.
Each solves real training tasks, its program run in the sandbox as it ran in-process, and none
fires where its rule does not fit."""

import numpy as np
import pytest

from arc.grid import as_grid
from dsl.object_rules import map_objects, partner_color
from dsl.objects import find_objects, find_regions
from search.families import object_programs
from tests.search_checks import assert_reruns

# (task id, text its program must hold): each checked against the known test output.
CASES = [
    ("ddf7fa4f", "'like:columns'"),  # grey blocks take the colour of the marker sharing their columns
    ("b27ca6d3", "'ring:3'"),  # pairs of red cells get a green ring, lone ones stay
    ("00d62c1b", "regions=True"),  # enclosed background regions turn yellow
]


def _found(task):
    return object_programs(task, families=("map",), budget=2_000_000)


@pytest.mark.parametrize("task_id,text", CASES)
def test_map_solves_task(arc1_train, task_id, text):
    task = arc1_train[task_id]
    found = [(p, o) for p, o in _found(task) if text in p.source]
    assert found, f"no map program with {text} for {task_id}: {[p.description for p, _ in _found(task)]}"
    program, outputs = found[0]
    assert outputs == tuple(ex.output for ex in task.test), program.description


def test_programs_through_sandbox(arc1_train):
    for task_id, text in CASES:
        task = arc1_train[task_id]
        program, outputs = next((p, o) for p, o in _found(task) if text in p.source)
        assert_reruns(program.source, task, outputs, label=task_id)


def test_map_solves_arc2_task():
    # ARC-AGI-2 training, in neither ARC-AGI-1 set: each bar takes the colour of the marker beside
    # it (a bar with none keeps its own), the markers vanish
    import arc

    task = arc.load_dataset("arc2-train")["b7256dcd"]
    program, outputs = next((p, o) for p, o in _found(task) if "'like:adjacent'" in p.source)
    assert outputs == tuple(ex.output for ex in task.test), program.description


def test_partner_color_needs_one_colour():
    grid = np.array([[1, 0, 2, 0, 5],
                     [0, 0, 0, 0, 0],
                     [3, 0, 0, 0, 4]])
    masks = find_objects(grid, 0, 4, True)  # 1, 2, 5 on the top row; 3, 4 below
    assert partner_color(grid, masks, 0, "columns", 0) == 3  # the 1 shares its column with the 3 alone
    assert partner_color(grid, masks, 0, "rows", 0) is None  # 2 and 5 share its row: two colours
    assert partner_color(grid, masks, 2, "nearest", 0) is None  # the 5: the 2 and the 4 equally near
    row = np.array([[1, 2, 0, 0, 3]])
    assert partner_color(row, find_objects(row, 0, 4, True), 0, "nearest", 0) == 2
    assert partner_color(row, find_objects(row, 0, 4, True), 2, "adjacent", 0) == 3  # none beside it: its own
    # a map whose partner is ambiguous refuses the grid rather than guess
    assert map_objects(grid, "color", ((1, "like:rows"),), default="keep", background=0) is None
    out = map_objects(grid, "color", ((1, "like:columns"),), default="keep", background=0)
    assert as_grid(out) == as_grid(np.array([[3, 0, 2, 0, 5], [0, 0, 0, 0, 0], [3, 0, 0, 0, 4]]))


def test_paints_and_regions():
    grid = np.array([[0, 0, 0, 0, 0],
                     [0, 2, 2, 2, 0],
                     [0, 2, 0, 2, 0],
                     [0, 2, 2, 2, 0],
                     [0, 0, 0, 0, 0]])
    assert [int(m.sum()) for m in find_regions(grid, 0, 4)] == [16, 1]
    holes = map_objects(grid, "color", (), default="holes:4", background=0)
    assert holes[2, 2] == 4 and (holes[0] == 0).all()
    ring = map_objects(grid, "color", (), default="ring:1", background=0)
    assert (ring[0] == 1).all() and ring[2, 2] == 0
    regions = map_objects(grid, "touches_border", ((False, 6),), default="keep", background=0, regions=True)
    assert regions[2, 2] == 6 and regions[0, 0] == 0


def test_map_does_not_fire_where_no_rule_fits(arc1_train):
    # 0d3d703e changes every cell by a colour table, 5c0a986e draws rays on the background, and
    # 3618c87e drops cells through a floor: no fate of one object or region explains them
    for task_id in ("0d3d703e", "5c0a986e"):
        assert _found(arc1_train[task_id]) == [], task_id

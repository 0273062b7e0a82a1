"""The object-wise map (a per-object fate decided by one feature), the pick of the object that
stands out by one feature, and the ray family each solve
real ARC-AGI-1 training tasks with rules read off the demonstrations, their programs run in the
sandbox as they ran in-process, and neither fires where its rule does not fit."""

import numpy as np
import pytest

from arc.grid import as_grid
from dsl.object_rules import map_objects, object_values
from dsl.objects import find_objects
from dsl.rays import cast_rays
from search import WorkBudget
from search.families import object_programs
from search.families.object_map import _rule
from search.problem import Problem
from search.program import compile_program

# (task id, family, text its program must hold): each checked against the known test output.
CASES = [
    ("d2abd087", "map", "table=((6, 2),), default=1"),  # objects of six cells red, every other one blue
    ("aedd82e4", "map", "at_least=2"),  # one-cell-wide objects recoloured, the wider kept
    ("23b5c85d", "pick-object", "by='size', pick='min'"),  # the smallest rectangle, cropped
    ("88a62173", "pick-object", "pick='unique'"),  # the one quarter whose shape no other has
    ("5521c0d9", "map", "default='up:own'"),  # every object moves up by its own height
    ("ae3edfdc", "map", "'toward'"),  # the satellites slide toward the centre they face until they touch it
    ("5c0a986e", "rays", "'up_left'"),  # blue block casts up-left, red block down-right
    ("d43fd935", "rays", "(None, 'toward:3', None, 'obstacle')"),  # any pixel facing the green block reaches it
]


def _found(task, family):
    return [(p, o) for p, o in object_programs(task, families=(family,), budget=2_000_000)]


@pytest.mark.parametrize("task_id,family,text", CASES)
def test_family_solves_task(arc1_train, task_id, family, text):
    task = arc1_train[task_id]
    found = _found(task, family)
    assert found, f"{family} found nothing for {task_id}"
    program, outputs = found[0]
    assert text in program.source, program.description
    assert outputs == tuple(ex.output for ex in task.test), program.description
    transform = compile_program(program.source)
    for ex in task.train:
        assert as_grid(transform(np.array(ex.input))) == ex.output


def test_programs_through_sandbox(arc1_train):
    sandbox = pytest.importorskip("synth.sandbox")
    for task_id, family, _ in CASES:
        task = arc1_train[task_id]
        program, outputs = _found(task, family)[0]
        inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
        results = sandbox.run_program(program.source, inputs, timeout_s=10.0)
        assert [r.status for r in results] == ["ok"] * len(inputs), (task_id, [r.message for r in results])
        assert [r.grid for r in results] == [ex.output for ex in task.train] + list(outputs), task_id


def test_families_do_not_fire_where_they_do_not_fit(arc1_train):
    # 5c0a986e draws on the background: no object changes in place, so no map; d2abd087 recolours
    # objects: no ray. 0d3d703e changes every cell by a colour table: neither.
    assert _found(arc1_train["5c0a986e"], "map") == []
    assert _found(arc1_train["d2abd087"], "rays") == []
    assert _found(arc1_train["0d3d703e"], "map") == [] and _found(arc1_train["0d3d703e"], "rays") == []
    # d5d6de2d keeps its shape: there is no object to crop.
    assert _found(arc1_train["d5d6de2d"], "pick-object") == []


def test_rule_needs_support_and_one_fate_per_value():
    def fates(*names):
        return [[{a} for a in names]]

    # one value with two fates: the feature does not decide
    assert _rule([[1, 1, 2]], fates("keep", "delete", "delete"), True) is None
    # a table whose entry only one object shows is a list of the demonstration's objects
    assert _rule([["a", "b", "c"]], fates(1, 2, 3), False) is None
    # a threshold: 3 and more kept, below deleted, each side shown twice
    assert _rule([[1, 2, 3, 4]], fates("delete", "delete", "keep", "keep"), True) == \
        (2, ((True, "keep"), (False, "delete")), None, 3)
    # one value against the rest
    assert _rule([[6, 6, 2, 3, 4]], fates(2, 2, 1, 1, 1), False) == (2, ((6, 2),), 1, None)
    # a move every object allows (one also allows being deleted): one action for all
    assert _rule([[1, 2]], [[{"up:own", "up:3"}, {"up:own", "delete"}]], True) == (1, (), "up:own", None)
    # one keep or colour for all is no rule of this family
    assert _rule([[1, 2]], fates(3, 3), True) is None


def test_map_objects_refuses_an_unseen_value_without_default():
    grid = np.array([[1, 0, 2, 2], [0, 0, 0, 0], [3, 3, 3, 0]])
    masks = find_objects(grid, 0, 4, True)
    assert object_values(grid, masks, "size", 0) == [1, 2, 3]
    assert object_values(grid, masks, "size_rank", 0) == [2, 1, 0]
    assert object_values(grid, masks, "size_extreme", 0) == ["smallest", "middle", "largest"]
    assert object_values(grid, masks, "color_touching", 0) == [(1, ()), (2, ()), (3, ())]
    assert map_objects(grid, "size", ((1, "delete"), (2, "keep")), background=0) is None
    out = map_objects(grid, "size", ((1, "delete"),), default=5, background=0)
    assert out.tolist() == [[0, 0, 5, 5], [0, 0, 0, 0], [5, 5, 5, 0]]


def test_map_objects_turns_and_moves():
    grid = np.array([[1, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 3], [0, 0, 0, 3]])
    out = map_objects(grid, "color", ((1, "flip_lr"), (2, "flip_lr"), (3, "up:contact")), connectivity=8, by_color=False)
    assert out.tolist() == [[2, 1, 0, 3], [0, 0, 0, 3], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert map_objects(grid, "color", (), default="up:2", connectivity=8, by_color=False) is None  # leaves the grid
    # toward: straight at the nearest cell of a kept object in its way, until touching it
    grid = np.array([[0, 0, 0, 0, 0], [4, 0, 0, 0, 5], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 4]])
    out = map_objects(grid, "color", ((4, "toward"), (5, "keep")), background=0)
    assert out.tolist() == [[0, 0, 0, 0, 0], [0, 0, 0, 4, 5], [0, 0, 0, 0, 4], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]


def test_cast_rays_from_any_object_toward_an_anchor():
    grid = np.zeros((5, 5), dtype=int)
    grid[2, 2] = 3
    grid[2, 0] = 4
    grid[0, 2] = 6
    grid[4, 4] = 7  # faces nothing
    out = cast_rays(grid, ((None, "toward:3", None, "obstacle"),), background=0)
    assert out[2].tolist() == [4, 4, 3, 0, 0]
    assert out[:, 2].tolist() == [6, 6, 3, 0, 0]
    assert out[4, 4] == 7 and (out[3] == [0, 0, 0, 0, 0]).all()


def test_hold_out_and_threshold_gaps_make_rules_tentative(arc1_train):
    from search.families.object_map import map_programs

    # d2abd087: learnt without the third demonstration (the only one with objects of more than
    # six cells), the rule is a threshold at six, which gets its sevens wrong: tentative.
    programs = list(map_programs(Problem.of(arc1_train["d2abd087"], WorkBudget(2_000_000))))
    assert programs and all(p.tentative for p in programs if "table=((6, 2),)" in p.source)
    # aedd82e4: sizes 1 change, 3 and more stay; the test has an object of 2 cells, inside the
    # gap the demonstrations leave open, so a size threshold is tentative; a width one is not.
    programs = list(map_programs(Problem.of(arc1_train["aedd82e4"], WorkBudget(2_000_000))))
    assert all(p.tentative for p in programs if "by='size'" in p.source)
    assert any(not p.tentative for p in programs if "by='width'" in p.source)

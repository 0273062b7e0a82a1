"""Local rules applied until nothing changes (issue 30): a growth spreading cell by cell, learnt
round by round from the demonstrations (``search.families.local_fixpoint``). Each case solves a real
training task (arc1-train, and an ARC-AGI-2 training task in neither ARC-AGI-1 set) that the
one-shot learner cannot, its emitted program run in the sandbox as it ran in-process; a memorising
table is refused, and the learner does not fire where one application of a rule suffices or where
no local rule spreads."""

import functools

import numpy as np
import pytest

import arc
from arc.grid import from_array
from arc.task import Example, Task
from dsl.neighbourhood import apply_local_rule
from search.budget import WorkBudget
from search.families.local_fixpoint import learn_fixpoint_rules
from search.problem import Problem
from tests.search_checks import assert_reruns

BUDGET = 3_000_000

# (dataset, task id, whether its rule holds out a demonstration)
CASES = [
    ("arc1-train", "db3e9e38", False),  # a staircase grown diagonally from a bar, alternating colours
    ("arc2-train", "b5bb5719", True),  # rows below a seed row filled by the pair above them, row by row
]


@functools.lru_cache(maxsize=None)
def _task(dataset: str, task_id: str) -> Task:
    return arc.load_dataset(dataset)[task_id]


@functools.lru_cache(maxsize=None)
def _rules(dataset: str, task_id: str):
    return learn_fixpoint_rules(Problem.of(_task(dataset, task_id), WorkBudget(BUDGET)))


@pytest.mark.parametrize("dataset,task_id,holds_out", CASES)
def test_until_stable_solves_task(dataset, task_id, holds_out):
    task = _task(dataset, task_id)
    rules = _rules(dataset, task_id)
    assert rules, task_id
    rule = rules[0]
    assert rule.until_stable and "until_stable=True" in rule.source
    assert rule.test_outputs == tuple(ex.output for ex in task.test), rule.description
    assert rule.tentative == (not holds_out), rule.description


def test_programs_through_sandbox():
    for dataset, task_id, _ in CASES:
        rule = _rules(dataset, task_id)[0]
        assert_reruns(rule.source, _task(dataset, task_id), rule.test_outputs, label=task_id)


def test_apply_until_stable_spreads():
    grid = np.zeros((3, 5), dtype=int)
    grid[1, 0] = 2
    table = {(0, 2): 2}  # a background cell whose left neighbour is red turns red
    once = apply_local_rule(grid, ("colour", "left"), table)
    spread = apply_local_rule(grid, ("colour", "left"), table, until_stable=True)
    assert once[1].tolist() == [2, 2, 0, 0, 0]
    assert spread[1].tolist() == [2, 2, 2, 2, 2] and spread[[0, 2]].sum() == 0


def _task_of(pairs) -> Task:
    examples = tuple(Example(from_array(np.array(a)), from_array(np.array(b))) for a, b in pairs[:-1])
    return Task("synthetic", examples, (Example(from_array(np.array(pairs[-1][0]))),))


def test_memorising_table_refused():
    # Each demonstration paints a chain of new colours off a seed, one colour per step: every
    # table entry is backed by a single changed cell, a table that only memorises.
    pairs = [
        ([[1, 0, 0, 0]], [[1, 2, 3, 4]]),
        ([[0, 0, 0, 5]], [[8, 7, 6, 5]]),
        ([[1, 0, 0, 0]], None),  # the test repeats a demonstration: every tuple seen
    ]
    assert learn_fixpoint_rules(Problem.of(_task_of(pairs), WorkBudget(BUDGET))) == []


def test_does_not_fire_without_a_spreading_rule():
    # 0d3d703e: a colour substitution (one application decides it: the one-shot learner's);
    # 3bd67248, 6cf79266: same-shape tasks whose changes no neighbourhood rule spreads into
    for task_id in ("0d3d703e", "3bd67248", "6cf79266"):
        task = arc.load_dataset("arc1-train")[task_id]
        assert learn_fixpoint_rules(Problem.of(task, WorkBudget(1_000_000))) == [], task_id

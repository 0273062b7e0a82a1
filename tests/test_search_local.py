"""The local rules' second pass (issue 30, round 41): cell features tried only where the first pass
finds no replicated rule, on work of their own, so that adding one never delays or changes a rule
the first pass finds. The features are a path's ends and bends in the cell's region or object
(``region_ends``, ``region_bends``, ``object_bends``: a shape class that turns, mirrors and sizes
keep), the row or column parity counted from the far edge (``row_mod2_up``, ``col_mod2_left``),
the distance to the drawing mod 2 and the colour of the nearest drawn cell (``distance_mod2``,
``nearest_colour``). Each solves the real arc1-train task it reaches with the default shares of the
default work budget, its program run in the sandbox as it ran in-process; only the parity's answer
is confident (the others: no rule holds out a demonstration)."""

import numpy as np
import pytest

import arc
from dsl.neighbourhood import FEATURES, SECOND_PASS, cell_features
from search import search_programs
from search.budget import DEFAULT_WORK_BUDGET, WorkBudget
from search.families.local_rules import FIRST_PASS, learn_local_rules
from search.orchestrate import LOCAL_RULE_SHARE, SECOND_PASS_SHARE
from tests.search_checks import assert_reruns

FIRST = int(LOCAL_RULE_SHARE * DEFAULT_WORK_BUDGET)
SECOND = int(SECOND_PASS_SHARE * DEFAULT_WORK_BUDGET)

# (task id, the features its rule must use): each checked against the known test output.
CASES = [
    # lines, L shapes and U shapes of one colour recoloured by their class (ends, bends), whatever their size
    ("e509e548", ("region_ends", "object_bends")),
    # rings around each corner pixel, every other ring in that pixel's colour
    ("d22278a0", ("distance_mod2", "nearest_colour")),
    # every other cell of each row, counted from the right edge, recoloured (the widths differ in parity)
    ("d406998b", ("col_mod2_left", "colour")),
]
# Tasks the first pass answers with a replicated rule: the second pass must leave them as they are.
FIRST_PASS_CASES = ["b1948b0a", "00d62c1b", "22168020", "42a50994", "4258a5f9", "ce9e57f2", "3bdb4ada"]


@pytest.fixture(scope="module")
def tasks():
    return arc.load_dataset("arc1-train")


@pytest.fixture(scope="module")
def rules(tasks):
    return {task_id: learn_local_rules(tasks[task_id], budget=FIRST, second_pass=SECOND) for task_id, _ in CASES}


@pytest.mark.parametrize("task_id,features", CASES)
def test_second_pass_solves_task(tasks, rules, task_id, features):
    task, found = tasks[task_id], rules[task_id]
    assert found, task_id
    rule = found[0]
    assert rule.features == features, rule.description
    assert rule.test_outputs == tuple(ex.output for ex in task.test), rule.description
    assert rule.tentative == (task_id != "d406998b")  # the shape and distance fits: never reported unique
    assert learn_local_rules(task, budget=FIRST) != found  # the first pass alone does not find it


def test_programs_through_sandbox(tasks, rules):
    for task_id, _ in CASES:
        found = rules[task_id]
        assert_reruns(found[0].source, tasks[task_id], found[0].test_outputs, label=task_id)


def test_the_search_answers_through_the_second_pass(tasks):
    task = tasks["d22278a0"]
    hits = search_programs(task)
    right = tuple(ex.output for ex in task.test)
    assert any(h.family == "local-rule" and "distance_mod2" in h.description and h.test_outputs == right
               for h in hits), [h.description for h in hits]


def test_the_first_pass_is_untouched(tasks):
    assert not set(FIRST_PASS) & set(SECOND_PASS) and set(FIRST_PASS) | set(SECOND_PASS) == set(FEATURES)
    assert list(FEATURES)[-len(SECOND_PASS):] == list(SECOND_PASS)  # the first pass keeps its order
    for task_id in FIRST_PASS_CASES:
        alone = learn_local_rules(tasks[task_id], budget=FIRST)
        assert alone and alone[0].replicated, task_id
        assert learn_local_rules(tasks[task_id], budget=FIRST, second_pass=SECOND) == alone, task_id


def test_a_wrong_fit_stays_tentative(tasks):
    # e73095fd (rectangular rooms among corridors filled): a path's bends fit the demonstrations
    # but not the test; the rule must not be confident
    task = tasks["e73095fd"]
    found = learn_local_rules(task, budget=FIRST, second_pass=SECOND)
    assert all(r.tentative for r in found if r.test_outputs != tuple(ex.output for ex in task.test))


def _features(grid, names, background=0):
    values = cell_features(np.array(grid), names, background)
    return [values[..., i].tolist() for i in range(len(names))]


def test_shape_class_of_paths():
    grid = [[1, 1, 1, 0, 2],
            [0, 0, 1, 0, 2],
            [3, 0, 0, 0, 2],
            [3, 3, 0, 0, 0]]
    ends, bends = _features(grid, ("region_ends", "region_bends"))
    assert ends[0][0] == 2 and bends[0][0] == 1  # an L: two ends, one turn
    assert ends[0][4] == 2 and bends[0][4] == 0  # a bar
    assert ends[3][0] == 2 and bends[3][0] == 1  # a smaller L, turned: the same class
    (object_bends,) = _features(grid, ("object_bends",))
    assert object_bends[0][2] == 1 and object_bends[0][4] == 0 and object_bends[0][3] == 0


def test_parity_from_the_far_edge():
    up, left = _features([[0, 0, 0]] * 3, ("row_mod2_up", "col_mod2_left"))
    assert left[0] == [0, 1, 0] and up == [[0] * 3, [1] * 3, [0] * 3]
    (left,) = _features([[0, 0, 0, 0]], ("col_mod2_left",))
    assert left == [[1, 0, 1, 0]]


def test_distance_and_nearest_colour():
    grid = [[0, 0, 0, 0, 0],
            [0, 4, 0, 0, 0],
            [0, 0, 0, 0, 6],
            [0, 0, 0, 0, 0]]
    distance, nearest = _features(grid, ("distance_mod2", "nearest_colour"))
    assert distance[1] == [1, 0, 1, 1, 1] and distance[3][0] == 0  # king's moves to the nearest drawn cell
    assert nearest[1][1] == 4 and nearest[0][0] == 4 and nearest[3][4] == 6
    assert nearest[1][3] == 10  # as near to 4 as to 6: no answer
    assert _features([[0, 0], [0, 0]], ("distance_mod2", "nearest_colour")) == [[[0, 0], [0, 0]], [[10, 10], [10, 10]]]


def test_the_second_pass_never_runs_past_its_work(tasks):
    # too little work for even its features: the second pass spends nothing and answers nothing
    task = tasks["d22278a0"]
    small = WorkBudget(1_000)
    assert learn_local_rules(task, budget=FIRST, second_pass=small) == learn_local_rules(task, budget=FIRST)
    assert small.spent == 0
    enough = WorkBudget(SECOND)
    learn_local_rules(task, budget=FIRST, second_pass=enough)
    assert 0 < enough.spent <= SECOND + 10_000  # a set's charge may pass the limit, once


def test_a_second_pass_rule_holds_back_no_fallback(tasks, monkeypatch):
    # 178fcbfb (lines drawn through markers) is answered by assembling the enumeration's states,
    # which runs only while nothing fits. A replicated second-pass rule beside it (a tentative fit,
    # as e73095fd's) must leave the assembly its turn: the second pass adds answers, decides nothing.
    import search.orchestrate as orchestrate
    from search.families.local_rules import LocalRule

    task = tasks["178fcbfb"]
    right = tuple(ex.output for ex in task.test)
    wrong = tuple(ex.input for ex in task.test)
    learn = orchestrate.learn_local_rules

    def with_a_second_pass_rule(problem, **kwargs):
        rule = LocalRule(("object_bends",), (), 0, "local rule: object_bends (a fit)", wrong, 1, True, True)
        assert set(rule.features) <= set(SECOND_PASS)
        return learn(problem, **kwargs) + [rule]

    monkeypatch.setattr(orchestrate, "learn_local_rules", with_a_second_pass_rule)
    hits = search_programs(task, budget=3_000_000)
    assert any(h.family == "assembly" and h.test_outputs == right for h in hits), [h.family for h in hits]
    assert any(h.test_outputs == wrong for h in hits)  # the second pass's answer is there too

"""The search's precision guard: a local rule, an assembly or a lookup that fits every
demonstration but is not learnt again with one held out is ``tentative``, an answer the search
and the verifier never report ``unique`` on its own."""

import numpy as np
import pytest

from arc.grid import as_grid
from arc.task import Example, Task
from search import SearchHit, group_hits, search_programs
from search.families.local_rules import learn_local_rules
from search.families import object_programs
from synth.verify import ProgramResult, summarise


def _task(pairs, test):
    return Task("t", tuple(Example(as_grid(a), as_grid(b)) for a, b in pairs), (Example(as_grid(test)),))


def test_a_rule_whose_tuple_only_one_demonstration_shows_is_tentative():
    # Colour 1 becomes 2, colour 3 becomes 4: each recolouring seen twice, so the rule is learnt.
    twice = [([[1, 0, 0, 1]], [[2, 0, 0, 2]]), ([[3, 0, 0, 3]], [[4, 0, 0, 4]]), ([[1, 1, 0, 0]], [[2, 2, 0, 0]]),
             ([[0, 0, 3, 3]], [[0, 0, 4, 4]])]
    rules = learn_local_rules(_task(twice, [[3, 1, 0, 0]]))
    assert rules and rules[0].features == ("colour",) and rules[0].test_outputs == (as_grid([[4, 2, 0, 0]]),)
    assert not rules[0].tentative
    # Colour 3 in one demonstration only: left out, nothing tells 3 -> 4. The test needs only
    # 1 -> 2, which two demonstrations show, so the rule answers, but tentatively.
    once = [([[1, 0, 0, 1]], [[2, 0, 0, 2]]), ([[3, 0, 0, 3]], [[4, 0, 0, 4]]), ([[1, 1, 0, 0]], [[2, 2, 0, 0]])]
    rules = learn_local_rules(_task(once, [[1, 0, 0, 1]]))
    assert rules and rules[0].features == ("colour",) and rules[0].test_outputs == (as_grid([[2, 0, 0, 2]]),)
    assert rules[0].tentative and "tentative" in rules[0].description


@pytest.mark.parametrize("task_id,tentative", [
    ("00d62c1b", False),  # enclosed cells filled: every demonstration holds out
    ("025d127b", False),  # each shape's slant from its rows counted from the shape's top: this holds out
    ("f76d97a5", True),  # each demonstration in colours of its own
])
def test_local_rules_on_real_tasks(arc1_train, task_id, tentative):
    task = arc1_train[task_id]
    rules = learn_local_rules(task, budget=5_000_000)
    assert rules[0].test_outputs == tuple(ex.output for ex in task.test)  # right, whichever the mark
    assert rules[0].tentative is tentative


@pytest.mark.parametrize("task_id,family,tentative", [
    ("496994bd", "assembly", False),  # the input over its rotation
    ("0ca9ddb6", "assembly", False),  # a ring per source colour, each source in two demonstrations
    # The same with colours 2 and 8 each beside 3 in one demonstration besides the first: left
    # out, the first leaves their layers painting in one demonstration, a patch, never chosen.
    ("913fb3ed", "assembly", True),
    ("73251a56", "assembly", True),  # a diagonal learnt as three patches: wrong on the test
    ("d4469b4b", "lookup", False),  # every colour keys two demonstrations or more
    ("27a28665", "lookup", True),  # one pattern shown once
])
def test_assembly_and_lookup_hold_out(arc1_train, task_id, family, tentative):
    task = arc1_train[task_id]
    programs = [p for p, _ in object_programs(task, families=(family,), budget=5_000_000)]
    assert programs, task_id
    assert programs[0].tentative is tentative
    assert ("tentative" in programs[0].description) is tentative


def test_group_hits_never_unique_on_tentative_hits_alone():
    grid = (as_grid([[1]]),)
    sure, unsure = SearchHit("a", "a", (), grid), SearchHit("b", "b", (), grid, tentative=True)
    assert group_hits([unsure]) == ("several", [grid])
    assert group_hits([unsure, sure])[0] == "unique"
    assert group_hits([sure, SearchHit("c", "c", (), (as_grid([[2]]),))])[0] == "several"


def _program(index, output, *, tentative=False, deterministic=True):
    return ProgramResult(index, f"p{index}", ("ok",), (None,), ("ok",), (output,), True, deterministic,
                         tentative=tentative)


def test_verification_never_unique_on_tentative_programs_alone():
    a = as_grid([[1]])
    alone = summarise("t", [_program(0, a, tentative=True)], n_test=1).outcomes[0]
    assert alone.status == "several" and alone.attempts == (a,)
    backed = summarise("t", [_program(0, a, tentative=True), _program(1, a)], n_test=1).outcomes[0]
    assert backed.status == "unique" and backed.votes == (2,)
    # a sure program that is not deterministic does not make a tentative one's answer unique
    shaky = summarise("t", [_program(0, a, tentative=True), _program(1, a, deterministic=False)], n_test=1)
    assert shaky.outcomes[0].status == "several"


def test_solver_marks_the_search_s_tentative_programs(arc1_train):
    from synth.config import SynthConfig
    from synth.solver import ProgramSynthesizer

    task = arc1_train["f76d97a5"]
    solver = ProgramSynthesizer(SynthConfig(sampler="search", search_budget=4_000_000))
    result = solver.solve(task)
    outcome = result.outcomes[0]
    assert outcome.status == "several" and outcome.attempts[0] == task.test[0].output
    assert result.info["n_tentative"] >= 1
    stored = [p for p in result.answer().programs if p.train_consistent]
    assert stored and all(p.tentative for p in stored)
    assert np.array_equal(np.array(outcome.attempts[0]), np.array(task.test[0].output))


@pytest.mark.parametrize("task_id,status,without", [
    # complete_periodic answers; a local rule whose changes no two demonstrations replicate also
    # fits but, a last resort, is left out rather than made to disagree with it
    ("05269061", "unique", ()),
    # the object map answers (every satellite slides toward the centre): the last resort is left out
    ("ae3edfdc", "unique", ()),
    # without it, only such rules fit: they answer, tentatively (the right grid among the two attempts)
    ("ae3edfdc", "several", ("map",)),
])
def test_unreplicated_rules_are_a_last_resort(arc1_train, monkeypatch, task_id, status, without):
    import search.families

    for name in without:
        monkeypatch.delitem(search.families.FAMILIES, name)
    task = arc1_train[task_id]
    hits = search_programs(task, budget=12_000_000)
    got, ranked = group_hits(hits)
    assert got == status
    assert tuple(ex.output for ex in task.test) in ranked[:2]
    fallback = [h for h in hits if h.fallback]
    assert all(h.tentative for h in fallback)
    assert (not fallback) if status == "unique" else fallback == hits


@pytest.mark.parametrize("task_id", ["05269061", "ae3edfdc"])
def test_the_last_resort_is_there_on_those_tasks(arc1_train, task_id):
    # the local rules the search above leaves out (or answers with, tentatively) do fit, and no two
    # demonstrations replicate one of them (checked once per task: the families removed there play no part)
    assert any(not r.replicated for r in learn_local_rules(arc1_train[task_id], budget=20_000_000))

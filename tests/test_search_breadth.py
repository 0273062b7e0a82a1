"""The families keep to their shares of the work budget, so the enumeration after them has its
own: on 29ec7d0e (a periodic pattern with holes) the assembly used to charge a lump of 7.3M
cells against a 1.8M share, and the enumeration, which has complete_periodic at depth one,
was left nothing."""

import pytest

from search import WorkBudget, search_programs
from search.families import object_programs
from search.problem import Problem


def test_object_families_keep_to_their_share(arc1_train):
    share = 1_800_000
    problem = Problem.of(arc1_train["29ec7d0e"], WorkBudget(share))
    object_programs(problem)
    # A family may overrun by the one operation call it was making when the share ran out, not by a lump.
    assert problem.budget.spent <= share * 1.05


def test_periodic_repair_found_at_the_default_budget_and_runs_in_the_sandbox(arc1_train):
    task = arc1_train["29ec7d0e"]
    hits = search_programs(task, budget=WorkBudget(12_000_000))
    expected = tuple(ex.output for ex in task.test)
    right = [h for h in hits if h.test_outputs == expected]
    assert right and "complete_periodic" in right[0].source, [h.description for h in hits]
    sandbox = pytest.importorskip("synth.sandbox")
    inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
    results = sandbox.run_program(right[0].source, inputs, timeout_s=10.0)
    assert [r.status for r in results] == ["ok"] * len(inputs), [r.message for r in results]
    assert [r.grid for r in results] == [ex.output for ex in task.train] + list(expected)

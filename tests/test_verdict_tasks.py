"""The verdict on arc1-train tasks cut to their first 2 demonstrations: where the withheld
demonstrations show the search's single answer to be a coincidental fit, it was ``unique`` from
grouping alone and is ``several`` once weighed; where the rule is plain, it stays ``unique``."""

import pytest

from arc.task import Task
from synth.sandbox import run_program
from search import group_hits, search_programs
from synth.verdict import judge_hits

BUDGET = 20_000_000  # work (cells): about 3 s of search on the development machine


def _cut(task, n=2):
    return Task(task.id, task.train[:n], task.test)


def _search(task):
    """The search's hits (its one call here)."""
    return search_programs(task, budget=BUDGET)


@pytest.mark.parametrize("task_id,weighed_out,wrong", [
    ("44f52bb0", True, True),  # a count of objects feeding a 1x1 answer: 13 bits a demonstration, a 54-bit program
    ("a79310a0", True, True),  # a local rule over the colour above: three entries, learnt from 12 and 29 bits
    ("46442a0e", False, True),  # four views tiled: demonstration 1 alone picks other views (its input is symmetric)
])
def test_a_coincidental_fit_on_two_demonstrations_is_not_unique(arc1_train, task_id, weighed_out, wrong):
    full = arc1_train[task_id]
    task = _cut(full)
    hits = _search(task)
    before, ranked = group_hits(hits)
    assert before == "unique"
    # the withheld demonstrations and the test show the fit to be a coincidence
    assert (ranked[0] != tuple(ex.output for ex in task.test)) is wrong
    withheld = full.train[2:]
    results = run_program(hits[0].source, [ex.input for ex in withheld])
    assert any(r.grid != ex.output for r, ex in zip(results, withheld))
    judged = judge_hits(task, hits, budget=BUDGET)
    assert (judged.before, judged.status) == ("unique", "several")
    assert judged.weighing.convincing is not weighed_out  # the Occam check, or else holding out, rules it out
    if not weighed_out:
        assert False in judged.held_out.predicted


@pytest.mark.parametrize("task_id", ["6150a2bd", "1e0a9b12"])  # rot180, gravity
def test_a_plain_rule_on_two_demonstrations_stays_unique(arc1_train, task_id):
    task = _cut(arc1_train[task_id])
    hits = _search(task)
    judged = judge_hits(task, hits, budget=BUDGET)
    assert judged.status == "unique" and judged.weighing.convincing and judged.held_out.confirms
    assert group_hits(hits)[1][0] == tuple(ex.output for ex in task.test)


def test_the_solver_weighs_the_search_s_answers(arc1_train):
    from synth.config import SynthConfig
    from synth.solver import ProgramSynthesizer
    from synth.verify import verify_programs

    solver = ProgramSynthesizer(SynthConfig(sampler="search", search_budget=BUDGET))
    # a count feeding a 1x1 answer: unique to verification alone (an LLM's programs are not weighed),
    # several once weighed, as the solver weighs the search's programs
    task = _cut(arc1_train["44f52bb0"])
    proposal = solver.propose(task)
    assert verify_programs(task, proposal.sources, tentative=proposal.tentative).outcomes[0].status == "unique"
    assert verify_programs(task, proposal.sources, tentative=proposal.tentative,
                           weigh=True).outcomes[0].status == "several"
    result = solver.solve(task)
    assert result.outcomes[0].status == "several" and "held_out" not in result.info  # nothing left to hold out
    # four views tiled: it passes the Occam check, and the solver holds each demonstration out
    task = _cut(arc1_train["46442a0e"])
    proposal = solver.propose(task)
    weighed = verify_programs(task, proposal.sources, tentative=proposal.tentative, weigh=True)
    assert weighed.outcomes[0].status == "unique"
    result = solver.solve(task)
    (outcome,) = result.outcomes
    assert outcome.status == "several" and outcome.attempts == weighed.outcomes[0].attempts  # attempts unchanged
    assert False in result.info["held_out"] and "hold_out" in result.timings
    # a plain rule is still unique through the solver
    plain = solver.solve(_cut(arc1_train["6150a2bd"]))
    assert plain.outcomes[0].status == "unique" and plain.info["held_out"] == [True, True]

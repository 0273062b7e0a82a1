"""Which answers the search submits when several programs fit (issue 30, item 4): an answer is as
credible as its simplest explanation. Near-copies of one program do not outvote two kinds of
program that agree, the cheaper program's answer comes first, a tentative one stays behind, and on
a real task cut to two demonstrations the rule that a withheld demonstration confirms moves into the
attempts."""

import arc
from search import group_hits, search_programs
from search.hits import SearchHit
from tests.search_checks import assert_reruns

A, B = (((1,),),), (((2,),),)  # two answers to a task of one test input


def _hit(outputs, *calls: str, axis: int = 0, tentative: bool = False) -> SearchHit:
    body = "".join(f"    grid = {c}(grid, axis={axis})\n" for c in calls)
    source = f"from common import *\n\ndef transform(grid):\n{body}    return grid\n"
    return SearchHit(source, " | ".join(calls), (), outputs, "compose", tentative)


def test_near_copies_do_not_outvote_two_structures():
    # Three compositions of the same operations (another axis each) against two different ones of
    # the same cost: two kinds of program agreeing are the stronger evidence.
    copies = [_hit(A, "crop", "fold", "fold", axis=k) for k in range(3)]
    others = [_hit(B, "crop", "fold", "flip"), _hit(B, "crop", "fold", "turn")]
    status, ranked = group_hits(copies + others)
    assert status == "several" and ranked == [B, A]
    from search.description import program_calls

    assert len({program_calls(h.source) for h in copies}) == 1 and len({h.source for h in copies}) == 3


def test_cheaper_program_first_on_ties():
    # One program each, the costlier found first: the answer of the shorter program comes first.
    costly, cheap = _hit(A, "crop", "fold", "turn"), _hit(B, "flip")
    assert group_hits([costly, cheap])[1] == [B, A]
    # A cheaper program that did not hold out a demonstration stays behind one that did.
    assert group_hits([costly, _hit(B, "flip", tentative=True)])[1] == [A, B]
    # Equal evidence: the order found.
    assert group_hits([_hit(A, "flip"), _hit(B, "turn")])[1] == [A, B]


def test_task_cut_to_two_demonstrations_gets_its_rule_into_the_attempts():
    # 7b7f7511 (the input is its tile repeated; the output is one tile) cut to its first two
    # demonstrations: taking the left half, or either half by a pick or an overlay, fits both
    # (four programs of three families), and so does the one-call repeating_tile, which the
    # withheld third demonstration (a grid repeated top to bottom) confirms.
    full = arc.load_dataset("arc1-train")["7b7f7511"]
    task = arc.Task(full.id, full.train[:2], full.test)
    hits = search_programs(task, budget=1_000_000)
    status, ranked = group_hits(hits)
    truth = tuple(ex.output for ex in task.test)
    assert status == "several" and len(ranked) >= 3 and ranked[0] == truth
    right = [h for h in hits if h.test_outputs == truth]
    assert_reruns(right[0].source, task, truth, label=task.id)
    assert_reruns(right[0].source, full, truth, label="all demonstrations")


def test_the_synthesizer_ranks_the_search_s_answers_alike():
    # The same task through the program synthesizer: every program verified in the sandbox, the
    # answers ranked by the evidence behind each (not by how many near-copies give them).
    from synth.config import SynthConfig
    from synth.solver import ProgramSynthesizer

    full = arc.load_dataset("arc1-train")["7b7f7511"]
    task = arc.Task(full.id, full.train[:2], full.test)
    result = ProgramSynthesizer(SynthConfig(sampler="search", search_budget=1_000_000)).solve(task)
    outcome = result.outcomes[0]
    assert outcome.status == "several" and outcome.attempts[0] == task.test[0].output, outcome

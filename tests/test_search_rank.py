"""Which answers the search submits when several programs fit (issue 30, item 4): an answer is as
credible as its simplest explanation that the demonstrations do not contradict. Near-copies of one
program do not outvote two kinds of program that agree, the cheaper program's answer comes first, a
tentative one stays behind, an answer that breaks what every demonstration's output shares comes
after one that does not, and on real tasks cut to two demonstrations the rule that a withheld
demonstration confirms moves into the attempts, or to the first attempt."""

import arc
from arc.grid import as_grid
from arc.task import Example, Task
from search import group_hits, search_programs
from search.description import description_bits
from search.hits import SearchHit, contradictions, output_facts
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


# Two demonstrations whose 1x1 outputs are a colour of the input other than its most common one (0),
# and a test input whose top-left cell is that common colour.
DEMOS = (Example(as_grid([[2, 0, 0], [0, 4, 0], [0, 4, 0]]), as_grid([[4]])),
         Example(as_grid([[8, 0, 3], [0, 3, 0], [0, 0, 0]]), as_grid([[3]])))
TEST_IN = as_grid([[0, 1, 0], [0, 0, 6], [0, 6, 0]])
CORNER, SECOND = ((as_grid([[0]]),), (as_grid([[6]]),))


def test_an_answer_the_demonstrations_outputs_contradict_comes_after():
    assert output_facts(DEMOS[0].input, DEMOS[0].output) == (True, False, False, False)
    assert output_facts(TEST_IN, CORNER[0]) == (True, True, False, False)  # it holds the input's most common colour
    assert contradictions(DEMOS, (TEST_IN,), CORNER) == 1 and contradictions(DEMOS, (TEST_IN,), SECOND) == 0
    assert contradictions((), (TEST_IN,), CORNER) == 0 and contradictions(DEMOS, (TEST_IN,), (None,)) == 0
    task = Task("t", DEMOS, (Example(TEST_IN),))
    corner = SearchHit("from common import *\n\ndef transform(grid):\n    return grid[:1, :1]\n", "corner", (), CORNER)
    costly = _hit(SECOND, "crop", "fold", "turn")
    # The cheaper program's answer breaks a fact both demonstrations' outputs share: it comes second;
    # without the task (nothing to contradict), the cheaper first as before.
    assert group_hits([corner, costly], task) == ("several", [SECOND, CORNER])
    assert group_hits([corner, costly]) == ("several", [CORNER, SECOND])
    # A program that holds out its demonstrations still comes before a tentative one.
    assert group_hits([corner, _hit(SECOND, "flip", tentative=True)], task)[1] == [CORNER, SECOND]


def test_the_synthesizer_s_summary_weighs_the_shared_facts_alike():
    from synth.verify import ProgramResult, summarise

    def program(index, source, outputs):
        return ProgramResult(index, source, ("ok",) * 2, tuple(ex.output for ex in DEMOS), ("ok",), outputs,
                             True, True)

    programs = [program(0, "def transform(grid):\n    return grid[:1, :1]\n", CORNER),
                program(1, _hit(SECOND, "crop", "fold", "turn").source, SECOND)]
    weighed = summarise("t", programs, n_test=1, demonstrations=DEMOS, test_inputs=(TEST_IN,)).outcomes[0]
    assert weighed.status == "several" and weighed.attempts == (SECOND[0], CORNER[0])
    alone = summarise("t", programs, n_test=1, demonstrations=DEMOS).outcomes[0]
    assert alone.attempts == (CORNER[0], SECOND[0])  # no test inputs given: the cheaper first


def test_a_coincidental_corner_no_longer_comes_first():
    # d9fac9be (the output is the colour of the 3x3 ring's centre) cut to its first two
    # demonstrations: the input's top-left cell happens to be that colour in both, so the 18-bit
    # window grid[:1, :1] fits; its test answer is the background, the input's most common colour,
    # which neither demonstration's output holds. The rule that the withheld ones confirm comes first.
    full = arc.load_dataset("arc1-train")["d9fac9be"]
    task = arc.Task(full.id, full.train[:2], full.test)
    hits = search_programs(task, budget=2_000_000)
    status, ranked = group_hits(hits, task)
    truth = tuple(ex.output for ex in task.test)
    corner = [h for h in hits if h.source.count("grid[:1, :1]")]
    assert corner and group_hits(hits)[1][0] == corner[0].test_outputs != truth  # the cheapest program's answer
    assert status == "several" and ranked[0] == truth
    right = min((h for h in hits if h.test_outputs == truth), key=lambda h: description_bits(h.source))
    assert right.description.startswith("trim_border | color_sequence")
    assert_reruns(right.source, task, truth, label=task.id)
    assert_reruns(right.source, full, truth, label="all demonstrations")
    # Through the synthesizer (every program verified in the sandbox), the same first attempt.
    from synth.config import SynthConfig
    from synth.solver import ProgramSynthesizer

    result = ProgramSynthesizer(SynthConfig(sampler="search", search_budget=2_000_000)).solve(task)
    assert result.outcomes[0].status == "several" and result.outcomes[0].attempts[0] == truth[0], result.outcomes[0]

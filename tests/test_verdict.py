"""synth.verdict: the weighing of a single answer (demonstrations' bits against the simplest
program's), holding a demonstration out, and the verdict ``summarise`` reaches with them."""

import math

import pytest

from arc.grid import as_grid
from arc.task import Example, Task
from search import Step, emit_program
from synth.verdict import (COLOUR_BITS, SIDE_BITS, HoldOut, demonstration_bits, description_bits,
                           description_nodes, hold_out, judge_hits, weigh)
from synth.verify import ProgramResult, summarise


def _ex(a, b):
    return Example(as_grid(a), as_grid(b))


def test_a_demonstration_tells_what_its_output_holds_beyond_its_input():
    assert demonstration_bits(_ex([[1, 2], [3, 4]], [[1, 2], [3, 4]])) == 0.0  # nothing to explain
    one = demonstration_bits(_ex([[0, 0], [0, 0]], [[0, 1], [0, 0]]))
    # which of 4 cells changed (4 * H(1/4)) and a colour the input lacks; one colour among the changed
    assert one == pytest.approx(4 * (-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))) + COLOUR_BITS)
    old = demonstration_bits(_ex([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
    assert old == pytest.approx(one - COLOUR_BITS)  # the same change to a colour the input holds
    # a new shape: the output's cells (their colour entropy) and its two sides
    assert demonstration_bits(_ex([[3, 4]], [[3], [4]])) == pytest.approx(2 * 1.0 + 2 * SIDE_BITS)
    assert demonstration_bits(_ex([[3, 4]], [[3]])) == pytest.approx(2 * SIDE_BITS)  # one cell, one colour
    with pytest.raises(ValueError):
        demonstration_bits(Example(as_grid([[1]])))


def test_a_program_costs_its_syntax_nodes_without_the_shared_boilerplate():
    assert description_nodes(emit_program(())) == 0  # reading the input and returning it
    flip = emit_program((Step("flip_lr", ()),))
    assert description_nodes(flip) == 5  # grid = flip_lr(grid): assignment, target, call, its name, argument
    both = emit_program((Step("flip_lr", ()), Step("flip_ud", ())))
    assert description_nodes(both) == 2 * description_nodes(flip)
    small = emit_program((Step("recolor", (("mapping", ((1, 2),)),)),))
    large = emit_program((Step("recolor", (("mapping", ((1, 2), (3, 4), (5, 6))),)),))
    # each table entry is a tuple of two literals: three nodes
    assert description_nodes(large) - description_nodes(small) == 6
    assert description_bits(large) > description_bits(small)
    hand = "import numpy as np\ndef transform(g):\n    '''flip'''\n    return np.flipud(g)\n"
    assert description_nodes(hand) == 5  # return np.flipud(g): the return, the call, the attribute, np, g
    assert description_nodes("def transform(:\n") is None and description_bits("def transform(:") == math.inf


def test_weigh_asks_the_demonstrations_to_outweigh_the_simplest_program():
    demos = [_ex([[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0], [0, 0, 0]][::-1])] * 2
    flip = emit_program((Step("flip_ud", ()),))
    # the output equals the input: the demonstrations tell nothing, whatever the program
    nothing = weigh(demos, [flip])
    assert nothing.demo_bits == (0.0, 0.0) and not nothing.convincing
    # an unchanged demonstration beside telling ones vetoes nothing
    unchanged = _ex([[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    moved = _ex([[1, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [1, 0, 0]])
    assert weigh([unchanged, moved, moved], [flip]).convincing
    demos = [_ex([[1, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [1, 0, 0]]),
             _ex([[0, 2, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 2, 0]])]
    w = weigh(demos, [flip])
    assert w.convincing and w.program_bits == description_bits(flip) and w.margin > 0
    # the same answer from a costly program alone does not convince; beside the cheap one it does not matter
    table = tuple((c, c) for c in range(10))
    costly = emit_program((Step("flip_ud", ()), Step("recolor", (("mapping", table),))))
    assert not weigh(demos, [costly]).convincing
    assert weigh(demos, [costly, flip]) == w
    assert not weigh(demos, []).convincing


def _program(index, output, source, *, tentative=False):
    return ProgramResult(index, source, ("ok",), (None,), ("ok",), (as_grid(output),), True, True,
                         tentative=tentative)


def test_summarise_weighs_a_single_answer_when_given_the_demonstrations():
    demos = [_ex([[1, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [1, 0, 0]]),
             _ex([[0, 2, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 2, 0]])]
    flip = emit_program((Step("flip_ud", ()),))
    costly = emit_program((Step("flip_ud", ()), Step("recolor", (("mapping", tuple((c, c) for c in range(10))),))))
    answer = [[0, 0, 3], [0, 0, 0], [0, 0, 0]]
    # before: one group is unique, whatever stands behind it
    assert summarise("t", [_program(0, answer, costly)], n_test=1).outcomes[0].status == "unique"
    weighed = summarise("t", [_program(0, answer, costly)], n_test=1, demonstrations=demos).outcomes[0]
    assert weighed.status == "several" and weighed.attempts == (as_grid(answer),)
    backed = summarise("t", [_program(0, answer, costly), _program(1, answer, flip)], n_test=1, demonstrations=demos)
    assert backed.outcomes[0].status == "unique"
    # a tentative program's cheapness does not count: it never backs an answer alone
    tentative = summarise("t", [_program(0, answer, costly), _program(1, answer, flip, tentative=True)], n_test=1,
                          demonstrations=demos)
    assert tentative.outcomes[0].status == "several"


def _flip_learner(task, budget):
    """A proposer that learns the rule: it answers every input upside down (a 10-bit program)."""
    return [(tuple(tuple(ex.input[::-1]) for ex in task.test), 10.0)]


def _memoriser(task, budget, bits=10.0):
    """A proposer that answers only what a demonstration showed it (a lookup table), else the input."""
    seen = {ex.input: ex.output for ex in task.train}
    return [(tuple(seen.get(ex.input, ex.input) for ex in task.test), bits)]


def test_hold_out_confirms_what_is_learnt_again_without_each_demonstration():
    task = Task("t", (_ex([[1], [2]], [[2], [1]]), _ex([[3], [4]], [[4], [3]]), _ex([[5], [0]], [[0], [5]])),
                (Example(as_grid([[6], [7]])),))
    budgets = []
    learnt = hold_out(task, lambda t, b: budgets.append(b) or _flip_learner(t, b), budget=3)
    assert learnt == HoldOut((True, True, True)) and learnt.confirms
    assert budgets == [1, 1, 1]  # the budget shared among the held-out runs
    memorised = hold_out(task, _memoriser, budget=3)
    assert memorised.predicted == (False, False, False) and not memorised.confirms
    silent = hold_out(task, lambda t, b: [], budget=3)
    assert silent.predicted == (None, None, None) and silent.confirms  # no answer is no evidence against
    # a miss by a program costlier than the answer's is no evidence against it; as costly, it is
    assert hold_out(task, lambda t, b: _memoriser(t, b, 30.0), budget=3, cost=20.0).predicted == (None,) * 3
    assert hold_out(task, lambda t, b: _memoriser(t, b, 20.0), budget=3, cost=20.0).predicted == (False,) * 3
    # one right answer among the ranked ones is enough
    both = hold_out(task, lambda t, b: _memoriser(t, b) + _flip_learner(t, b), budget=3)
    assert both.predicted == (True, True, True)
    assert hold_out(Task("t", task.train[:1], task.test), _memoriser, budget=1) == HoldOut(())


class _Hit:
    def __init__(self, source, outputs, tentative=False):
        self.source, self.test_outputs, self.tentative = source, tuple(as_grid(o) for o in outputs), tentative


def test_judge_hits_weighs_then_holds_out():
    task = Task("t", (_ex([[1, 0], [0, 0], [0, 0]], [[0, 0], [0, 0], [1, 0]]),
                      _ex([[0, 2], [0, 0], [0, 0]], [[0, 0], [0, 0], [0, 2]])),
                (Example(as_grid([[3, 0], [0, 0], [0, 0]])),))
    flip = emit_program((Step("flip_ud", ()),))
    answer = [[0, 0], [0, 0], [3, 0]]
    assert judge_hits(task, [], budget=1, propose=_flip_learner).status == "none"
    several = judge_hits(task, [_Hit(flip, [answer]), _Hit("x", [[[3]]])], budget=1, propose=_flip_learner)
    assert (several.status, several.before) == ("several", "several")
    assert judge_hits(task, [_Hit(flip, [answer], tentative=True)], budget=1).status == "several"
    sure = judge_hits(task, [_Hit(flip, [answer])], budget=1, propose=_flip_learner)
    assert (sure.status, sure.before) == ("unique", "unique") and sure.held_out.predicted == (True, True)
    memorised = judge_hits(task, [_Hit(flip, [answer])], budget=1, propose=_memoriser)
    assert (memorised.status, memorised.before) == ("several", "unique") and memorised.weighing.convincing
    # the memoriser's table costs more than the flip: its misses tell nothing about the flip
    costly = judge_hits(task, [_Hit(flip, [answer])], budget=1, propose=lambda t, b: _memoriser(t, b, 99.0))
    assert costly.status == "unique" and costly.held_out.predicted == (None, None)


def test_a_program_s_module_level_tables_and_nested_functions_count_once():
    table = "TABLE = {1: 2, 3: 4}\ndef transform(g):\n    return g\n"
    assert description_nodes(table) == 7  # the assignment, its target, the dict and its four literals
    nested = "def transform(g):\n    def inner(x):\n        return x + 1\n    return inner(g)\n"
    # def inner, then return x + 1 (the return, the sum, x, 1: the operator is no choice of its own);
    # return inner(g) (the return, the call, inner, g): each once, not again as a function of its own
    assert description_nodes(nested) == 1 + 4 + 4

from dataclasses import dataclass

import numpy as np
import pytest

from hypothesis import given
from hypothesis import strategies as st

from ensemble import POLICIES, combine
from ensemble.combine import ttt_can_change

A, B, C, D = ((1,),), ((2,),), ((3,),), ((4, 4),)


@dataclass
class Outcome:
    status: str
    attempts: list


U = lambda *g: Outcome("unique", list(g))  # noqa: E731
S = lambda *g: Outcome("several", list(g))  # noqa: E731
N = Outcome("none", [])

CASES = [
    # policy, ttt, synth, expected attempts, rule
    ("paper", [A, B], U(A), (A, B), "agree"),
    ("paper", [A], S(A, C), (A, C), "agree"),  # agreement: second from TTT runner-up, else synth's
    ("paper", [A, B], S(A, C), (A, B), "agree"),
    ("paper", [A, B], U(C), (C, A), "unique-program"),
    ("paper", [], U(C), (C,), "unique-program"),
    ("paper", [A, B], S(C, D), (A, C), "ttt"),  # several groups: TTT trusted, second from synth
    ("paper", [A, B], N, (A, B), "ttt"),  # no program: TTT with its runner-up
    ("paper", [A], N, (A,), "ttt"),
    ("paper", [], S(C, D), (C, D), "synth-fallback"),
    ("paper", [], N, (), "none"),
    ("paper", [A, B], S(B, C), (A, B), "ttt"),  # the synth answer equals TTT's runner-up: no duplicate
    ("paper", [A, A, B], U(C), (C, A), "unique-program"),
    ("paper-poe", [A, B], S(C, D), (A, C), "ttt"),  # the paper's rule (the pipeline orders the programs first)
    ("unique-final", [A, B], U(C), (C,), "unique-program-final"),  # final: no second attempt from TTT
    ("unique-final", [C, B], U(C), (C,), "unique-program-final"),
    ("unique-final", [A, B], S(C, D), (A, C), "ttt"),  # otherwise the paper's rule
    ("unique-final", [], N, (), "none"),
    ("barc", [A, B], S(C, D), (C, D), "program"),
    ("barc", [A, B], U(C), (C, A), "program"),  # filled from the neural side
    ("barc", [A, B], N, (A, B), "neural"),
    ("barc", [], N, (), "none"),
    ("ttt-only", [A, B], U(C), (A, B), "ttt-only"),
    ("ttt-only", [], U(C), (), "none"),
    ("synth-only", [A, B], S(C, D), (C, D), "synth-only"),
    ("synth-only", [A], N, (), "none"),
]


@pytest.mark.parametrize("policy, ttt, synth, expected, rule", CASES)
def test_combine_table(policy, ttt, synth, expected, rule):
    decision = combine(ttt, synth, policy=policy)
    assert decision.attempts == expected
    assert decision.rule == rule
    assert len(decision.attempts) <= 2 and len(set(decision.attempts)) == len(decision.attempts)


def test_every_policy_has_cases():
    assert {c[0] for c in CASES} == set(POLICIES)


def test_grid_types_are_normalised():
    decision = combine([np.array([[1]]), [[2]]], Outcome("unique", [np.array([[1]])]))
    assert decision.rule == "agree" and decision.attempts == (A, B)
    assert all(isinstance(g, tuple) and isinstance(g[0], tuple) for g in decision.attempts)
    assert combine([[[1]]], None).rule == "ttt"


@pytest.mark.parametrize("policy, status", [("nope", "none"), ("paper", "maybe")])
def test_bad_policy_or_status(policy, status):
    with pytest.raises(ValueError):
        combine([A], Outcome(status, []), policy=policy)


GRIDS = st.sampled_from([A, B, C, D])
OUTCOMES = st.one_of(st.none(), st.builds(Outcome, st.sampled_from(["unique", "several", "none"]),
                                          st.lists(GRIDS, max_size=3)))


@given(st.sampled_from(sorted(POLICIES)), OUTCOMES, st.lists(GRIDS, max_size=3), st.lists(GRIDS, max_size=3))
def test_where_ttt_cannot_change_the_decision_no_ttt_answer_does(policy, outcome, ttt_a, ttt_b):
    """The lazy ensemble's premise: where ``ttt_can_change`` says no, any two TTT answers (none at
    all included) give the same decision."""
    if outcome is not None and outcome.status == "none":
        outcome = Outcome("none", [])
    if not ttt_can_change(outcome, policy):
        assert combine(ttt_a, outcome, policy) == combine(ttt_b, outcome, policy) == combine([], outcome, policy)


@pytest.mark.parametrize("outcome", [None, N, U(C), U(C, D), S(C), S(C, D)])
def test_under_the_paper_s_rule_ttt_can_always_change_the_decision(outcome):
    assert ttt_can_change(outcome, "paper")
    # and it does: some TTT answer changes the decision from the one without TTT
    assert any(combine(t, outcome, "paper") != combine([], outcome, "paper") for t in ([A], [A, B], [C, A]))


@pytest.mark.parametrize("policy, outcome, can", [
    ("unique-final", U(C), False), ("unique-final", S(C, D), True), ("unique-final", N, True),
    ("barc", S(C, D), False), ("barc", U(C), True), ("barc", S(C, C), True), ("barc", N, True),
    ("synth-only", N, False), ("ttt-only", U(C, D), True),
])
def test_where_ttt_can_change_the_decision(policy, outcome, can):
    assert ttt_can_change(outcome, policy) is can

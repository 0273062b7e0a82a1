"""Verification on a real ARC task: train-consistency, determinism, grouping and per-test outcomes."""

from __future__ import annotations

import dataclasses
import pytest

import arc
from synth.verify import ProgramResult, summarise, verify_programs

TASK_ID = "68b16354"  # output = input upside down
FLIP = "import numpy as np\ndef transform(g):\n    return np.flipud(g)\n"
FLIP2 = "import numpy as np\ndef transform(g):\n    return g[::-1, :]\n"
IDENTITY = "def transform(g):\n    return g\n"
CRASH = "def transform(g):\n    return 1 / 0\n"


@pytest.fixture(scope="module")
def task():
    return arc.load_dataset("arc1-train")[TASK_ID]


def _special_on_test(task, body: str) -> str:
    """A program that flips every demonstration but does ``body`` on the test input."""
    test_in = [list(r) for r in task.test[0].input]
    return (f"import numpy as np, random\nTEST = np.array({test_in})\ndef transform(g):\n"
            f"    if g.shape == TEST.shape and (g == TEST).all():\n        {body}\n    return np.flipud(g)\n")


def test_unique_answer_with_duplicates_skipped(task):
    v = verify_programs(task, [FLIP, IDENTITY, FLIP2, FLIP, CRASH])
    assert v.n_duplicates == 1 and len(v.programs) == 4
    flip, ident, flip2, crash = v.programs
    assert flip.train_consistent and flip2.train_consistent and flip.deterministic and flip2.deterministic
    assert not ident.train_consistent and ident.deterministic is None
    assert crash.train_status == ("error",) * len(task.train) and "ZeroDivisionError" in crash.message
    (outcome,) = v.outcomes
    assert outcome.status == "unique"
    assert outcome.attempts == (task.test[0].output,) and outcome.votes == (2,)
    assert (outcome.n_programs, outcome.n_consistent, outcome.n_deterministic) == (4, 2, 2)
    assert v.groups == (((task.test[0].output,), (0, 2)),)


def test_several_groups_ranked_by_size(task):
    zeros = _special_on_test(task, "return np.zeros_like(g)")
    v = verify_programs(task, [zeros, FLIP, FLIP2])
    (outcome,) = v.outcomes
    assert outcome.status == "several"
    assert outcome.attempts[0] == task.test[0].output and outcome.votes == (2, 1)
    h, w = len(task.test[0].input), len(task.test[0].input[0])
    assert outcome.attempts[1] == tuple((0,) * w for _ in range(h))
    assert [ix for _, ix in v.groups] == [(1, 2), (0,)]


def test_nondeterministic_program_is_not_unique(task):
    noisy = _special_on_test(task, "return np.random.randint(0, 10, size=(5, 5))")
    v = verify_programs(task, [noisy])
    assert v.programs[0].train_consistent and v.programs[0].deterministic is False
    assert v.outcomes[0].status == "several" and len(v.outcomes[0].attempts) == 1


def test_none_when_nothing_is_consistent(task):
    v = verify_programs(task, [IDENTITY, CRASH, "x = "])
    assert v.outcomes[0].status == "none" and v.outcomes[0].attempts == () and v.groups == ()


def test_same_seeds_rejected(task):
    with pytest.raises(ValueError):
        verify_programs(task, [FLIP], seeds=(3, 3))


def _prog(index, outputs, deterministic=True, consistent=True):
    return ProgramResult(index, f"# {index}", ("ok",), (((0,),),), ("ok",) * len(outputs), outputs,
                         consistent, deterministic if consistent else None)


A, B, C = ((1,),), ((2,),), ((3,),)


def test_tentative_near_copies_never_outvote_a_program_that_held_out():
    # three tentative programs (they did not hold out a demonstration) against one that did
    progs = [_prog(0, (A,))] + [dataclasses.replace(_prog(i, (B,)), tentative=True) for i in (1, 2, 3)]
    v = summarise("t", progs, n_test=1)
    assert v.outcomes[0].attempts == (A, B) and v.outcomes[0].votes == (1, 3)
    assert v.outcomes[0].status == "several"


def test_ties_broken_by_smallest_program_index():
    v = summarise("t", [_prog(0, (B,)), _prog(1, (A,)), _prog(2, (A,)), _prog(3, (B,)), _prog(4, (C,))], n_test=1)
    assert v.outcomes[0].attempts == (B, A) and v.outcomes[0].votes == (2, 2)
    assert v.outcomes[0].status == "several"


def test_per_test_outcomes_project_the_groups():
    # Two groups that agree on test 0 and differ on test 1.
    v = summarise("t", [_prog(0, (A, B)), _prog(1, (A, C)), _prog(2, (A, C)), _prog(3, (B, B), consistent=False)],
                  n_test=2)
    assert len(v.groups) == 2
    first, second = v.outcomes
    assert first.status == "unique" and first.attempts == (A,) and first.votes == (3,)
    assert second.status == "several" and second.attempts == (C, B)


def test_missing_test_output_and_nondeterministic_minority():
    v = summarise("t", [_prog(0, (None,)), _prog(1, (A,)), _prog(2, (B,), deterministic=False)], n_test=1)
    assert v.outcomes[0].status == "unique" and v.outcomes[0].attempts == (A, B)
    assert summarise("t", [_prog(0, (None,))], n_test=1).outcomes[0].status == "none"

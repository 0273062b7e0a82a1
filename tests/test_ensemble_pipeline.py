import time
from types import SimpleNamespace

import pytest

from arc import Example, Task
from ensemble.pipeline import SynthPart, TTTPart, make_task_solver

A, B, C = ((1,),), ((2,),), ((3,),)
TASK = Task("t", (Example(A, B),), (Example(A, B), Example(C, C)))


def ttt(task):
    return TTTPart(attempts=((B, A), (A,)), timings={"train": 1.0}, info={"n_candidates": 14})


def synth(task):
    outcomes = (SimpleNamespace(status="unique", attempts=[C]), SimpleNamespace(status="several", attempts=[C, B]))
    return SynthPart(outcomes=outcomes, timings={"run": 0.5}, info={"n_programs": 10})


@pytest.mark.parametrize(
    "mode, attempts, rules",
    [
        ("ensemble", ((C, B), (A, C)), ("unique-program", "ttt")),
        ("ttt", ((B, A), (A,)), ("ttt-only", "ttt-only")),
        ("synth", ((C,), (C, B)), ("synth-only", "synth-only")),
    ],
)
def test_modes(mode, attempts, rules):
    record = make_task_solver(mode, ttt, synth)(TASK)
    assert record.status == "ok" and record.attempts == attempts and record.rules == rules
    assert "total" in record.timings
    if mode == "ensemble":
        assert record.ttt == ((B, A), (A,)) and record.synth[0]["status"] == "unique"
        assert record.timings["ttt_train"] == 1.0 and record.timings["synth_run"] == 0.5


def test_solver_error_becomes_a_record():
    def broken(task):
        raise RuntimeError("CUDA exploded")

    record = make_task_solver("ttt", broken, synth)(TASK)
    assert record.status == "error" and record.error_kind == "error" and "CUDA exploded" in record.error
    assert record.attempts == ((), ())


def test_task_budget_is_enforced():
    def slow(task):
        time.sleep(5)

    record = make_task_solver("ttt", slow, None, task_timeout_s=0.2)(TASK)
    assert record.status == "timeout" and "budget" in record.error


def test_missing_solver_for_mode_is_rejected():
    with pytest.raises(ValueError):
        make_task_solver("ensemble", None, synth)
    with pytest.raises(ValueError):
        make_task_solver("both", ttt, synth)


def test_in_the_ensemble_a_failing_solver_leaves_the_other_standing():
    def broken(task):
        raise RuntimeError("adapter went missing")

    record = make_task_solver("ensemble", broken, synth)(TASK)
    assert record.status == "ok" and record.error_kind == "ttt-error" and "adapter went missing" in record.error
    assert record.attempts == ((C,), (C, B)) and record.rules == ("unique-program", "synth-fallback")

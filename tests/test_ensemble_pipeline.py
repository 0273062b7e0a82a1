import time

import pytest

from arc import Example, Task
from arc.answer import TaskAnswer, TestAnswer
from ensemble.config import RunConfig
from ensemble.pipeline import TaskTimeout, make_task_solver
from synth.config import SynthConfig

A, B, C = ((1,),), ((2,),), ((3,),)
TASK = Task("t", (Example(A, B),), (Example(A, B), Example(C, C)))


def answer(task, *tests, timings=None, info=None, programs=()):
    return TaskAnswer(task.id, tuple(TestAnswer.of(status, grids) for status, grids in tests), timings or {},
                      info or {}, programs)


def ttt(task):
    return answer(task, ("predicted", (B, A)), ("predicted", (A,)), timings={"train": 1.0}, info={"n_candidates": 14})


def synth(task):
    return answer(task, ("unique", [C]), ("several", [C, B]), timings={"run": 0.5}, info={"n_programs": 10})


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
        assert [a.attempts for a in record.ttt] == [(B, A), (A,)] and record.synth[0].status == "unique"
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


class BatchedTTT:
    """A stand-in for TTT with vLLM: prepare does every task's work (each under its own limit),
    then 'starts an engine'; each task's turn takes the prepared answer."""

    batched = True

    def __init__(self, work_s, engine_s=0.0):
        self.work_s, self.engine_s, self.spent, self.prepared = work_s, engine_s, {}, []

    def prepare(self, tasks, limit, keep=None):
        self.prepared.append([t.id for t in tasks])
        for task in tasks:
            t0 = time.perf_counter()
            try:
                with limit(task):
                    time.sleep(self.work_s[task.id])
            except TaskTimeout:
                self.spent[task.id] = None
            else:
                self.spent[task.id] = time.perf_counter() - t0
        time.sleep(self.engine_s)
        return {"ttt_engine_start_s": self.engine_s}

    def spent_s(self, task_id):
        return self.spent[task_id] or 0.5

    def __call__(self, task):
        if self.spent[task.id] is None:
            raise TaskTimeout("task exceeded its budget")
        return answer(task, ("predicted", (B,)), ("predicted", (A,)), timings={"train_s": self.spent[task.id]})


def task(tid):
    return Task(tid, TASK.train, TASK.test)


def test_batched_ttt_keeps_each_tasks_time_and_budget(tmp_path):
    from ensemble.run import RunDir, run_tasks

    tasks = {t: task(t) for t in ("a", "slow", "c")}
    ttt_solver = BatchedTTT({"a": 0.05, "slow": 5.0, "c": 0.05}, engine_s=0.6)
    solve = make_task_solver("ttt", ttt_solver, None, task_timeout_s=0.4)
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="synth", synth=SynthConfig()))
    t0 = time.perf_counter()
    records = run_tasks(tasks, solve, run)
    # the slow task was stopped at its own budget: the run did not wait out its 5 s of work
    assert time.perf_counter() - t0 < 5.0
    assert ttt_solver.prepared == [["a", "slow", "c"]]
    # the slow task alone timed out; the engine's start-up (0.6 s > the budget) is charged to no task:
    # a task charged with it would show at least 0.6 s (bounds by what the stand-in does, not by speed)
    assert records["slow"].status == "timeout" and records["a"].status == records["c"].status == "ok"
    for tid in ("a", "c"):
        assert 0.04 < records[tid].timings["total"] < 0.6
        assert records[tid].timings["ttt"] >= records[tid].timings["ttt_train"]
    (shared,) = run.shared()
    assert shared["ttt_engine_start_s"] == 0.6 and shared["n_tasks"] == 3 and shared["prepare_s"] >= 0.6


def test_batched_time_counts_against_the_rest_of_the_budget():
    ttt_solver = BatchedTTT({"a": 0.3})
    solve = make_task_solver("ensemble", ttt_solver, lambda t: time.sleep(5), task_timeout_s=0.5)
    solve.prepare([task("a")])
    t0 = time.perf_counter()
    record = solve(task("a"))
    # 0.3 s went on training, so the synthesizer had 0.2 s of the task's 0.5 s: it was stopped long
    # before its 5 s of work (bounds by what the stand-ins do, not by the machine's speed)
    assert record.status == "timeout" and time.perf_counter() - t0 < 5.0
    assert 0.45 <= record.timings["total"] < 5.0


def test_prepare_runs_ttt_before_the_synthesizer_and_close_frees_both():
    order = []

    class Part:
        def __init__(self, name):
            self.name = name

        def prepare(self, tasks, limit):
            order.append(f"prepare {self.name}")
            return {}

        def close(self):
            order.append(f"close {self.name}")

        def __call__(self, task):
            raise AssertionError("not called here")

    solve = make_task_solver("ensemble", Part("ttt"), Part("synth"))
    solve.prepare([TASK])
    solve.prepare([])  # nothing to run: nothing is built
    solve.close()
    assert order == ["prepare ttt", "prepare synth", "close ttt", "close synth"]


def test_device_out_of_memory_is_a_memory_failure():
    torch = pytest.importorskip("torch")

    def oom(task):
        raise torch.OutOfMemoryError("CUDA out of memory")

    class OutOfMemoryLookalike(Exception):
        pass

    def lookalike(task):
        raise OutOfMemoryLookalike("not a device")

    assert make_task_solver("ttt", oom, None)(TASK).error_kind == "memory"
    assert make_task_solver("ttt", lookalike, None)(TASK).error_kind == "error"


def test_lazy_ttt_gets_only_the_test_inputs_it_can_change():
    seen = []

    def ttt_seen(task):
        seen.append(task)
        return answer(task, *[("predicted", (A,))] * len(task.test), timings={"train": 1.0})

    record = make_task_solver("ensemble", ttt_seen, synth, policy="unique-final")(TASK)
    (asked,) = seen
    assert asked.id == TASK.id and asked.train == TASK.train and asked.test == TASK.test[1:]
    assert [a.status for a in record.ttt] == ["skipped", "predicted"] and record.info["ttt"]["skipped"] == 1
    assert record.attempts == ((C,), (A, C)) and record.rules == ("unique-program-final", "ttt")
    eager = make_task_solver("ensemble", ttt_seen, synth, policy="unique-final", eager=True)(TASK)
    assert seen[-1] == TASK and eager.attempts == record.attempts
    make_task_solver("ensemble", ttt_seen, lambda t: answer(t, ("unique", [C]), ("unique", [B])),
                     policy="unique-final")(TASK)
    assert len(seen) == 2  # every test input final: TTT not asked at all


def test_paper_poe_orders_disagreeing_programs_by_the_ttt_score():
    scored = []

    class ScoringTTT:
        def __call__(self, task):
            return answer(task, ("predicted", (A,)), ("predicted", (A,)))

        def score(self, task, test_index, grids):
            scored.append((test_index, grids))
            return [{C: -5.0, B: -1.0, D: None}[g] for g in grids]

    D = ((4,),)
    several = lambda t: answer(t, ("unique", [C]), ("several", [C, D, B]))  # noqa: E731
    record = make_task_solver("ensemble", ScoringTTT(), several, policy="paper-poe")(TASK)
    assert scored == [(1, (C, D, B))]  # only the test input whose programs disagree
    assert record.synth[1].attempts == (B, C, D) and [a.score for a in record.synth[1].ranked] == [-1.0, -5.0, None]
    assert record.synth[1].ranked[0].source.endswith("+poe") and record.synth[0].attempts == (C,)
    assert record.attempts[1] == (A, B)  # TTT trusted, the second attempt the best-scored program output
    paper = make_task_solver("ensemble", ScoringTTT(), several, policy="paper")(TASK)
    assert paper.attempts[1] == (A, C) and len(scored) == 1  # the paper's rule: the programs' own order, no scoring

"""One task through the solvers: run TTT and/or the synthesizer, arbitrate each test input, and
produce the run's ``TaskRecord``. The solvers are passed in as callables returning the one answer
type (``arc.answer.TaskAnswer``), so this module knows nothing of models or samplers (the CLI builds
them).

Lazy by default: the synthesizer answers first, and TTT trains and predicts only for the test inputs
where its answer can still change the submission under the run's policy
(``ensemble.combine.ttt_can_change``): a task is skipped when that holds for none of its test inputs,
and TTT gets a task holding only the test inputs that need it otherwise (its training reads the
demonstrations only, so the adapter is the one it would train for the whole task). The record marks
what TTT was not asked with status ``skipped``. Under the paper's policy TTT can change every test
input (it gives the second attempt even beside a unique program answer), so lazy and eager do the
same work; ``unique-final`` and ``barc`` skip. ``eager`` runs TTT on everything (the old order, for
ablations). A batched TTT (vLLM) answers every task in ``prepare``, before the synthesizer: it is
always eager.

A solver may also have ``prepare(tasks, limit)`` (work shared by every task, done once before the
first task's turn: loading a model, starting an engine) and ``close()`` (free it at the end). A
*batched* solver (``batched = True``: TTT with vLLM) makes every task's answer in ``prepare``: its
per-task work runs there under ``limit(task)``, the task's own budget, and at the task's turn the
seconds it already spent (``spent_s(task_id)``) count against the same budget. Shared work (engine
start-up, the batch as a whole) is timed once, returned by ``TaskSolver.prepare``, and charged to
no task.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

from arc.answer import TaskAnswer, TestAnswer
from arc.errors import StorageError
from arc.storage import storage_failure
from arc.task import Task
from ensemble.combine import SCORE_PROGRAMS, combine, ttt_can_change
from ensemble.config import MODES
from ensemble.run import TaskRecord, failed_record, stage_name


class AnswerStore(Protocol):
    """Where answers made ahead of their task's record are kept (``ensemble.run.RunDir``)."""

    def answers(self, solver: str) -> Mapping[str, TaskAnswer]: ...

    def append_answer(self, solver: str, answer: TaskAnswer) -> None: ...


class TaskTimeout(Exception):
    """The per-task time budget ran out."""


class DeadlineReached(TaskTimeout):
    """The whole run's time budget ran out (``ensemble.budget``): the task is left unfinished (no
    record, so ``--resume`` takes it up again), not failed."""

    unfinished = True  # ``ensemble.run.solve_one`` raises it on instead of recording an error


@contextmanager
def time_limit(seconds: float | None, error: type[TaskTimeout] = TaskTimeout,
               message: str | None = None) -> Iterator[None]:
    """Raise ``error`` (TaskTimeout) in the main thread after ``seconds`` (a real timer signal, not polling).

    Outside the main thread, or without a limit, it does nothing. Code that must clean up
    (sandbox children, GPU memory) does so in ``finally`` blocks, which the exception runs.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise error(message or f"task exceeded its budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _out_of_memory(e: BaseException) -> bool:
    """A device that ran out of memory: torch's OutOfMemoryError (looked up only where a solver
    has loaded torch, so this module never imports it)."""
    torch = sys.modules.get("torch")
    oom = getattr(torch, "OutOfMemoryError", None) if torch is not None else None
    return oom is not None and isinstance(e, oom)


def _only(task: Task, needed: Sequence[int]) -> Task:
    """``task`` with only the test inputs ``needed`` (same id, so the same seeds and adapter)."""
    return Task(task.id, task.train, tuple(task.test[i] for i in needed))


def _spread(answer: TaskAnswer, needed: Sequence[int], n_test: int) -> TaskAnswer:
    """An answer for the test inputs ``needed`` placed back among ``n_test``; the rest ``skipped``."""
    tests = [TestAnswer("skipped")] * n_test
    for k, i in enumerate(needed):
        if k < len(answer.tests):
            tests[i] = answer.tests[k]
    return TaskAnswer(answer.task_id, tuple(tests), answer.timings, answer.info, answer.programs)


def _by_score(answer: TestAnswer, logps: Sequence[float | None]) -> TestAnswer:
    """``answer``'s attempts ranked by ``logps`` (one per attempt; higher first; None last; ties keep
    the given order), each attempt's score replaced by its log-probability."""
    order = sorted(range(len(answer.ranked)),
                   key=lambda k: (logps[k] is None, -(logps[k] or 0.0), k))
    return TestAnswer(answer.status, tuple(replace(answer.ranked[k], score=logps[k], source=answer.ranked[k].source + "+poe")
                                           for k in order))


def ttt_needed(task: Task, synth_part: TaskAnswer | None, policy: str, eager: bool = False) -> list[int]:
    """The test inputs TTT must answer: those where its answer can still change the decision under
    ``policy`` (all of them when ``eager``, or without a synthesizer's answer)."""
    n = len(task.test)
    if eager or synth_part is None:
        return list(range(n))
    return [i for i in range(n) if ttt_can_change(synth_part.tests[i] if i < len(synth_part.tests) else None, policy)]


def _unavailable(task: Task) -> TaskAnswer:
    raise RuntimeError("this solver only records answers made elsewhere")


def recorder(mode: str, policy: str) -> "TaskSolver":
    """A TaskSolver without solvers of its own: it makes the records of tasks whose synthesizer answer
    is kept (``kept_synth``) and whose TTT is skipped (``no_ttt``), e.g. in the driver of a budgeted
    run over Ray. Asked for anything else, the task records an error."""
    return make_task_solver(mode, _unavailable, _unavailable, policy)


def make_task_solver(
    mode: str,
    ttt: Callable[[Task], TaskAnswer] | None,
    synth: Callable[[Task], TaskAnswer] | None,
    policy: str = "paper",
    task_timeout_s: float | None = None,
    eager: bool = False,
) -> "TaskSolver":
    """A callable task -> TaskRecord for ``run_tasks``. ``mode`` picks which solvers run; in
    ``ttt`` and ``synth`` modes the policy is forced to ``ttt-only`` / ``synth-only``. ``eager``:
    TTT answers every test input (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode in ("ensemble", "ttt") and ttt is None:
        raise ValueError(f"mode {mode} needs the TTT solver")
    if mode in ("ensemble", "synth") and synth is None:
        raise ValueError(f"mode {mode} needs the synthesizer")
    return TaskSolver(mode, ttt if mode != "synth" else None, synth if mode != "ttt" else None,
                      {"ttt": "ttt-only", "synth": "synth-only"}.get(mode, policy), task_timeout_s, eager)


class TaskSolver:
    """Task -> TaskRecord, with the solvers' shared work in ``prepare`` and their release in ``close``."""

    def __init__(self, mode: str, ttt: Any, synth: Any, policy: str, task_timeout_s: float | None,
                 eager: bool = False):
        self.mode, self.ttt, self.synth, self.policy, self.task_timeout_s = mode, ttt, synth, policy, task_timeout_s
        self.eager = eager
        self.kept: dict[str, TaskAnswer] = {}  # TTT answers made before this start (``prepare``'s store)
        self.kept_synth: dict[str, TaskAnswer] = {}  # synthesizer answers a budgeted run made ahead of records
        # A budgeted run (``ensemble.budget``) sets these: the run's deadline (``time.monotonic()``),
        # which no task's work may pass, and the tasks whose record is written without TTT (no time left).
        self.deadline: float | None = None
        self.clock: Callable[[], float] = time.monotonic  # what ``deadline`` is read against
        self.no_ttt: set[str] = set()

    @property
    def _ttt_batched(self) -> bool:
        return bool(getattr(self.ttt, "batched", False))

    def prepare(self, tasks: Sequence[Task], store: AnswerStore | None = None) -> dict[str, Any]:
        """The solvers' shared work for ``tasks`` (the ones about to run), before the first task.

        TTT goes first: with vLLM it trains every adapter (each task under its own budget), starts
        its engine, predicts every task and frees the engine; only then does the synthesizer start
        its own (so the two engines never hold one device at once). ``store`` (the run directory)
        gives back the TTT answers an earlier start made ahead of their records, which are taken
        instead of solving again, and keeps those a batched TTT makes now. Returns what was timed
        once (stage -> seconds, and errors), which is charged to no task."""
        shared: dict[str, Any] = {}
        wanted = {t.id for t in tasks}
        if store is not None and self.ttt is not None:
            self.kept = {tid: a for tid, a in store.answers("ttt").items() if tid in wanted}
        if store is not None and self.synth is not None:
            self.kept_synth = {tid: a for tid, a in store.answers("synth").items() if tid in wanted}
        for name, solver in (("ttt", self.ttt), ("synth", self.synth)):
            prepare = getattr(solver, "prepare", None)
            todo = [t for t in tasks if name != "ttt" or t.id not in self.kept]
            if prepare is None or not todo:
                continue
            limit = lambda task: time_limit(self.task_timeout_s)  # noqa: E731
            if name == "ttt" and self._ttt_batched and store is not None:
                shared.update(prepare(todo, limit, lambda answer: store.append_answer("ttt", answer)))
            else:
                shared.update(prepare(todo, limit))
        return shared

    def _limit(self, spent: float = 0.0):
        """The time limit of a task that already used ``spent`` seconds: its own budget
        (``task_timeout_s``, TaskTimeout) or the run's deadline (DeadlineReached), whichever comes first."""
        own = None if self.task_timeout_s is None else self.task_timeout_s - spent
        if own is not None and own <= 0:
            raise TaskTimeout(f"task exceeded its budget of {self.task_timeout_s:g} s")
        if self.deadline is not None:
            left = self.deadline - self.clock()
            if left <= 0:
                raise DeadlineReached("the run's time budget ran out")
            if own is None or left < own:
                return time_limit(left, DeadlineReached, "the run's time budget ran out")
        return time_limit(own)

    def synth_answer(self, task: Task) -> TaskAnswer | None:
        """The synthesizer alone on ``task``, under the task's limits (a budgeted run's first phase),
        its wall seconds in ``timings["seconds"]``. None where the synthesizer raised: the task's turn
        runs it again and records the error. TaskTimeout, DeadlineReached, MemoryError and a failing
        disk are raised."""
        t0 = time.perf_counter()
        try:
            with self._limit():
                answer = self.synth(task)
        except (TaskTimeout, MemoryError, StorageError):
            raise
        except Exception as e:
            failure = storage_failure(e)
            if failure is not None:
                raise failure from None
            return None
        return TaskAnswer(answer.task_id, answer.tests, {**answer.timings, "seconds": time.perf_counter() - t0},
                          answer.info, answer.programs)

    def close(self) -> None:
        """Free what the solvers hold (models, engines)."""
        for solver in (self.ttt, self.synth):
            close = getattr(solver, "close", None)
            if close is not None:
                close()

    def _ttt_needed(self, task: Task, synth_part: TaskAnswer | None) -> list[int]:
        return ttt_needed(task, synth_part, self.policy, self.eager)

    def _score_programs(self, task: Task, synth_part: TaskAnswer, timings: dict, info: dict,
                        errors: dict) -> TaskAnswer:
        """``synth_part`` with its ``several`` outputs ranked by the TTT model's score (module docstring)."""
        score = getattr(self.ttt, "score", None)
        which = [i for i, t in enumerate(synth_part.tests) if t.status == "several" and len(t.ranked) >= 2]
        if score is None or not which:
            return synth_part
        tests = list(synth_part.tests)
        t0 = time.perf_counter()
        try:
            for i in which:
                tests[i] = _by_score(tests[i], score(task, i, tests[i].attempts))
        except (TaskTimeout, MemoryError, StorageError):
            raise
        except Exception as e:  # the programs' order stands; the error is kept
            if storage_failure(e) is not None:
                raise
            errors["poe"] = f"{type(e).__name__}: {e}"
            return synth_part
        finally:
            timings["poe"] = time.perf_counter() - t0
        info["poe"] = {"scored_tests": len(which)}
        return TaskAnswer(synth_part.task_id, tuple(tests), synth_part.timings, synth_part.info, synth_part.programs)

    def __call__(self, task: Task) -> TaskRecord:
        mode, policy = self.mode, self.policy
        start = time.perf_counter()
        spent = 0.0  # seconds this task already used before its turn (a batched TTT's prepare, a budgeted run's first phase)
        timings: dict[str, float] = {}
        info: dict[str, Any] = {}
        ttt_part: TaskAnswer | None = None
        synth_part: TaskAnswer | None = None
        errors: dict[str, str] = {}

        def run_one(name: str, fn: Callable[[Task], TaskAnswer], before: float = 0.0, on: Task = task) -> TaskAnswer | None:
            # In the ensemble a failing solver leaves the other one's answer standing; alone, the
            # task fails. Timeouts and memory errors always end the task; a failing disk, the run.
            # ``before``: seconds the solver already spent on this task in its prepare.
            t0 = time.perf_counter()
            try:
                part = fn(on)
            except (TaskTimeout, MemoryError, StorageError):
                raise
            except Exception as e:
                if mode != "ensemble" or storage_failure(e) is not None:
                    raise
                errors[name] = f"{type(e).__name__}: {e}"
                return None
            finally:
                timings[name] = before + time.perf_counter() - t0
            timings.update({stage_name(name, k): v for k, v in part.timings.items()})
            info[name] = dict(part.info)
            return part

        try:
            if task.id in self.kept:  # answered by an earlier start of this run: take it
                ttt_part = self.kept[task.id]
                timings.update({stage_name("ttt", k): v for k, v in ttt_part.timings.items()})
                info["ttt"] = {**ttt_part.info, "kept": True}
            elif self._ttt_batched:  # the answer is ready: take it first, and its time from the budget
                spent = self.ttt.spent_s(task.id)
                ttt_part = run_one("ttt", self.ttt, spent)
            if self.synth is not None and task.id in self.kept_synth:  # a budgeted run's first phase made it
                synth_part = self.kept_synth[task.id]
                timings["synth"] = synth_part.timings.get("seconds", 0.0)
                timings.update({f"synth_{k}": v for k, v in synth_part.timings.items() if k != "seconds"})
                info["synth"] = {**synth_part.info, "kept": True}
                spent += timings["synth"]  # it counts against the task's own budget, as a batched TTT's does
            with self._limit(spent):
                if self.synth is not None and synth_part is None:
                    synth_part = run_one("synth", self.synth)
                if self.ttt is not None and ttt_part is None and task.id in self.no_ttt:  # the run's time ran out
                    ttt_part = TaskAnswer(task.id, tuple(TestAnswer("skipped") for _ in task.test))
                    info["ttt"] = {"skipped": len(task.test), "skipped_for_time": True}
                if self.ttt is not None and ttt_part is None and not self._ttt_batched:
                    needed = self._ttt_needed(task, synth_part)
                    n_test = len(task.test)
                    if not needed:
                        ttt_part = TaskAnswer(task.id, tuple(TestAnswer("skipped") for _ in task.test))
                        info["ttt"] = {"skipped": n_test}
                    elif len(needed) == n_test:
                        ttt_part = run_one("ttt", self.ttt)
                    else:
                        part = run_one("ttt", self.ttt, on=_only(task, needed))
                        ttt_part = None if part is None else _spread(part, needed, n_test)
                        info.setdefault("ttt", {})["skipped"] = n_test - len(needed)
                if (policy in SCORE_PROGRAMS and synth_part is not None and ttt_part is not None
                        and task.id not in self.no_ttt):
                    synth_part = self._score_programs(task, synth_part, timings, info, errors)
        except DeadlineReached:
            raise  # unfinished, not failed: no record
        except TaskTimeout as e:
            return failed_record(task, "timeout", str(e), spent + time.perf_counter() - start)
        except MemoryError as e:
            return failed_record(task, "memory", f"MemoryError: {e}", spent + time.perf_counter() - start)
        except StorageError:
            raise
        except Exception as e:
            failure = storage_failure(e)
            if failure is not None:  # the machine failed, not the task: stop, --resume redoes it
                raise failure from None
            kind = "memory" if _out_of_memory(e) else "error"
            return failed_record(task, kind, f"{type(e).__name__}: {e}", spent + time.perf_counter() - start)
        attempts, rules = [], []
        for i in range(len(task.test)):
            ttt_answer = ttt_part.tests[i] if ttt_part and i < len(ttt_part.tests) else None
            outcome = synth_part.tests[i] if synth_part and i < len(synth_part.tests) else None
            decision = combine(ttt_answer.attempts if ttt_answer else (), outcome, policy=policy)
            attempts.append(decision.attempts)
            rules.append(decision.rule)
        timings["total"] = spent + time.perf_counter() - start
        return TaskRecord(
            task_id=task.id,
            status="ok",
            attempts=tuple(attempts),
            rules=tuple(rules),
            ttt=None if ttt_part is None else ttt_part.tests,
            synth=None if synth_part is None else synth_part.tests,
            timings=timings,
            error="; ".join(f"{k}: {v}" for k, v in errors.items()) or None,
            error_kind="+".join(f"{k}-error" for k in errors) or None,
            info=info,
            programs=() if synth_part is None else synth_part.programs,
        )

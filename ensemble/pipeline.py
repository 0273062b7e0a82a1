"""One task through the solvers: run TTT and/or the synthesizer, arbitrate each test input, and
produce the run's ``TaskRecord``. The solvers are passed in as callables, so this module knows
nothing of models or samplers (the CLI builds them).

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
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

from arc.errors import StorageError
from arc.grid import Grid, as_grid
from arc.storage import storage_failure
from arc.task import Task
from ensemble.combine import combine
from ensemble.config import MODES
from ensemble.run import TaskRecord, failed_record
from synth.verify import SynthOutcome


class TTTAnswer(Protocol):
    """What the TTT solver returns for one task (``ttt.solve.TaskResult``)."""

    attempts: tuple[tuple[Grid, ...], ...]  # ranked grids per test input
    timings: Mapping[str, float]
    info: Mapping[str, Any]  # counts for the record


class SynthAnswer(Protocol):
    """What the synthesizer returns for one task (``synth.solver.SynthResult``)."""

    outcomes: tuple[SynthOutcome, ...]  # one per test input
    timings: Mapping[str, float]
    info: Mapping[str, Any]


class TaskTimeout(Exception):
    """The per-task time budget ran out."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TaskTimeout in the main thread after ``seconds`` (a real timer signal, not polling).

    Outside the main thread, or without a limit, it does nothing. Code that must clean up
    (sandbox children, GPU memory) does so in ``finally`` blocks, which the exception runs.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TaskTimeout(f"task exceeded its budget of {seconds:g} s")

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


def _outcome(outcome: Any) -> SynthOutcome:
    """The record's value for any outcome-like object (``.status``, ``.attempts``)."""
    if isinstance(outcome, SynthOutcome):
        return outcome
    return SynthOutcome(outcome.status, tuple(as_grid(g) for g in outcome.attempts))


def make_task_solver(
    mode: str,
    ttt: Callable[[Task], TTTAnswer] | None,
    synth: Callable[[Task], SynthAnswer] | None,
    policy: str = "paper",
    task_timeout_s: float | None = None,
) -> "TaskSolver":
    """A callable task -> TaskRecord for ``run_tasks``. ``mode`` picks which solvers run; in
    ``ttt`` and ``synth`` modes the policy is forced to ``ttt-only`` / ``synth-only``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode in ("ensemble", "ttt") and ttt is None:
        raise ValueError(f"mode {mode} needs the TTT solver")
    if mode in ("ensemble", "synth") and synth is None:
        raise ValueError(f"mode {mode} needs the synthesizer")
    return TaskSolver(mode, ttt if mode != "synth" else None, synth if mode != "ttt" else None,
                      {"ttt": "ttt-only", "synth": "synth-only"}.get(mode, policy), task_timeout_s)


class TaskSolver:
    """Task -> TaskRecord, with the solvers' shared work in ``prepare`` and their release in ``close``."""

    def __init__(self, mode: str, ttt: Any, synth: Any, policy: str, task_timeout_s: float | None):
        self.mode, self.ttt, self.synth, self.policy, self.task_timeout_s = mode, ttt, synth, policy, task_timeout_s

    @property
    def _ttt_batched(self) -> bool:
        return bool(getattr(self.ttt, "batched", False))

    def prepare(self, tasks: Sequence[Task]) -> dict[str, Any]:
        """The solvers' shared work for ``tasks`` (the ones about to run), before the first task.

        TTT goes first: with vLLM it trains every adapter (each task under its own budget), starts
        its engine, predicts every task and frees the engine; only then does the synthesizer start
        its own (so the two engines never hold one device at once). Returns what was timed once
        (stage -> seconds, and errors), which is charged to no task."""
        shared: dict[str, Any] = {}
        for solver in (self.ttt, self.synth):
            prepare = getattr(solver, "prepare", None)
            if prepare is not None and tasks:
                shared.update(prepare(tasks, lambda task: time_limit(self.task_timeout_s)))
        return shared

    def close(self) -> None:
        """Free what the solvers hold (models, engines)."""
        for solver in (self.ttt, self.synth):
            close = getattr(solver, "close", None)
            if close is not None:
                close()

    def __call__(self, task: Task) -> TaskRecord:
        mode, policy = self.mode, self.policy
        start = time.perf_counter()
        spent = 0.0  # seconds this task already used in a batched solver's prepare
        timings: dict[str, float] = {}
        info: dict[str, Any] = {}
        ttt_part = synth_part = None
        errors: dict[str, str] = {}

        def run_one(name: str, fn: Callable[[Task], Any], before: float = 0.0) -> Any:
            # In the ensemble a failing solver leaves the other one's answer standing; alone, the
            # task fails. Timeouts and memory errors always end the task; a failing disk, the run.
            # ``before``: seconds the solver already spent on this task in its prepare.
            t0 = time.perf_counter()
            try:
                part = fn(task)
            except (TaskTimeout, MemoryError, StorageError):
                raise
            except Exception as e:
                if mode != "ensemble" or storage_failure(e) is not None:
                    raise
                errors[name] = f"{type(e).__name__}: {e}"
                return None
            finally:
                timings[name] = before + time.perf_counter() - t0
            timings.update({f"{name}_{k}": v for k, v in part.timings.items()})
            info[name] = dict(part.info)
            return part

        try:
            if self._ttt_batched:  # the answer is ready: take it first, and its time from the budget
                spent = self.ttt.spent_s(task.id)
                ttt_part = run_one("ttt", self.ttt, spent)
            budget = None if self.task_timeout_s is None else self.task_timeout_s - spent
            if budget is not None and budget <= 0:
                raise TaskTimeout(f"task exceeded its budget of {self.task_timeout_s:g} s")
            with time_limit(budget):
                if self.synth is not None:
                    synth_part = run_one("synth", self.synth)
                if self.ttt is not None and not self._ttt_batched:
                    ttt_part = run_one("ttt", self.ttt)
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
            ttt_attempts: Sequence[Grid] = ttt_part.attempts[i] if ttt_part and i < len(ttt_part.attempts) else ()
            outcome = synth_part.outcomes[i] if synth_part and i < len(synth_part.outcomes) else None
            decision = combine(ttt_attempts, outcome, policy=policy)
            attempts.append(decision.attempts)
            rules.append(decision.rule)
        timings["total"] = spent + time.perf_counter() - start
        return TaskRecord(
            task_id=task.id,
            status="ok",
            attempts=tuple(attempts),
            rules=tuple(rules),
            ttt=None if ttt_part is None else tuple(tuple(a) for a in ttt_part.attempts),
            synth=None if synth_part is None else tuple(_outcome(o) for o in synth_part.outcomes),
            timings=timings,
            error="; ".join(f"{k}: {v}" for k, v in errors.items()) or None,
            error_kind="+".join(f"{k}-error" for k in errors) or None,
            info=info,
        )


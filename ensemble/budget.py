"""A whole run under one wall-clock budget (``--time-budget``, the Kaggle mode).

The plan, in one process:

1. ``submission.json`` is written at once (every task id, both attempts of every test input, 1x1
   placeholders) and rewritten atomically after every task (``RunDir.finish``), so whatever stops
   the run (the budget, a failing solver, an out-of-memory kill, SIGTERM) leaves a valid one.
2. First phase, the cheap solver on every task: the synthesizer (with the search sampler its work is
   counted in units, not seconds). Where TTT cannot change the answer (``TaskSolver.needs_ttt``: in
   synth mode, or a unique program answer under ``unique-final``) the task's record is written at once;
   otherwise the answer is kept ahead of its record (``answers.jsonl``) and counts in the submission.
3. Second phase, the expensive solver (TTT) on the tasks where it can still change the answer, the
   largest expected gain per second first: the gain from the synthesizer's status per test input
   (``GAIN``: no program answer gains most, a unique one least), the cost from the task's cells times
   the seconds per cell that TTT took on the tasks it has done in this run. A task whose estimated cost
   exceeds the time left is skipped for time; smaller ones after it may still fit.
4. At the end, tasks with a kept answer and no record get their record without TTT (``skipped_for_time``
   in its info); tasks the first phase never reached get no record (``--resume`` solves them) and keep
   the placeholder. ``budget.jsonl`` records how the time was spent and what was skipped.

No task's work passes the deadline: each runs under a timer set to it (``TaskSolver.deadline``), and a
task cut there is left unfinished (no record). ``margin_s`` is kept back for the last writes and for
closing the solvers.

Determinism: within a phase every answer comes from a work-budgeted solver (the search's work units,
TTT's steps), so a task's answer does not depend on the machine or its load; *which* tasks the first
phase reaches and which get TTT depends on the clock.

With ``--ray`` (``ensemble.distributed.RayPool``) the plan is the same: the first phase runs on a pool
of CPU workers for a synth-only config (``RayPool.sibling``), whose records become kept answers
(``_AheadSink``); the second on the run's pool, the tasks handed out in the plan's order with their kept
answers, and dropped at dispatch when the seconds per cell so far say they cannot finish. No task is
sent after the deadline; the driver stops waiting at it and the workers are stopped mid-task. A batched
TTT (``--backend vllm``) answers every task before the first one's turn, which a per-task plan cannot
cut: it is refused here.

The budget counts from the start of the process (``process_age_s``): the interpreter's start-up, the
imports and loading the tasks spend it too (71 s of a 5-minute budget on the 2-core machine at a load of
12, when it was first counted from the plan's start). A resumed budgeted run counts it again from its
own start.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from arc.answer import TaskAnswer
from arc.task import Task
from ensemble.distributed import task_cells  # light: Ray itself is imported only by a pool
from ensemble.pipeline import DeadlineReached, TaskSolver, TaskTimeout, recorder, ttt_needed
from ensemble.run import RunDir, TaskRecord, failed_record, solve_one

# Expected gain of TTT on a test input, by the synthesizer's status there: with no program answer the
# submission holds nothing (or a placeholder) and TTT's answer is the only one; with several, TTT is
# trusted over the programs' vote; with a unique one it gives only the second attempt (a unique answer
# at the default work budget is wrong about 1 time in 70: experiments/results, issue 28's verdict).
GAIN = {"none": 1.0, "several": 0.5, "unique": 0.02, "skipped": 1.0, "predicted": 0.5}
MAX_MARGIN_S = 60.0
MARGIN_SHARE = 0.05

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str | float | int) -> float:
    """Seconds in ``text``: ``11h30m``, ``5m``, ``90s``, ``3600`` (plain seconds), ``1.5h``.
    Raises ValueError saying what is accepted."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _DURATION.match(str(text).strip().lower())
        if not match or not any(match.groups()):
            raise ValueError(f"{text!r} is not a duration: write e.g. 11h30m, 5m, 90s or 3600 (seconds)")
        h, m, s = (float(g) if g else 0.0 for g in match.groups())
        seconds = h * 3600 + m * 60 + s
    if seconds <= 0:
        raise ValueError(f"{text!r}: a time budget must be more than 0 seconds")
    return seconds


def margin_for(budget_s: float) -> float:
    """Seconds kept back from the budget for the last writes and closing the solvers."""
    return min(MAX_MARGIN_S, MARGIN_SHARE * budget_s)


def expected_gain(task: Task, synth: TaskAnswer | None, needed: list[int]) -> float:
    """TTT's expected gain on ``task``: the mean over its test inputs of ``GAIN`` by the synthesizer's
    status on the ones TTT can change (per-test credit, as the ARC Prize scores)."""
    if not needed:
        return 0.0
    statuses = [synth.tests[i].status if synth is not None and i < len(synth.tests) else "none" for i in needed]
    return sum(GAIN.get(s, 1.0) for s in statuses) / len(task.test)


def process_age_s() -> float:
    """Seconds since this process started (Linux: its start time in /proc/self/stat against the boot
    clock); 0 where that cannot be read."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in clock ticks since boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt, so no task records it as its error)."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into ``Terminated`` in the main thread for the duration (the run's ``finally``
    blocks then close the solvers and write the submission once more)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated("terminated (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class BudgetedRun:
    """One start of a budgeted run over ``tasks`` (see the module docstring). ``solve`` is the
    in-process ``TaskSolver`` or a ``RayPool``; ``submission`` a second path the submission is also
    written to (e.g. ``/kaggle/working/submission.json``)."""

    def __init__(self, tasks: Mapping[str, Task], solve: Any, run_dir: RunDir, budget_s: float,
                 submission: str | Path | None = None, progress: Callable[[TaskRecord, int, int], None] | None = None,
                 log: Callable[[str], None] | None = None, clock: Callable[[], float] = time.monotonic,
                 started: float | None = None):
        self.tasks, self.solve, self.run_dir, self.budget_s = tasks, solve, run_dir, budget_s
        self.submission, self.progress, self.log, self.clock = submission, progress, log or (lambda line: None), clock
        self.ray = hasattr(solve, "run_tasks")
        if self.ray:
            config = solve.config
            self.mode, self.policy, self.eager = config.mode, config.solver_policy, config.eager
        else:
            self.mode, self.policy, self.eager = solve.mode, solve.policy, solve.eager
        self.kept: dict[str, TaskAnswer] = {}  # synthesizer answers made ahead of their records
        self.start = clock() if started is None else started  # on ``clock``
        self.margin_s = margin_for(budget_s)
        self.deadline = self.start + budget_s - self.margin_s
        self.done: dict[str, TaskRecord] = {}
        self.entry: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "budget_s": budget_s,
                                      "margin_s": round(self.margin_s, 3), "ended": "error"}

    def left(self) -> float:
        return self.deadline - self.clock()

    def write_submission(self) -> None:
        self.run_dir.finish(self.tasks, also_to=self.submission)

    def _record(self, record: TaskRecord, append: bool = True) -> None:
        if append:
            self.run_dir.append(record)
        self.done[record.task_id] = record
        self.write_submission()
        if self.progress is not None:
            self.progress(record, len(self.done), len(self.tasks))

    def _keep(self, answer: TaskAnswer) -> None:
        self.run_dir.append_answer("synth", answer)
        self.kept[answer.task_id] = answer
        self.write_submission()

    def needs_ttt(self, task: Task) -> list[int]:
        """The test inputs where TTT can still change the answer, given the kept synthesizer answer."""
        return [] if self.mode == "synth" else ttt_needed(task, self.kept.get(task.id), self.policy, self.eager)

    def run(self, retry_failed: bool = False) -> dict[str, TaskRecord]:
        """Solve within the budget; returns every record of the run. Raises ``Terminated`` on SIGTERM
        (after the last writes) and whatever stops the machine (a failing disk)."""
        self.done = self.run_dir.records()
        self.write_submission()  # every task id and both attempts, before any work
        todo = [t for tid, t in self.tasks.items()
                if tid not in self.done or (retry_failed and self.done[tid].status != "ok")]
        for task in todo:  # a failed task retried is not done until its new record
            self.done.pop(task.id, None)
        try:
            with sigterm_raises():
                if todo:
                    self.kept = {tid: a for tid, a in self.run_dir.answers("synth").items()
                                 if tid in {t.id for t in todo}}
                    (self._run_ray if self.ray else self._run_here)(todo)
                skipped = ((self.entry.get("synth") or {}).get("unreached")
                           or (self.entry.get("ttt") or {}).get("skipped_for_time"))
                self.entry["ended"] = "budget" if skipped or self.left() <= 0 else "done"
        except Terminated:
            self.entry["ended"] = "terminated"
            raise
        finally:
            self.entry["elapsed_s"] = round(self.clock() - self.start, 3)
            try:
                self.write_submission()
            finally:
                self.run_dir.append_budget(self.entry)
                self.log(summary_line(self.entry))
        return self.run_dir.records()

    def _ttt_order(self, todo: list[Task]) -> list[Task]:
        """The tasks TTT should see, the largest expected gain per cell first (ties keep the run's order)."""
        wanted = [t for t in todo if t.id not in self.done and self.needs_ttt(t)]
        gain = {t.id: expected_gain(t, self.kept.get(t.id), self.needs_ttt(t)) for t in wanted}
        self.entry["ttt"] = {"candidates": len(wanted), "ran": [], "seconds": 0.0, "skipped_for_time": [],
                             "cut_at_deadline": None, "seconds_per_kcell": None}
        if wanted:
            self.log(f"TTT on {len(wanted)} tasks where it can change the answer, {max(0.0, self.left()):.0f} s left")
        return sorted(wanted, key=lambda t: -gain[t.id] / max(1, task_cells(t)))

    def _finish_without_ttt(self, solver: TaskSolver, todo: list[Task]) -> None:
        """Records for the tasks whose synthesizer answer stands alone (no time was left for TTT)."""
        left = [t for t in todo if t.id not in self.done and t.id in self.kept]
        solver.deadline = None
        solver.kept_synth.update(self.kept)
        solver.no_ttt.update(t.id for t in left)
        for task in left:
            self._record(solve_one(solver, task))
        self.entry["without_ttt"] = [t.id for t in left]

    # -- one process -----------------------------------------------------------------------------
    def _run_here(self, todo: list[Task]) -> None:
        solver: TaskSolver = self.solve
        if getattr(solver.ttt, "batched", False):
            raise ValueError("--time-budget plans TTT task by task: use --backend hf (a vllm batch answers "
                             "every task before the first one's turn and cannot be cut at the deadline)")
        t0 = self.clock()
        self.entry["shared"] = solver.prepare(todo, self.run_dir)
        self.entry["prepare_s"] = round(self.clock() - t0, 3)
        solver.kept_synth = self.kept
        solver.deadline, solver.clock = self.deadline, self.clock
        try:
            self._first_phase(solver, todo)
            unreached = set(self.entry["synth"]["unreached"])
            self._second_phase(solver, self._ttt_order([t for t in todo if t.id not in unreached]))
        finally:
            solver.deadline = None
        self._finish_without_ttt(solver, todo)

    def _first_phase(self, solver: TaskSolver, todo: list[Task]) -> None:
        """The synthesizer on every task (the whole run in synth mode)."""
        phase: dict[str, Any] = {"tasks": 0, "seconds": 0.0, "unreached": []}
        self.entry["synth"] = phase
        if solver.synth is None:
            return
        t0 = self.clock()
        self.log(f"time budget {self.budget_s:g} s: the synthesizer on {len(todo)} tasks first")
        for k, task in enumerate(todo):
            if self.left() <= 0:
                phase["unreached"] = [t.id for t in todo[k:]]
                break
            try:
                if self.mode == "synth":  # the first phase is the whole run
                    self._record(solve_one(solver, task))
                    phase["tasks"] += 1
                    continue
                if task.id not in self.kept:
                    answer = solver.synth_answer(task)
                    phase["tasks"] += 1
                    if answer is not None:
                        self._keep(answer)
            except DeadlineReached:
                phase["unreached"] = [t.id for t in todo[k:]]
                break
            except TaskTimeout as e:
                self._record(failed_record(task, "timeout", str(e), 0.0))
                continue
            except MemoryError as e:
                self._record(failed_record(task, "memory", f"MemoryError: {e}", 0.0))
                continue
            if not self.needs_ttt(task):
                self._record(solve_one(solver, task))  # the kept answer, no TTT: cheap
        phase["seconds"] = round(self.clock() - t0, 3)

    def _second_phase(self, solver: TaskSolver, order: list[Task]) -> None:
        """TTT on ``order``, skipping what the seconds per cell so far say cannot finish."""
        phase = self.entry["ttt"]
        t_phase, spent, cells = self.clock(), 0.0, 0
        for k, task in enumerate(order):
            left = self.left()
            estimate = task_cells(task) * spent / cells if cells else None
            if left <= 0 or (estimate is not None and estimate > left):
                phase["skipped_for_time"].append(task.id)
                continue
            t0 = self.clock()
            try:
                record = solve_one(solver, task)
            except DeadlineReached:
                phase["cut_at_deadline"] = task.id
                phase["skipped_for_time"].extend(t.id for t in order[k:])
                break
            spent += self.clock() - t0
            cells += task_cells(task)
            phase["ran"].append(task.id)
            self._record(record)
        phase["seconds"] = round(self.clock() - t_phase, 3)
        if cells:
            phase["seconds_per_kcell"] = round(1000 * spent / cells, 3)

    # -- Ray -------------------------------------------------------------------------------------
    def _run_ray(self, todo: list[Task]) -> None:
        """The same plan over Ray workers: the synthesizer phase on a pool of CPU workers whose records
        become kept answers (``_AheadSink``), then TTT on the pool of the run, the tasks handed out in
        the plan's order and dropped at dispatch when the seconds per cell so far say they cannot finish."""
        pool = self.solve
        if pool.config.infer is not None and pool.config.infer.backend == "vllm":
            raise ValueError("--time-budget plans TTT task by task: use --backend hf (a vllm batch answers "
                             "every task before the first one's turn and cannot be cut at the deadline)")
        phase: dict[str, Any] = {"tasks": 0, "seconds": 0.0, "unreached": []}
        self.entry["synth"] = phase
        t0 = self.clock()
        first = [t for t in todo if t.id not in self.kept]
        if self.mode == "ensemble" and first:
            self.log(f"time budget {self.budget_s:g} s: the synthesizer on {len(first)} tasks first")
            synth_pool = pool.sibling(replace(pool.config, mode="synth", ttt=None, infer=None, model=None), 0.0)
            sink = _AheadSink(self)
            try:
                synth_pool.run_tasks({t.id: t for t in first}, run_dir=sink, deadline=self.deadline)
            finally:
                synth_pool.close()
            phase["tasks"] = sink.n
            phase["unreached"] = [t.id for t in first if t.id not in self.kept and t.id not in self.done]
        phase["seconds"] = round(self.clock() - t0, 3)
        if self.mode == "synth":
            order = todo
            self.entry["ttt"] = {"candidates": 0}
        else:
            order = self._ttt_order([t for t in todo if t.id not in phase["unreached"]])
        ttt = self.entry["ttt"]
        measured = {"spent": 0.0, "cells": 0}

        def admit(task: Task) -> bool:
            if self.mode == "synth":
                return True
            left, cells = self.left(), measured["cells"]
            if left <= 0 or (cells and task_cells(task) * measured["spent"] / cells > left):
                ttt["skipped_for_time"].append(task.id)
                return False
            return True

        def progress(record: TaskRecord, n_done: int, n_total: int) -> None:
            if self.mode != "synth":
                measured["spent"] += record.timings.get("ttt", 0.0)
                measured["cells"] += task_cells(self.tasks[record.task_id])
                ttt["ran"].append(record.task_id)
            self._record(record, append=False)  # the pool appended it

        t1 = self.clock()
        if order:
            pool.run_tasks({t.id: t for t in order}, run_dir=self.run_dir, progress=progress, deadline=self.deadline,
                           ahead=self.kept, keep_order=self.mode != "synth", admit=admit,
                           retry_failed=True)  # ``order`` holds only what this start must solve
        if self.mode == "synth":
            phase.update(tasks=sum(t.id in self.done for t in todo), seconds=round(self.clock() - t0, 3),
                         unreached=[t.id for t in todo if t.id not in self.done])
            return
        ttt["seconds"] = round(self.clock() - t1, 3)
        unfinished = [t.id for t in order if t.id not in self.done and t.id not in ttt["skipped_for_time"]]
        if unfinished:
            ttt["cut_at_deadline"] = unfinished[0] if len(unfinished) == 1 else unfinished
            ttt["skipped_for_time"].extend(unfinished)
        if measured["cells"]:
            ttt["seconds_per_kcell"] = round(1000 * measured["spent"] / measured["cells"], 3)
        self._finish_without_ttt(recorder(self.mode, self.policy), todo)


class _AheadSink:
    """Where the records of a budgeted run's synthesizer pool (``RayPool`` over a synth-mode config) go:
    an answer becomes the synthesizer's answer kept ahead of its record; a timeout or a memory failure
    is the task's record; another error is dropped (the task's turn with both solvers runs it again and
    records it). Duck-types the parts of ``RunDir`` a pool writes through."""

    def __init__(self, budgeted: BudgetedRun):
        self.budgeted, self.path, self.n = budgeted, budgeted.run_dir.path, 0

    def records(self) -> dict[str, TaskRecord]:
        return {}

    def append_shared(self, entry: Mapping[str, Any]) -> None:
        self.budgeted.run_dir.append_shared({**entry, "phase": "synth"})

    def append(self, record: TaskRecord) -> None:
        self.n += 1
        if record.status == "ok" and record.synth is not None:
            timings = {k[len("synth_"):]: v for k, v in record.timings.items() if k.startswith("synth_")}
            self.budgeted._keep(TaskAnswer(record.task_id, record.synth, {**timings, "seconds": record.timings.get("synth", 0.0)},
                                           dict(record.info.get("synth") or {}), record.programs))
        elif record.status == "timeout" or record.error_kind in ("memory", "worker-died"):
            self.budgeted._record(record)


def summary_line(entry: Mapping[str, Any]) -> str:
    """One line on how a budgeted start spent its time (from its ``budget.jsonl`` entry)."""
    parts = [f"time budget {entry.get('budget_s', 0):g} s, used {entry.get('elapsed_s', 0):.0f} s ({entry.get('ended')})"]
    synth, ttt = entry.get("synth"), entry.get("ttt")
    if synth:
        parts.append(f"synthesizer {synth['tasks']} tasks in {synth['seconds']:.0f} s"
                     + (f", {len(synth['unreached'])} not reached" if synth["unreached"] else ""))
    if ttt and ttt.get("candidates"):
        parts.append(f"TTT {len(ttt['ran'])} of {ttt['candidates']} tasks in {ttt['seconds']:.0f} s"
                     + (f", {len(ttt['skipped_for_time'])} skipped for time" if ttt["skipped_for_time"] else ""))
    return "; ".join(parts)


def run_budgeted(tasks: Mapping[str, Task], solve: Any, run_dir: RunDir, budget_s: float,
                 progress: Callable[[TaskRecord, int, int], None] | None = None, retry_failed: bool = False,
                 submission: str | Path | None = None, log: Callable[[str], None] | None = None,
                 started: float | None = None) -> dict[str, TaskRecord]:
    """``ensemble.run.run_tasks`` under a wall-clock budget of ``budget_s`` seconds (module docstring),
    counted from ``started`` (``time.monotonic()``), by default from the start of this process: the
    interpreter's start-up, the imports and loading the tasks are in it, as they are in Kaggle's hours."""
    if started is None:
        started = time.monotonic() - process_age_s()
    return BudgetedRun(tasks, solve, run_dir, budget_s, submission, progress, log, started=started).run(retry_failed)

"""What a run shows while it runs: one line per task with its outcome, right or wrong where the
answer is known, its seconds and the running score (which counts the tasks a resumed run had
already finished); and the other libraries kept quiet (warnings, their progress bars, their logs)
unless asked for. The command line draws; this module only says what."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping

from arc.task import Task
from ensemble.run import TaskRecord

# Set while a run goes on without -v: other libraries' warnings and progress bars stay quiet, in
# this process and in the processes it starts (sandbox workers, Ray workers).
QUIET_ENV = {"PYTHONWARNINGS": "ignore", "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
             "TQDM_DISABLE": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
SANDBOX_NOTE = "the sandbox runs without"


class RunningScore:
    """Tasks right so far, over the tasks whose answers are known, the finished ones included."""

    def __init__(self, tasks: Mapping[str, Task], done: Mapping[str, TaskRecord] = {}):
        self.tasks = tasks
        self.right: dict[str, bool] = {}
        for record in done.values():
            self.add(record)

    def add(self, record: TaskRecord) -> bool | None:
        """Count ``record`` (a later record of a task replaces its earlier one): right, wrong, or
        None where the task's answer is unknown."""
        from ensemble.report import task_correct

        task = self.tasks.get(record.task_id)
        if task is None or not task.has_solutions:
            return None
        right = self.right[record.task_id] = all(task_correct(record, task))
        return right

    def __str__(self) -> str:
        return f"solved {sum(self.right.values())}/{len(self.right)}" if self.right else ""

    def line(self, record: TaskRecord, done: int, total: int) -> str:
        """Count ``record`` and describe it in one line."""
        right = self.add(record)
        status = record.status if record.status != "ok" else ",".join(record.rules)
        outcome = {True: " right", False: " wrong", None: ""}[right]
        return f"[{done}/{total}] {record.task_id} {status}{outcome} {record.timings.get('total', 0):.1f}s  {self}"


def start_line(run_path: object, mode: str, tasks: Mapping[str, Task], done: Mapping[str, TaskRecord],
               retry_failed: bool = False) -> str:
    """The line a run starts with: where, what, and how much a resumed run has left."""
    retry = sum(r.status != "ok" for r in done.values()) if retry_failed else 0
    return (f"run directory: {run_path}  ({mode}, {len(tasks)} tasks, {len(done) - retry} already done"
            + (f", {retry} failed to retry" if retry else "") + ")")


def final_lines(run_path: object, records: Mapping[str, TaskRecord], scores: Mapping | None) -> tuple[str, str | None]:
    """Where the submission went (and how many tasks failed), and the scores where answers are known."""
    failed = sum(1 for r in records.values() if r.status != "ok")
    wrote = f"wrote {run_path}/submission.json" + (f"  ({failed} tasks failed, see arc-solve report)" if failed else "")
    if not scores:
        return wrote, None
    return wrote, (f"task accuracy {scores['task_accuracy']:.2%} ({scores['tasks_correct']}/{scores['n_tasks']}), "
                   f"per-test accuracy {scores['test_accuracy']:.2%}")


class _LogLines(logging.Handler):
    """The libraries' log records: every one with ``verbose``; otherwise only the sandbox's note on
    what it runs without (once, and not when ``quiet``)."""

    def __init__(self, echo: Callable[[str], None], verbose: bool, quiet: bool):
        super().__init__()
        self.echo, self.verbose, self.quiet, self.seen = echo, verbose, quiet, set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.verbose:
            self.echo(f"{record.name}: {record.levelname.lower()}: {message}")
        elif not self.quiet and record.name == "sandbox" and message.startswith(SANDBOX_NOTE) and message not in self.seen:
            self.seen.add(message)
            self.echo(f"note: {message}")


@contextmanager
def library_output(echo: Callable[[str], None], verbose: bool = False, quiet: bool = False) -> Iterator[None]:
    """While it lasts, the libraries' logs go to ``echo``: all of them (INFO and up) with
    ``verbose``; otherwise none but the sandbox's note, and warnings and other libraries' progress
    bars are off (``QUIET_ENV`` for the processes started meanwhile). Everything is put back after."""
    root, handler = logging.getLogger(), _LogLines(echo, verbose, quiet)
    level, set_env = root.level, {k: v for k, v in QUIET_ENV.items() if k not in os.environ and not verbose}
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    os.environ.update(set_env)
    hf = None
    if not verbose and "transformers" in sys.modules:  # imported before the environment could tell it
        from transformers.utils import logging as hf

        hf_state = hf.get_verbosity(), hf.is_progress_bar_enabled()
        hf.set_verbosity_error()
        hf.disable_progress_bar()
    with warnings.catch_warnings():
        if not verbose:
            warnings.simplefilter("ignore")
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            for k in set_env:
                os.environ.pop(k, None)
            if hf is not None:
                hf.set_verbosity(hf_state[0])
                if hf_state[1]:
                    hf.enable_progress_bar()


class ProgressLines:
    """Each task's line (``RunningScore.line``) through ``echo``, or on a terminal above a rich
    progress bar with ETA (on stderr) that never hides them; nothing with ``quiet``."""

    def __init__(self, tasks: Mapping[str, Task], done: Mapping[str, TaskRecord], echo: Callable[[str], None],
                 quiet: bool = False, bar: bool = False):
        self.score, self.echo, self.quiet = RunningScore(tasks, done), echo, quiet
        self.total, self.done, self.want_bar, self.bar = len(tasks), sum(t in tasks for t in done), bar and not quiet, None

    def __enter__(self) -> "ProgressLines":
        if self.want_bar:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[score]}"),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.bar_id = self.bar.add_task("solving", total=self.total, completed=self.done, score=str(self.score))
        return self

    def update(self, record: TaskRecord, done: int, total: int) -> None:
        line = self.score.line(record, done, total)
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False)
            self.bar.update(self.bar_id, completed=done, score=str(self.score))
        elif not self.quiet:
            self.echo(line)

    def __exit__(self, *exc) -> bool:
        if self.bar is not None:
            self.bar.stop()
        return False

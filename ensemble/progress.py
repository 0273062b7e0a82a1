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
    with warnings.catch_warnings():
        if not verbose:
            warnings.simplefilter("ignore")
            if "transformers" in sys.modules:  # imported before the environment could tell it
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                hf_logging.set_verbosity_error()
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            for k in set_env:
                os.environ.pop(k, None)

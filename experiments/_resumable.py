"""The per-task loop the benchmarks share: tasks run in a pool of forked workers, each finished
task's record appended (fsync'ed) to a JSONL file, and tasks already in the file skipped."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any, Callable

import click

from arc.storage import append_jsonl, read_jsonl


def run_resumable(ids: list[str], jsonl: Path, run_one: Callable[[tuple], dict], extra: tuple, workers: int,
                  init: Callable, initargs: tuple, label: str) -> dict[str, dict]:
    """Every record by task id: those already in ``jsonl`` and those of the tasks left, each run
    as ``run_one((task_id, *extra))`` in a pool of ``workers`` started by ``init(*initargs)``."""
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    done: dict[str, Any] = {rec["task_id"]: rec for _, rec in read_jsonl(jsonl)}
    todo = [t for t in ids if t not in done]
    click.echo(f"{len(ids)} tasks, {len(ids) - len(todo)} already done, {label}, {workers} workers")
    with mp.get_context("fork").Pool(workers, init, initargs) as pool:
        for i, rec in enumerate(pool.imap_unordered(run_one, [(t, *extra) for t in todo]), 1):
            append_jsonl(jsonl, [rec])
            done[rec["task_id"]] = rec
            if i % 20 == 0 or i == len(todo):
                click.echo(f"  {i}/{len(todo)}", err=True)
    return done

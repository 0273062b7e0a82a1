"""Run integrity (issue 13, findings 4 and 5): a finished answer is never lost, a broken run
directory or input file is one line and exit code 1, never a traceback or a silent skip."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import arc
from arc.errors import RunLockedError, StorageError
from arc.storage import append_jsonl, read_jsonl
from cli import main
from ensemble.run import RunDir, TaskRecord, run_tasks

ROOT = Path(__file__).resolve().parents[1]
QUICK3 = "007bbfb7,0d3d703e,3c9b0459"  # arc1-train tasks the search solves in a fraction of a second
A, B = ((1,),), ((2,),)


def solve_args(out: Path, tasks: str = QUICK3) -> list[str]:
    return ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", tasks,
            "--search-budget", "5", "--out", str(out)]


def one_line_error(result, progress: bool = False) -> str:
    """The CLI's answer to a domain error: exit 1 and a single line, no traceback (after the
    run's progress lines when ``progress``)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "Traceback" not in result.output, result.output
    assert len(lines) == 1 or (progress and not any(l.startswith("Error") for l in lines[:-1])), result.output
    return lines[-1]


def make_tasks(n: int) -> dict[str, arc.Task]:
    return {f"t{i}": arc.Task(f"t{i}", (arc.Example(A, B),), (arc.Example(A, B),)) for i in range(n)}


def ok_solver(calls: list, fail: set = frozenset()):
    def solve(task):
        calls.append(task.id)
        if task.id in fail:
            raise RuntimeError(f"boom in {task.id}")
        return TaskRecord(task.id, "ok", ((B, A),), rules=("ttt",), timings={"total": 0.0})

    return solve


# -- one JSONL appender --------------------------------------------------------------------------
def test_append_repairs_a_torn_last_line_and_fsyncs(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "r.jsonl"
    append_jsonl(path, [{"a": 1}])
    with open(path, "ab") as f:
        f.write(b'{"a": 2, "b": "cut mid-wr')  # a writer killed mid-record
    assert read_jsonl(path) == [(1, {"a": 1})]  # the torn line is ignored when reading...
    append_jsonl(path, [{"a": 3}])
    assert path.read_bytes() == b'{"a":1}\n{"a":3}\n'  # ...and cut before the next append
    assert len(synced) == 2


def test_ttt_and_program_store_append_through_the_shared_appender(tmp_path):
    from synth.store import append_programs, load_programs
    from synth.verify import ProgramResult
    from ttt.solve import RESULTS, TaskResult, _append, load_results

    (tmp_path / RESULTS).write_text('{"task_id": "a", "attempts": []}\n{"task_id": "b", "attem')
    _append(tmp_path, TaskResult("c", ((A,),)))
    assert (tmp_path / RESULTS).read_text().splitlines()[1].startswith('{"task_id":"c"')
    assert sorted(load_results(tmp_path)) == ["a", "c"]

    prog = ProgramResult(0, "def transform(g):\n    return g\n", ("ok",), (A,), ("ok",), (A,), True, True, "")
    path = append_programs(tmp_path, "t1", [prog])
    with open(path, "a") as f:
        f.write('{"index": 1, "sou')
    append_programs(tmp_path, "t1", [prog])
    assert [p.index for p in load_programs(tmp_path, "t1")] == [0, 0]

"""Two solvers in different PID namespaces sharing one temp directory (issue 28, class 6).

A container, ``unshare`` or a CI runner can see another solver's sandbox root but not its process; a
root was once recognised as stale by a pid in its name, so the second solver removed the first one's
live root and every later task of the first run failed. Here the first solver runs on the host, the
second under ``unshare --pid --fork --mount-proc`` starts while the first one's sandbox is alive, and
both must give exactly the submissions of a run alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# One quick task (the sandbox starts), two the search cannot solve (20M cells of work, about 3 s, each, while the
# second solver starts), then seven more quick ones.
TASKS = "007bbfb7,b527c5c6,e509e548,0d3d703e,3c9b0459,6150a2bd,67a3c6ac,68b16354,74dd1130,9dfd6313"


def _solve(out: Path, tmp: Path, pid_namespace: bool = False) -> subprocess.Popen:
    cmd = [sys.executable, str(REPO / "cli.py"), "--mode", "synth", "--sampler", "search", "--dataset",
           "arc1-train", "--tasks", TASKS, "--search-budget", "20000000", "--threads", "1", "--out", str(out)]
    if pid_namespace:
        cmd = ["unshare", "--pid", "--fork", "--mount-proc", *cmd]
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(REPO))
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen) -> str:
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output[-3000:]
    return output


def _submission(out: Path) -> dict:
    return json.loads((out / "submission.json").read_text())


def test_two_solvers_in_different_pid_namespaces_share_one_tmp(tmp_path):
    if subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True).returncode:
        pytest.skip("cannot make a PID namespace here (needs root or user namespaces)")
    shared = tmp_path / "tmp"
    shared.mkdir()
    _finish(_solve(tmp_path / "alone", shared))
    alone = _submission(tmp_path / "alone")
    assert len(alone) == 10

    first = _solve(tmp_path / "first", shared)
    deadline = time.monotonic() + 300
    while not list(shared.glob("arc-sandbox-*")):  # the first solver's sandbox is alive
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0][-3000:]
        time.sleep(0.05)
    second = _solve(tmp_path / "second", shared, pid_namespace=True)
    _finish(second)
    _finish(first)
    assert _submission(tmp_path / "first") == alone
    assert _submission(tmp_path / "second") == alone
    assert not list(shared.glob("*arc-sandbox-*"))  # both cleaned up after themselves

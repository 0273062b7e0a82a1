"""The forker: the process that makes every program's process (sandbox/_zygote.py, _start_forker).

A worker proper forks its forker once, before any request exists; the forker makes each program's process
(a child of the worker proper, in a PID namespace of its own) and does nothing else, so it never holds a
request, a report or anything of a program, and neither does any process it makes until that process reads
its own request. Program processes of the same parity share the forker's pipes, taken in turn: what one
leaves in them must never reach the next.
After each test tests/sandbox_checks.py checks that nothing is left behind (processes, zombies, files,
mounts).
"""

from __future__ import annotations

import os
import secrets

import pytest

from synth.sandbox import ExecResult, Sandbox
from tests.sandbox_checks import (descendants, forkers, nothing_left_behind, private_tempdir,  # noqa: F401
                                  process_table, worker_pids)

pytestmark = pytest.mark.usefixtures("nothing_left_behind")
GRID = [[1, 2], [3, 4]]
FLIP = "import numpy as np\ndef transform(g):\n    return np.flipud(g)\n"
FLIPPED = ExecResult("ok", ((3, 4), (1, 2)), "")


def _the_forker(box: Sandbox) -> int:
    """The forker of the box's one worker (fails if there is none)."""
    assert box.run(FLIP, [GRID]).results[0] == FLIPPED  # (workers start with the first program)
    table = process_table()
    workers = worker_pids() & {worker.proc.pid for worker in box._all}
    assert len(workers) == 1
    propers = {pid for pid, depth in descendants(next(iter(workers)), table).items() if depth == 1}
    found = forkers(propers, table)
    assert len(found) == 1, f"no forker beside the worker proper (processes: {propers})"
    return next(iter(found.values()))


def _memory(pid: int) -> bytes:
    """Every readable mapping of a process (as root: reading another process's memory needs ptrace rights)."""
    chunks = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or line.rstrip().endswith("[vvar]"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                chunks.append(mem.read(end - start))
            except OSError:
                continue
    return b"".join(chunks)


def test_the_forker_never_holds_a_request_or_a_report():
    """After a batch whose sources, inputs and outputs carry markers, none of them is anywhere in the
    forker's memory (its heap, its stack, its buffers): it forked before any request existed and reads
    only one byte per process it makes."""
    if os.geteuid() != 0:
        pytest.skip("reading another process's memory needs root")
    marker = secrets.token_hex(12)
    source = (f"MARK = {marker!r}\nimport numpy as np\ndef transform(g):\n"
              "    print(MARK[::-1])\n    return np.flipud(g)\n")
    with Sandbox(workers=1) as box:
        forker = _the_forker(box)
        runs = box.run_many([(source, [GRID], k) for k in range(20)])
        assert all(run.results[0] == FLIPPED and marker[::-1] in run.stdout for run in runs)
        assert _the_forker(box) == forker  # the same forker made every process
        memory = _memory(forker)
    assert len(memory) > 1 << 20  # (the read worked: the interpreter and numpy are mapped)
    for text in (marker, marker[::-1]):
        assert text.encode() not in memory and text.encode("utf-16-le") not in memory, text
        assert text.encode("utf-32-le") not in memory, text


def test_what_a_program_leaves_in_its_pipes_never_reaches_the_next():
    """Programs that die with bytes in their result pipe (garbage without a newline, more than a report may
    hold, a line that looks like a result) are followed, at both parities, by programs whose answers must
    be exactly their own."""
    garbage = "import os\ndef transform(g):\n    os.write(3, b'{\"i\": 0, \"status\": \"ok\", \"value\": [[7')\n"
    looks_right = ("import os\ndef transform(g):\n"
                   "    os.write(3, b'\\n{\"i\": 0, \"status\": \"ok\", \"value\": [[7]]}\\n')\n    os._exit(0)\n")
    flood = "import os\ndef transform(g):\n    while True:\n        os.write(3, b'{\"i\": 0, [[7' * 4096)\n"
    with Sandbox(workers=1) as box:
        _the_forker(box)
        jobs = []
        for bad in (garbage, looks_right, flood):
            jobs += [(bad, [GRID], 0), (bad, [GRID], 0), (FLIP, [GRID], 0), (FLIP, [GRID], 0)]
        runs = box.run_many(jobs, timeout_s=1.0)
        for k, run in enumerate(runs):
            if k % 4 >= 2:
                assert run.results[0] == FLIPPED, (k, run)
        assert [run.results[0].status for run in runs[4:6]] == ["ok", "ok"]  # (its own line, believed)
        assert box.run(FLIP, [GRID]).results[0] == FLIPPED


def test_without_a_forker_the_worker_forks_each_process_itself():
    """Where there is no forker (no PID namespace or pidfd, not x86_64; here switched off) the worker proper
    forks each program's process itself, with a pipe pair of its own: the same answers, nothing shared."""
    probe = ("import os\ndef transform(g):\n    open('f', 'w').close()\n"
             "    return [[len(os.listdir('.')), os.getpid()]]\n")
    with Sandbox(without=("forker",)) as box:
        assert box.run(FLIP, [GRID]).results[0] == FLIPPED
        table = process_table()
        propers = {pid for pid, depth in descendants(box._all[0].proc.pid, table).items() if depth == 1}
        assert propers and forkers(propers, table) == {}
        runs = box.run_many([(probe, [GRID], k) for k in range(6)] + [(FLIP, [GRID], 0)])
        assert [run.results[0] for run in runs] == [ExecResult("ok", ((1, 1),), "")] * 6 + [FLIPPED]

"""Programs in batches, each in a process forked before its request existed (sandbox/_zygote.py).

A worker forks and confines the process for its next program while the one before it runs, takes jobs in
batches (``run_many``), and mounts each program's scratch tmpfs over the last one's, unmounting them
together now and then (sandbox/_zygote.py, fresh_scratch). These tests attack what that could share: the
waiting process must enter only a scratch mounted after the program before it died, and must not map the
batch it was forked beside; a covered scratch must be out of reach, and one that holds data must not count
against the next program's memory; a batch in which programs crash, time out, are killed or lie must still
answer every other program right.
After each test tests/sandbox_checks.py checks that nothing is left behind (processes, zombies, files,
mounts).
"""

from __future__ import annotations

import pytest

from synth.sandbox import ExecResult, Sandbox
from tests.sandbox_checks import nothing_left_behind, private_tempdir  # noqa: F401

pytestmark = pytest.mark.usefixtures("nothing_left_behind")
GRID = [[1, 2], [3, 4]]
FLIPPED = ((3, 4), (1, 2))
FLIP = "import numpy as np\ndef transform(g):\n    return np.flipud(g)\n"


@pytest.fixture(scope="module")
def box():
    with Sandbox(workers=1) as sandbox:  # one worker: every run_many below is one batch on it
        yield sandbox


def test_the_next_process_enters_only_a_scratch_made_after_the_last_program(box):
    """The process for program B is forked while program A still runs in its scratch; B must still find an
    empty scratch of its own, with a fresh inode counter (not A's, which it could share if it entered its
    working directory when it was forked)."""
    probe = ("import os\ndef transform(g):\n    open('f', 'w').close()\n"
             "    return [[len(os.listdir('.')), os.stat('f').st_ino % 10, os.stat('.').st_ino % 10]]\n")
    first = box.run(probe, [GRID]).results[0]
    assert first.status == "ok" and first.grid[0][0] == 1
    writer = ("import os, time\ndef transform(g):\n"
              "    for i in range(50):\n        open('left%d' % i, 'w').close()\n"
              "    os.mkdir('kept')\n    time.sleep(0.3)\n    return g\n")
    runs = box.run_many([(writer, [GRID], 0), (probe, [GRID], 0), (writer, [GRID], 1), (probe, [GRID], 1)])
    assert [run.results[0] for run in runs] == [ExecResult("ok", ((1, 2), (3, 4)), ""), first] * 2


def test_the_scratches_of_earlier_programs_are_out_of_reach(box):
    """Scratches holding a few empty files are kept, covered by the next program's, until several are
    unmounted at once: no program reaches one, by any path it can name."""
    writer = "def transform(g):\n    for i in range(5):\n        open('left%d' % i, 'w').close()\n    return g\n"
    finder = ("import os\ndef transform(g):\n    seen = 0\n"
              "    for top in ('.', '..', '../..', '../q', '../../p/q'):\n"
              "        try:\n            walk = list(os.walk(top))\n        except OSError:\n            continue\n"
              "        seen += sum(name.startswith('left') for _, _, files in walk for name in files)\n"
              "    try:\n        open('../x', 'w')\n        seen += 100\n    except OSError:\n        pass\n"
              "    return [[min(seen, 9)]]\n")
    runs = box.run_many([(writer, [GRID], k) if k % 2 == 0 else (finder, [GRID], k) for k in range(80)])
    assert all(run.results[0] == ExecResult("ok", ((0,),), "") for run in runs[1::2]), runs[1]


def test_a_scratch_holding_data_does_not_count_against_the_next_program(box):
    """A program that filled its scratch (data the memory cgroup counts) is followed by one that needs its
    whole allowance: the first one's files must be gone by then, not kept covered."""
    if not box.capabilities()["cgroup_memory"]:
        pytest.skip("no memory cgroup on this machine (said in the capability report)")
    fill = ("def transform(g):\n    for i in range(3):\n        open('big%d' % i, 'wb').write(b'x' * (15 << 20))\n"
            "    return g\n")
    use = "def transform(g):\n    x = bytearray(95 << 20)\n    x[::4096] = b'y' * len(x[::4096])\n    return g\n"
    runs = box.run_many([(fill, [GRID], 0), (use, [GRID], 0), (fill, [GRID], 1), (use, [GRID], 1)],
                        memory_mb=100, timeout_s=10)
    assert [run.results[0].status for run in runs] == ["ok"] * 4, runs


# Finds, in the memory a program inherited, the buffers its worker reads requests into (through the frames
# it was called from) and counts occurrences of a byte string there and around the heap, without ever
# holding that string whole (the needle is given as numbers and compared one position at a time).
SPY = """import ctypes, mmap, os, sys
import numpy as np
libc = ctypes.CDLL(None, use_errno=True)
def readable(addr, n, fds):
    done = libc.write(fds[1], ctypes.c_void_p(addr), n)
    if done > 0:
        os.read(fds[0], done)
    return done == n
def buffers():
    found, frame = [], sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            values = value.values() if isinstance(value, dict) else [value]
            for v in values:
                if isinstance(v, mmap.mmap):
                    found.append((ctypes.addressof(ctypes.c_char.from_buffer(v)), len(v)))
        frame = frame.f_back
    return found
def count(codes):
    fds = os.pipe()
    page = 1 << 16
    regions = buffers()
    libc.sbrk.restype = ctypes.c_void_p
    for anchor in (libc.sbrk(0), id(object()), id(np)):
        base = anchor - anchor % page
        regions += [(base + k * page, page) for k in range(-256, 16)]
    hits = mapped = 0
    for start, size in regions:
        for addr in range(start, start + size, page):
            if addr <= 0 or not readable(addr, page, fds):
                continue
            mapped += 1
            mem = np.frombuffer(ctypes.string_at(addr, page), dtype=np.uint8)
            at = np.flatnonzero(mem[: page - len(codes)] == codes[0])
            for k, c in enumerate(codes[1:], 1):
                at = at[mem[at + k] == c]
            hits += len(at)
    return hits, len(buffers()), mapped
"""


def test_no_program_maps_the_requests_of_its_batch(box):
    """The whole batch is in the worker's request buffer when it forks the process for the second job; the
    third job's source must not be readable there (nor anywhere the second finds)."""
    secret = "arc-batch-secret-5d0c31"
    codes = [ord(c) for c in secret]
    spy = SPY + ("def transform(g):\n"
                 f"    hits, buffers, mapped = count({codes!r})\n"
                 "    return [[min(hits, 9), min(buffers, 9), int(mapped > 0)]]\n")
    victim = f"# {secret}\n" * 100 + FLIP
    runs = box.run_many([(FLIP, [GRID], 0), (spy, [GRID], 0), (victim, [GRID], 0)], timeout_s=20)
    assert runs[0].results == runs[2].results == (ExecResult("ok", FLIPPED, ""),)
    hits, buffers, mapped = runs[1].results[0].grid[0]
    assert buffers >= 2 and mapped  # it found the worker's request and report buffers, and scanned memory
    assert hits == 0, "a program read another program's request"


def test_a_batch_in_which_programs_fail_answers_every_other_program_right():
    """Crashing, timing out, lying about its result on fd 3, being killed by the memory cgroup: each such
    program gets its own verdict, and every program after it in the same batch runs and answers right."""
    lie = ("import os\ndef transform(g):\n"
           "    os.write(3, b'\\n{\"i\": 1, \"status\": \"ok\", \"h\": 1, \"w\": 1, \"cells\": \"7\"}\\n')\n"
           "    return g\n")
    crash = "import os\ndef transform(g):\n    os._exit(3)\n"
    segv = "import ctypes\ndef transform(g):\n    ctypes.c_int.from_address(0).value = 1\n"
    loop = "def transform(g):\n    while True:\n        pass\n"
    bad = "def transform(g):\n    return [[1, 2], [3]]\n"
    hog = ("def transform(g):\n    for i in range(40):\n        with open('fill%d' % i, 'wb') as f:\n"
           "            for _ in range(15):\n                f.write(b'x' * (1 << 20))\n    return g\n")
    with Sandbox(workers=1, tmpfs_mb=1024) as one:
        jobs = [FLIP, crash, FLIP, segv, FLIP, loop, FLIP, lie, FLIP, bad]
        oom = one.capabilities()["cgroup_memory"]
        if oom:
            jobs += [hog, FLIP, hog, FLIP]
        runs = one.run_many([(src, [GRID, GRID], k) for k, src in enumerate(jobs)], timeout_s=1.0, memory_mb=128)
    statuses = [tuple(r.status for r in run.results) for run in runs]
    for k, src in enumerate(jobs):
        if src is FLIP:
            assert runs[k].results == (ExecResult("ok", FLIPPED, ""),) * 2, (k, runs[k])
    assert statuses[1] == ("error", "error") and "code 3" in runs[1].results[0].message
    assert statuses[3] == ("error", "error") and "SIGSEGV" in runs[3].results[0].message
    assert statuses[5] == ("timeout", "timeout")
    assert runs[7].results == (ExecResult("ok", ((1, 2), (3, 4)), ""), ExecResult("ok", ((7,),), ""))
    assert statuses[9] == ("invalid", "invalid")
    if oom:
        assert statuses[10] == statuses[12] == ("memory", "memory"), runs[10]


def test_a_batchs_answers_reach_the_solver_together(monkeypatch):
    """The worker keeps a batch's answers (in a buffer no program maps) and sends them in one write, so the
    solver is woken once per batch, not once per program (here with no time limit on how long an answer
    may wait, so that the machine's speed does not matter)."""
    import os

    with Sandbox(workers=1) as box:
        box._options["flush_s"] = 1e9
        box.run(FLIP, [GRID])  # the worker is up
        fd = box._all[0].proc.stdout.fileno()
        reads, real_read = [], os.read
        monkeypatch.setattr(os, "read", lambda f, n: reads.append(f) or real_read(f, n))
        sleepy = "import time\nimport numpy as np\ndef transform(g):\n    time.sleep(0.05)\n    return np.flipud(g)\n"
        runs = box.run_many([(sleepy, [GRID], k) for k in range(8)])
        monkeypatch.undo()
    assert [run.results[0] for run in runs] == [ExecResult("ok", FLIPPED, "")] * 8
    assert reads.count(fd) == 1


def test_answers_larger_than_the_outbox_and_skipped_ones_arrive_whole(box):
    """Reports near the largest allowed fill the worker's outbox after two answers: it sends what it holds
    before the next program runs; a batch cut short by a program that could not be confined answers the
    rest as skipped, and they are run again, all in order."""
    big = ("import os\ndef transform(g):\n    os.write(3, b'\\n' + b' ' * 900000 + b'\\n')\n    return g\n")
    small = "def transform(g):\n    return [[len(g)]]\n"
    runs = box.run_many([(big if k % 3 else small, [GRID], k) for k in range(9)])
    assert [run.results[0] for run in runs] == [
        ExecResult("ok", ((2,),), "") if k % 3 == 0 else ExecResult("ok", ((1, 2), (3, 4)), "") for k in range(9)]


def test_the_waiting_process_is_the_oom_killers_first_choice_and_the_worker_is_not(box):
    """The worker sets oom_score_adj of each program's process as it forks it (the process no longer does it
    itself): a memory cgroup's OOM killer must take a program, never the worker."""
    from tests.sandbox_checks import forkers, process_table

    box.run(FLIP, [GRID])
    outer = box._all[0].proc.pid
    table = process_table()
    worker = [pid for pid, (parent, _) in table.items() if parent == outer]
    forker = list(forkers(set(worker), table).values())  # (makes the processes; part of the worker)
    waiting = [pid for pid, (parent, _) in table.items() if parent in worker and pid not in forker]
    assert worker and waiting
    read = lambda pid: int(open(f"/proc/{pid}/oom_score_adj").read())  # noqa: E731
    assert [read(pid) for pid in worker + forker] == [0] * (1 + len(forker))
    assert [read(pid) for pid in waiting] == [1000] * len(waiting)

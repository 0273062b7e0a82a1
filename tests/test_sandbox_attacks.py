"""Attacks that once reached outside the sandbox (issue 13, findings 1-3), and more in the same spirit.

Each attack runs in a Sandbox; afterwards a clean program in the same Sandbox must give the right answer,
nothing outside changed (the victim files and directories here, this process's limits and priority), and
tests/sandbox_checks.py checks that no process outlived its call and nothing is left in the temp directory.
"""

from __future__ import annotations

import os
import resource
import stat

import pytest

import sandbox as sb
from synth.sandbox import ExecResult, Sandbox
from tests.sandbox_checks import nothing_left_behind, private_tempdir  # noqa: F401

pytestmark = pytest.mark.usefixtures("nothing_left_behind")
GRID = [[1, 2], [3, 4]]
FLIPPED = ((3, 4), (1, 2))
FLIP = "import numpy as np\ndef transform(g):\n    return np.flipud(g)\n"
# A "done" frame in the length-prefixed form the worker once trusted, written to the result fd.
FORGE_DONE = ("import os, json, struct\n"
              "def forge():\n"
              "    frame = json.dumps({'done': True, 'recycle': False, 'stdout': '', 'stderr': ''}).encode()\n"
              "    os.write(3, struct.pack('>I', len(frame)) + frame)\n")
PRLIMIT = ("import ctypes, os\n"
           "libc = ctypes.CDLL(None, use_errno=True)\n"
           "class R(ctypes.Structure):\n"
           "    _fields_ = [('cur', ctypes.c_ulong), ('max', ctypes.c_ulong)]\n"
           "def prlimit(pid, which, value):\n"
           "    new = R(value, value)\n"
           "    return libc.prlimit(pid, which, ctypes.byref(new), None), ctypes.get_errno()\n")


def _clean_program_still_right(box: Sandbox) -> None:
    run = box.run(FLIP, [GRID])
    assert run.results == (ExecResult("ok", FLIPPED, ""),)


# ---------------------------------------------------------------- finding 1: other processes' limits


@pytest.mark.parametrize("which", ["RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_AS", "RLIMIT_NOFILE"])
def test_prlimit_on_the_solver_is_refused(box, which):
    """prlimit64(solver pid, ...) used to succeed and kill or break the solver."""
    limit = getattr(resource, which)
    src = PRLIMIT + f"def transform(g):\n    return [[prlimit({os.getpid()}, {limit}, 1)[1] % 10]]\n"
    before = resource.getrlimit(limit)
    run = box.run(src, [GRID])
    assert run.results[0].status == "ok" and run.results[0].grid != ((0,),)  # an errno, not success
    assert resource.getrlimit(limit) == before
    _clean_program_still_right(box)


def test_prlimit_on_any_other_pid_is_refused(box):
    src = PRLIMIT + ("def transform(g):\n"
                     "    ok = [pid for pid in range(2, 4096) if prlimit(pid, 0, 1)[0] == 0]\n"
                     "    return [[len(ok) % 10, min(ok, default=0) % 10]]\n")
    assert box.run(src, [GRID]).results[0] == ExecResult("ok", ((0, 0),), "")
    _clean_program_still_right(box)


def test_no_other_process_is_visible(box):
    """A scan of pids once found ~100 reachable processes, pid 1 included."""
    src = ("import os\ndef transform(g):\n"
           "    seen = []\n"
           "    for pid in range(1, 32768):\n"
           "        try:\n"
           "            os.getsid(pid)\n"
           "            seen.append(pid)\n"
           "        except OSError:\n"
           "            pass\n"
           "    return [[len(seen), seen[0], os.getpid()]]\n")
    assert box.run(src, [GRID], timeout_s=10).results[0] == ExecResult("ok", ((1, 1, 1),), "")


@pytest.mark.parametrize("call", ["os.setpriority(os.PRIO_USER, 0, 19)", "os.setpriority(os.PRIO_PGRP, 0, 19)",
                                  "os.sched_setaffinity(2, {0})", "os.kill(-1, 9)", "os.killpg(1, 9)"])
def test_calls_that_name_other_processes_are_refused(box, call):
    r = box.run(f"import os\ndef transform(g):\n    {call}\n    return g\n", [GRID]).results[0]
    assert r.status == "error" and ("not permitted" in r.message or "No such process" in r.message), r
    _clean_program_still_right(box)


# ---------------------------------------------------------------- finding 2: forged results, cleanup races


def test_a_result_counts_only_once_the_program_is_dead(box):
    """A forged "done" frame once made the worker answer (and clean the scratch) while the program ran on."""
    src = FORGE_DONE + ("import time\n"
                        "def transform(g):\n"
                        "    forge()\n"
                        "    time.sleep(0.5)\n"
                        "    open('late', 'w').write('x')\n"
                        "    return g\n")
    run = box.run(src, [GRID], timeout_s=5)
    assert run.elapsed_s >= 0.5
    assert run.results == (ExecResult("ok", ((1, 2), (3, 4)), ""),)
    empty = "import os\ndef transform(g):\n    return [[len(os.listdir('.'))]]\n"
    assert box.run(empty, [GRID]).results[0].grid == ((0,),)


def test_symlink_swapping_cannot_turn_the_cleanup_outside(box, tmp_path):
    """A program swaps a mode-0500 directory with a symlink to an outside directory in a loop, hoping the
    cleaner chmods or unlinks through it. Here the scratch is a tmpfs of the program's own, discarded whole
    with its mount namespace once the program is dead: no cleaner walks it."""
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o755)
    (victim / "keep.txt").write_text("precious")
    src = FORGE_DONE + ("import ctypes, os\n"
                        "libc = ctypes.CDLL(None, use_errno=True)\n"
                        "def transform(g):\n"  # unreadable directories (chmod is refused now)
                        "    os.mkdir('d', 0o300)\n"
                        "    os.mkdir('d/e', 0o300)\n"
                        "    open('d/e/f', 'w').write('x')\n"
                        f"    os.symlink({str(victim)!r}, 'l')\n"
                        "    forge()\n"
                        "    while True:\n"
                        "        libc.renameat2(-100, b'd', -100, b'l', 2)\n")
    for _ in range(3):
        assert box.run(src, [GRID], timeout_s=0.5).results[0].status == "timeout"
    assert (victim / "keep.txt").read_text() == "precious"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o755
    _clean_program_still_right(box)


# ---------------------------------------------------------------- finding 3: one program corrupting the next


EVIL = {
    "reads-next-request": FORGE_DONE + ("import os, json\n"
                                        "def transform(g):\n"
                                        "    forge()\n"
                                        "    try:\n"
                                        "        os.read(4, 1 << 16)\n"
                                        "        os.write(3, b'{\"i\": 0, \"status\": \"ok\", \"value\": [[7]]}')\n"
                                        "    except OSError:\n"
                                        "        pass\n"
                                        "    return g\n"),
    "setprofile": ("import sys\n"
                   "def hook(frame, event, arg):\n"
                   "    if event == 'return' and frame.f_code.co_name == 'transform':\n"
                   "        arg[...] = 7\n"
                   "sys.setprofile(hook)\n"
                   "def transform(g):\n    return g\n"),
    "json-encoder": ("import json\n"
                     "json.JSONEncoder.encode = lambda self, o: '{\"i\": 0, \"status\": \"ok\", \"value\": [[7]]}'\n"
                     "def transform(g):\n    return g\n"),
    "nofile-and-cpu": ("import resource\n"
                       "def transform(g):\n"
                       "    resource.setrlimit(resource.RLIMIT_NOFILE, (4, 4))\n"
                       "    resource.setrlimit(resource.RLIMIT_CPU, (1, 1))\n"
                       "    return g\n"),
    "dup2-over-fds": ("import os\n"
                      "def transform(g):\n"
                      "    null = os.open('/dev/null', os.O_RDONLY)\n"
                      "    for fd in range(3, 10):\n"
                      "        try:\n"
                      "            os.dup2(null, fd)\n"
                      "        except OSError:\n"
                      "            pass\n"
                      "    return g\n"),
    "patched-numpy-and-common": ("import numpy as np\nimport common\n"
                                 "np.flipud = lambda g: g\ncommon.Color.RED = 7\n"
                                 "def transform(g):\n    return g\n"),
}


@pytest.mark.parametrize("name", sorted(EVIL))
def test_one_program_cannot_change_the_next(box, name):
    box.run(EVIL[name], [GRID], timeout_s=2)
    runs = box.run_many([(FLIP, [GRID], 0), ("from common import *\ndef transform(g):\n    return [[Color.RED]]\n",
                                            [GRID], 0)])
    assert runs[0].results == (ExecResult("ok", FLIPPED, ""),)
    assert runs[1].results == (ExecResult("ok", ((2,),), ""),)


def test_a_tree_it_cannot_read_leaves_the_programs_own_answer_intact(box):
    """A mode-000 directory tree once made the cleanup raise and kill the worker: the program's own correct
    answer came back as "sandbox worker died". (chmod is refused now: write-only directories instead.)"""
    src = ("import os\nimport numpy as np\ndef transform(g):\n"
           "    os.mkdir('a', 0o300)\n    os.mkdir('a/b', 0o300)\n    os.mkdir('a/b/c', 0o300)\n"
           "    open('a/b/c/f', 'w').write('x')\n"
           "    return np.flipud(g)\n")
    assert box.run(src, [GRID]).results == (ExecResult("ok", FLIPPED, ""),)
    _clean_program_still_right(box)


# ---------------------------------------------------------------- more of the same spirit


def test_filling_the_scratch_and_its_inodes(box):
    fill = "def transform(g):\n    open('big', 'wb').write(b'x' * (200 << 20))\n    return g\n"
    inodes = "def transform(g):\n    for i in range(100000):\n        open(str(i), 'w').close()\n    return g\n"
    for src in (fill, inodes):
        r = box.run(src, [GRID], memory_mb=512).results[0]
        assert r.status in ("error", "memory") and ("space" in r.message or "large" in r.message
                                                     or r.status == "memory"), r
    empty = "import os\ndef transform(g):\n    return [[len(os.listdir('.'))]]\n"
    assert box.run(empty, [GRID]).results[0].grid == ((0,),)


def test_only_the_result_fd_is_open(box):
    src = ("import os\ndef transform(g):\n"
           "    fds = []\n"
           "    for fd in range(0, 1024):\n"
           "        try:\n"
           "            os.fstat(fd)\n"
           "            fds.append(fd)\n"
           "        except OSError:\n"
           "            pass\n"
           "    return [fds]\n")
    assert box.run(src, [GRID]).results[0].grid == ((0, 1, 2, 3),)


def test_no_capabilities_left(box):
    src = ("def transform(g):\n"
           "    caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm', 'CapBnd'))]\n"
           "    return [[int(c, 16) % 10 for c in caps]]\n")
    r = box.run(src, [GRID]).results[0]
    assert r.status == "error" or r.grid == ((0, 0, 0),)  # /proc is unreadable under Landlock: fine too
    src = "import os\ndef transform(g):\n    os.chown('.', 1, 1)\n    return g\n"
    assert box.run(src, [GRID]).results[0].status == "error"


def test_killing_the_worker_is_answered_and_the_worker_replaced(box):
    """A program cannot reach its worker, but if the worker dies anyway (here: killed from outside) the
    program runs again on a fresh worker; only when that one dies too is the call an error value. The next
    call gets a fresh worker."""
    import signal
    import threading
    import time

    _clean_program_still_right(box)
    stop = time.monotonic() + 2.5

    def killer():  # every worker of the box, again and again, while the call runs
        while time.monotonic() < stop:
            time.sleep(0.3)
            for worker in list(box._all):
                try:
                    os.killpg(worker.proc.pid, signal.SIGKILL)
                except OSError:
                    pass

    thread = threading.Thread(target=killer)
    thread.start()
    r = box.run("import time\ndef transform(g):\n    time.sleep(1.5)\n    return g\n", [GRID], timeout_s=5)
    thread.join()
    assert r.results[0].status == "error" and "worker" in r.results[0].message
    _clean_program_still_right(box)
    killed = box._all[0]
    threading.Timer(0.3, lambda: os.killpg(killed.proc.pid, signal.SIGKILL)).start()
    r = box.run("import time\ndef transform(g):\n    time.sleep(1)\n    return g\n", [GRID], timeout_s=5)
    assert r.results == (ExecResult("ok", ((1, 2), (3, 4)), ""),)  # killed once: run again, and it answers


# ---------------------------------------------------------------- where a mechanism is missing


@pytest.mark.parametrize("without", [("namespaces",), ("seccomp",), ("namespaces", "seccomp")])
def test_without_a_mechanism_the_rest_still_holds_and_it_is_said(without, tmp_path):
    """Another OS or an old kernel: the sandbox runs with what remains, reports what is missing once,
    and still runs programs right, keeps writes in scratch and empties the scratch after each program."""
    with Sandbox(without=without) as weak:
        caps = weak.capabilities()
        if "namespaces" in without:
            assert not caps["pid_namespace"] and not caps["user_namespace"]
        assert caps["seccomp"] == ("seccomp" not in without)
        assert any("switched off" in note for note in caps["notes"])
        assert caps["landlock_fs_write"]  # Landlock needs no namespace
        assert weak.run(FLIP, [GRID]).results == (ExecResult("ok", FLIPPED, ""),)
        outside = tmp_path / "pwned"
        r = weak.run(f"def transform(g):\n    open({str(outside)!r}, 'w')\n", [GRID]).results[0]
        assert r.status == "error" and not outside.exists()
        tree = ("import os\ndef transform(g):\n    os.mkdir('a', 0o300)\n    os.mkdir('a/b', 0o300)\n"
                "    os.symlink('/', 'a/b/root')\n    return g\n")
        assert weak.run(tree, [GRID]).results[0].status == "ok"
        empty = "import os\ndef transform(g):\n    return [[len(os.listdir('.'))]]\n"
        assert weak.run(empty, [GRID]).results[0].grid == ((0,),)
    missing = "pid_namespace" if "namespaces" in without else "seccomp"
    assert any(missing in key for key in sb._warned)  # said once, loudly (a warning per process and set)


def test_flooding_the_result_pipe_is_an_overflow_not_a_hang(box):
    src = "import os\ndef transform(g):\n    while True:\n        os.write(3, b'x' * 65536)\n"
    r = box.run(src, [GRID], timeout_s=1.0).results[0]
    assert r.status == "error" and "more output" in r.message
    _clean_program_still_right(box)

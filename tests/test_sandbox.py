"""The sandbox: one adversarial test per protection (all through run_program), plus behaviour tests.
The attacks that once reached outside the sandbox are in test_sandbox_attacks.py.

After every test (tests/sandbox_checks.py): no program process outlived its call, no zombie, nothing new in
the system temp directory, this process's limits and priority unchanged.
"""

from __future__ import annotations

import os
import socket

import numpy as np
import pytest

import arc
from synth import sandbox as sb
from synth.sandbox import ExecResult, Sandbox, run_program
from tests.sandbox_checks import nothing_left_behind, private_tempdir, process_table  # noqa: F401

pytestmark = pytest.mark.usefixtures("nothing_left_behind")
GRID = [[1, 2], [3, 4]]
FLIP = "from common import *\nimport numpy as np\ndef transform(g):\n    return np.flipud(g)\n"


def _one(source: str, **kw) -> ExecResult:
    (result,) = run_program(source, [GRID], **kw)
    return result


def _still_works() -> None:
    assert run_program(FLIP, [GRID]) == [ExecResult("ok", ((3, 4), (1, 2)), "")]


# ---------------------------------------------------------------- one test per protection


# capability -> the body of a program that returns [[1]] when it did what that capability forbids
BREACH = {
    "seccomp": "pid = os.fork()\nif pid == 0:\n    os._exit(0)\nreturn [[1]]",
    "landlock_fs_write": "open(os.path.join(TMP, 'arc-breach-%d' % os.getpid()), 'w').close()\nreturn [[1]]",
    "landlock_fs_read": "os.listdir('/etc')\nreturn [[1]]",
    "pid_namespace": "return [[int(os.getpid() != 1)]]",
    "private_proc": "return [[int(os.path.exists('/proc/%d' % TEST_PID))]]",
    "readonly_mounts": "return [[int(not os.statvfs('/').f_flag & os.ST_RDONLY)]]",
    "scratch_tmpfs": "return [[int(os.statvfs('.').f_blocks * os.statvfs('.').f_frsize > (64 << 20))]]",
    "metadata_denied": "os.chmod(TMP, os.stat(TMP).st_mode & 0o7777)\nreturn [[1]]",
    "sysv_ipc_denied": ("import ctypes\nlibc = ctypes.CDLL(None)\nshm = libc.shmget(0, 4096, 0o1600)\n"
                        "libc.shmctl(shm, 0, None)\nreturn [[int(shm >= 0)]]"),
    "memfd_denied": "os.close(os.memfd_create('x'))\nreturn [[1]]",
}


def test_capabilities_are_reported_and_checked_here():
    """Whatever the kernel: every protection the report claims is tried, and holds. On this project's
    machines (Landlock ABI >= 6, as root) every one of them is there."""
    import tempfile

    caps = sb.sandbox_capabilities()
    for key in ("user_namespace", "network_namespace", "pid_namespace", "scratch_tmpfs", "unprivileged_uid",
                "seccomp", "landlock_fs_write", "scrubbed_env", "cgroup_memory", "memory_limit", *BREACH):
        assert key in caps
    tried = 0
    for key, body in BREACH.items():
        src = ("import os\nTMP = %r\nTEST_PID = %d\ndef transform(g):\n" % (tempfile.gettempdir(), os.getpid())
               + "".join("    " + line + "\n" for line in body.splitlines()))
        r = _one(src)
        if caps[key]:
            tried += 1
            assert r.status == "error" or r.grid == ((0,),), (key, r)
    assert _one("def transform(g):\n    x = bytearray(8 * 1024 ** 3)\n    return g\n").status == "memory"
    if caps["landlock_abi"] >= 6:  # this project's Linux machines
        assert tried == len(BREACH)
        assert caps["landlock_signal_scope"] and caps["mount_namespace"] and caps["ipc_namespace"]
    assert caps["memory_limit"].startswith("cgroup") == caps["cgroup_memory"]
    if not caps["cgroup_memory"]:  # said, with the fix
        assert any(note.startswith("memory cgroup") for note in caps["notes"])


def test_endless_loop_times_out():
    r = _one("def transform(g):\n    while True:\n        pass\n", timeout_s=0.5)
    assert r.status == "timeout" and r.grid is None
    _still_works()


def test_timeout_keeps_results_of_inputs_already_done():
    src = "def transform(g):\n    if g[0, 0] == 5:\n        while True:\n            pass\n    return g\n"
    results = run_program(src, [GRID, [[5]], GRID], timeout_s=0.5)
    assert [r.status for r in results] == ["ok", "timeout", "timeout"]


def test_memory_bomb():
    assert _one("def transform(g):\n    x = bytearray(8 * 1024 ** 3)\n    return g\n").status == "memory"
    assert _one("import numpy as np\ndef transform(g):\n    return np.ones((90000, 90000))\n").status == "memory"
    r = _one("def transform(g):\n    junk = []\n    while True:\n        junk.append(b'x' * 10 ** 6)\n",
             memory_mb=128)
    assert r.status == "memory"
    _still_works()


def test_fork_bomb():
    r = _one("import os\ndef transform(g):\n    while True:\n        os.fork()\n")
    assert r.status == "error" and "not permitted" in r.message
    _still_works()


def test_os_system_and_subprocess(tmp_path):
    target = tmp_path / "pwned"
    r1 = _one(f"import os\ndef transform(g):\n    assert os.system('touch {target}') == 0\n    return g\n")
    r2 = _one(f"import subprocess\ndef transform(g):\n    subprocess.run(['touch', '{target}'])\n    return g\n")
    assert r1.status == "error" and r2.status == "error"
    assert not target.exists()


@pytest.mark.parametrize("where", ["tmp", "repo", "scratch-parent"])
def test_no_writes_outside_scratch(tmp_path, where):
    path = {"tmp": tmp_path / "pwned.txt",
            "repo": os.path.abspath("pwned.txt"),
            "scratch-parent": None}[where]
    if path is None:  # beside the worker's scratch mount point, in the sandbox's own temp directory
        src = "import os\ndef transform(g):\n    open(os.path.join(os.path.dirname(os.getcwd()), 'pwned'), 'w')\n"
    else:
        src = f"def transform(g):\n    open({str(path)!r}, 'w').write('x')\n    return g\n"
    r = _one(src)
    assert r.status == "error" and ("denied" in r.message.lower() or "read-only" in r.message.lower())
    if path is not None:
        assert not os.path.exists(path)


def test_writes_inside_scratch_work_and_are_removed():
    src = "def transform(g):\n    open('note.txt', 'w').write('hi')\n    return [[len(open('note.txt').read())]]\n"
    assert _one(src) == ExecResult("ok", ((2,),), "")
    assert _one("import os\ndef transform(g):\n    return [[len(os.listdir('.'))]]\n").grid == ((0,),)


def test_no_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    src = f"import socket\ndef transform(g):\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return g\n"
    try:
        r = _one(src)
        assert r.status == "error"
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()


def test_parent_environment_is_invisible(monkeypatch):
    monkeypatch.setenv("ARC_SANDBOX_TEST_SECRET", "hunter2-secret")
    sb.default_sandbox().close()  # the next call starts a worker after the secret exists
    src = ("import os\ndef transform(g):\n    return [[int('hunter2' in repr(dict(os.environ)))]]\n")
    assert _one(src) == ExecResult("ok", ((0,),), "")
    proc = f"def transform(g):\n    return [[int(b'hunter2' in open('/proc/{os.getpid()}/environ', 'rb').read())]]\n"
    r = _one(proc)
    assert r.status == "error" and r.grid is None


@pytest.mark.parametrize("target", ["TEST_PID", "WORKER_PID", "-1", "2"])
def test_cannot_kill_parent_or_test_process(target):
    _still_works()  # the worker exists
    pid = {"TEST_PID": os.getpid(), "WORKER_PID": min(sb.default_sandbox()._all[0].proc.pid, 1 << 30)}.get(target, target)
    src = f"import os\ndef transform(g):\n    os.kill({pid}, 9)\n    return g\n"
    r = _one(src)
    assert r.status == "error" and "not permitted" in r.message
    _still_works()  # the worker (and this test process) survived


@pytest.mark.parametrize("how", ["os.kill(os.getppid(), signal.SIGKILL)", "os.kill(0, signal.SIGKILL)",
                                 "os.kill(os.getpid(), signal.SIGKILL)", "signal.raise_signal(signal.SIGTERM)"])
def test_program_signalling_its_parent_or_itself(how):
    # As pid 1 of its PID namespace the program has no visible parent (getppid() is 0, which names its
    # own process group), and a signal it sends itself with the default action is ignored.
    assert os.getppid() != 0
    r = _one(f"import os, signal\ndef transform(g):\n    {how}\n    return [[os.getpid(), os.getppid()]]\n")
    assert r == ExecResult("ok", ((1, 0),), "")
    _still_works()


def test_deep_recursion():
    assert _one("def transform(g):\n    def f(n):\n        return f(n + 1)\n    return f(0)\n").status == "error"
    src = "import sys\nsys.setrecursionlimit(10 ** 8)\ndef transform(g):\n    def f(n):\n        return f(n + 1)\n    return f(0)\n"
    assert _one(src, timeout_s=1.0, memory_mb=256).status in ("error", "memory", "timeout")
    _still_works()


def test_enormous_output_is_truncated():
    src = "def transform(g):\n    print('x' * 100_000_000)\n    return g\n"
    assert _one(src) == ExecResult("ok", ((1, 2), (3, 4)), "")
    run = sb.default_sandbox().run(src, [GRID])
    assert run.results[0].status == "ok" and len(run.stdout) < 10_000 and "truncated" in run.stdout


def test_object_claiming_equality_is_invalid():
    src = "class A:\n    def __eq__(self, other):\n        return True\ndef transform(g):\n    return A()\n"
    r = _one(src)
    assert r.status == "invalid" and r.grid is None


def test_ndarray_subclass_cannot_fool_the_parent():
    src = ("import numpy as np\nclass S(np.ndarray):\n    def __eq__(self, o):\n        return True\n"
           "    def tolist(self):\n        return [[7]]\ndef transform(g):\n    return np.asarray(g).view(S)\n")
    assert _one(src) == ExecResult("ok", ((1, 2), (3, 4)), "")


@pytest.mark.parametrize("value", [
    "[[1.0, 2.0]]", "[[1, 12]]", "[[-1]]", "[[True]]", "[1, 2, 3]", "[[[1]]]", "[[1, 2], [3]]", "[]", "[[]]",
    "'0 1'", "None", "[[0] * 31]", "np.zeros((2, 2))", "{0: [1]}", "[[10**30]]",
])
def test_bad_return_values_are_invalid(value):
    r = _one(f"import numpy as np\ndef transform(g):\n    return {value}\n")
    assert r.status == "invalid" and r.grid is None and r.message


# ---------------------------------------------------------------- behaviour


def test_errors_are_values():
    assert _one("def transform(g):\n    return 1 / 0\n").status == "error"
    assert "ZeroDivisionError" in _one("def transform(g):\n    return 1 / 0\n").message
    assert _one("def transform(g) return g\n").status == "error"
    assert _one("x = 1\n").message.startswith("NameError")
    assert _one("import sys\nsys.exit(0)\n").status == "error"


def test_seeds_make_random_programs_deterministic():
    src = ("import random\nimport numpy as np\ndef transform(g):\n"
           "    a = np.random.randint(0, 10, size=(10, 10))\n"
           "    a[0, :] = [random.randint(0, 9) for _ in range(10)]\n    return a\n")
    a, b, c = (_one(src, seed=s).grid for s in (0, 0, 1))
    assert a is not None and a == b and a != c
    with Sandbox(workers=2) as other:  # a different worker process gives the same answer
        runs = other.run_many([(src, [GRID], 0), (src, [GRID], 1)])
    assert runs[0].results[0].grid == a and runs[1].results[0].grid == c


def test_set_order_is_the_same_in_every_worker():
    src = "def transform(g):\n    return [[len(s) % 10 for s in {'ab', 'cde', 'f', 'ghij', 'kl'}]]\n"
    first = _one(src).grid
    with Sandbox() as other:
        assert other.run(src, [GRID]).results[0].grid == first


def test_correct_program_on_a_real_task():
    task = arc.load_dataset("arc1-train")["68b16354"]  # the output is the input upside down
    examples = list(task.train) + list(task.test)
    results = run_program(FLIP, [ex.input for ex in examples])
    assert [r.status for r in results] == ["ok"] * len(examples)
    assert [r.grid for r in results] == [ex.output for ex in examples]


def test_inputs_as_numpy_list_or_tuple():
    expected = [ExecResult("ok", ((3, 4), (1, 2)), "")]
    assert run_program(FLIP, [np.array(GRID)]) == expected
    assert run_program(FLIP, [GRID]) == expected
    assert run_program(FLIP, [((1, 2), (3, 4))]) == expected


def test_program_changing_shared_modules_does_not_affect_the_next():
    evil = "import numpy as np\nnp.flipud = lambda g: g\nimport common\ncommon.Color.RED = 7\ndef transform(g):\n    return g\n"
    assert _one(evil).status == "ok"
    _still_works()
    assert _one("from common import *\ndef transform(g):\n    return [[Color.RED]]\n").grid == ((2,),)


def test_pool_close_leaves_nothing():
    with Sandbox(workers=2) as box:
        runs = box.run_many([(FLIP, [GRID], k) for k in range(6)])
        root = box._root
        pids = [w.proc.pid for w in box._all]
        assert len(pids) == 2
    assert all(r.results[0].grid == ((3, 4), (1, 2)) for r in runs)
    assert not root.exists()
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or process_table().get(pid, (0, ""))[0] != os.getpid()


def test_each_program_gets_a_fresh_process_and_an_empty_scratch():
    src = ("import os\ndef transform(g):\n    n = len(os.listdir('.'))\n    open('mark', 'w').write('x')\n"
           "    import numpy\n    numpy.MARK = getattr(numpy, 'MARK', 0) + 1\n    return [[n, numpy.MARK]]\n")
    with Sandbox() as box:
        grids = [r.results[0].grid for r in box.run_many([(src, [GRID], 0)] * 3)]
    assert grids == [((0, 1),)] * 3


def test_a_killed_solvers_temp_directory_is_removed_by_the_next_sandbox(tmp_path):
    """A sandbox root is alive while its owner holds the lock on it (whatever PID namespace the owner is
    in); one nobody holds is a killed solver's, removed by the next sandbox."""
    import fcntl
    import tempfile

    stale = os.path.join(tempfile.gettempdir(), "arc-sandbox-99999999-abcd1234")
    other = os.path.join(tempfile.gettempdir(), "arc-sandbox-tests-of-someone-else")  # not a sandbox's name
    os.makedirs(other)
    os.makedirs(os.path.join(stale, "w1", "p"))
    open(os.path.join(stale, "w1.log"), "w").close()
    alive = os.path.join(tempfile.gettempdir(), f"arc-sandbox-{os.getpid()}-keepme12")
    os.makedirs(alive)
    held = os.open(alive, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as its owner would
    try:
        with Sandbox() as box:
            assert box.run(FLIP, [GRID]).results[0].grid == ((3, 4), (1, 2))
        assert not os.path.exists(stale) and os.path.isdir(alive) and os.path.isdir(other)
    finally:
        os.close(held)
        os.rmdir(alive)
        os.rmdir(other)

"""Round two of attacks on the sandbox (issue 28): nothing shared between programs or with the host.

One test per class of the issue, each our own attack. After every attack a clean program in the same
Sandbox gives the right answer, and tests/sandbox_checks.py checks that no process outlived its call, no
zombie is left and nothing new is in the temp directory; the tests that touch SysV IPC also check that no
segment, queue or semaphore set is left behind.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from synth.sandbox import ExecResult, Sandbox
from tests.sandbox_checks import nothing_left_behind, private_tempdir, sysv_objects  # noqa: F401

pytestmark = pytest.mark.usefixtures("nothing_left_behind")
GRID = [[1, 2], [3, 4]]
FLIPPED = ((3, 4), (1, 2))
FLIP = "import numpy as np\ndef transform(g):\n    return np.flipud(g)\n"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"


def _clean_program_still_right(box) -> None:
    assert box.run(FLIP, [GRID]).results == (ExecResult("ok", FLIPPED, ""),)


def _count(box, body: str, **kw) -> ExecResult:
    """Run a program whose transform counts the attack steps that succeeded (``ok.append(...)``)."""
    src = LIBC + "def transform(g):\n    ok = []\n" + textwrap.indent(textwrap.dedent(body), "    ") + \
        "    return [[len(ok)]]\n"
    return box.run(src, [GRID], **kw).results[0]



# ---------------------------------------------------------------- 1: metadata outside the scratch


def test_1_metadata_of_files_outside_the_scratch_cannot_change(box, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("x")
    victim.chmod(0o755)
    os.utime(victim, (1_000_000, 1_000_000))
    before = victim.stat()
    r = _count(box, f"""
        for call in (lambda: os.chmod({str(victim)!r}, 0o6777), lambda: os.chmod({str(victim)!r}, 0),
                     lambda: os.utime({str(victim)!r}, (0, 0)), lambda: os.utime({str(victim)!r}),
                     lambda: os.setxattr({str(victim)!r}, 'user.arc', b'1'),
                     lambda: os.chown({str(victim)!r}, os.getuid(), os.getgid()),
                     lambda: os.chmod('/dev/null', 0o666), lambda: os.chmod({str(tmp_path)!r}, 0o777)):
            try:
                call()
                ok.append(1)
            except OSError:
                pass
        for path, mode in (({str(victim)!r}, 0o4755), ('/dev/null', 0o666)):  # (the host's /dev/null: its own mode)
            try:
                os.fchmod(os.open(path, os.O_RDONLY), mode)
                ok.append(1)
            except OSError:
                pass
    """)
    assert r == ExecResult("ok", ((0,),), "")
    after = victim.stat()
    assert (stat.S_IMODE(after.st_mode), after.st_mtime, after.st_uid) == (0o755, 1_000_000, before.st_uid)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == stat.S_IMODE(os.stat(tmp_path).st_mode)
    assert stat.S_IMODE(os.stat("/dev/null").st_mode) == 0o666
    _clean_program_still_right(box)


# ---------------------------------------------------------------- 2: SysV IPC shared with the host


def test_2_no_sysv_ipc_with_the_host_or_the_next_program(box):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    key = 0x41524332  # a segment of the host's, which the program must not see
    host = libc.shmget(key, 4096, 0o1600)
    assert host >= 0
    before = sysv_objects()
    try:
        r = _count(box, f"""
            if libc.shmget(0, 256 << 20, 0o1600) >= 0:  # IPC_PRIVATE, beyond its memory limit
                ok.append(1)
            if libc.shmget({key}, 0, 0) >= 0:
                ok.append(1)
            if libc.msgget(0x41524333, 0o1600) >= 0:
                ok.append(1)
            if libc.semget(0x41524334, 1, 0o1600) >= 0:
                ok.append(1)
        """, memory_mb=64)
        left = sysv_objects() - before
        assert r == ExecResult("ok", ((0,),), "")
        assert left == set()  # nothing outlives the program
    finally:
        libc.shmctl(host, 0, None)
        for obj in sysv_objects() - before:  # (what a sandbox that let them through leaves on the host)
            kind, ident = obj.split(":")
            {"shm": libc.shmctl, "msg": libc.msgctl}.get(kind, lambda i, c, a: libc.semctl(i, 0, c))(int(ident), 0, None)
    _clean_program_still_right(box)


# ---------------------------------------------------------------- 3: state carried to the next program


def test_3_every_program_gets_a_fresh_scratch(box):
    probe = ("import os\ndef transform(g):\n    open('f', 'w').close()\n    s = os.stat('.')\n"
             "    digits = lambda n: [int(d) for d in '%012d' % n]\n"
             "    return [digits(os.stat('f').st_ino), digits(s.st_mode), digits(s.st_nlink)]\n")
    first = box.run(probe, [GRID]).results[0]
    assert first.status == "ok"
    evil = _count(box, """
        for i in range(200):  # move the inode counter on
            open('x%d' % i, 'w').close()
        os.mkdir('kept')
        for call in (lambda: os.chmod('.', 0o500), lambda: os.setxattr('.', 'user.mark', b'1'),
                     lambda: os.utime('.', (0, 0))):
            try:
                call()
                ok.append(1)
            except OSError:
                pass
    """)
    assert evil.status == "ok"
    assert box.run(probe, [GRID]).results[0] == first  # same inode number, mode and links: a new tmpfs
    _clean_program_still_right(box)


# ---------------------------------------------------------------- 4: heap residue


# Scans the memory a program inherited for a byte string without ever holding that string whole: the
# needle's bytes are compared one position at a time (numpy), so the scan cannot find itself.
SCAN = LIBC + """import numpy as np
def _readable(addr, n, fds):
    done = libc.write(fds[1], ctypes.c_void_p(addr), n)
    if done > 0:
        os.read(fds[0], done)
    return done == n
def found(codes):
    fds = os.pipe()
    page = 1 << 16
    starts = set()
    libc.sbrk.restype = ctypes.c_void_p
    for anchor, below, above in ((libc.sbrk(0), 1024, 16), (id(object()), 256, 256), (id(np), 128, 128)):
        base = anchor - anchor % page
        for k in range(-below, above):
            starts.add(base + k * page)
    hits = 0
    for addr in sorted(starts):
        if addr <= 0 or not _readable(addr, page, fds):
            continue
        mem = np.frombuffer(ctypes.string_at(addr, page), dtype=np.uint8)
        at = np.flatnonzero(mem[: page - len(codes)] == codes[0])
        for k, c in enumerate(codes[1:], 1):
            at = at[mem[at + k] == c]
        hits += len(at)
    return hits
"""


def test_4_no_program_finds_another_programs_data_in_its_memory(box):
    secret = [ord(c) for c in "arc-residue-7f3a9c51e2"]
    text = "".join(chr(c) for c in secret)
    victim = (f"# {text}\n" * 200 + f"import sys\ndef transform(g):\n    print({text!r} * 50)\n    return g\n")
    assert box.run(victim, [GRID]).results[0].status == "ok"
    spy = SCAN + f"def transform(g):\n    return [[min(found({secret!r}), 9)]]\n"
    assert box.run(spy, [GRID], timeout_s=20).results[0] == ExecResult("ok", ((0,),), "")
    _clean_program_still_right(box)


# ---------------------------------------------------------------- 5: memory beyond the limit


def test_5_memory_the_address_space_limit_does_not_see_is_refused(box):
    r = _count(box, """
        try:
            fd = os.memfd_create('big')
            os.ftruncate(fd, 512 << 20)
            for _ in range(512):
                os.write(fd, b'x' * (1 << 20))
            ok.append(1)
        except OSError:
            pass
        class IOV(ctypes.Structure):
            _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
        buf = ctypes.create_string_buffer(1 << 16)
        r, w = os.pipe()
        iov = IOV(ctypes.addressof(buf), 1 << 16)
        if libc.vmsplice(w, ctypes.byref(iov), 1, 0) > 0:
            ok.append(1)
    """, memory_mb=64, timeout_s=10)
    assert r.status in ("ok", "memory") and r.grid in (((0,),), None), r
    caps = box.capabilities()
    assert caps["memfd_denied"] and "memory_limit" in caps
    _clean_program_still_right(box)


def test_5_the_memory_cgroup_limits_what_a_program_holds(box):
    """Where a memory cgroup is active, memory the address-space limit misses (here: the scratch tmpfs,
    raised to 2 GiB) is still bounded by the program's allowance."""
    if not box.capabilities()["cgroup_memory"]:
        pytest.skip("no memory cgroup on this machine (said in the capability report)")
    with Sandbox(tmpfs_mb=2048) as big:
        src = ("def transform(g):\n    for i in range(100):\n        with open('fill%d' % i, 'wb') as f:\n"
               "            for _ in range(15):\n                f.write(b'x' * (1 << 20))\n    return g\n")
        r = big.run(src, [GRID], memory_mb=64, timeout_s=20).results[0]
        assert r.status == "memory", r
        _clean_program_still_right(big)


# ---------------------------------------------------------------- 6: a second solver in another PID namespace


SECOND_SOLVER = """
import sys
sys.path.insert(0, {repo!r})
from synth.sandbox import Sandbox
with Sandbox() as box:
    print(box.run("def transform(g):\\n    return g\\n", [[[5]]]).results[0].grid)
"""


def _unshare_pid(script: str, env: dict) -> subprocess.CompletedProcess:
    cmd = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    if done.returncode and "unshare" in done.stderr and "Operation not permitted" in done.stderr:
        pytest.skip("cannot make a PID namespace here: " + done.stderr.strip())
    return done


def test_6_a_solver_in_another_pid_namespace_leaves_a_live_sandbox_alone(box):
    _clean_program_still_right(box)
    root = box._root
    env = dict(os.environ, TMPDIR=tempfile.gettempdir(), PYTHONPATH=REPO)
    done = _unshare_pid(SECOND_SOLVER.format(repo=REPO), env)
    assert done.returncode == 0 and "((5,),)" in done.stdout, done.stderr[-2000:]
    assert root.is_dir()
    _clean_program_still_right(box)


def test_6_a_sandbox_whose_root_disappears_rebuilds_it():
    import shutil

    with Sandbox(workers=2) as box:
        box.run_many([(FLIP, [GRID], k) for k in range(4)])  # two workers, both under the root
        old = box._root
        shutil.rmtree(old)  # what a careless neighbour does
        runs = box.run_many([(FLIP, [GRID], k) for k in range(6)])
        assert all(run.results == (ExecResult("ok", FLIPPED, ""),) for run in runs)
        assert box._root != old and box._root.is_dir()


# ---------------------------------------------------------------- 7: lock-out


def test_7_no_program_locks_the_sandbox_out_of_its_own_root(box):
    root = box._root
    mode = stat.S_IMODE(root.stat().st_mode)
    r = _count(box, """
        here = os.getcwd()
        for path in (os.path.dirname(here), os.path.dirname(os.path.dirname(here))):
            try:
                os.chmod(path, 0)
                ok.append(1)
            except OSError:
                pass
    """)
    assert r == ExecResult("ok", ((0,),), "")
    assert stat.S_IMODE(root.stat().st_mode) == mode
    os.killpg(box._all[0].proc.pid, signal.SIGKILL)  # a forced restart
    _clean_program_still_right(box)


# ---------------------------------------------------------------- 8: forced restarts and zombies


DEEP = ("import os\ndef transform(g):\n    for i in range(300):\n        os.mkdir('d')\n        os.chdir('d')\n"
        "    return g\n")


@pytest.mark.parametrize("without", [(), ("namespaces",)])
def test_8_a_deep_tree_does_not_force_a_restart(without):
    with Sandbox(without=without) as box:
        _clean_program_still_right(box)
        pid = box._all[0].proc.pid
        assert box.run(DEEP, [GRID], timeout_s=10).results[0].status == "ok"
        _clean_program_still_right(box)
        assert [w.proc.pid for w in box._all] == [pid]
        empty = "import os\ndef transform(g):\n    return [[len(os.listdir('.'))]]\n"
        assert box.run(empty, [GRID]).results[0].grid == ((0,),)


PID_ONE_SOLVER = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from synth.sandbox import Sandbox
assert os.getpid() == 1
SAME = "def transform(g):\\n    return g\\n"
with Sandbox() as box:
    for _ in range(3):  # three forced restarts
        for _ in range(2):
            if box.run(SAME, [[[5]]]).results[0].grid == ((5,),):
                break
        os.killpg(box._all[0].proc.pid, signal.SIGKILL)
    grids = [box.run(SAME, [[[5]]]).results[0].grid for _ in range(2)]
    assert grids[-1] == ((5,),), grids
zombies = []
for name in os.listdir("/proc"):
    if name.isdigit():
        stat = open("/proc/%s/stat" % name).read()
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z":
            zombies.append(name)
print("zombies", len(zombies))
"""


def test_8_a_solver_that_is_pid_1_collects_no_zombies():
    env = dict(os.environ, TMPDIR=tempfile.gettempdir(), PYTHONPATH=REPO)
    done = _unshare_pid(PID_ONE_SOLVER.format(repo=REPO), env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "zombies 0" in done.stdout, done.stdout


# ---------------------------------------------------------------- 9: host observation


def test_9_no_other_process_is_visible_in_proc_and_no_watches(box, tmp_path):
    r = _count(box, f"""
        for pid in ({os.getpid()}, {os.getppid()}):
            if os.path.exists('/proc/%d' % pid):
                ok.append(pid)
        for init in (lambda: libc.inotify_init(), lambda: libc.inotify_init1(0), lambda: libc.fanotify_init(0, 0)):
            fd = init()
            if fd >= 0:
                ok.append(fd)
                if libc.inotify_add_watch(fd, {str(tmp_path).encode()!r}, 0xfff) >= 0:
                    ok.append(fd)
    """)
    assert r == ExecResult("ok", ((0,),), "")
    _clean_program_still_right(box)


# ---------------------------------------------------------------- 10: terminal injection


def test_10_an_exception_whose_text_raises_is_the_programs_error(box):
    src = ("class Evil(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n"
           "def transform(g):\n    raise Evil()\n")
    r = box.run(src, [GRID]).results[0]
    assert r.status == "error" and "Evil" in r.message and "confine" not in r.message
    _clean_program_still_right(box)


EVIL_TEXT = ("\x1b[2K\x1b[1A\r[bold green]PASSES every demonstration[/bold green] "
             "\x1b]52;c;ZWNobyBwd25lZA==\x07\u202eevil")


def test_10_program_text_reaches_no_terminal_unescaped(tmp_path):
    from click.testing import CliRunner

    import arc
    from arc.text import printable
    from cli import main
    from synth.store import program_lines, programs_path
    from synth.verify import verify_programs

    assert printable(EVIL_TEXT + "\n\tok") == ("\\x1b[2K\\x1b[1A\\x0d[bold green]PASSES every demonstration[/bold green] "
                                               "\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\u202eevil\n\tok")
    task = arc.load_dataset("arc1-train")["68b16354"]
    source = f"def transform(g):\n    raise ValueError({EVIL_TEXT!r})\n"
    verification = verify_programs(task, [source])
    assert "\x1b" in verification.programs[0].message  # stored as the program wrote it
    programs_path(tmp_path, task.id).parent.mkdir()
    programs_path(tmp_path, task.id).write_bytes(program_lines(verification.programs))  # as a run stores them
    shown = CliRunner().invoke(main, ["programs", task.id, "--run", str(tmp_path), "--color"])
    assert shown.exit_code == 0, shown.output
    for raw in ("\x1b[2K", "\x1b[1A", "\x1b]52", "\x07", "\u202e", "\r"):
        assert raw not in shown.output
    assert "[bold green]PASSES" in shown.output  # shown as text, not taken as markup


def test_10_program_text_reaches_the_html_report_escaped(tmp_path):
    from click.testing import CliRunner

    import arc
    from cli import main
    from ensemble.report import render_html
    from ensemble.run import RunDir
    from synth.store import program_lines, programs_path
    from synth.verify import verify_programs

    out = tmp_path / "run"
    args = ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", "68b16354",
            "--search-budget", "2000000", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    task = arc.load_dataset("arc1-train")["68b16354"]
    trojan = "# \u202e\u2066 reads backwards to a reviewer \x1b]52;c;eA==\x07\n" + FLIP  # a passing program
    verification = verify_programs(task, [trojan])
    assert verification.programs[0].train_consistent
    stored = programs_path(out, task.id)
    stored.write_bytes(stored.read_bytes() + program_lines(verification.programs))  # beside the search's programs
    page = render_html(RunDir(out), {task.id: task})
    assert "reads backwards" in page
    for raw in ("\u202e", "\u2066", "\x1b", "\x07"):
        assert raw not in page

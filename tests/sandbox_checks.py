"""What every sandbox test checks afterwards: no program process outlived its call, no zombie, nothing new
in the system temp directory, no new mount and no new SysV IPC object on the host, this process's limits
and priority untouched. Used by test_sandbox*.py."""

from __future__ import annotations

import os
import resource
import tempfile
import time

import pytest

import sandbox as sb

_LIMITS = (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE,
           resource.RLIMIT_NPROC, resource.RLIMIT_CORE)


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state) for every process on the machine, read from /proc (no psutil)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(name)] = (int(fields[1]), fields[0])
    return out


def descendants(root: int, table: dict | None = None) -> dict[int, int]:
    """pid -> depth below ``root``."""
    table = table if table is not None else process_table()
    found, frontier = {}, [(root, 0)]
    while frontier:
        parent, depth = frontier.pop()
        for pid, (ppid, _) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = depth + 1
                frontier.append((pid, depth + 1))
    return found


def worker_pids() -> set[int]:
    """Sandbox workers started by this process (the default sandbox's and any a test holds open)."""
    found = set()
    for pid, (ppid, _) in process_table().items():
        if ppid == os.getpid():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"_zygote.py" in f.read():
                        found.add(pid)
            except OSError:
                pass
    return found


def forkers(propers: set[int], table: dict | None = None) -> dict[int, int]:
    """worker proper -> its forker: the one child of a worker proper in the proper's own PID namespace (each
    program's process is in a PID namespace of its own; sandbox/_zygote.py, _start_forker)."""
    table = table if table is not None else process_table()
    found = {}
    for pid, (ppid, _) in table.items():
        if ppid in propers:
            try:
                if os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{ppid}/ns/pid"):
                    found[ppid] = pid
            except OSError:
                pass
    return found


def waits_for_a_request(pid: int) -> bool:
    """Whether the process is asleep reading a pipe (a worker's next program's process, never handed a
    request: it reads one to its end before anything else)."""
    for _ in range(50):  # (it may still be confining itself)
        try:
            with open(f"/proc/{pid}/wchan") as f:
                if "pipe" in f.read():
                    return True
        except OSError:
            return False
        time.sleep(0.02)
    return False


def host_mounts() -> set[str]:
    with open("/proc/self/mountinfo") as f:
        return {" ".join(line.split()[3:5]) for line in f}  # (root, mount point)


def sysv_objects() -> set[str]:
    found = set()
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                found |= {f"{kind}:{line.split()[1]}" for line in f.readlines()[1:] if line.strip()}
        except OSError:
            pass
    return found


def temp_entries() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if not n.startswith("pytest-")}


@pytest.fixture(scope="session")
def private_tempdir():
    """The sandbox tests' own system temp directory, so other processes on the machine (another test run,
    a build) cannot make "nothing new in the temp directory" fail."""
    import shutil

    path = tempfile.mkdtemp(prefix="arc-sbx-tests-")
    saved, tempfile.tempdir = tempfile.tempdir, path
    yield path
    tempfile.tempdir = saved
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def nothing_left_behind(private_tempdir):
    """A worker is a process of ours (depth 1) with one child, the worker proper, pid 1 of its PID
    namespace (depth 2), whose child is its forker (depth 3). A program's process (depth 3, the worker
    proper's child too) must never outlive its call; the one process each worker proper keeps for its next
    program waits for its request on a pipe, never handed one yet."""
    before = set(descendants(os.getpid()))
    temp_before = temp_entries()
    limits = {r: resource.getrlimit(r) for r in _LIMITS}
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    mounts, ipc = host_mounts(), sysv_objects()
    yield
    assert host_mounts() == mounts, "a mount was left on the host"
    assert sysv_objects() <= ipc, f"SysV IPC objects left on the host: {sorted(sysv_objects() - ipc)}"
    table = process_table()
    after = descendants(os.getpid(), table)
    workers = worker_pids()
    propers = {pid for pid, depth in after.items() if depth == 2 and table[pid][0] in workers}
    kept = set(forkers(propers, table).values())
    waiting: set[int] = set()
    for pid, depth in after.items():
        assert table[pid][1] != "Z", f"zombie process {pid}"
        if pid in before or pid in workers or pid in propers or pid in kept:
            continue
        parent = table[pid][0]
        assert depth == 3 and parent in propers and parent not in waiting and waits_for_a_request(pid), \
            f"process {pid} left behind (parent {parent})"
        waiting.add(parent)
    assert {r: resource.getrlimit(r) for r in _LIMITS} == limits, "a program changed this process's limits"
    assert os.getpriority(os.PRIO_PROCESS, 0) == nice, "a program changed this process's priority"
    own = {box._root.name for box in sb._defaults.values() if not box._closed}
    left = temp_entries() - temp_before - own
    assert left == set(), f"left in the system temp directory: {sorted(left)}"

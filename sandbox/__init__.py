"""Run untrusted ``transform`` programs in confined processes and validate what they return.

A security boundary of its own: it imports only ``arc``, and is told by name which modules programs may
import (``Sandbox(preload=(("common", "dsl.common"),))``, as ``synth.sandbox`` does).

How. A pool of worker processes (sandbox/_zygote.py), each started with a scrubbed environment in fresh
user, network, mount, IPC and PID namespaces (as root, this process maps the worker's uid to the
unprivileged ``nobody`` when the interpreter is readable by it; otherwise it keeps the caller's uid), with
every mount it inherited made read-only and nosuid, a /proc of its own PID namespace, a memory cgroup of
its own where one can be made (sandbox/_cgroup.py), numpy and the preloaded modules imported. For every
program the worker forks a fresh process (sandbox/_runner.py) into a new PID namespace, where it is pid 1
and sees no other process. Its scratch directory (its working directory) is a size- and inode-limited
tmpfs mounted for it alone, unmounted once it is dead and a new one mounted for the next program, so
nothing (files, modes, inode numbers) passes from one program to the next. The worker never parses a
request: it reads it into a buffer that it zeroes as soon as the program's process exists, and the
program's report into another that it zeroes once sent, so a program finds no earlier program's source,
inputs or outputs in the memory it inherits. Before running anything the process sets rlimits (address
space = what is mapped + ``memory_mb``, file size, open files, no core dumps), asks to be the OOM killer's
first choice, drops every capability, sets no_new_privs, enters a Landlock domain (writes only in the
scratch; reads only in the Python standard library, system library directories and the imported
packages; no TCP; no signals to or abstract sockets of processes outside the domain) and installs a
seccomp filter. Output goes to bounded in-memory buffers (first 4096 characters kept); fds 0-2 are
/dev/null. The memory cgroup's limit is set per program to the worker's own use + ``memory_mb`` + 32 MiB,
so scratch files and kernel memory a program makes the kernel hold count against its allowance too; a
program it kills is reported as status "memory".

The seccomp filter is a deny-list, chosen over an allow-list deliberately: a program is arbitrary Python
and numpy, whose syscalls change with the Python, numpy and libc versions, and a call missing from an
allow-list would turn correct programs into failures on some machines, silently lowering solve rates.
The filter instead refuses the families a grid transform never needs and an attacker does: new processes
and programs (fork, clone, exec), sockets, ptrace and process_vm_*, mount and namespace calls, bpf,
io_uring, keyrings, userfaultfd, file handles, chmod/chown/utime/xattr in all their forms, mknod, quotas,
SysV and POSIX message-queue IPC, memfd_create, memfd_secret, vmsplice, inotify and fanotify, kcmp,
pidfd_*, setpriority and ioprio_set; kill, tgkill, prlimit64, sched_set* and the like only on itself.
The stacked namespaces, read-only mounts and Landlock stand behind it for what it does not list.

A result counts only once its process is dead: the worker reads what the program writes (bounded), kills
it at the wall-clock limit, reaps it, and only then hands the bytes over. Programs send plain JSON; this
process parses it and validates every grid with ``arc.grid.as_grid`` (never unpickles anything a program
made). Every process the sandbox starts is reaped, the worker proper too if it is ever handed to this
process (a solver that is pid 1 of a container).

Two solvers may share one temp directory, whatever their PID namespaces: a sandbox's root directory is
locked (flock) by its owner for its lifetime, and only roots nobody holds are removed as stale. A sandbox
whose root disappears makes a new one; a worker that dies, cannot start, or cannot confine a program is
replaced and the program run once more; only a second failure is the program's error (or, when no worker
can start at all, SandboxError).

Each mechanism is probed once per worker by a self-test program that tries what it forbids; a missing one
is logged as a warning once and reported by :func:`sandbox_capabilities` (with the memory limit in force,
``memory_limit``); the rest still apply.

What needs what:
- running as root: the unprivileged ``nobody`` uid (and only when the interpreter and packages are
  readable by it; under a 0700 home directory the worker keeps the solver's uid, so files the solver owns
  are protected only by Landlock, the read-only mounts and seccomp) and, usually, the memory cgroup;
- cgroups: a writable cgroup v1 memory hierarchy, or cgroup v2 with the memory controller enabled in the
  solver's cgroup's (or its parent's) subtree_control; without one only the address-space limit applies,
  which does not see tmpfs pages or kernel memory a program makes the kernel hold;
- Landlock: ABI >= 1 (Linux 5.13) for the filesystem rules, >= 3 to refuse truncating files outside, >= 4
  for TCP, >= 6 (Linux 6.12) for signal and abstract-socket scoping;
- mount_setattr (Linux 5.12) for read-only inherited mounts; user namespaces for every namespace, the
  tmpfs scratch, the private /proc (which also needs a /proc not partly hidden, as some containers have).

What this does NOT protect against:
- kernel exploits through the syscalls it allows (the filter is a deny-list, see above);
- side channels (timing, cache, host information such as ``os.uname``, the CPU count, the kernel's
  global counters); the worker's own process is visible in the program's /proc (as pid 1);
- CPU and memory-bandwidth contention with the rest of the machine; without a memory cgroup, memory the
  address-space limit does not see (the tmpfs scratch counts against machine memory, 64 MiB default);
- reading files beneath the allowed read paths (the standard library, /usr/lib, /lib, numpy, arc and the
  preloaded packages), e.g. a world-readable file someone put under /usr/lib;
- a program lying about its own result (it can print or return anything; only its grids are used), and
  text it puts in messages and output: callers must show it through ``arc.text.printable``;
- signals a program sends itself with their default action are ignored (it is pid 1 of its namespace);
  the wall-clock limit is enforced by the worker (and a CPU limit where seccomp is missing);
- anything at all where a mechanism is reported missing: without Landlock a program can write wherever
  the worker's uid can (outside read-only mounts), without seccomp it can start processes and change
  metadata of the files its uid owns, and without a PID namespace it can address other processes of the
  same uid. seccomp is only implemented for x86_64. Without a mount namespace the scratch is a directory
  emptied after each program (by directory fds that never follow links), not a fresh filesystem.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import queue
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from arc.errors import GridError
from arc.grid import Grid, as_grid
from arc.text import printable
from sandbox import _cgroup

log = logging.getLogger(__name__)

STATUSES = ("ok", "error", "timeout", "memory", "invalid")
_ZYGOTE = Path(__file__).with_name("_zygote.py")
_MAX_REQUEST = 32 << 20  # the zygote's request buffer (sandbox/_zygote.py MAX_REQUEST_BYTES)
_ENV = {  # the whole environment of a worker: nothing of the caller's leaks in
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # same set/dict-of-str order in every worker, so seeds fully determine output
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONNOUSERSITE": "1",
    "OPENBLAS_NUM_THREADS": "1",  # no BLAS threads: the worker must stay single-threaded to fork safely
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_PROTECTIONS = ("user_namespace", "network_namespace", "mount_namespace", "ipc_namespace", "pid_namespace",
                "private_proc", "readonly_mounts", "scratch_tmpfs", "unprivileged_uid", "capabilities_dropped",
                "landlock_fs_write", "landlock_fs_read", "landlock_net", "landlock_signal_scope", "seccomp",
                "metadata_denied", "sysv_ipc_denied", "memfd_denied", "cgroup_memory")
NOBODY = 65534  # the uid and gid a worker runs as, seen from outside, when the solver runs as root
_warned: set[str] = set()
_MAX_MESSAGE = 2000


class SandboxError(RuntimeError):
    """The sandbox itself could not run (a worker would not start); never raised for a program's failure."""


@dataclass(frozen=True)
class ExecResult:
    """The outcome of a program on one input: status in STATUSES, the validated grid when ok, a message."""

    status: str
    grid: Grid | None = None
    message: str = ""


@dataclass(frozen=True)
class ProgramRun:
    """One program on all inputs of a call: per-input results and the (truncated) captured output."""

    results: tuple[ExecResult, ...]
    stdout: str = ""
    stderr: str = ""
    elapsed_s: float = 0.0


class _Worker:
    """One zygote process and its pipes; used by one thread at a time."""

    def __init__(self, root: Path, serial: int, options: dict, unprivileged: bool, cgroup_base: tuple | None):
        self.scratch = root / f"w{serial}"  # only a mount point: each program gets its own tmpfs here
        self.proc = None
        self.inner_pidfd: int | None = None
        self.cgroup: _cgroup.MemoryCgroup | None = None
        self._log = None
        try:
            self.scratch.mkdir(mode=0o755)
            self._log_path = root / f"w{serial}.log"
            self._log = open(self._log_path, "wb")
            if cgroup_base is not None:
                try:
                    self.cgroup = _cgroup.MemoryCgroup(cgroup_base[0] / f"{root.name}-w{serial}", cgroup_base[1])
                except OSError as exc:
                    log.debug("no memory cgroup for a sandbox worker: %s", exc)
            self.proc = subprocess.Popen(
                [sys.executable, "-s", str(_ZYGOTE), str(self.scratch), json.dumps(options)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                env=_ENV, cwd=root, close_fds=True, start_new_session=True,
            )
            msg = self._start(unprivileged)
        except OSError as exc:
            self.kill()
            raise SandboxError(f"sandbox worker could not start: {exc}") from exc
        if "fatal" in msg:
            self.kill()
            raise SandboxError(f"sandbox worker failed to start: {msg['fatal']}")
        self.capabilities: dict = msg["capabilities"]
        self.capabilities["cgroup_memory"] = self.cgroup is not None
        self.capabilities["memory_limit"] = (f"cgroup v{self.cgroup.version} and address space" if self.cgroup
                                             else "address space")
        self.baseline = self.cgroup.usage() if self.cgroup is not None else 0
        self.oom_kills = 0

    def oom_killed(self) -> bool:
        """Whether the memory cgroup's OOM killer struck since the last call."""
        if self.cgroup is None:
            return False
        now = self.cgroup.oom_kills()
        struck, self.oom_kills = now > self.oom_kills, now
        return struck

    def _start(self, unprivileged: bool) -> dict:
        """The start-up conversation: the worker's pid (cgroup, id mapping), the worker proper's pid, and
        its capabilities (or why it could not start)."""
        while True:
            hello = self._frames(1, timeout_s=120.0)
            if hello is None:
                raise SandboxError(f"sandbox worker did not start: {printable(self._log_tail())}")
            msg = json.loads(hello[0])
            if "setup" in msg:
                pid = int(msg["setup"])
                if self.cgroup is not None:
                    try:
                        self.cgroup.join(pid)
                    except OSError as exc:
                        log.debug("could not join the memory cgroup: %s", exc)
                        self.cgroup.remove()
                        self.cgroup = None
                reply = _map_ids(pid, self.scratch) if unprivileged and msg.get("map_ids") else {"mapped": False}
                self._send(json.dumps(reply).encode())
            elif "inner" in msg:
                try:
                    self.inner_pidfd = os.pidfd_open(int(msg["inner"]))
                except (AttributeError, OSError):
                    self.inner_pidfd = None
            else:
                return msg

    def _send(self, data: bytes) -> bool:
        try:
            self.proc.stdin.write(struct.pack(">I", len(data)) + data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def request(self, timeout_s: float, data: bytes, memory_mb: int) -> tuple[dict, bytes] | None:
        """Send one request (the wall-clock limit, then the JSON); (meta, report), or None when the worker
        died or stopped answering."""
        if self.cgroup is not None:  # the worker's own use, then the program's allowance (scratch files
            try:                        # included) and some slack
                self.cgroup.limit(self.baseline + ((memory_mb + 32) << 20))
            except OSError as exc:
                log.debug("could not set the memory cgroup's limit: %s", exc)
        if not self._send(struct.pack(">d", timeout_s) + data):
            return None
        frames = self._frames(2, timeout_s=timeout_s + 10.0)  # the worker enforces timeout_s itself
        if frames is None:
            return None
        return json.loads(frames[0]), frames[1]

    def _frames(self, n: int, timeout_s: float) -> list[bytes] | None:
        import time

        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        buf = bytearray()
        frames: list[bytes] = []
        while len(frames) < n:
            while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                size = struct.unpack(">I", buf[:4])[0]
                frames.append(bytes(buf[4:4 + size]))
                del buf[:4 + size]
            if len(frames) >= n:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            buf += chunk
        return frames

    def _log_tail(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self, timeout_s: float = 5.0) -> None:
        """Ask the worker to exit (EOF on its stdin); kill it if it does not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        """Kill the worker proper and the process that waits for it, and reap both: the worker proper
        becomes this process's child if that one dies first and this process is pid 1 or a subreaper."""
        if self.inner_pidfd is not None:
            try:
                signal.pidfd_send_signal(self.inner_pidfd, signal.SIGKILL)
            except OSError:
                pass
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # start_new_session made it a group leader
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.kill()
            self.proc.wait()
        if self.inner_pidfd is not None:
            try:
                os.waitid(os.P_PIDFD, self.inner_pidfd, os.WEXITED)  # ours only if it was reparented to us
            except (ChildProcessError, OSError, AttributeError):
                pass
            os.close(self.inner_pidfd)
            self.inner_pidfd = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self.proc is not None:
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        if self._log is not None:
            self._log.close()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None


def _not_readable_by_others(extra: Sequence[str]) -> str | None:
    """None when the interpreter, the packages and the preloaded modules' directories can be read by any
    uid; else the first directory in the way (e.g. a Python installed under a 0700 home directory)."""
    import sysconfig

    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")} | set(extra)
    for path in sorted(paths):
        parts = Path(path).parts
        for depth in range(1, len(parts) + 1):
            here = Path(*parts[:depth])
            try:
                mode = here.stat().st_mode
            except OSError:
                break
            if not mode & 0o001 or (depth == len(parts) and not mode & 0o004):
                return f"{here} is not readable by other users"
    return None


_ROOT_PREFIX, _STAGING_PREFIX = "arc-sandbox-", ".arc-sandbox-staging-"


def _lock_dir(path: Path) -> int | None:
    """An fd of ``path`` holding an exclusive flock on it, or None when another process holds one."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except OSError:
        os.close(fd)
        return None


def _make_root() -> tuple[Path, int]:
    """A new sandbox root directory in the system temp directory, and the fd holding its lock for as long
    as this sandbox lives. It is made and locked under a staging name, then renamed into place, so no
    other sandbox ever sees it unlocked."""
    tmp = Path(tempfile.gettempdir())
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=tmp))
    fd = _lock_dir(staging)
    if fd is None:  # (nobody else knows the name yet)
        raise OSError(f"could not lock {staging}")
    root = tmp / (_ROOT_PREFIX + f"{os.getpid()}-" + staging.name[len(_STAGING_PREFIX):])
    try:
        staging.chmod(0o711)  # a worker mapped to nobody must reach its scratch mount point
        os.rename(staging, root)
    except OSError:
        os.close(fd)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root, fd


def _remove_stale_roots(cgroup_base: tuple | None) -> None:
    """Remove the temp directories of sandboxes whose owner died without closing them (a killed solver):
    ours (same uid) on which nobody holds the lock. The lock is the owner's open file, so this holds across
    PID namespaces, containers and hosts that share one temp directory; a staging directory is removed
    only once it is a minute old (its owner locks it within microseconds). A root whose owner's pid (in its
    name) is alive in our PID namespace is kept even unlocked: sandboxes of earlier versions never lock."""
    import time

    import re

    tmp = Path(tempfile.gettempdir())
    ours = re.compile(r"(arc-sandbox-[0-9]+-|\.arc-sandbox-staging-)[a-z0-9_]{8}")  # (mkdtemp's 8 characters)
    for path in list(tmp.glob(_ROOT_PREFIX + "*")) + list(tmp.glob(_STAGING_PREFIX + "*")):
        if not ours.fullmatch(path.name):
            continue  # someone else's directory with a name like ours
        pid = path.name.split("-")[2]
        if pid.isdigit() and os.path.exists(f"/proc/{pid}"):
            continue  # (also spared: a live sandbox of a version before the lock, which never locks its root)
        try:
            info = path.lstat()
            if info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode):
                continue
            if path.name.startswith(_STAGING_PREFIX) and time.time() - info.st_mtime < 60:
                continue
            fd = _lock_dir(path)
        except OSError:
            continue
        if fd is None:
            continue  # alive
        try:
            _rmtree(path)
            if cgroup_base is not None:
                for group in cgroup_base[0].glob(path.name + "-w*"):
                    try:
                        group.rmdir()
                    except OSError:
                        pass
        finally:
            os.close(fd)
    if cgroup_base is not None:  # a killed solver's worker cgroups, once their processes have gone
        for group in cgroup_base[0].glob(_ROOT_PREFIX + "*-w*"):
            try:
                if time.time() - group.stat().st_mtime > 60 and not (group / "cgroup.procs").read_text().strip():
                    group.rmdir()
            except OSError:
                pass


def _rmtree(path: Path) -> None:
    """Remove a sandbox root (never follows links), restoring search permission on directories first."""
    def fix(func, name, exc_info):
        try:
            os.chmod(os.path.dirname(name) or name, 0o700)
            func(name)
        except OSError:
            pass

    try:
        path.chmod(0o700)
    except OSError:
        pass
    shutil.rmtree(path, onerror=fix)


def _map_ids(pid: int, scratch: Path) -> dict:
    """Map uid/gid 0 of a worker's new user namespace to ``nobody`` (possible only as root)."""
    if os.geteuid() != 0:
        return {"mapped": False}  # an unprivileged solver can map only its own uid: the worker keeps it
    blocked = _not_readable_by_others(_PATHS_NEEDED)
    if blocked:
        return {"mapped": False, "note": f"kept the solver's uid: {blocked} (fix: a Python, packages and "
                                         "repository every user can read)"}
    try:
        os.chown(scratch, NOBODY, NOBODY)
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(f"0 {NOBODY} 1")
        return {"mapped": True}
    except OSError as exc:
        return {"mapped": False, "note": str(exc)}


_PATHS_NEEDED: list[str] = []  # directories holding the preloaded modules (filled by Sandbox)


def _module_paths(preload: Sequence[tuple[str, str]]) -> list[str]:
    """The sys.path entries from which the preloaded modules import (found without importing them)."""
    import importlib.util

    paths = []
    for _, module in preload:
        top = module.split(".")[0]
        spec = importlib.util.find_spec(top)
        if spec is None:
            raise ValueError(f"sandbox preload: no module named {top!r}")
        where = list(spec.submodule_search_locations or []) or [spec.origin]
        parent = str(Path(where[0]).resolve().parent)
        if parent not in paths:
            paths.append(parent)
    return paths


class Sandbox:
    """A pool of confined workers. Use as a context manager, or call close(); thread-safe."""

    def __init__(self, workers: int = 1, *, tmpfs_mb: int = 64, without: tuple[str, ...] = (),
                 preload: Sequence[tuple[str, str]] = ()):
        """``workers`` processes run programs in parallel (run_many); every program gets a fresh process.
        ``preload`` names modules the workers import once and programs may import, as (name programs
        use, module): e.g. ``(("common", "dsl.common"),)``. ``without`` switches mechanisms off
        ("namespaces", "landlock", "seccomp", "cgroup"), to test how the sandbox degrades on machines
        that lack them; never for real use."""
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.tmpfs_mb = tmpfs_mb
        self.without = tuple(without)
        self.preload = tuple((str(a), str(m)) for a, m in preload)
        paths = _module_paths(self.preload)
        _PATHS_NEEDED[:] = sorted(set(_PATHS_NEEDED) | set(paths))
        self._options = {"tmpfs_mb": tmpfs_mb, "without": list(without), "preload": [list(p) for p in self.preload],
                         "path": paths}
        base, version, note = (None, 0, "memory cgroup: switched off") if "cgroup" in without else _cgroup.find_base()
        self._cgroup_base = (base, version) if base is not None else None
        self._cgroup_note = note
        _remove_stale_roots(self._cgroup_base)
        try:
            self._root, self._root_fd = _make_root()
        except OSError as exc:
            raise SandboxError(f"could not make the sandbox root: {exc}") from exc
        self._unprivileged = True  # cleared if a worker cannot start as nobody (e.g. an unreadable venv)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._serial = 0
        self._slots = 0
        self._closed = False
        self._capabilities: dict | None = None

    # -------------------------------------------------------------- pool

    def _spawn(self) -> _Worker:
        self._heal()
        with self._lock:
            if self._closed:
                raise SandboxError("sandbox is closed")
            self._serial += 1
            serial, unprivileged, root = self._serial, self._unprivileged, self._root
        try:
            worker = _Worker(root, serial, self._options, unprivileged, self._cgroup_base)
        except SandboxError as exc:
            if not unprivileged:
                raise
            log.warning("sandbox worker could not start as an unprivileged uid (%s); keeping the solver's uid",
                        str(exc)[-300:])
            with self._lock:
                self._unprivileged = False
                self._serial += 1
                serial = self._serial
            worker = _Worker(root, serial, self._options, False, self._cgroup_base)
        with self._lock:
            self._all.append(worker)
            if self._capabilities is None:
                self._capabilities = worker.capabilities
                if not worker.capabilities["cgroup_memory"]:
                    worker.capabilities["notes"].append(self._cgroup_note or "memory cgroup: could not be joined")
                _warn_missing(worker.capabilities)
        return worker

    def _heal(self) -> None:
        """Make a new root directory if ours has gone (removed by someone else) or can no longer be used;
        workers under the old one fail their next program and are replaced under the new one."""
        with self._lock:
            try:
                same = os.stat(self._root, follow_symlinks=False).st_ino == os.fstat(self._root_fd).st_ino
            except OSError:
                same = False
            if self._closed or (same and os.access(self._root, os.W_OK | os.X_OK)):
                return
            log.warning("sandbox root %s %s; making a new one", self._root, "is unusable" if same else "disappeared")
            old, old_fd = self._root, self._root_fd
            try:
                self._root, self._root_fd = _make_root()
            except OSError as exc:
                raise SandboxError(f"could not make a new sandbox root: {exc}") from exc
            if same:
                _rmtree(old)
            os.close(old_fd)

    def _acquire(self) -> _Worker:
        # The queue holds idle workers and None "slots" whose worker died; a taker of None respawns.
        try:
            item = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                grow = self._slots < self.workers
                self._slots += grow
            item = None if grow else self._idle.get()
        if item is not None:
            return item
        try:
            return self._spawn()
        except BaseException:
            self._idle.put(None)  # give the slot back so no other thread waits on it forever
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and worker.alive():
            self._idle.put(worker)
            return
        worker.kill()
        try:
            worker.scratch.rmdir()
        except OSError:
            pass
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        self._idle.put(None)

    def capabilities(self) -> dict:
        """Which protections the workers actually have (from their self-test), and which memory limit."""
        if self._capabilities is None:
            self._release(self._acquire(), healthy=True)
        return dict(self._capabilities)

    # -------------------------------------------------------------- running programs

    def run(self, source: str, inputs: Sequence[Any], *, timeout_s: float = 2.0, memory_mb: int = 512,
            seed: int = 0) -> ProgramRun:
        """Run ``transform`` from ``source`` on every input (one process, one wall-clock budget)."""
        return self._run(source, _encode_inputs(inputs), seed, timeout_s, memory_mb)

    def run_many(self, jobs: Iterable[tuple[str, Sequence[Any], int]], *, timeout_s: float = 2.0,
                 memory_mb: int = 512) -> list[ProgramRun]:
        """Run many (source, inputs, seed) jobs across the pool; results in job order."""
        jobs = list(jobs)
        encoded: dict[int, tuple[int, str]] = {}  # inputs shared by many jobs are validated once
        for _, inputs, _ in jobs:
            if id(inputs) not in encoded:
                encoded[id(inputs)] = _encode_inputs(inputs)

        def one(job):
            return self._run(job[0], encoded[id(job[1])], job[2], timeout_s, memory_mb)

        if self.workers == 1 or len(jobs) < 2:
            return [one(job) for job in jobs]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(one, jobs))

    def _run(self, source: str, inputs: tuple[int, str], seed: int, timeout_s: float,
             memory_mb: int) -> ProgramRun:
        if timeout_s <= 0 or memory_mb <= 0:
            raise ValueError("timeout_s and memory_mb must be positive")
        n, inputs_json = inputs
        head = json.dumps({"source": str(source), "seed": int(seed), "timeout_s": float(timeout_s),
                           "memory_mb": int(memory_mb)})
        payload = (head[:-1] + ', "inputs": ' + inputs_json + "}").encode()
        if len(payload) > _MAX_REQUEST:
            fail = ExecResult("error", None, "program and inputs are larger than the sandbox accepts")
            return ProgramRun(tuple(fail for _ in range(n)))
        # A lost root or worker is rebuilt once and the program run again; only a second loss is an error.
        for attempt in (1, 2):
            try:
                worker = self._acquire()
            except SandboxError:
                if attempt == 2:
                    raise
                self._heal()
                continue
            answer = None
            try:
                answer = worker.request(float(timeout_s), payload, memory_mb)
            finally:
                trouble = answer[0].get("scratch_error") or answer[0].get("spawn_error") if answer else None
                if trouble:  # a value, not a crash: the worker (and its scratch) is replaced
                    log.warning("sandbox worker replaced: %s", printable(str(trouble)))
                self._release(worker, healthy=answer is not None and not trouble and answer[0].get("exit") != 86)
            if answer is not None and not answer[0].get("spawn_error") and (answer[0].get("exit") != 86 or attempt == 2):
                break  # (86: the process could not confine itself, e.g. its scratch had gone: run it again)
            self._heal()
        else:
            fail = ExecResult("error", None, "sandbox worker died or stopped answering twice; it was replaced")
            return ProgramRun(tuple(fail for _ in range(n)))
        oom = answer[0].get("signal") == signal.SIGKILL and not answer[0].get("timed_out") and worker.oom_killed()
        return _program_run(answer[0], answer[1], n, timeout_s, oom)

    def close(self) -> None:
        """Stop every worker and remove the scratch root. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._all = list(self._all), []
        for worker in workers:
            worker.close()
        _rmtree(self._root)
        os.close(self._root_fd)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


def _encode_inputs(inputs: Sequence[Any]) -> tuple[int, str]:
    """Validate the input grids (the caller's, so a bad one raises GridError) and JSON-encode them."""
    grids = [[list(row) for row in as_grid(g)] for g in inputs]
    return len(grids), json.dumps(grids)


def _program_run(meta: dict, report: bytes, n: int, timeout_s: float, oom: bool = False) -> ProgramRun:
    """Turn a worker's answer into validated results; anything malformed is the program's failure."""
    found: dict[int, ExecResult] = {}
    stdout = stderr = ""
    for line in report.split(b"\n"):
        try:
            rec = json.loads(line) if line.strip() else None
        except (ValueError, RecursionError):
            continue  # a torn last line (killed mid-write) or bytes the program wrote itself
        if not isinstance(rec, dict):
            continue
        if "stdout" in rec:
            stdout, stderr = _text(rec.get("stdout")), _text(rec.get("stderr"))
            continue
        i = rec.get("i")
        if type(i) is not int or not 0 <= i < n or i in found:
            continue
        found[i] = _result(rec)
    results = tuple(found.get(i) or _missing(meta, timeout_s, oom) for i in range(n))
    return ProgramRun(results, stdout, stderr, float(meta.get("elapsed_s") or 0.0))


def _text(value: Any) -> str:
    return value[:8192] if isinstance(value, str) else ""


def _result(rec: dict) -> ExecResult:
    status, message = rec.get("status"), _text(rec.get("message"))[:_MAX_MESSAGE]
    if status == "ok":
        try:
            return ExecResult("ok", as_grid(rec.get("value")), "")
        except (GridError, RecursionError) as exc:
            return ExecResult("invalid", None, f"returned value is not a grid: {exc}"[:_MAX_MESSAGE])
    if status in ("error", "memory", "invalid"):
        return ExecResult(status, None, message)
    return ExecResult("error", None, "malformed result record")


def _missing(meta: dict, timeout_s: float, oom: bool = False) -> ExecResult:
    """Result for an input the child never reported on, from how the child ended."""
    sig = meta.get("signal")
    if oom:
        return ExecResult("memory", None, "killed by the memory cgroup's limit")
    if meta.get("overflow"):  # (a program that filled its result pipe waited there until the kill)
        return ExecResult("error", None, "program sent more output than allowed")
    if meta.get("timed_out"):
        return ExecResult("timeout", None, f"exceeded the wall-clock limit of {timeout_s:g} s")
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and (meta.get("cpu_s") or 0) >= timeout_s):
        return ExecResult("timeout", None, "exceeded the CPU-time limit")
    if sig is not None:
        return ExecResult("error", None, f"process killed by {signal.Signals(sig).name}"
                          if sig in signal.Signals._value2member_map_ else f"process killed by signal {sig}")
    if meta.get("exit") == 86:
        return ExecResult("error", None, "sandbox could not confine the process; program not run")
    return ExecResult("error", None, f"process exited with code {meta.get('exit')} before returning a grid")


def _warn_missing(caps: dict) -> None:
    """Say once per process (and per set of missing protections), in one line, what is missing and why."""
    missing = [p for p in _PROTECTIONS if not caps.get(p)]
    key = ",".join(missing)
    if missing and key not in _warned:
        _warned.add(key)
        log.warning("the sandbox runs without %s: %s", ", ".join(missing), printable("; ".join(caps.get("notes", []))))


# ---------------------------------------------------------------- module-level defaults

_defaults: dict[tuple, Sandbox] = {}
_default_lock = threading.Lock()


def default_sandbox(preload: Sequence[tuple[str, str]] = ()) -> Sandbox:
    """The process-wide sandbox for this preload, used by run_program (one worker; closed at exit)."""
    key = tuple((str(a), str(m)) for a, m in preload)
    with _default_lock:
        box = _defaults.get(key)
        if box is None or box._closed:
            box = _defaults[key] = Sandbox(workers=1, preload=key)
            atexit.register(box.close)
        return box


def run_program(source: str, inputs: Sequence[Any], *, timeout_s: float = 2.0, memory_mb: int = 512,
                seed: int = 0, preload: Sequence[tuple[str, str]] = ()) -> list[ExecResult]:
    """Run program ``source`` (defining ``transform(input_grid)``) on every input; one result per input."""
    run = default_sandbox(preload).run(source, inputs, timeout_s=timeout_s, memory_mb=memory_mb, seed=seed)
    return list(run.results)


def sandbox_capabilities(preload: Sequence[tuple[str, str]] = ()) -> dict:
    """Which protections are active on this machine (starts the default sandbox if needed)."""
    return default_sandbox(preload).capabilities()

"""Run untrusted ``transform`` programs in confined processes and validate what they return.

A security boundary of its own: it imports only ``arc``, and is told by name which modules programs may
import (``Sandbox(preload=(("common", "dsl.common"),))``, as ``synth.sandbox`` does).

How. A pool of worker processes (sandbox/_zygote.py; sandbox/_worker.py is the solver's side), each started with a scrubbed environment in fresh
user, network, mount, IPC and PID namespaces (as root, this process maps the worker's uid to the
unprivileged ``nobody`` when the interpreter is readable by it; otherwise it keeps the caller's uid), with
every mount it inherited made read-only and nosuid, a /proc of its own PID namespace, a memory cgroup of
its own where one can be made (sandbox/_cgroup.py), numpy and the preloaded modules imported. Every
program runs in a fresh process of its own (sandbox/_runner.py), in a new PID namespace, where it is pid 1
and sees no other process. The worker's forker makes it, and it confines itself, before its request
exists, while the program before it still runs; it is then handed its one request through a pipe (the
forker's, one of two taken in turn, so the process running a program and the one waiting for the next
never share one; what a dead process left in a pipe is emptied out before the next process of its turn
reads it). The forker is a copy of the worker forked once, before any request existed (after its
imports, prepared globals and a warm-up run of a fixed program of our own), that only makes these
processes (each a child of the worker, which reaps it), so it never holds a request or report; without
one (no PID namespace or pidfd, not x86_64) the worker forks each process itself. The worker never
parses a request and never copies one onto its heap: jobs
(``run_many`` sends up to BATCH in one frame) and reports (one answer per job, a batch's answers sent
together in one write, or once the oldest has waited 0.2 s) pass through buffers marked MADV_DONTFORK,
which no forked process maps, so a program finds no other program's source, inputs or outputs in the
memory it inherits, not even those of its own batch. A program whose first line is exactly ``from NAME
import *`` for a preloaded NAME runs in globals the worker built once with that statement, before any
fork (each process has its own copy: what a program rebinds or mutates, builtins included, stays in its
process), and the line is left blank rather than run again. Its scratch directory (its working
directory, entered only once it has its request) is a size- and inode-limited tmpfs mounted for it alone
once the program before it is dead, over that one's: a covered tmpfs is out of every path's reach, and
nothing (files, modes, inode numbers) passes from one program to the next. (Unmounting waits for an RCU
grace period, milliseconds on some machines, so the covered ones are unmounted 32 at a time, and at once
when the used one holds file data or more than a few inodes.) Before running anything the process sets
rlimits (address space = what is mapped + ``memory_mb``, file size, open files, no core dumps), asks to be
the OOM killer's first choice, drops every capability, sets no_new_privs, enters a Landlock domain
(writes only in the scratch; reads only in the Python standard library, system library directories and
the imported packages; no TCP; no signals to or abstract sockets of processes outside the domain) and
installs a seccomp filter (the calls the worker itself needs, refused to the program; the worker's own
filter, inherited, refuses the rest). Output goes to bounded in-memory buffers (first 4096 characters kept); fds 0-2
are /dev/null. The memory cgroup's limit is set per batch to the worker's own use + ``memory_mb`` + 32
MiB, so scratch files and kernel memory a program makes the kernel hold count against its allowance too;
a program it kills is reported as status "memory".

The seccomp filter is a deny-list (looked up by binary search: the kernel runs each new filter once per
syscall number to build its action cache, and every program's process installs one), chosen over an
allow-list deliberately: a program is arbitrary Python
and numpy, whose syscalls change with the Python, numpy and libc versions, and a call missing from an
allow-list would turn correct programs into failures on some machines, silently lowering solve rates.
The filter instead refuses the families a grid transform never needs and an attacker does: new processes
and programs (fork, clone, exec), sockets, ptrace and process_vm_*, mount and namespace calls, bpf,
io_uring, keyrings, userfaultfd, file handles, chmod/chown/utime/xattr in all their forms, mknod, quotas,
SysV and POSIX message-queue IPC, memfd_create, memfd_secret, vmsplice, inotify and fanotify, kcmp,
pidfd_*, setpriority and ioprio_set; kill, tgkill, prlimit64, sched_set* and the like only on itself.
The stacked namespaces, read-only mounts and Landlock stand behind it for what it does not list.

A result counts only once its process is dead: the worker reads what the program writes (bounded), kills
it at the wall-clock limit, reaps it, and only then hands the bytes over. Programs send plain JSON lines
(an integer array of colours as its shape and a string of digits); this process parses them and
validates every grid (``arc.grid.as_grid``, or the same checks on the digits), and never unpickles
anything a program made. A batch stops after a program the sandbox failed on, or one killed other than by
the wall-clock limit (so the memory cgroup's OOM count is read before anything else runs); the rest of
it is sent again. Every process the sandbox starts is reaped, the worker proper too if it is ever handed to this
process (a solver that is pid 1 of a container).

Two solvers may share one temp directory, whatever their PID namespaces: a sandbox's root directory
(sandbox/_roots.py) is locked (flock) by its owner for its lifetime, and only roots nobody holds are
removed as stale. A sandbox whose root disappears makes a new one; a worker that dies, cannot start, or
cannot confine a program is replaced and the program run once more; only a second failure is the
program's error (or, when no worker can start at all, SandboxError).

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
import itertools
import json
import logging
import os
import queue
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from arc.errors import GridError
from arc.grid import MAX_SIDE, Grid, as_grid
from arc.text import printable
from sandbox import _cgroup
from sandbox._roots import make_root, remove_stale_roots, rmtree
from sandbox._runner import JOB_BODY
from sandbox._worker import NOBODY, PATHS_NEEDED, SandboxError, Worker  # noqa: F401 (NOBODY: the uid used)

log = logging.getLogger(__name__)

STATUSES = ("ok", "error", "timeout", "memory", "invalid")
_MAX_REQUEST = 32 << 20  # the zygote's request buffer (sandbox/_zygote.py MAX_REQUEST_BYTES)
_PROTECTIONS = ("user_namespace", "network_namespace", "mount_namespace", "ipc_namespace", "pid_namespace",
                "private_proc", "readonly_mounts", "scratch_tmpfs", "unprivileged_uid", "capabilities_dropped",
                "landlock_fs_write", "landlock_fs_read", "landlock_net", "landlock_signal_scope", "seccomp",
                "metadata_denied", "sysv_ipc_denied", "memfd_denied", "cgroup_memory")
_warned: set[str] = set()
_MAX_MESSAGE = 2000
BATCH = 32  # jobs in one request frame at most (run_many)
_DIGITS = bytes.maketrans(b"0123456789", bytes(range(10)))


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
        ("namespaces", "landlock", "seccomp", "cgroup", "forker"), to test how the sandbox degrades on machines
        that lack them; never for real use."""
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.tmpfs_mb = tmpfs_mb
        self.without = tuple(without)
        self.preload = tuple((str(a), str(m)) for a, m in preload)
        paths = _module_paths(self.preload)
        PATHS_NEEDED[:] = sorted(set(PATHS_NEEDED) | set(paths))
        self._options = {"tmpfs_mb": tmpfs_mb, "without": list(without), "preload": [list(p) for p in self.preload],
                         "path": paths}
        base, version, note = (None, 0, "memory cgroup: switched off") if "cgroup" in without else _cgroup.find_base()
        self._cgroup_base = (base, version) if base is not None else None
        self._cgroup_note = note
        remove_stale_roots(self._cgroup_base)
        try:
            self._root, self._root_fd = make_root()
        except OSError as exc:
            raise SandboxError(f"could not make the sandbox root: {exc}") from exc
        self._unprivileged = True  # cleared if a worker cannot start as nobody (e.g. an unreadable venv)
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._serial = 0
        self._slots = 0
        self._closed = False
        self._capabilities: dict | None = None

    # -------------------------------------------------------------- pool

    def _spawn(self) -> Worker:
        self._heal()
        with self._lock:
            if self._closed:
                raise SandboxError("sandbox is closed")
            self._serial += 1
            serial, unprivileged, root = self._serial, self._unprivileged, self._root
        try:
            worker = Worker(root, serial, self._options, unprivileged, self._cgroup_base)
        except SandboxError as exc:
            if not unprivileged:
                raise
            log.warning("sandbox worker could not start as an unprivileged uid (%s); keeping the solver's uid",
                        str(exc)[-300:])
            with self._lock:
                self._unprivileged = False
                self._serial += 1
                serial = self._serial
            worker = Worker(root, serial, self._options, False, self._cgroup_base)
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
                self._root, self._root_fd = make_root()
            except OSError as exc:
                raise SandboxError(f"could not make a new sandbox root: {exc}") from exc
            if same:
                rmtree(old)
            os.close(old_fd)

    def _acquire(self) -> Worker:
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

    def _release(self, worker: Worker, healthy: bool) -> None:
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
        return self._run_jobs([(source, _encode_inputs(inputs), seed)], timeout_s, memory_mb)[0]

    def run_many(self, jobs: Iterable[tuple[str, Sequence[Any], int]], *, timeout_s: float = 2.0,
                 memory_mb: int = 512) -> list[ProgramRun]:
        """Run many (source, inputs, seed) jobs across the pool, each in a process of its own; results in job
        order. Jobs go to a worker in batches of up to BATCH (one request frame, one answer per job), so
        the round trips between this process and the workers are shared."""
        jobs = list(jobs)
        encoded: dict[int, tuple[int, bytes]] = {}  # inputs shared by many jobs are validated once
        for _, inputs, _ in jobs:
            if id(inputs) not in encoded:
                encoded[id(inputs)] = _encode_inputs(inputs)
        work = [(source, encoded[id(inputs)], seed) for source, inputs, seed in jobs]
        # Batches small enough that every worker gets several (a slow program holds up only its own batch).
        size = BATCH if self.workers == 1 else max(1, min(BATCH, -(-len(work) // (2 * self.workers))))
        batches = [work[i:i + size] for i in range(0, len(work), size)]
        if self.workers == 1 or len(batches) < 2:
            return [run for batch in batches for run in self._run_jobs(batch, timeout_s, memory_mb)]
        with ThreadPoolExecutor(self.workers) as pool:
            done = pool.map(lambda batch: self._run_jobs(batch, timeout_s, memory_mb), batches)
            return [run for runs in done for run in runs]

    def _run_jobs(self, work: Sequence[tuple[str, tuple[int, bytes], int]], timeout_s: float,
                  memory_mb: int) -> list[ProgramRun]:
        """Run (source, encoded inputs, seed) jobs on one worker at a time, in as few frames as fit.
        A lost root or worker is rebuilt and the job it was running run once more (the jobs after it, which
        never ran, go on unharmed); only a second loss is that job's error."""
        if timeout_s <= 0 or memory_mb <= 0:
            raise ValueError("timeout_s and memory_mb must be positive")
        runs: list[ProgramRun | None] = [None] * len(work)
        payloads: list[bytes] = []
        for k, (source, (n, inputs), seed) in enumerate(work):
            code = str(source).encode("utf-8", "surrogatepass")
            payloads.append(JOB_BODY.pack(int(seed), n, len(code)) + code + inputs)
            if len(payloads[k]) > _MAX_REQUEST - 64:
                fail = ExecResult("error", None, "program and inputs are larger than the sandbox accepts")
                runs[k] = ProgramRun(tuple(fail for _ in range(n)))
        strikes = [0] * len(work)
        lost = 0  # workers that could not be had
        while pending := [k for k, run in enumerate(runs) if run is None]:
            try:
                worker = self._acquire()
            except SandboxError:
                lost += 1
                if lost == 2:
                    raise
                self._heal()
                continue
            batch, room = [], _MAX_REQUEST - 64
            for k in pending:
                if batch and len(payloads[k]) + 4 > room:
                    break
                batch.append(k)
                room -= len(payloads[k]) + 4
            answered, healthy = 0, True
            try:
                for k, answer in zip(batch, worker.run_batch(float(timeout_s), int(memory_mb),
                                                             [payloads[k] for k in batch])):
                    if answer is None:
                        break
                    answered += 1
                    meta, report = answer
                    if meta["skipped"]:  # not run (the batch stopped at a job before it): sent again
                        continue
                    trouble = meta["scratch_error"] or meta["spawn_error"]
                    if trouble:  # a value, not a crash: the worker (and its scratch) is replaced
                        log.warning("sandbox worker replaced: %s", printable(str(trouble)))
                    if trouble or meta["exit"] == 86:
                        healthy = False
                    # (86: the process could not confine itself, e.g. its scratch had gone: run it again)
                    if (meta["spawn_error"] or meta["exit"] == 86) and strikes[k] == 0:
                        strikes[k] = 1
                        continue
                    if meta["spawn_error"]:
                        runs[k] = _lost(work[k][1][0])
                        continue
                    oom = meta["signal"] == signal.SIGKILL and not meta["timed_out"] and worker.oom_killed()
                    runs[k] = _program_run(meta, report, work[k][1][0], timeout_s, oom)
            finally:
                healthy = healthy and answered == len(batch)
                self._release(worker, healthy)
            if answered < len(batch):  # the worker died or stopped answering while running this job
                k = batch[answered]
                strikes[k] += 1
                if strikes[k] >= 2:
                    runs[k] = _lost(work[k][1][0])
            if not healthy:
                self._heal()
        return runs  # type: ignore[return-value]

    def close(self) -> None:
        """Stop every worker and remove the scratch root. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._all = list(self._all), []
        for worker in workers:
            worker.close()
        rmtree(self._root)
        os.close(self._root_fd)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


def _encode_inputs(inputs: Sequence[Any]) -> tuple[int, bytes]:
    """Validate the input grids (the caller's, so a bad one raises GridError) and encode them: each as its
    height and width, then its cells, a byte each (sandbox/_runner.py reads them)."""
    parts = []
    for g in inputs:
        grid = as_grid(g)
        parts += (bytes((len(grid), len(grid[0]))), bytes(itertools.chain.from_iterable(grid)))
    return len(inputs), b"".join(parts)


def _lost(n: int) -> ProgramRun:
    fail = ExecResult("error", None, "sandbox worker died or stopped answering twice; it was replaced")
    return ProgramRun(tuple(fail for _ in range(n)))


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
    if status == "ok" and "cells" in rec:  # an integer array of colours, sent as its shape and digits
        h, w, cells = rec.get("h"), rec.get("w"), rec.get("cells")
        if (type(h) is int and type(w) is int and 1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE
                and type(cells) is str and len(cells) == h * w and cells.isascii() and cells.isdigit()):
            flat = cells.encode().translate(_DIGITS)
            return ExecResult("ok", tuple(tuple(flat[r * w:(r + 1) * w]) for r in range(h)), "")
        return ExecResult("invalid", None, "malformed grid record")
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

"""Sandbox worker process ("zygote"); the parent side is sandbox/_worker.py.

Started as ``python _zygote.py SCRATCH_DIR OPTIONS_JSON`` with a scrubbed environment. It enters new user,
network, mount, IPC and PID namespaces (asking the parent to map it to an unprivileged uid when that is root,
and to put it in a memory cgroup when one can be made), marks every mount it inherited read-only, forks the
real zygote as pid 1 of the new PID namespace, which mounts a /proc of that namespace, imports numpy and the
modules the parent names (``options["preload"]``: e.g. ``dsl.common`` importable as ``common``), prepares
the Landlock ruleset, the seccomp filter and the globals of programs that start with ``from NAME import *``
once, and then serves batches of jobs over length-prefixed frames on stdin/stdout, one answer frame per
job, a batch's answers sent together.

Every program runs in a process of its own (sandbox/_runner.py), in a fresh PID namespace where it is pid 1
and alone. It is made before its request exists, while the program before it runs, and confines itself;
once the program before it is dead and a fresh scratch tmpfs is mounted (over that one's: see
fresh_scratch), it is handed its request through a pipe, and only then enters its scratch. The processes
are made by the forker (_start_forker): a copy of the zygote forked once, after the imports, the prepared
globals, the Landlock ruleset and seccomp filters and a warm-up run of a fixed program of our own, before
any request existed, which makes them on command (each a child of the zygote, which reaps it) and does
nothing else, so its few dirtied pages are all a program's process copies of it, and the zygote's own
work (requests, reports, its loop) is in no program's memory. Without a forker (no PID namespace, no
pidfd, not x86_64) the zygote forks each process itself. Either way the zygote never parses a job and
never copies one onto its heap: frames are read into, reports read into and sent from (the outbox, where
a batch's answers wait), buffers marked MADV_DONTFORK, which no forked process maps, so no program finds
another's data (its own batch's included) in the memory it inherits. The zygote hands a report to the
parent only once the program's process is dead: exited, or killed at the wall-clock limit.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import importlib.util
import json
import mmap
import os
import re
import resource
import select
import signal
import stat
import struct
import sys
import time

MAX_REPORT_BYTES = 1 << 20  # everything a program may send for one call (a 30x30 grid is ~2 KB of JSON)
MAX_REQUEST_BYTES = 32 << 20  # a program and its inputs (the parent refuses larger ones)
F_SETPIPE_SZ = 1031  # (the default pipe-max-size is 1 MiB too)
_HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str, filename: str):
    """A sibling module loaded by path, so the ``sandbox`` package __init__ never runs in the worker."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(_HERE, filename))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _high(fd: int, above: int = 100) -> int:
    """Move a worker fd above 100: each program process keeps only fds 0-5 and closes everything above."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, above)
    os.close(fd)
    return new


def read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_into(fd: int, view: memoryview) -> bool:
    """Fill ``view`` from ``fd`` (no Python object holds the bytes); False at end of file."""
    done = 0
    while done < len(view):
        n = os.readv(fd, [view[done:]])
        if not n:
            return False
        done += n
    return True


def read_frame(fd: int) -> bytes | None:
    header = read_exact(fd, 4)
    return read_exact(fd, struct.unpack(">I", header)[0]) if header else None


def write_frames(fd: int, *frames: bytes) -> None:
    view = memoryview(b"".join(struct.pack(">I", len(f)) + f for f in frames))
    while view:
        view = view[os.write(fd, view):]


def empty_dir(path: str, max_depth: int = 16) -> str | None:
    """Remove everything below ``path`` without following links, by directory fds. Used only where no
    per-program tmpfs is available, and only once the program is dead, so nothing changes the tree while
    it is walked. A directory deeper than ``max_depth`` is first moved up to ``path`` (a rename, which
    follows nothing), so the walk never holds more than ``max_depth`` fds however deep the tree. Returns
    None, or a message saying what could not be removed."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    stack: list[tuple[int, str]] = []
    moved = 0
    try:
        stack.append((os.open(path, flags), ""))
        while stack:
            fd, name = stack[-1]
            with os.scandir(fd) as it:
                entry = next(it, None)
            if entry is None:  # empty: close it, remove it from its parent, go back up
                stack.pop()
                os.close(fd)
                if stack:
                    os.rmdir(name, dir_fd=stack[-1][0])
            elif entry.is_dir(follow_symlinks=False) and len(stack) >= max_depth:
                moved += 1
                os.rename(entry.name, f".arc-deep-{moved}", src_dir_fd=fd, dst_dir_fd=stack[0][0])
            elif entry.is_dir(follow_symlinks=False):
                try:
                    sub = os.open(entry.name, flags, dir_fd=fd)
                except PermissionError:  # made unreadable by the (dead) program: no race possible
                    os.chmod(entry.name, stat.S_IRWXU, dir_fd=fd)
                    sub = os.open(entry.name, flags, dir_fd=fd)
                stack.append((sub, entry.name))
            else:
                os.unlink(entry.name, dir_fd=fd)
        return None
    except OSError as exc:
        return f"could not empty the scratch directory: {exc}"
    finally:
        for fd, _ in stack:
            os.close(fd)


class _Program:
    """One program's process, forked and confined before its request exists (zygote side): its request
    pipe (written once, then closed), its result pipe and its pidfd."""

    __slots__ = ("pid", "fd", "request_fd", "pidfd", "big_pipe", "status", "usage", "parity", "forker")

    def __init__(self, ctx: dict):
        self.parity = None
        self.forker = forker = ctx.get("forker")
        if forker is not None:  # asked of the forker, which makes it while this process goes on
            self.parity = parity = forker["next"]
            try:
                os.write(forker["cmd"], b"\x01" if parity else b"\x00")
            except OSError:
                sys.exit(1)  # the forker is gone: this worker ends, and its parent starts a new one
            forker["next"] = parity ^ 1
            self.pid = self.pidfd = self.status = self.usage = None
            self.fd, self.request_fd, self.big_pipe = forker["result"][parity], forker["request"][parity], True
            return
        read_fd, write_fd = os.pipe()
        request_read, request_fd = os.pipe()
        try:
            self.big_pipe = fcntl.fcntl(write_fd, F_SETPIPE_SZ, MAX_REPORT_BYTES) >= MAX_REPORT_BYTES
        except OSError:
            self.big_pipe = False
        # The child's ends above 5, so that placing them at 3 and 5 there overwrites nothing it still needs.
        write_fd, request_read = _high(write_fd, 6), _high(request_read, 6)
        linux = ctx["linux"]
        if ctx["pid_ns"]:
            linux.unshare(linux.CLONE_NEWPID)  # the next child is pid 1 of a namespace of its own
        try:
            pid = ctx["fork"]()
        except OSError:
            pid = -1
        if pid == 0:  # never return into the worker loop from here
            code = ctx["runner"].EXIT_SETUP_FAILED
            try:
                code = ctx["runner"].main(ctx, request_read, write_fd)
            finally:
                os._exit(code)
        if ctx["pid_ns"]:
            linux.setns(ctx["pidns_fd"], linux.CLONE_NEWPID)  # later forks start from our namespace again
        os.close(write_fd)
        os.close(request_read)
        if pid < 0:
            os.close(read_fd)
            os.close(request_fd)
            raise OSError("could not fork a process for the program")
        self.fd, self.request_fd = read_fd, request_fd
        self._arrived(pid)

    def _arrived(self, pid: int) -> None:
        self.pid = pid
        try:  # the one a memory cgroup's OOM killer takes, never the worker (written by the worker, where it
            fd = os.open(f"/proc/{pid}/oom_score_adj", os.O_WRONLY)  # costs no page copies; before its request)
            os.write(fd, b"1000")
            os.close(fd)
        except OSError:
            pass
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # another OS, or a kernel before 5.3: exit is polled for
            self.pidfd = None
        self.status = self.usage = None

    def arrive(self) -> None:
        """Wait for the forker's answer (the process's pid) if this process was asked of it. Raises
        OSError if the forker could not make it."""
        if self.pid is not None:
            return
        data = read_exact(self.forker["reply"], 4)
        if data is None:
            sys.exit(1)  # the forker is gone: this worker ends, and its parent starts a new one
        (pid,) = struct.unpack("<i", data)
        if pid <= 0:
            raise OSError(-pid, "could not make a process for the program")
        self._arrived(pid)

    def hand(self, head: bytes, job: memoryview) -> None:
        """Write the request into the process's pipe and close it (the process reads to its end). A
        forker's pipe stays open (the forker holds its other end), so the write stops if the process dies."""
        if self.forker is not None:
            send(self.request_fd, head, job, until_dead=self.pidfd)
            return
        try:
            send(self.request_fd, head, job)
        except OSError:
            pass  # it died before reading (it could not confine itself): how it ended says so
        os.close(self.request_fd)

    def kill(self) -> None:
        for send_signal in (os.killpg, os.kill):  # its group (setpgid), and itself in case it never got that far
            try:
                send_signal(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def dead(self) -> bool:
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def reap(self) -> None:
        _, self.status, self.usage = os.wait4(self.pid, 0)
        if self.pidfd is not None:
            os.close(self.pidfd)

    def discard(self) -> None:
        """Kill and reap a process that was never handed a request."""
        if self.forker is None:
            os.close(self.request_fd)
        self.kill()
        self.reap()
        self.done(True)

    def done(self, dirty: bool) -> None:
        """After the process is dead and its report taken: close its pipes, or, for a forker's (shared by
        every process of its parity), empty them of anything it did not read or its report did not take
        (``dirty``), so that nothing of it reaches the next process of that parity."""
        if self.forker is None:
            os.close(self.fd)
            return
        if dirty:
            _drain(self.fd)
            _drain(self.forker["request_read"][self.parity])


def _drain(fd: int) -> None:
    """Read and drop what a pipe holds, without blocking (the fd itself may be blocking: its file is
    shared with the forker's children, which read it blocking)."""
    while select.select([fd], [], [], 0)[0]:
        if not os.read(fd, 1 << 16):
            return


def spawn(ctx: dict) -> None:
    """Fork the next program's process now, so that it confines itself while this program runs (it has
    seen no request: it is handed one later, and it enters no scratch before then)."""
    try:
        ctx["spare"] = _Program(ctx)
    except OSError:
        ctx["spare"] = None  # run_job tries again, and reports the failure


def _take_spare(ctx: dict) -> _Program:
    """The waiting process, or a new one if there is none or it died waiting (a memory cgroup's OOM killer
    may take it while the program before it runs): a program never inherits a death it did not cause."""
    prog = ctx.pop("spare", None)
    if prog is not None:
        try:
            prog.arrive()
        except OSError:
            prog = None
    if prog is not None and prog.dead():
        prog.discard()
        prog = None
    if prog is None:
        prog = _Program(ctx)
        prog.arrive()
    return prog


# One answer per job: META (exit code or -1, signal or 0, FLAG_* bits, elapsed and CPU seconds, max RSS in
# KiB, length of a message), the program's report, then the message (why the sandbox failed, UTF-8).
META = struct.Struct("<iiBddqI")
FLAG_TIMED_OUT, FLAG_OVERFLOW, FLAG_SPAWN_ERROR, FLAG_SCRATCH_ERROR, FLAG_SKIPPED = 1, 2, 4, 8, 16
FRAME_HEAD = struct.Struct("<dII")  # a request frame: wall-clock limit, memory limit in MiB, number of jobs
EXIT_SETUP_FAILED = 86  # (_runner.EXIT_SETUP_FAILED) the process could not confine itself; nothing ran


def run_job(ctx: dict, job: memoryview, timeout_s: float, memory_mb: int, parent_fd: int | None = None,
            report: memoryview | None = None) -> tuple[int, int, int, float, float, int, str, int]:
    """Run one job (a request without its limits, in the zygote's request buffer) in the waiting process;
    the META fields and the message, then the length of the report read into ``report`` (a view of
    REPORT_ROOM bytes of an unshared buffer; ``ctx["report"]`` by default), taken only once the process is
    dead (exited, or killed at the wall-clock limit)."""
    start = time.monotonic()
    if report is None:
        report = memoryview(ctx["report"])
    try:
        prog = _take_spare(ctx)
    except OSError as exc:
        return -1, 0, FLAG_SPAWN_ERROR, 0.0, 0.0, 0, str(exc), 0
    prog.hand(ctx["runner"].JOB_HEAD.pack(timeout_s, memory_mb, len(job)), job)
    spawn(ctx)  # the next program's process, confining itself while this one runs
    poller = select.poll()
    # The result pipe holds MAX_REPORT_BYTES, so nothing needs reading while the program runs: one wait on
    # its pidfd. A program that writes more blocks until the wall-clock kill and is told it overflowed.
    # Where a pipe that large or a pidfd is missing, the pipe is read as it fills, and exit looked for.
    read_live = prog.pidfd is None or not prog.big_pipe
    if read_live:
        poller.register(prog.fd, select.POLLIN)
    if prog.pidfd is not None:
        poller.register(prog.pidfd, select.POLLIN)
    if parent_fd is not None:
        poller.register(parent_fd, 0)  # only POLLHUP/POLLERR: the parent went away
    size = 0
    timed_out = overflow = orphaned = False
    deadline = start + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        wait_ms = remaining * 1000 if prog.pidfd is not None else min(remaining * 1000, 5)
        events = dict(poller.poll(wait_ms))
        if parent_fd is not None and events.get(parent_fd, 0) & (select.POLLHUP | select.POLLERR):
            orphaned = True
            break
        if read_live and events.get(prog.fd):
            n = os.readv(prog.fd, [report[size:]])
            size += n
            if not n:  # closed; the process may still run: its exit is what counts
                read_live = False
                poller.unregister(prog.fd)
            elif size > MAX_REPORT_BYTES:
                overflow = True
                break
        if (prog.pidfd in events) if prog.pidfd is not None else prog.dead():
            break
    if timed_out or overflow or orphaned:
        prog.kill()
    spare = ctx.get("spare")
    if spare is not None and spare.pid is None:  # the forker's answer: taken now, before this program's
        try:                                      # answer goes out (the next one is then the OOM killer's
            spare.arrive()                        # first choice too)
        except OSError:
            ctx["spare"] = None  # (the next job asks for another, and reports if that fails too)
    prog.reap()
    if not overflow:  # the process is dead: take what it wrote
        if prog.forker is None:
            os.set_blocking(prog.fd, False)
        try:
            while size <= MAX_REPORT_BYTES and (n := os.readv(prog.fd, [report[size:]])):
                size += n
        except BlockingIOError:
            pass
        overflow = size >= MAX_REPORT_BYTES
    prog.done(overflow or not os.WIFEXITED(prog.status) or os.WEXITSTATUS(prog.status) != 0)
    if orphaned:
        sys.exit(0)
    scratch_error = fresh_scratch(ctx)  # nothing of the program is alive to race this
    status, usage = prog.status, prog.usage
    flags = FLAG_TIMED_OUT * timed_out | FLAG_OVERFLOW * overflow | FLAG_SCRATCH_ERROR * bool(scratch_error)
    return (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1,
            os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0, flags,
            time.monotonic() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
            scratch_error or "", 0 if overflow else size)


def send(fd: int, *parts, until_dead: int | None = None) -> None:
    """Write every part (bytes, or views of the zygote's buffers: never joined into a copy on its heap).
    With ``until_dead`` (the reader's pidfd; ``fd`` non-blocking), stop if the reader dies first."""
    views = [memoryview(p) for p in parts if len(p)]
    while views:
        if until_dead is not None:
            try:
                done = os.writev(fd, views)
            except BlockingIOError:
                ready = select.select([until_dead], [fd], [])[0]
                if ready:
                    return  # the reader is dead
                continue
            except OSError:
                return
        else:
            done = os.writev(fd, views)
        while done:
            if done >= len(views[0]):
                done -= len(views.pop(0))
            else:
                views[0], done = views[0][done:], 0


REPORT_ROOM = MAX_REPORT_BYTES + (1 << 16)  # what one job's report is read into (more is an overflow)
OUTBOX_BYTES = 2 * REPORT_ROOM  # answers waiting to be sent together (see _serve)
FLUSH_S = 0.2  # answers are sent at the latest once the oldest waiting one is this old (and at a batch's end)
STACK = 32  # program tmpfs stacked in one container before they are unmounted together
KEPT_INODES = 16  # a used tmpfs with more inodes than this (or any file data) is unmounted at once


def fresh_scratch(ctx: dict) -> str | None:
    """A new, empty scratch for the next program: a tmpfs mounted anew (fresh root mode, xattrs and inode
    numbers), or, without a mount namespace, the directory emptied. None, or what went wrong.

    The new tmpfs is mounted on top of the used one, which it covers: no path reaches a covered tmpfs, and
    no process holds one (its program is dead; the next program's process enters its scratch only once
    it has its request). An unmount waits for an RCU grace period (milliseconds here), so the stacked
    tmpfs are unmounted together, with the read-only container tmpfs they are mounted in: once STACK are
    stacked, and at once when the used one holds file data or more than KEPT_INODES inodes, which its
    successor's memory allowance must not share."""
    if not ctx["tmpfs_mb"]:
        return empty_dir(ctx["workdir"])
    try:
        st = os.statvfs(ctx["workdir"])
        if ctx["stacked"] >= STACK or st.f_bfree < st.f_blocks or st.f_files - st.f_ffree > KEPT_INODES:
            ctx["linux"].unmount(ctx["container"])  # (lazily: the container and every tmpfs in it)
            ctx["stacked"] = 0
        _mount_scratch(ctx)
        return None
    except OSError as exc:
        return f"could not mount a fresh scratch: {exc}"


def _mount_scratch(ctx: dict) -> None:
    linux = ctx["linux"]
    if not ctx["stacked"]:  # a container: a read-only tmpfs holding only the mount point of the stack
        linux.mount_tmpfs(ctx["container"], 1, inodes=4)
        os.mkdir(ctx["workdir"], 0o700)
        linux.remount_readonly(ctx["container"])
    if ctx.get("mount_workdir") is None:
        ctx["mount_workdir"] = linux.tmpfs_mounter(ctx["workdir"], ctx["tmpfs_mb"], inodes=4096)
    ctx["mount_workdir"]()
    ctx["stacked"] += 1


# ---------------------------------------------------------------- setting up the worker


def _enter_namespaces(linux, in_fd: int, out_fd: int, caps: dict) -> bool:
    """Enter new user, network, mount, IPC (and PID) namespaces; map ids; make inherited mounts read-only.
    Returns whether a PID namespace for our children was made. Must run single-threaded, before numpy is
    imported."""
    notes = caps["notes"]
    flags = linux.CLONE_NEWUSER | linux.CLONE_NEWNET | linux.CLONE_NEWNS
    uid, gid = os.getuid(), os.getgid()
    for extra in (linux.CLONE_NEWPID | linux.CLONE_NEWIPC, linux.CLONE_NEWIPC, 0):
        try:
            linux.unshare(flags | extra)
            break
        except OSError as exc:
            notes.append(f"namespaces (flags {extra:#x}): {exc} (fix: allow user namespaces, e.g. sysctl "
                         "user.max_user_namespaces=10000 kernel.apparmor_restrict_unprivileged_userns=0)")
    else:
        _setup_frame(in_fd, out_fd, mapped=False)
        return False
    caps.update(user_namespace=True, network_namespace=True, mount_namespace=True,
                ipc_namespace=bool(extra & linux.CLONE_NEWIPC))
    reply = _setup_frame(in_fd, out_fd, mapped=True)  # the parent maps us if it can
    if reply.get("mapped"):
        linux.become_mapped_root()
        caps["unprivileged_uid"] = True
    else:
        linux.map_ids_to_self(uid, gid)
        if reply.get("note"):
            notes.append(f"unprivileged uid: {reply['note']}")
    linux.make_mounts_private()
    try:
        linux.make_mounts_readonly()
        caps["readonly_mounts"] = True
    except OSError as exc:
        notes.append(f"read-only mounts: {exc} (needs Linux >= 5.12)")
    return bool(extra & linux.CLONE_NEWPID)


def _setup_frame(in_fd: int, out_fd: int, mapped: bool) -> dict:
    """Tell the parent our pid (it puts us in a memory cgroup, and maps our ids when ``mapped``); its reply."""
    write_frames(out_fd, json.dumps({"setup": os.getpid(), "map_ids": mapped}).encode())
    return json.loads(read_frame(in_fd) or b"{}")


def _setup(scratch: str, options: dict, pid_ns: bool, linux, caps: dict) -> dict:
    """Inside the worker (pid 1 of its PID namespace where there is one): imports, Landlock, seccomp."""
    notes = caps["notes"]
    caps["pid_namespace"] = pid_ns
    if linux is not None:
        try:
            linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
            caps["no_new_privs"] = True
        except OSError as exc:
            notes.append(f"no_new_privs: {exc}")
        try:
            linux.drop_bounding_set()  # for every program process; each drops the rest of its capabilities
            linux.clear_ambient_capabilities()
        except OSError as exc:
            notes.append(f"capability bounding set: {exc}")
    # Imported only now: numpy must not start threads before unshare, which needs a single thread.
    sys.path[:0] = list(options.get("path") or ())
    for alias, module in options.get("preload") or ():
        sys.modules[alias] = importlib.import_module(module)
    runner = _load("_sandbox_runner", "_runner.py")  # imports numpy, numpy.random, json, ... once for all
    star_globals = runner.star_globals(alias for alias, _ in options.get("preload") or ())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited: a program's oversize write fails with EFBIG
    ctx = {"runner": runner, "linux": linux, "pid": os.getpid(), "scratch": scratch, "tmpfs_mb": 0,
           "pid_ns": pid_ns, "pidns_fd": _high(os.open("/proc/self/ns/pid", os.O_RDONLY)) if pid_ns else None,
           "ipc_ns": caps["ipc_namespace"],
           "devnull_fd": _high(os.open(os.devnull, os.O_RDWR)), "ruleset_fd": None,
           "seccomp": False, "seccomp_install": None, "fork": _fork_function(), "mapped_bytes": 0,
           "star_globals": star_globals, "request": _unshared(MAX_REQUEST_BYTES), "report": _unshared(REPORT_ROOM),
           "outbox": _unshared(OUTBOX_BYTES), "flush_s": float(options.get("flush_s", FLUSH_S)), "spare": None,
           "forker": None, "without": set(options.get("without") or ())}
    without = ctx["without"]
    ctx["workdir"] = scratch
    if caps["mount_namespace"] and options.get("tmpfs_mb"):
        # The scratch: a tmpfs mounted anew for every program on ``workdir`` (p/q), in a read-only
        # container tmpfs on p, a directory of a small read-only tmpfs on the worker's scratch mount point
        # (see fresh_scratch). (Landlock skips mount points when it walks up from a file, so its write rule
        # is on the outer read-only tmpfs's root, above every program tmpfs.)
        try:
            linux.mount_tmpfs(scratch, 1, inodes=8)
            os.mkdir(os.path.join(scratch, "p"), 0o700)
            linux.remount_readonly(scratch)
            ctx.update(container=os.path.join(scratch, "p"), workdir=os.path.join(scratch, "p", "q"))
        except OSError as exc:
            notes.append(f"tmpfs scratch: {exc}")
    abi = linux.landlock_abi() if linux is not None and caps["no_new_privs"] and "landlock" not in without else 0
    if abi:
        try:
            ctx["ruleset_fd"] = _high(linux.landlock_ruleset(abi, _read_paths(options), [scratch], ["/dev/null"]))
            ctx["landlock_restrict"] = linux.landlock_restricter(runner.RULESET_FD)  # where each child puts it
            fs, net, scoped = linux.landlock_handled(abi)
            caps.update(landlock_abi=abi, landlock_fs_write=True, landlock_fs_read=True,
                        landlock_net=bool(net), landlock_signal_scope=bool(scoped & 2))
        except OSError as exc:
            notes.append(f"landlock: {exc}")
    elif linux is not None:
        notes.append("landlock: switched off" if "landlock" in without else
                     "landlock: not supported by this kernel (fix: Linux >= 5.13 with landlock in its lsm= list)")
    if ctx["workdir"] != scratch:
        try:
            ctx.update(tmpfs_mb=int(options["tmpfs_mb"]), stacked=0)
            _mount_scratch(ctx)
            caps["scratch_tmpfs"] = True
        except OSError as exc:
            notes.append(f"tmpfs scratch: {exc}")
            ctx.update(workdir=scratch, tmpfs_mb=0)
    if linux is not None and caps["no_new_privs"] and linux.seccomp_supported() and "seccomp" not in without:
        try:
            linux.seccomp_installer(linux.seccomp_filter(linux.WORKER_DENY))()  # inherited by every program
            ctx["seccomp"] = True
        except OSError as exc:
            notes.append(f"seccomp: {exc}")

        def program_filter(pid: int):
            return linux.seccomp_installer(linux.seccomp_filter(linux.PROGRAM_DENY, linux.PROGRAM_SELF_ONLY, pid))

        if pid_ns:  # every program is pid 1 of its namespace: one filter for all, built once
            ctx["seccomp_install"] = program_filter(1)
        else:
            ctx["seccomp_install"] = lambda: program_filter(os.getpid())()
    elif linux is not None:
        notes.append("seccomp: switched off" if "seccomp" in without else "seccomp: no syscall table for this architecture (x86_64 only)")
    caps["seccomp"] = ctx["seccomp"]
    ctx["forker_pipes"] = None
    if pid_ns and "forker" not in without:  # (made now: above fd 100, which the open files limit then forbids)
        try:
            ctx["forker_pipes"] = [_high(fd) for _ in range(6) for fd in os.pipe()]
        except OSError as exc:
            notes.append(f"forker: {exc}")
    # Limits that are the same for every program, set here once and inherited (this process keeps its fds
    # above 100 open; new ones it opens are few and low).
    for which, limit in ((resource.RLIMIT_FSIZE, runner.FILE_SIZE_LIMIT), (resource.RLIMIT_NOFILE, 64),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (limit, limit))
    return ctx


def _unshared(size: int) -> mmap.mmap:
    """Anonymous memory that no forked child gets (MADV_DONTFORK: not even mapped there): the requests and
    reports pass through it, never through this process's heap, so no program's process finds another's
    source, inputs or outputs in the memory it inherits."""
    buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    buf.madvise(mmap.MADV_DONTFORK)
    _UNSHARED.append(size)
    return buf


_UNSHARED: list[int] = []  # sizes of the buffers no child maps (not part of its address space)


def _fork_function():
    """fork(2) itself where ctypes offers it (holding the GIL, as os.fork does). This process is
    single-threaded, and Python's own after-fork work in the child (0.7 ms here, a quarter of a short
    program's cost) only repairs state of other threads; each program process seeds ``random`` and numpy
    itself. os.fork elsewhere."""
    try:
        import ctypes

        fork = ctypes.PyDLL(None, use_errno=True).fork
        fork.restype = ctypes.c_int

        def raw_fork() -> int:
            pid = fork()
            if pid < 0:
                raise OSError(ctypes.get_errno(), "fork failed")
            return pid

        return raw_fork
    except (OSError, AttributeError):
        return os.fork


def mapped_bytes() -> int:
    """Address space that a child forked now starts with (this process's, less what it does not inherit)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") - sum(_UNSHARED)


def _read_paths(options: dict) -> list[str]:
    """What a child may read: the standard library, system libraries, the packages already imported
    (the preloaded modules' among them)."""
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    paths = {stdlib, "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache", "/dev/urandom", "/dev/zero"}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if "." in name or not file or file.startswith(stdlib):
            continue
        if os.path.basename(file) == "__init__.py":
            pkg = os.path.dirname(file)
            paths.add(pkg)
            paths.add(pkg + ".libs")  # wheels vendor shared libraries beside the package (numpy.libs)
        else:
            paths.add(file)
    return sorted(p for p in paths if os.path.exists(p))


_SELF_TEST = r'''
import ctypes, os, socket
def transform(grid):
    found = []
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        found.append("fork")
    except OSError:
        pass
    try:
        socket.socket(socket.AF_UNIX).close()
        found.append("socket")
    except OSError:
        pass
    try:
        probe = os.path.join(PROBE_DIR, ".arc-sandbox-probe-%d" % os.getpid())
        with open(probe, "w"):
            pass
        os.unlink(probe)
        found.append("write")
    except OSError:
        pass
    try:
        os.listdir("/etc")
        found.append("read")
    except OSError:
        pass
    try:  # to the mode it has: nothing changes even where this is allowed
        os.chmod(PROBE_DIR, os.stat(PROBE_DIR).st_mode & 0o7777)
        found.append("chmod")
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(0, 4096, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    if shm >= 0:
        libc.shmctl(shm, 0, None)  # IPC_RMID
        found.append("sysv")
    try:
        os.close(os.memfd_create("probe"))
        found.append("memfd")
    except OSError:
        pass
    if os.getpid() != 1:
        found.append("pid")
    for other in range(2, 1000):  # getsid is not filtered: only the namespace hides other processes
        try:
            os.getsid(other)
            found.append("others")
            break
        except ProcessLookupError:
            pass
    if OUTER_PID > 2 and os.path.exists("/proc/%d" % OUTER_PID):  # the worker's first process, outside
        found.append("proc")
    raise RuntimeError("probe[" + ",".join(found) + "]")
'''


def _self_test(ctx: dict, caps: dict, outer_pid: int) -> None:
    """Run a probe program under the full confinement and believe only what it observed."""
    # A world-writable place outside the scratch directory: only Landlock can stop the probe writing there.
    probe_dir = os.path.dirname(os.path.dirname(ctx["scratch"]))  # the system temp directory
    source = _SELF_TEST.replace("PROBE_DIR", repr(probe_dir)).replace("OUTER_PID", str(int(outer_pid))).encode()
    job = struct.pack("<qII", 0, 1, len(source)) + source + bytes((1, 1, 0))  # one 1x1 input
    ctx["request"][:len(job)] = job
    ctx["mapped_bytes"] = mapped_bytes()
    *meta, size = run_job(ctx, memoryview(ctx["request"])[:len(job)], 20.0, 256)
    allowed = None
    for line in bytes(ctx["report"][:size]).splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if "setup_error" in rec:
            raise RuntimeError(f"sandbox self-test could not confine a child: {rec['setup_error']}")
        found = re.search(r"probe\[([a-z,]*)\]", rec.get("message", "")) if rec.get("i") == 0 else None
        if found:
            allowed = set(found.group(1).split(","))
    if allowed is None:
        raise RuntimeError(f"sandbox self-test failed: {meta}")
    checks = {"fork": "seccomp", "socket": "seccomp", "write": "landlock_fs_write", "read": "landlock_fs_read",
              "pid": "pid_namespace", "others": "pid_namespace", "chmod": "metadata_denied",
              "sysv": "sysv_ipc_denied", "memfd": "memfd_denied", "proc": "private_proc"}
    caps.update(metadata_denied=ctx["seccomp"] or caps["readonly_mounts"], sysv_ipc_denied=ctx["seccomp"],
                memfd_denied=ctx["seccomp"])
    for action, key in checks.items():
        if action in allowed and caps.get(key):
            caps["notes"].append(f"self-test: {action} was not blocked, {key} is off")
            caps[key] = False
            if key == "seccomp":
                ctx["seccomp"] = False


def _start_forker(ctx: dict, caps: dict, keep_out: tuple[int, ...]) -> None:
    """Fork the forker, once, before any request exists: a copy of this process (confined, imports done,
    globals prepared, heap frozen and trimmed) that only makes program processes, one per byte it is sent,
    each a child of this process (sibling_cloner) in a PID namespace of its own, and answers with its pid.
    Its loop touches few pages, so a program's process copies few of them and neither process copies
    the pages of the other's work (this process's loop, its requests and reports are never in a program's
    process's memory: it forks none). Every program's process inherits its pipes from the forker: two
    request pipes and two result pipes, one of each per parity, taken in turn, so the process running a
    program and the one waiting for the next never share a pipe (``_Program.done`` empties a pipe a dead
    process left anything in). Without a PID namespace, a pidfd, pipes of MAX_REPORT_BYTES or x86_64, the
    worker forks each program's process itself."""
    ends: list[int] = ctx.pop("forker_pipes")
    if not ends:
        return
    try:
        clone = ctx["linux"].sibling_cloner()
        os.close(os.pidfd_open(os.getpid()))
        cmd_r, cmd_w, reply_r, reply_w = ends[:4]
        request, result = [ends[4:6], ends[6:8]], [ends[8:10], ends[10:12]]
        for pipe in result + request:
            if fcntl.fcntl(pipe[1], F_SETPIPE_SZ, MAX_REPORT_BYTES) < MAX_REPORT_BYTES:
                raise OSError("pipes too small for a report")
        pid = os.fork()
    except (AttributeError, OSError) as exc:
        for fd in ends:
            os.close(fd)
        caps["notes"].append(f"forker: {exc}")
        return
    if pid == 0:
        code = 1
        try:
            for fd in (cmd_w, reply_r, *keep_out, *(pipe[0] for pipe in result), *(pipe[1] for pipe in request)):
                os.close(fd)
            _forker_loop(ctx, clone, cmd_r, reply_w, [(request[p][0], result[p][1]) for p in (0, 1)])
        finally:
            os._exit(code)
    for fd in (cmd_r, reply_w, *(pipe[1] for pipe in result)):
        os.close(fd)
    for fd in [pipe[0] for pipe in result] + [pipe[1] for pipe in request]:
        os.set_blocking(fd, False)  # (files of their own: the forker closed its copies)
    ctx["forker"] = {"pid": pid, "cmd": cmd_w, "reply": reply_r, "next": 0,
                     "result": [pipe[0] for pipe in result], "request": [pipe[1] for pipe in request],
                     "request_read": [pipe[0] for pipe in request]}


def _forker_loop(ctx: dict, clone, cmd: int, reply: int, ends: list[tuple[int, int]]) -> None:
    """The forker: for each byte read (a parity), a program's process with that parity's request and
    result pipes; its pid (or -errno) back. Never returns (it exits when the worker closes its pipe)."""
    main = ctx["runner"].main
    pack = struct.Struct("<i").pack
    while True:
        parity = os.read(cmd, 1)
        if not parity:
            os._exit(0)
        request_read, result_write = ends[parity[0]]
        try:
            pid = clone()
        except OSError as exc:
            pid = -(exc.errno or 1)
        if pid == 0:  # never return into the forker's loop from here
            code = EXIT_SETUP_FAILED
            try:
                code = main(ctx, request_read, result_write)
            finally:
                os._exit(code)
        os.write(reply, pack(pid))


def _trim_heap() -> None:
    """Give the free memory of malloc's heap back to the kernel (malloc_trim): pages that every fork
    would otherwise share and every program's exit unmap (about 1.4 MiB of 19 here, after the imports)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


def _serve(ctx: dict, caps: dict, in_fd: int, out_fd: int) -> None:
    """Requests: a frame (its length, then FRAME_HEAD and each job's length and bytes) read straight into
    the request buffer; the zygote reads only the lengths and limits, and hands each job unread to a
    process of its own. One answer frame per job, in order, sent together (see the outbox below). After a
    job that ends the way a batch must not go on from (the sandbox failed, or a kill that was not the
    wall-clock limit's, which the parent looks up in the memory cgroup before anything else runs), the
    batch's other jobs are answered FLAG_SKIPPED without running."""
    if ctx["forker"] is None:  # (a spare forked by this process during the self-test: from a heap that
        if ctx["spare"] is not None:  # held the self-test's request; a forker's never did)
            ctx.pop("spare").discard()
        spawn(ctx)
    write_frames(out_fd, json.dumps({"capabilities": caps, "pid": os.getpid()}).encode())
    request = memoryview(ctx["request"])
    outbox = memoryview(ctx["outbox"])
    served = 0
    while True:
        header = read_exact(in_fd, 4)
        if header is None:
            return  # the parent closed the pipe or died
        (size,) = struct.unpack(">I", header)
        if not FRAME_HEAD.size <= size <= MAX_REQUEST_BYTES or not read_into(in_fd, request[:size]):
            return
        timeout_s, memory_mb, count = FRAME_HEAD.unpack_from(request)
        at, cut = FRAME_HEAD.size, False
        # Answers wait in the outbox (unshared, like every buffer a request or report passes through) and
        # go to the parent in one write: at the batch's end, when the next might not fit, or once the
        # oldest has waited FLUSH_S (a parent that waits for each answer is then woken once per batch).
        pending, oldest = 0, 0.0
        for _ in range(count):
            if at + 4 > size or at + 4 + struct.unpack_from("<I", request, at)[0] > size:
                send(out_fd, outbox[:pending])
                return  # malformed: the parent sees the worker die
            end = at + 4 + struct.unpack_from("<I", request, at)[0]
            head = 4 + META.size
            if pending + head + REPORT_ROOM + (1 << 12) > OUTBOX_BYTES:
                send(out_fd, outbox[:pending])
                pending = 0
            if cut:
                struct.pack_into(">I", outbox, pending, META.size)
                META.pack_into(outbox, pending + 4, -1, 0, FLAG_SKIPPED, 0.0, 0.0, 0, 0)
                pending, at = pending + head, end
                continue
            if ctx["forker"] is None and served % 64 == 0:  # the base of each program's address-space
                # limit, refreshed now and then (a forker's is taken once: its loop does not grow it)
                ctx["mapped_bytes"] = mapped_bytes()
            served += 1
            if not pending:
                oldest = time.monotonic()
            exit_code, sig, flags, elapsed, cpu, rss, message, n = run_job(
                ctx, request[at + 4:end], timeout_s, memory_mb, parent_fd=in_fd,
                report=outbox[pending + head:pending + head + REPORT_ROOM])
            at = end
            text = message.encode("utf-8", "replace")[:1 << 12]
            struct.pack_into(">I", outbox, pending, META.size + n + len(text))
            META.pack_into(outbox, pending + 4, exit_code, sig, flags, elapsed, cpu, rss, len(text))
            outbox[pending + head + n:pending + head + n + len(text)] = text
            pending += head + n + len(text)
            cut = bool(flags & (FLAG_SPAWN_ERROR | FLAG_SCRATCH_ERROR)) or exit_code == EXIT_SETUP_FAILED or (
                sig == signal.SIGKILL and not flags & FLAG_TIMED_OUT)
            if time.monotonic() - oldest >= ctx["flush_s"]:
                send(out_fd, outbox[:pending])
                pending = 0
        send(out_fd, outbox[:pending])


def main() -> None:
    scratch, options = sys.argv[1], json.loads(sys.argv[2])
    in_fd, out_fd = _high(os.dup(0)), _high(os.dup(1))  # off 0/1/2, which children reuse
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    caps: dict = {"platform": sys.platform, "scrubbed_env": True, "rlimits": True, "notes": [],
                  "user_namespace": False, "network_namespace": False, "mount_namespace": False,
                  "ipc_namespace": False, "readonly_mounts": False, "scratch_tmpfs": False,
                  "pid_namespace": False, "private_proc": False, "unprivileged_uid": False, "no_new_privs": False,
                  "capabilities_dropped": False, "seccomp": False, "landlock_abi": 0, "landlock_fs_write": False,
                  "landlock_fs_read": False, "landlock_net": False, "landlock_signal_scope": False,
                  "metadata_denied": False, "sysv_ipc_denied": False, "memfd_denied": False}
    outer_pid = os.getpid()
    try:
        try:
            linux = _load("_sandbox_linux", "_linux.py")
        except (OSError, AttributeError) as exc:  # not Linux, or a libc without prctl/unshare
            linux = None
            caps["notes"].append(f"no Linux kernel interface: {exc}")
        without = set(options.get("without") or ())
        if "namespaces" in without:
            caps["notes"].append("namespaces: switched off")
        if linux is not None and "namespaces" not in without:
            pid_ns = _enter_namespaces(linux, in_fd, out_fd, caps)
        else:
            _setup_frame(in_fd, out_fd, mapped=False)
            pid_ns = False
        caps["capabilities_dropped"] = linux is not None  # each program process drops all it has
        if pid_ns:
            go_read, go_write = os.pipe()
            child = os.fork()  # pid 1 of the new PID namespace: the worker proper
            if child:
                os.close(go_read)
                # The parent learns the worker's pid first (so it can reap it if it ever becomes its child).
                write_frames(out_fd, json.dumps({"inner": child}).encode())
                os.write(go_write, b"x")
                for fd in (in_fd, out_fd, go_write):
                    os.close(fd)
                _, status = os.waitpid(child, 0)
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            os.close(go_write)
            os.read(go_read, 1)
            os.close(go_read)
            try:
                linux.mount_proc()
                caps["private_proc"] = True
            except OSError as exc:
                caps["notes"].append(f"private /proc: {exc} (fix: a /proc without masked paths, as outside most containers)")
        ctx = _setup(scratch, options, pid_ns, linux, caps)
        ctx["runner"].warm_up(ctx["star_globals"])  # (before the freeze: what it leaves is shared)
        gc.collect()
        gc.freeze()  # keep the pre-imported heap shared between forks (copy-on-write)
        _trim_heap()  # fewer pages for every fork to share and every program's exit to unmap
        ctx["mapped_bytes"] = mapped_bytes()
        _start_forker(ctx, caps, (in_fd, out_fd))
        _self_test(ctx, caps, outer_pid)
    except Exception as exc:
        import traceback
        traceback.print_exc()  # into the worker's log file
        write_frames(out_fd, json.dumps({"fatal": repr(exc)}).encode())
        sys.exit(1)
    _serve(ctx, caps, in_fd, out_fd)


if __name__ == "__main__":
    main()

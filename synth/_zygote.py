"""Sandbox worker process ("zygote"); the parent side is synth/sandbox.py.

Started as ``python _zygote.py REPO_ROOT SCRATCH_DIR OPTIONS_JSON`` with a scrubbed environment. It confines
itself once (user/network/mount namespaces, tmpfs scratch, no capabilities, no_new_privs), pre-imports
numpy and ``dsl.common`` (as ``common``), then serves requests one at a time over length-prefixed frames
on stdin/stdout. Programs run in a forked *runner* (synth/_runner.py) that adds rlimits, a Landlock
domain and a seccomp filter; a runner is reused for further programs (forking costs ~10 ms here, a short
program well under 1 ms) unless the request asks for a fresh process, and is retired after a timeout, a
crash, a MemoryError, a detected change to shared modules, or MAX_PROGRAMS_PER_RUNNER programs.
This process enforces the wall-clock limit, kills the runner's process group, reaps it and empties the
scratch directory after every program. It never interprets a program's results: the parent validates.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import re
import select
import signal
import struct
import sys
import time

MAX_REPORT_BYTES = 4 << 20  # everything a runner may send for one program; a 30x30 grid is ~2 KB of JSON
MAX_PROGRAMS_PER_RUNNER = 500
_HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str, filename: str):
    """A sibling module loaded by path, so the ``synth`` package __init__ never runs in the worker."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(_HERE, filename))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _clear_dir(path: str) -> None:
    import shutil

    def force(func, p, _exc):  # a program may leave a directory it made unreadable
        os.chmod(os.path.dirname(p), 0o700)
        if os.path.isdir(p) and not os.path.islink(p):
            os.chmod(p, 0o700)
        func(p)

    for name in os.listdir(path):
        p = os.path.join(path, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, onerror=force)
        else:
            os.unlink(p)


class _Runner:
    """A forked, confined runner process and its pipes (zygote side)."""

    def __init__(self, ctx: dict, memory_mb: int):
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # never return into the worker loop from here
            code = 86
            try:
                os.close(to_w)
                os.close(from_r)
                code = ctx["runner"].main(ctx, memory_mb, to_r, from_w)
            finally:
                os._exit(code)
        os.close(to_r)
        os.close(from_w)
        self.pid, self.to_fd, self.from_fd, self.memory_mb, self.served = pid, to_w, from_r, memory_mb, 0
        self.pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
        self.status = self.usage = None

    def reap(self, block: bool = True, kill: bool = False) -> bool:
        """Collect the exit status (killing the process group first when ``kill``); False if still running."""
        if self.status is not None:
            return True
        if not block and os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            return False
        # The group is killed before the leader is reaped, while its id cannot be reused.
        for send in (os.killpg, os.kill) if kill else (os.killpg,):
            try:
                send(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        _, self.status, self.usage = os.wait4(self.pid, 0)
        for fd in (self.to_fd, self.from_fd, self.pidfd):
            if fd is not None:
                os.close(fd)
        return True


def _exchange(runner: _Runner, payload: bytes, timeout_s: float, parent_fd: int | None):
    """Send one request and collect frames until ``done``; (frames, done record, timed_out, orphaned)."""
    start = time.monotonic()
    try:
        os.write(runner.to_fd, struct.pack(">I", len(payload)) + payload)  # < 64 KiB pipe buffer in practice
    except OSError:
        return [], None, False, False
    poller = select.poll()
    poller.register(runner.from_fd, select.POLLIN)
    if runner.pidfd is not None:
        poller.register(runner.pidfd, select.POLLIN)
    if parent_fd is not None:
        poller.register(parent_fd, 0)  # only POLLHUP/POLLERR: the parent went away
    buf, frames, size = bytearray(), [], 0
    deadline = start + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return frames, None, True, False
        # Without a pidfd (old kernel, other OS) we look for the runner's exit every 5 ms.
        wait_ms = remaining * 1000 if runner.pidfd is not None else min(remaining * 1000, 5)
        events = poller.poll(wait_ms)
        for fd, ev in events:
            if fd == parent_fd and ev & (select.POLLHUP | select.POLLERR):
                return frames, None, False, True
        if any(fd == runner.from_fd for fd, _ in events):
            chunk = os.read(runner.from_fd, 1 << 16)
            if not chunk:
                return frames, None, False, False  # the runner died (or closed its pipe)
            buf += chunk
            size += len(chunk)
            while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                n = struct.unpack(">I", buf[:4])[0]
                frame = bytes(buf[4:4 + n])
                del buf[:4 + n]
                if frame.startswith(b'{"done"'):
                    try:
                        return frames, json.loads(frame), False, False
                    except ValueError:
                        return frames, None, False, False
                frames.append(frame)
            if size > MAX_REPORT_BYTES:
                return frames, None, False, False
        elif events and runner.pidfd is not None and any(fd == runner.pidfd for fd, _ in events):
            return frames, None, False, False
        elif runner.pidfd is None and runner.reap(block=False):
            return frames, None, False, False


def run_one(ctx: dict, state: dict, req: dict, payload: bytes, parent_fd: int | None = None):
    """Run one request in the current runner (starting one if needed); (meta, report bytes)."""
    runner = state.get("runner")
    if runner is not None and (runner.memory_mb != req["memory_mb"] or runner.served >= MAX_PROGRAMS_PER_RUNNER):
        runner.reap(kill=True)
        runner = None
    if runner is None:
        runner = state["runner"] = _Runner(ctx, req["memory_mb"])
    runner.served += 1
    start = time.monotonic()
    frames, done, timed_out, orphaned = _exchange(runner, payload, req["timeout_s"], parent_fd)
    if done is None or done.get("recycle") or req.get("fresh"):
        runner.reap(kill=True)
        state["runner"] = None
    _clear_dir(ctx["scratch"])
    if orphaned:
        sys.exit(0)
    status, usage = runner.status, runner.usage
    ended = status is not None and done is None
    meta = {
        "exit": os.WEXITSTATUS(status) if ended and os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if ended and os.WIFSIGNALED(status) else None,
        "timed_out": timed_out,
        "elapsed_s": round(time.monotonic() - start, 6),
        "maxrss_kb": usage.ru_maxrss if usage else None,
    }
    if done is not None:
        frames.append(json.dumps({k: done.get(k) for k in ("stdout", "stderr", "run_s")}).encode())
    return meta, b"\n".join(frames)


def _setup(repo_root: str, scratch: str, options: dict) -> tuple[dict, dict]:
    """Confine this worker once; return (context for children, capability report)."""
    caps: dict = {"platform": sys.platform, "scrubbed_env": True, "rlimits": True, "notes": []}
    notes = caps["notes"]
    try:
        linux = _load("_sandbox_linux", "_linux.py")
    except (OSError, AttributeError) as exc:  # not Linux, or a libc without prctl/unshare
        linux = None
        notes.append(f"no Linux kernel interface: {exc}")
    for key in ("user_namespace", "network_namespace", "mount_namespace", "scratch_tmpfs",
                "no_new_privs", "capabilities_dropped", "seccomp"):
        caps[key] = False
    caps.update(landlock_abi=0, landlock_fs_write=False, landlock_fs_read=False,
                landlock_net=False, landlock_signal_scope=False)
    if linux is not None:
        try:
            linux.enter_namespaces(with_mount_ns=True)
            caps.update(user_namespace=True, network_namespace=True, mount_namespace=True)
        except OSError as exc:
            notes.append(f"namespaces: {exc}")
        if caps["mount_namespace"] and options.get("tmpfs_mb"):
            try:
                linux.mount_private_tmpfs(scratch, int(options["tmpfs_mb"]))
                caps["scratch_tmpfs"] = True
            except OSError as exc:
                notes.append(f"tmpfs scratch: {exc}")
        try:
            linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
            caps["no_new_privs"] = True
        except OSError as exc:
            notes.append(f"no_new_privs: {exc}")
        try:
            linux.drop_capabilities()
            caps["capabilities_dropped"] = True
        except OSError as exc:
            notes.append(f"capabilities: {exc}")

    # Imported only now: numpy must not start threads before unshare, which needs a single thread.
    sys.path.insert(0, repo_root)
    import dsl.common

    sys.modules["common"] = dsl.common
    runner = _load("_sandbox_runner", "_runner.py")  # imports numpy, numpy.random, json, ... once for all
    ctx = {"runner": runner, "linux": linux, "pid": os.getpid(), "scratch": scratch, "ruleset_fd": None, "seccomp": False}

    abi = linux.landlock_abi() if linux is not None and caps["no_new_privs"] else 0
    if abi:
        try:
            ctx["ruleset_fd"] = linux.landlock_ruleset(abi, _read_paths(repo_root), [scratch], ["/dev/null"])
            fs, net, scoped = linux.landlock_handled(abi)
            caps.update(landlock_abi=abi, landlock_fs_write=True, landlock_fs_read=True,
                        landlock_net=bool(net), landlock_signal_scope=bool(scoped & 2))
        except OSError as exc:
            notes.append(f"landlock: {exc}")
    elif linux is not None:
        notes.append("landlock: not supported by this kernel")
    if linux is not None and caps["no_new_privs"] and linux.seccomp_supported():
        ctx["seccomp"] = True
    elif linux is not None:
        notes.append("seccomp: no syscall table for this architecture")
    caps["seccomp"] = ctx["seccomp"]
    _self_test(ctx, caps)
    return ctx, caps


def _read_paths(repo_root: str) -> list[str]:
    """What a child may read: the standard library, system libraries, the packages already imported."""
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    paths = {stdlib, "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache",
             "/dev/urandom", "/dev/zero", os.path.join(repo_root, "dsl")}
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
import os, socket
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
        with open(os.path.join(os.path.dirname(os.getcwd()), ".probe"), "w"):
            pass
        os.unlink(os.path.join(os.path.dirname(os.getcwd()), ".probe"))
        found.append("write")
    except OSError:
        pass
    try:
        os.listdir("/etc")
        found.append("read")
    except OSError:
        pass
    raise RuntimeError("probe[" + ",".join(found) + "]")
'''


def _self_test(ctx: dict, caps: dict) -> None:
    """Run a probe program under the full child confinement and believe only what it observed."""
    req = {"source": _SELF_TEST, "inputs": [[[0]]], "seed": 0, "timeout_s": 20.0, "memory_mb": 256,
           "fresh": True}
    meta, report = run_one(ctx, {}, req, json.dumps(req).encode())
    allowed = None
    for line in report.splitlines():
        rec = json.loads(line)
        if "setup_error" in rec:
            raise RuntimeError(f"sandbox self-test could not confine a child: {rec['setup_error']}")
        found = re.search(r"probe\[([a-z,]*)\]", rec.get("message", "")) if rec.get("i") == 0 else None
        if found:
            allowed = set(found.group(1).split(","))
    if allowed is None:
        raise RuntimeError(f"sandbox self-test failed: {meta}")
    checks = {"fork": "seccomp", "socket": "seccomp", "write": "landlock_fs_write", "read": "landlock_fs_read"}
    for action, key in checks.items():
        if action in allowed and caps.get(key):
            caps["notes"].append(f"self-test: {action} was not blocked, {key} is off")
            caps[key] = False
            if key == "seccomp":
                ctx["seccomp"] = False


def main() -> None:
    repo_root, scratch, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    in_fd, out_fd = os.dup(0), os.dup(1)  # keep the parent's pipes off 0/1/2, which children reuse
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        ctx, caps = _setup(repo_root, scratch, options)
    except Exception as exc:
        os.write(out_fd, struct.pack(">I", len(msg := json.dumps({"fatal": repr(exc)}).encode())) + msg)
        sys.exit(1)
    io = ctx["runner"]
    gc.collect()
    gc.freeze()  # keep the pre-imported heap shared between forks (copy-on-write)
    io.write_frames(out_fd, json.dumps({"capabilities": caps, "pid": os.getpid()}).encode())
    state: dict = {}
    try:
        while True:
            header = io.read_exact(in_fd, 4)
            payload = io.read_exact(in_fd, struct.unpack(">I", header)[0]) if header else None
            if payload is None:
                return  # the parent closed the pipe or died
            meta, report = run_one(ctx, state, json.loads(payload), payload, parent_fd=in_fd)
            io.write_frames(out_fd, json.dumps(meta).encode(), report)
    finally:
        if state.get("runner") is not None:
            state["runner"].reap(kill=True)


if __name__ == "__main__":
    main()

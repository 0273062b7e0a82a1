"""A sandbox worker seen from the solver: its process, the start-up conversation (memory cgroup, id
mapping, the worker proper's pid), batches of jobs and their answers over length-prefixed frames, and
killing and reaping it (sandbox/_zygote.py is the other side)."""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Sequence

from arc.text import printable
from sandbox import _cgroup
from sandbox._zygote import (FLAG_OVERFLOW, FLAG_SCRATCH_ERROR, FLAG_SKIPPED, FLAG_SPAWN_ERROR, FLAG_TIMED_OUT,
                             FRAME_HEAD, META)

log = logging.getLogger("sandbox")

_ZYGOTE = Path(__file__).with_name("_zygote.py")
_ENV = {  # the whole environment of a worker: nothing of the caller's leaks in
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # same set/dict-of-str order in every worker, so seeds fully determine output
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONNOUSERSITE": "1",
    "OPENBLAS_NUM_THREADS": "1",  # no BLAS threads: the worker must stay single-threaded to fork safely
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "LD_BIND_NOW": "1",  # every library call bound once in the worker, not again (lazily) in each program's process
}
NOBODY = 65534  # the uid and gid a worker runs as, seen from outside, when the solver runs as root


class SandboxError(RuntimeError):
    """The sandbox itself could not run (a worker would not start); never raised for a program's failure."""


class Worker:
    """One zygote process and its pipes; used by one thread at a time."""

    def __init__(self, root: Path, serial: int, options: dict, unprivileged: bool, cgroup_base: tuple | None):
        self.scratch = root / f"w{serial}"  # only a mount point: each program gets its own tmpfs here
        self.proc = None
        self._buf = bytearray()
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

    def run_batch(self, timeout_s: float, memory_mb: int, jobs: Sequence[bytes]) -> Iterator[tuple[dict, bytes] | None]:
        """Send jobs (sandbox/_runner.py's JOB_BODY, source, inputs) in one frame; yield each one's answer
        (meta, report) in order as it comes, or None (and stop) when the worker died or stopped answering."""
        if self.cgroup is not None:  # the worker's own use, then the program's allowance (scratch files
            try:                        # included) and some slack
                self.cgroup.limit(self.baseline + ((memory_mb + 32) << 20))
            except OSError as exc:
                log.debug("could not set the memory cgroup's limit: %s", exc)
        parts = [FRAME_HEAD.pack(timeout_s, memory_mb, len(jobs))]
        for job in jobs:
            parts += (struct.pack("<I", len(job)), job)
        if not self._send(b"".join(parts)):
            yield None
            return
        for _ in jobs:
            frames = self._frames(1, timeout_s=timeout_s + 10.0)  # the worker enforces timeout_s itself
            if frames is None:
                yield None
                return
            data = frames[0]
            exit_code, sig, flags, elapsed, cpu, rss, size = META.unpack_from(data)
            message = data[len(data) - size:].decode("utf-8", "replace") if size else ""
            yield {"exit": None if exit_code < 0 else exit_code, "signal": sig or None,
                   "timed_out": bool(flags & FLAG_TIMED_OUT), "overflow": bool(flags & FLAG_OVERFLOW),
                   "elapsed_s": elapsed, "cpu_s": cpu, "maxrss_kb": rss, "skipped": bool(flags & FLAG_SKIPPED),
                   "spawn_error": message if flags & FLAG_SPAWN_ERROR else None,
                   "scratch_error": message if flags & FLAG_SCRATCH_ERROR else None}, data[META.size:len(data) - size]

    def _frames(self, n: int, timeout_s: float) -> list[bytes] | None:
        import time

        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        buf = self._buf  # what came beyond the last frame taken stays for the next call
        frames: list[bytes] = []
        while len(frames) < n:
            while len(frames) < n and len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
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


def _map_ids(pid: int, scratch: Path) -> dict:
    """Map uid/gid 0 of a worker's new user namespace to ``nobody`` (possible only as root)."""
    if os.geteuid() != 0:
        return {"mapped": False}  # an unprivileged solver can map only its own uid: the worker keeps it
    blocked = _not_readable_by_others(PATHS_NEEDED)
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


PATHS_NEEDED: list[str] = []  # directories holding the preloaded modules (filled by Sandbox)

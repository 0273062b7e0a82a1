"""Memory cgroups for sandbox workers (parent side): one cgroup per worker, limited per program.

A worker (its zygote and the one program it runs at a time) lives in a cgroup of its own below the
solver's: with cgroup v2 when the memory controller is enabled for the solver's children (a delegated
subtree), else with the cgroup v1 memory hierarchy. Before each program the limit is set to what the
worker used when it started plus the program's allowance (``memory_mb``) and 32 MiB, so memory that the
address-space limit never sees (its scratch files, pipe buffers, kernel memory it makes the kernel hold)
counts against the same allowance.
Each program's process asks to be the first one the OOM killer takes, so the worker survives.
Where no cgroup can be made (not root, no delegation), :func:`find_base` says why and the sandbox keeps
the address-space limit alone.
"""

from __future__ import annotations

import os
from pathlib import Path

_V2_ROOT = Path("/sys/fs/cgroup")
_V1_ROOT = Path("/sys/fs/cgroup/memory")


class MemoryCgroup:
    """A worker's cgroup directory: join, set the limit, count OOM kills, remove."""

    def __init__(self, path: Path, version: int):
        self.path, self.version = path, version
        self._limit: int | None = None
        path.mkdir()
        self._write("memory.swap.max" if version == 2 else "memory.swappiness", "0", missing_ok=True)

    def _write(self, name: str, value: str, missing_ok: bool = False) -> None:
        try:
            (self.path / name).write_text(value)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def join(self, pid: int) -> None:
        self._write("cgroup.procs", str(pid))

    def usage(self) -> int:
        name = "memory.current" if self.version == 2 else "memory.usage_in_bytes"
        return int((self.path / name).read_text())

    def limit(self, nbytes: int) -> None:
        if nbytes != self._limit:
            self._write("memory.max" if self.version == 2 else "memory.limit_in_bytes", str(nbytes))
            self._limit = nbytes

    def oom_kills(self) -> int:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return 0

    def remove(self) -> None:
        """Remove the (by now empty) cgroup; a cgroup whose processes are still dying is retried briefly."""
        import time

        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.01)


def _own_cgroup(version: int) -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (version == 2 and controllers == "") or (version == 1 and "memory" in controllers.split(",")):
            return path
    return None


def find_base() -> tuple[Path | None, int, str]:
    """(the directory below which worker cgroups can be made, the cgroup version, a note when none)."""
    own = _own_cgroup(2)
    if own is not None and (_V2_ROOT / "cgroup.controllers").exists():
        here = _V2_ROOT / own.lstrip("/")
        for base in (here, here.parent):  # our children, else our siblings (our own cgroup holds processes)
            try:
                if "memory" in (base / "cgroup.subtree_control").read_text().split() and os.access(base, os.W_OK):
                    return base, 2, ""
            except OSError:
                pass
            if here == _V2_ROOT:
                break
    own = _own_cgroup(1)
    if own is not None and (_V1_ROOT / "memory.limit_in_bytes").exists():
        base = _V1_ROOT / own.lstrip("/")
        if base.is_dir() and os.access(base, os.W_OK):
            return base, 1, ""
    return None, 0, ("memory cgroup: none can be made here, so only the address-space limit applies "
                     "(fix: run as root with cgroup v1 memory mounted, or in a cgroup v2 subtree whose "
                     "cgroup.subtree_control enables memory and is writable by this user)")

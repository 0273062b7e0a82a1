"""Sandbox root directories in the system temp directory: made and locked (flock) by their owner for its
lifetime, recognised as stale only when nobody holds the lock, whatever PID namespace the owner is in."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

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


def make_root() -> tuple[Path, int]:
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


def remove_stale_roots(cgroup_base: tuple | None) -> None:
    """Remove the temp directories of sandboxes whose owner died without closing them (a killed solver):
    ours (same uid) on which nobody holds the lock. The lock is the owner's open file, so this holds across
    PID namespaces, containers and hosts that share one temp directory; a staging directory is removed
    only once it is a minute old (its owner locks it within microseconds). A root whose owner's pid (in its
    name) is alive in our PID namespace is kept even unlocked: sandboxes of earlier versions never lock."""
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
            rmtree(path)
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


def rmtree(path: Path) -> None:
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

"""The confined process that executes one untrusted program (forked by sandbox/_zygote.py per program).

The zygote forks it into a PID namespace of its own (it is pid 1 there and sees no other process).
:func:`main` parses its request (from the zygote's request buffer, which the zygote zeroes once this
process exists), confines itself (session, fds, rlimits, no capabilities, Landlock, seccomp), runs the
program on every input in its scratch directory (a tmpfs mounted for it alone) and writes one JSON line per input, then
one line with the captured output, to fd 3; then the process exits. Nothing here is trusted afterwards:
the zygote forwards the lines only once this process is dead, and the parent validates them.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import resource
import signal
import sys
import traceback

import numpy as np

# Loaded here, once, in the worker: a module a program imports that the worker has not loaded costs every
# program's process the disk reads and the work of importing it again.
# (Each preloaded module also makes every fork and exit slower, so only the common ones are here.)
import collections, copy, functools, heapq, itertools, math, operator, re, typing  # noqa: E401,F401,I001
import numpy.linalg, numpy.random  # noqa: E401,F401,I001

MAX_VALUES = 30 * 30 * 4  # a returned value with more numbers than this is refused here
CAPTURE_CHARS = 4096  # kept of each of stdout / stderr
FILE_SIZE_LIMIT = 16 << 20
EXIT_SETUP_FAILED = 86  # the process could not confine itself and refused to run anything
RESULT_FD, RULESET_FD = 3, 4


class BoundedText:
    """A text stream keeping the first ``limit`` characters and counting the rest."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, limit: int):
        self.limit, self.kept, self.total = limit, [], 0

    def write(self, s) -> int:
        s = str(s)
        room = self.limit - min(self.total, self.limit)
        if room:
            self.kept.append(s[:room])
        self.total += len(s)
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        out = "".join(self.kept)
        if self.total > self.limit:
            out += f"\n[... truncated, {self.total} characters in all]"
        return out


class NotAGrid(Exception):
    pass


def plain(value, budget: list[int], depth: int = 0):
    """Convert a returned value to JSON-able nested lists of numbers, refusing anything else."""
    if isinstance(value, np.ndarray):
        if value.size > MAX_VALUES:
            raise NotAGrid(f"returned an array of shape {value.shape}, larger than any grid")
        value = np.ndarray.tolist(np.asarray(value))  # the base-class method, whatever a subclass overrides
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float)):
        budget[0] -= 1
        if budget[0] < 0:
            raise NotAGrid("returned more values than a 30x30 grid holds")
        return value
    if isinstance(value, (list, tuple)) and depth < 3:
        return [plain(v, budget, depth + 1) for v in value]
    raise NotAGrid(f"returned a value of type {type(value).__name__} where a grid was expected")


def describe(exc: BaseException) -> str:
    """``Type: text (line n)`` of a program's exception; never raises (the text comes from the program)."""
    where = ""
    try:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename == "<program>":
                where = f" (line {frame.lineno})"
                break
    except BaseException:
        pass
    try:
        text = str(exc)
        text = text if type(text) is str else ""
    except BaseException:
        text = "<the exception could not be turned into text>"
    try:
        name = type(exc).__name__
        name = name if type(name) is str else "Exception"
    except BaseException:
        name = "Exception"
    return f"{name}: {text}"[:1000] + where


def confine(ctx: dict, req: dict, result_fd: int) -> None:
    """Confine this freshly forked process; afterwards fd 3 is its only way out.

    The worker did what is the same for every program once (bounding and ambient capability sets emptied,
    no_new_privs, file size / open files / core rlimits, SIGXFSZ ignored so oversize writes fail with
    EFBIG, Landlock ruleset and seccomp filters built, its own fds moved above 100); what is left here is what only a process of its own can do. Each step costs this
    process page copies, so it is kept short. Raises if any promised mechanism fails: the caller then
    exits without running anything."""
    linux = ctx["linux"]
    os.setpgid(0, 0)  # alone in a process group: kill(0, ...) reaches no one else
    if linux is not None:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != (0 if ctx["pid_ns"] else ctx["pid"]):  # in its own PID namespace the parent is invisible
        raise RuntimeError("worker exited before the program process started")
    try:  # the one a memory cgroup's OOM killer takes, never the worker
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(fd, b"1000")
        os.close(fd)
    except OSError:
        pass
    if linux is not None and not ctx["seccomp"]:  # SysV IPC is not denied: give it a namespace of its own
        try:
            linux.unshare(linux.CLONE_NEWIPC)
        except OSError:
            pass  # the worker's IPC namespace (if any) is still its own
    # fd 3: results; fd 4: the Landlock ruleset; 0-2: /dev/null; nothing else (the worker's own fds,
    # its pipes to the parent among them, sit above 100 and are closed here).
    os.dup2(result_fd, RESULT_FD)
    if ctx["ruleset_fd"] is not None:
        os.dup2(ctx["ruleset_fd"], RULESET_FD)
    os.dup2(ctx["devnull_fd"], 2)
    os.closerange(RULESET_FD + 1, 1 << 16)
    os.chdir(ctx["workdir"])
    # The file size, open files and core limits are the worker's, inherited. With seccomp a program cannot
    # start a thread or process, so the worker's wall-clock kill needs no CPU-time limit beside it.
    limit_as = ctx["mapped_bytes"] + (16 << 20) + (int(req["memory_mb"]) << 20)  # the worker's, at fork
    resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
    if not ctx["seccomp"]:
        cpu_s = int(float(req["timeout_s"])) + 2  # soft == hard: SIGKILL (pid 1 would ignore SIGXCPU)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no effect for uid 0
    if linux is not None:
        linux.drop_capabilities()
    if ctx["ruleset_fd"] is not None:
        linux.landlock_restrict(RULESET_FD)
        os.close(RULESET_FD)
    if ctx["seccomp"]:
        ctx["seccomp_install"]()


def _emit(record: dict) -> None:
    # A record starts on a line of its own even after bytes the program wrote to fd 3 itself.
    view = memoryview(("\n" + json.dumps(record) + "\n").encode())
    while view:
        view = view[os.write(RESULT_FD, view):]


def run_program(req: dict, emit) -> None:
    """Run one program on every input, passing one record per input to ``emit`` as soon as it is known
    (so a later timeout keeps earlier results)."""
    inputs = req["inputs"]
    random.seed(req["seed"])
    np.random.seed(req["seed"])
    namespace = {"__name__": "__sandbox__", "__builtins__": builtins}
    try:
        exec(compile(req["source"], "<program>", "exec"), namespace)
        transform = namespace.get("transform")
        if not callable(transform):
            raise NameError("the program defines no function transform(input_grid)")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are program failures too
        status = "memory" if isinstance(exc, MemoryError) else "error"
        for i in range(len(inputs)):
            emit({"i": i, "status": status, "message": describe(exc)})
        return
    for i, grid in enumerate(inputs):
        try:
            value = plain(transform(np.array(grid, dtype=np.int64)), [MAX_VALUES])
            record = {"i": i, "status": "ok", "value": value}
        except MemoryError as exc:
            record = {"i": i, "status": "memory", "message": describe(exc)}
        except NotAGrid as exc:
            record = {"i": i, "status": "invalid", "message": str(exc)}
        except BaseException as exc:
            record = {"i": i, "status": "error", "message": describe(exc)}
        emit(record)


def main(ctx: dict, req_len: int, result_fd: int) -> int:
    """Entry point in the forked child; returns the exit code (the caller calls os._exit with it)."""
    try:
        req = json.loads(ctx["request"][:req_len])
        confine(ctx, req, result_fd)
    except Exception as exc:  # never run a program with less protection than was promised
        for fd in (RESULT_FD, result_fd):
            try:
                os.write(fd, (json.dumps({"setup_error": repr(exc)[:500]}) + "\n").encode())
                break
            except OSError:
                continue
        return EXIT_SETUP_FAILED
    out, err = BoundedText(CAPTURE_CHARS), BoundedText(CAPTURE_CHARS)
    sys.stdout, sys.stderr = out, err
    try:
        run_program(req, _emit)
    finally:
        sys.stdout = sys.stderr = BoundedText(0)
        _emit({"stdout": out.text(), "stderr": err.text()})
    return 0

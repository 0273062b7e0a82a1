"""The confined process that executes untrusted programs (forked by synth/_zygote.py).

After :func:`confine` it serves requests from fd 4 and answers on fd 3, one length-prefixed frame per
JSON record: one record per input, then a ``done`` record with the captured output. Each program gets a
fresh namespace dict, freshly seeded ``random``/numpy generators and reset interpreter settings. A runner
asks to be retired (``recycle``) after a MemoryError or when the program changed shared modules it could
use to influence later programs; the worker also retires it after a timeout, a crash, or N programs.
"""

from __future__ import annotations

import builtins
import fcntl
import gc
import json
import math
import os
import random
import resource
import signal
import struct
import sys
import time
import traceback

import numpy as np

# numpy loads these lazily on first attribute access, which would look like tampering to _fingerprint.
import numpy.char, numpy.fft, numpy.linalg, numpy.ma, numpy.polynomial, numpy.random, numpy.rec  # noqa: E401,F401,I001

MAX_VALUES = 30 * 30 * 4  # a returned value with more numbers than this is refused here
CAPTURE_CHARS = 4096  # kept of each of stdout / stderr
FILE_SIZE_LIMIT = 16 << 20
CPU_HARD_LIMIT_S = 3600  # per runner; each program gets a soft limit of its own on top of what is used
EXIT_SETUP_FAILED = 86  # the runner could not confine itself and refused to run anything
_WATCHED = ("builtins", "json", "os", "struct", "random", "math", "itertools", "functools", "collections",
            "copy", "numpy", "numpy.random", "common", "__main__", "_sandbox_runner")


def read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def write_frames(fd: int, *frames: bytes) -> None:
    view = memoryview(b"".join(struct.pack(">I", len(f)) + f for f in frames))
    while view:
        view = view[os.write(fd, view):]


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
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<program>":
            where = f" (line {frame.lineno})"
            break
    return f"{type(exc).__name__}: {exc}"[:1000] + where


def confine(ctx: dict, memory_mb: int, in_fd: int, out_fd: int) -> None:
    """Confine this freshly forked process; afterwards fd 4 reads requests and fd 3 sends answers.

    Raises if any promised mechanism fails: the caller then exits without running anything."""
    linux = ctx["linux"]
    os.setpgid(0, 0)
    if linux is not None:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != ctx["pid"]:
        raise RuntimeError("worker exited before the runner started")
    # Move the fds we keep to 3, 4, 5 (via high numbers, so no dup2 clobbers another) and close the rest:
    # the worker's pipes to the parent must not be reachable from a program.
    keep = [out_fd, in_fd] + ([ctx["ruleset_fd"]] if ctx["ruleset_fd"] is not None else [])
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 1000 + k) for k, fd in enumerate(keep)]
    for k, fd in enumerate(high):
        os.dup2(fd, 3 + k)
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.closerange(3 + len(keep), 1 << 16)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes fail with EFBIG instead of killing us
    with open("/proc/self/statm") as f:  # address space already mapped (python + numpy), in pages
        base = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit_as = base + (memory_mb << 20)
    for which, soft, hard in [
        (resource.RLIMIT_CPU, CPU_HARD_LIMIT_S, CPU_HARD_LIMIT_S),
        (resource.RLIMIT_AS, limit_as, limit_as),
        (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT, FILE_SIZE_LIMIT),
        (resource.RLIMIT_NOFILE, 64, 64),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, 0, 0),  # no effect for uid 0; seccomp is what stops fork there
    ]:
        resource.setrlimit(which, (soft, hard))
    if ctx["ruleset_fd"] is not None:
        linux.landlock_restrict(5)
        os.close(5)
    os.chdir(ctx["scratch"])
    if ctx["seccomp"]:
        linux.seccomp_install(linux.seccomp_filter(os.getpid()))


def _fingerprint() -> tuple:
    """Identity of everything in the watched modules (and the classes they define): a program that
    rebinds a numpy or dsl function, a builtin, or our own helpers changes it."""
    parts = []
    for name in _WATCHED:
        module = sys.modules.get(name)
        if module is None:
            continue
        d = vars(module)
        parts.append((name, id(module), tuple(d), tuple(map(id, d.values()))))
        for value in list(d.values()):
            if isinstance(value, type) and getattr(value, "__module__", None) in ("dsl.common", "common"):
                parts.append((tuple(vars(value)), tuple(map(id, vars(value).values()))))
    return tuple(parts)


def run_program(req: dict, emit) -> bool:
    """Run one program on every input, passing one record per input to ``emit`` as soon as it is known
    (so a later timeout keeps earlier results); returns whether this runner must be retired."""
    inputs, memory_error = req["inputs"], False
    random.seed(req["seed"])
    np.random.seed(req["seed"])
    namespace = {"__name__": "__sandbox__", "__builtins__": builtins}
    try:
        exec(compile(req["source"], "<program>", "exec"), namespace)
        transform = namespace.get("transform")
        if not callable(transform):
            raise NameError("the program defines no function transform(input_grid)")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are program failures too
        memory_error = isinstance(exc, MemoryError)
        status = "memory" if memory_error else "error"
        for i in range(len(inputs)):
            emit({"i": i, "status": status, "message": describe(exc)})
        return memory_error
    for i, grid in enumerate(inputs):
        try:
            value = plain(transform(np.array(grid, dtype=np.int64)), [MAX_VALUES])
            record = {"i": i, "status": "ok", "value": value}
        except MemoryError as exc:
            memory_error = True
            record = {"i": i, "status": "memory", "message": describe(exc)}
        except NotAGrid as exc:
            record = {"i": i, "status": "invalid", "message": str(exc)}
        except BaseException as exc:
            record = {"i": i, "status": "error", "message": describe(exc)}
        emit(record)
    return memory_error


def serve() -> None:
    """The request loop of a confined runner (returns when the worker closes the pipe)."""
    fingerprint = _fingerprint()
    recursion_limit, np_err = sys.getrecursionlimit(), np.geterr()
    while True:
        header = read_exact(4, 4)
        payload = read_exact(4, struct.unpack(">I", header)[0]) if header else None
        if payload is None:
            return
        req = json.loads(payload)
        # Undo what a previous program may have changed in interpreter settings.
        sys.setrecursionlimit(recursion_limit)
        np.seterr(**np_err)
        gc.enable()
        signal.setitimer(signal.ITIMER_REAL, 0)
        used = resource.getrusage(resource.RUSAGE_SELF)
        used_s = used.ru_utime + used.ru_stime
        soft = min(CPU_HARD_LIMIT_S, math.ceil(used_s + req["timeout_s"]) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, CPU_HARD_LIMIT_S))
        out, err = BoundedText(CAPTURE_CHARS), BoundedText(CAPTURE_CHARS)
        sys.stdout, sys.stderr = out, err
        start = time.perf_counter()
        try:
            memory_error = run_program(req, lambda record: write_frames(3, json.dumps(record).encode()))
        finally:
            sys.stdout = sys.stderr = BoundedText(0)
        recycle = memory_error or _fingerprint() != fingerprint
        done = {"done": True, "recycle": recycle, "stdout": out.text(), "stderr": err.text(),
                "run_s": round(time.perf_counter() - start, 6)}
        write_frames(3, json.dumps(done).encode())
        if recycle:
            return


def main(ctx: dict, memory_mb: int, in_fd: int, out_fd: int) -> int:
    """Entry point in the forked child; returns the exit code."""
    try:
        confine(ctx, memory_mb, in_fd, out_fd)
    except Exception as exc:  # never run a program with less protection than was promised
        for fd in (out_fd, 3):  # 3 once confine has moved the pipe there
            try:
                write_frames(fd, json.dumps({"setup_error": repr(exc)[:500]}).encode())
                break
            except OSError:
                continue
        return EXIT_SETUP_FAILED
    serve()
    return 0

"""The confined process that executes one untrusted program (made by sandbox/_zygote.py per program).

The zygote's forker (or, without one, the zygote) makes it in a PID namespace of its own (it is pid 1 there
and sees no other process) before it has a request for it, while the program before it still runs:
:func:`main` first confines the process (process group, fds, no capabilities, Landlock, seccomp), then
waits for its one request on fd 5 (the zygote writes it once the last program is dead and a fresh scratch
is mounted; the process reads it by its length and closes the pipe), enters its scratch directory (a tmpfs mounted for it alone), sets the request's limits, runs
the program on every input and writes one JSON line per input, then one line with the captured output,
to fd 3; then the process exits. Nothing here is trusted afterwards: the zygote forwards the lines only
once this process is dead, and the parent validates them.

A request is binary: JOB_HEAD (wall-clock limit, memory limit in MiB, length of the rest), put before it by
the zygote, then the job (built by sandbox/__init__.py, passed on unread by the zygote): JOB_BODY (seed,
number of inputs, source length), the source (UTF-8), then each input as
its height and width in one byte each and its cells in one byte each, row by row. A result that is an
integer array of colours 0..9 is sent as its shape and a string of digits (``"cells"``); any other value
as nested lists (``"value"``), which the parent validates with ``arc.grid.as_grid`` either way.
"""

from __future__ import annotations

import builtins
import json
import os
import struct
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
RESULT_FD, RULESET_FD, REQUEST_FD = 3, 4, 5
JOB_HEAD = struct.Struct("<dII")  # wall-clock limit, memory limit in MiB, the job's length: the zygote's part
JOB_BODY = struct.Struct("<qII")  # seed, number of inputs, length of the source: the job, built by the parent


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


def confine(ctx: dict, result_fd: int, request_fd: int) -> None:
    """Confine this freshly forked process before it has a request; afterwards fd 3 (results) and fd 5 (its
    request, read next) are its only ways out and in. (The zygote hands over both above fd 5.)

    The worker did what is the same for every program once (bounding and ambient capability sets emptied,
    no_new_privs, file size / open files / core rlimits, SIGXFSZ ignored so oversize writes fail with
    EFBIG, Landlock ruleset and seccomp filters built, its own fds moved above 100); what is left here is
    what only a process of its own can do. Each step costs this process page copies, so it is kept short.
    Raises if any promised mechanism fails: the caller then exits without running anything."""
    linux = ctx["linux"]
    # Alone in a process group: kill(0, ...) reaches no one else. (Not a session: setsid would give every
    # program an autogroup of the scheduler's own, made and torn down per program.)
    os.setpgid(0, 0)
    if linux is not None and not ctx["pid_ns"]:
        # (In a PID namespace the worker is the init of one that holds this process's: if the worker dies,
        # the kernel kills every process of that namespace, this one included, as this signal would.)
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != (0 if ctx["pid_ns"] else ctx["pid"]):  # in its own PID namespace the parent is invisible
        raise RuntimeError("worker exited before the program process started")
    # (The worker made it the one a memory cgroup's OOM killer takes, never the worker: oom_score_adj.)
    if linux is not None and not ctx["seccomp"]:  # SysV IPC is not denied: give it a namespace of its own
        try:
            linux.unshare(linux.CLONE_NEWIPC)
        except OSError:
            pass  # the worker's IPC namespace (if any) is still its own
    # fd 3: results; fd 4: the Landlock ruleset; fd 5: the request; 0-2: /dev/null; nothing else (the
    # worker's own fds, its pipes to the parent among them, sit above 100 and are closed here).
    os.dup2(result_fd, RESULT_FD)
    if ctx["ruleset_fd"] is not None:
        os.dup2(ctx["ruleset_fd"], RULESET_FD)
    os.dup2(request_fd, REQUEST_FD)
    os.dup2(ctx["devnull_fd"], 2)
    os.closerange(REQUEST_FD + 1, 1 << 16)
    if ctx["ruleset_fd"] is None:
        os.dup2(ctx["devnull_fd"], RULESET_FD)
    if linux is not None:
        linux.drop_capabilities()
    if ctx["ruleset_fd"] is not None:
        ctx["landlock_restrict"]()  # (built by the worker for fd RULESET_FD)
        os.close(RULESET_FD)
    if ctx["seccomp"]:
        ctx["seccomp_install"]()


def read_request(ctx: dict) -> dict:
    """Read this process's one request from fd 5 (to the end: the zygote closed its side) and set its
    limits. The file size, open files and core limits are the worker's, inherited. With seccomp a program
    cannot start a thread or process, so the worker's wall-clock kill needs no CPU-time limit beside it."""
    # Read by its length, so that each read asks for no more than there is (a larger read allocates, and
    # this process pays for, a buffer of the size asked for).
    head = _read_exact(JOB_HEAD.size)
    timeout_s, memory_mb, length = JOB_HEAD.unpack(head)
    data = _read_exact(length)
    os.close(REQUEST_FD)
    # Only now: the zygote mounts this program's scratch after the last program is dead, then writes this
    # request, so the scratch this process enters is its own (it was forked while the last one ran).
    os.chdir(ctx["workdir"])
    seed, n, size = JOB_BODY.unpack_from(data)
    at = JOB_BODY.size + size
    source = data[JOB_BODY.size:at].decode("utf-8", "surrogatepass")
    inputs = []
    for _ in range(n):
        h, w = data[at], data[at + 1]
        inputs.append((h, w, at + 2))
        at += 2 + h * w
    if at != len(data):
        raise ValueError("malformed request")
    limit_as = ctx["mapped_bytes"] + (16 << 20) + (memory_mb << 20)  # the worker's, at fork
    resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
    if not ctx["seccomp"]:
        cpu_s = int(timeout_s) + 2  # soft == hard: SIGKILL (pid 1 would ignore SIGXCPU)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no effect for uid 0
    return {"source": source, "seed": seed, "data": data, "inputs": inputs}


def _read_exact(n: int) -> bytes:
    data = os.read(REQUEST_FD, n)
    while len(data) < n:  # (a request larger than the pipe holds comes in parts)
        more = os.read(REQUEST_FD, n - len(data))
        if not more:
            raise ValueError("truncated request")
        data += more
    return data


def _emit(record: dict) -> None:
    # A record starts on a line of its own even after bytes the program wrote to fd 3 itself.
    _write(("\n" + json.dumps(record) + "\n").encode())


def _write(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(RESULT_FD, view):]


def ok_record(i: int, value) -> str | None:
    """The result line of a returned integer array of colours (shape and a string of digits), or None for
    any other value, which goes through :func:`plain` (the parent validates both the same way)."""
    if (type(value) is np.ndarray and value.ndim == 2 and value.dtype.kind in "iu"
            and 1 <= value.shape[0] <= 30 and 1 <= value.shape[1] <= 30):
        # Colours 0..9 exactly when the values survive a cast to bytes and back, and every byte is 0..9
        # (casts and bytes operations only: numpy's reductions cost this process more pages than the rest).
        small = np.ndarray.astype(value, np.uint8, order="C")
        cells = np.ndarray.tobytes(small)
        if cells.translate(None, _COLOURS) or (
                np.ndarray.tobytes(np.ndarray.astype(small, value.dtype)) != np.ndarray.tobytes(value)):
            return None
        return (f'\n{{"i": {i}, "status": "ok", "h": {value.shape[0]}, "w": {value.shape[1]}, '
                f'"cells": "{cells.translate(_DIGITS).decode("ascii")}"}}\n')
    return None


_COLOURS = bytes(range(10))
_DIGITS = bytes.maketrans(_COLOURS, b"0123456789")
_NO_OUTPUT = b'\n{"stdout": "", "stderr": ""}\n'  # the last line when a program printed nothing


def fresh_globals() -> dict:
    """The globals a program starts with."""
    return {"__name__": "__sandbox__", "__builtins__": builtins}


def star_globals(aliases) -> dict[str, dict]:
    """For each preloaded module name, the globals a program has once its first statement,
    ``from NAME import *``, has run: built by the worker once, before it forks any program's process, and
    inherited by each (its own copy: what a program changes in it, or in the objects it names, stays in
    that program's process)."""
    prepared = {}
    for alias in aliases:
        if all(part.isidentifier() for part in alias.split(".")):
            namespace = fresh_globals()
            try:
                exec(f"from {alias} import *", namespace)
            except Exception:
                continue  # (a program then runs the statement itself, and fails as it would)
            prepared[f"from {alias} import *"] = namespace
    return prepared


def program_globals(source: str, prepared: dict[str, dict]) -> tuple[str, dict]:
    """The source to compile and the globals to run it in. When the program's first statement is a line
    that reads exactly ``from NAME import *`` for a preloaded NAME, the globals are the namespace the worker
    prepared (:func:`star_globals`: the same names bound to the same objects in the same order as that
    statement binds them) and the line is left blank (line numbers stay): running the statement again
    would touch every object it binds, and copy every page holding one, in each program's process.
    Otherwise fresh globals and the source unchanged."""
    at = 0
    while True:  # the first line that is not blank or a comment
        end = source.find("\n", at)
        line = source[at:] if end < 0 else source[at:end]
        text = line.strip()
        if text and not text.startswith("#"):
            break
        if end < 0:
            return source, fresh_globals()
        at = end + 1
    namespace = prepared.get(line.rstrip())
    if namespace is None or line[:1].isspace():
        return source, fresh_globals()
    return source[:at] + source[at + len(line):], namespace


def run_program(req: dict, emit, write=None, prepared: dict[str, dict] | None = None) -> None:
    """Run one program on every input, passing one record per input to ``emit`` as soon as it is known
    (so a later timeout keeps earlier results). ``prepared``: :func:`star_globals` of the worker."""
    data, inputs = req["data"], req["inputs"]
    random.seed(req["seed"])
    np.random.seed(req["seed"])
    source, namespace = program_globals(req["source"], prepared or {})
    try:
        exec(compile(source, "<program>", "exec"), namespace)
        transform = namespace.get("transform")
        if not callable(transform):
            raise NameError("the program defines no function transform(input_grid)")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are program failures too
        status = "memory" if isinstance(exc, MemoryError) else "error"
        for i in range(len(inputs)):
            emit({"i": i, "status": status, "message": describe(exc)})
        return
    for i, (h, w, at) in enumerate(inputs):
        try:
            value = transform(np.frombuffer(data, np.uint8, h * w, at).reshape(h, w).astype(np.int64))
            line = ok_record(i, value) if write is not None else None
            if line is not None:
                write(line.encode())
                continue
            record = {"i": i, "status": "ok", "value": plain(value, [MAX_VALUES])}
        except MemoryError as exc:
            record = {"i": i, "status": "memory", "message": describe(exc)}
        except NotAGrid as exc:
            record = {"i": i, "status": "invalid", "message": str(exc)}
        except BaseException as exc:
            record = {"i": i, "status": "error", "message": describe(exc)}
        emit(record)


_WARM_UP = """{first}
import numpy as np

def transform(input_grid):
    output_grid = np.zeros_like(input_grid)
    output_grid[:, :] = input_grid
    return output_grid
"""


def warm_up(prepared: dict[str, dict]) -> None:
    """Run a fixed program of our own (a copy of its input) through :func:`run_program` once in the worker,
    before any process for a program is forked, with every prepared first line: the lookups, caches and
    lazily bound library calls on that path are then filled in the worker and shared, not filled again
    (and paid for in page copies) by every program's process. It uses copies of the prepared globals,
    and its results are dropped: what a program's process inherits from it is the state of the
    interpreter's caches, the same in every worker and for every program."""
    grid = bytes((3, 3)) + bytes(range(9))
    for first in [""] + list(prepared):
        req = {"source": _WARM_UP.format(first=first), "seed": 0, "data": grid, "inputs": [(3, 3, 2)]}
        copies = {line: dict(namespace) for line, namespace in prepared.items()}
        run_program(req, lambda record: json.dumps(record), lambda data: None, copies)


def main(ctx: dict, request_fd: int, result_fd: int) -> int:
    """Entry point in the forked child; returns the exit code (the caller calls os._exit with it)."""
    try:
        confine(ctx, result_fd, request_fd)
        req = read_request(ctx)
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
        run_program(req, _emit, _write, ctx["star_globals"])
    finally:
        if out.total or err.total:
            _emit({"stdout": out.text(), "stderr": err.text()})
        else:
            _write(_NO_OUTPUT)  # (what _emit writes for it, without the JSON encoder's pages)
    return 0

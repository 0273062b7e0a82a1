"""Run directories: resolved config, per-task results appended as each task finishes, the
Kaggle submission and scores. A stopped run resumes from its results file without redoing a
finished task.

Layout of RUN_DIR::

    config.json       the resolved configuration (a resumed run reuses it)
    results.jsonl     one JSON object per finished task (ok or failed), fsync'ed as written
    shared.jsonl      per start of the run: the work shared by its tasks, timed once and charged
                      to no task (model loading, engine start-up, TTT's batched inference)
    answers.jsonl     solver answers made before their task's record (TTT with vLLM answers every
                      task first; the synthesizer in a budgeted run's first phase, its programs in
                      programs/): a resumed run takes them instead of solving again
    budget.jsonl      per start of a budgeted run (``--time-budget``): how its time was spent and
                      what was skipped for time (``ensemble.budget``)
    submission.json   Kaggle format, rewritten when the run ends (a budgeted run writes it at its
                      start and after every task: it is always there and always valid)
    scores.json       pass@2 scores where the solutions are known
    run.lock          the writer's lock (flock) and pid: one process writes a run at a time
    programs/         the programs the synthesizer tried (one JSONL per task, ``synth.store``'s format)
    ttt/adapters/     the TTT solver's PEFT folders, one per task (the only files a solver writes)

This class is the only writer of these files: the solvers return values (``arc.answer.TaskAnswer``,
programs included), and ``append`` stores a task's programs, then its record. Run directories of
earlier versions load and resume: records whose ``ttt`` is bare grids and whose ``synth`` is the
synthesizer's old outcome, and TTT answers kept in ``ttt/ttt_results.jsonl``.

A task is finished once its record is on disk. A record that cannot be written (disk full, I/O
error) stops the run with a StorageError and the task is redone on ``--resume``.

Several records for one task: the last one wins (in the submission and the report alike), but only
where it legitimately replaces the earlier one: a retry of a failed task (``--retry-failed``) or a
repeat of the same answer. A second, different answer to a task that was already answered is a
RunFileError naming the file and both lines: which one is right cannot be decided here.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from arc.answer import TaskAnswer, TestAnswer
from arc.errors import GridError, RunFileError, RunLockedError, StorageError
from arc.grid import Grid, as_grid
from arc.score import score, to_submission
from arc.storage import append_jsonl, read_json, read_jsonl, storage_failure, write_bytes_atomic, write_json_atomic
from arc.task import Task
from ensemble.config import RunConfig

STATUSES = ("ok", "error", "timeout")


def stage_name(solver: str | None, key: str) -> str:
    """The one name of a timing stage in a record: ``total``, a solver's name (its whole time), or
    ``<solver>_<stage>`` (``ttt_train``, ``synth_propose``): lower case, words joined by ``_``, every
    value in seconds and no unit in the name. Keys of older records (``ttt_train_s``) read the same."""
    key = key.removesuffix("_s")
    return key if solver is None else f"{solver}_{key}"


@dataclass(frozen=True)
class TaskRecord:
    """Everything a run keeps about one task. ``status`` is "ok", "error" or "timeout"."""

    task_id: str
    status: str
    attempts: tuple[tuple[Grid, ...], ...]  # per test input, at most 2 each
    rules: tuple[str, ...] = ()  # per test input, the ensemble rule that fired
    ttt: tuple[TestAnswer, ...] | None = None  # per test input, the TTT solver's answer
    synth: tuple[TestAnswer, ...] | None = None  # per test input, the synthesizer's answer
    timings: Mapping[str, float] = field(default_factory=dict)  # seconds per stage, named by ``stage_name``
    error: str | None = None
    error_kind: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    # the programs the synthesizer tried: ``RunDir.append`` stores them in programs/, not in the record
    programs: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict:
        d = asdict(replace(self, ttt=None, synth=None, programs=()))
        del d["programs"]
        d["ttt"] = None if self.ttt is None else [a.to_json() for a in self.ttt]
        d["synth"] = None if self.synth is None else [a.to_json() for a in self.synth]
        d["timings"] = dict(self.timings)
        d["info"] = dict(self.info)
        return d

    @staticmethod
    def from_json(d: dict) -> "TaskRecord":
        """Inverse of ``to_json``. Raises ValueError saying what is wrong (the caller adds where)."""
        if not isinstance(d, dict):
            raise ValueError(f"expected a JSON object, got {type(d).__name__}")
        if not isinstance(d.get("task_id"), str) or not d["task_id"]:
            raise ValueError(f"task_id must be a non-empty string, got {d.get('task_id')!r}")
        if d.get("status") not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {d.get('status')!r}")

        def grids(rows):
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise ValueError("attempts must be a list (per test input) of lists of grids")
            return tuple(tuple(as_grid(g) for g in row) for row in rows)

        for key in ("timings", "info"):
            if not isinstance(d.get(key) or {}, dict):
                raise ValueError(f"{key} must be an object")
        for key in ("ttt", "synth"):
            if not isinstance(d.get(key) or [], list):
                raise ValueError(f"{key} must be a list (per test input)")
        return TaskRecord(
            task_id=d["task_id"],
            status=d["status"],
            attempts=grids(d.get("attempts")),
            rules=tuple(d.get("rules") or ()),
            ttt=None if d.get("ttt") is None else tuple(_ttt_answer(a) for a in d["ttt"]),
            synth=None if d.get("synth") is None else tuple(_synth_answer(a) for a in d["synth"]),
            timings=d.get("timings") or {},
            error=d.get("error"),
            error_kind=d.get("error_kind"),
            info=d.get("info") or {},
        )


def _ttt_answer(d: Any) -> TestAnswer:
    """One test input's TTT answer in a record; before issue 27 it was the bare ranked grids."""
    if isinstance(d, list):
        return TestAnswer.of("predicted" if d else "none", d, source="ttt")
    return TestAnswer.from_json(d)


def _synth_answer(d: Any) -> TestAnswer:
    """One test input's synthesizer answer in a record; before issue 27 it was ``SynthOutcome``'s JSON
    (status, attempts, and the programs behind each attempt in ``votes``)."""
    if isinstance(d, dict) and "ranked" not in d and "attempts" in d:
        if d.get("status") not in ("unique", "several", "none") or not isinstance(d["attempts"], list):
            raise ValueError(f"a synthesizer outcome needs status and attempts, got {d!r:.80}")
        return TestAnswer.of(d["status"], d["attempts"], [float(v) for v in d.get("votes") or ()], "synth")
    return TestAnswer.from_json(d)


def _legacy_ttt_answer(d: Any) -> TaskAnswer | None:
    """A line of ``ttt/ttt_results.jsonl`` (TTT's own results file before issue 27) as an answer;
    None for a failed task (it is solved again)."""
    if not isinstance(d, dict) or d.get("error") is not None or not isinstance(d.get("task_id"), str):
        return None
    tests = []
    for i, attempts in enumerate(d.get("attempts") or []):
        cands = (d.get("candidates") or [])[i] if i < len(d.get("candidates") or []) else []
        counts = {as_grid(c["grid"]): float(c["n"]) for c in cands}
        grids = [as_grid(g) for g in attempts]
        tests.append(TestAnswer.of("predicted" if grids else "none", grids, [counts.get(g) for g in grids], "ttt:vote"))
    info = {k: d[k] for k in ("n_candidates", "n_parse_failures", "n_too_long", "n_pseudo_tasks") if k in d}
    return TaskAnswer(d["task_id"], tuple(tests), dict(d.get("timings") or {}), info)


class RunDir:
    """A run directory on disk (see the module docstring), and its only writer."""

    LEGACY_TTT_RESULTS = "ttt/ttt_results.jsonl"

    LOCK = "run.lock"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock_fd: int | None = None

    @property
    def results_path(self) -> Path:
        return self.path / "results.jsonl"

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    def exists(self) -> bool:
        return self.config_path.exists()

    def create(self, config: RunConfig) -> None:
        if self.exists():
            raise FileExistsError(f"{self.path} already holds a run; use --resume {self.path} to finish it")
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.config_path, config.to_json())

    def lock(self) -> None:
        """Become the run's only writer until ``unlock()`` or the end of this process.

        An advisory ``flock`` on ``run.lock``, which also holds the writer's pid; the kernel drops
        the lock when the process dies, so a killed run never leaves a stale lock behind.
        Raises RunLockedError naming the holder's pid.
        """
        if self._lock_fd is not None:
            return
        path = self.path / self.LOCK
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise StorageError(f"{path}: cannot open the run's lock: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise RunLockedError(f"{self.path}: in use by another arc-solve (pid {holder}); "
                                 "one process writes a run directory at a time") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as e:
            os.close(fd)
            raise StorageError(f"{path}: cannot write: {e.strerror or e}") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def config(self) -> RunConfig:
        """The saved configuration. One that this version cannot use (written by another version,
        or edited by hand) is a RunFileError in one line, naming the file and the field."""
        path = self.config_path
        if not path.is_file():
            raise RunFileError(f"{self.path}: not a run directory (no config.json)")
        config = read_json(path, RunFileError)
        if not isinstance(config, dict):
            raise RunFileError(f"{path}: expected a JSON object (the run's configuration), got {type(config).__name__}")
        try:
            return RunConfig.from_json(config)
        except (ValueError, TypeError) as e:
            raise RunFileError(f"{path}: unusable settings (a run from an older version of arc-solve, "
                               f"or edited by hand): {e}") from None

    def records(self) -> dict[str, TaskRecord]:
        """Finished tasks, the last record of each (see the module docstring for duplicates).

        A last line cut off by a kill is ignored; any other bad line raises RunFileError."""
        out: dict[str, TaskRecord] = {}
        line_of: dict[str, int] = {}
        for n, obj in read_jsonl(self.results_path):
            try:
                rec = TaskRecord.from_json(obj)
            except (GridError, ValueError, TypeError) as e:
                raise RunFileError(f"{self.results_path}: line {n}: not a task record: {e}") from None
            earlier = out.get(rec.task_id)
            if earlier is not None and earlier.status == "ok" and earlier.attempts != rec.attempts:
                raise RunFileError(f"{self.results_path}: lines {line_of[rec.task_id]} and {n}: two different "
                                   f"answers for task {rec.task_id}; remove the wrong one")
            out[rec.task_id] = rec
            line_of[rec.task_id] = n
        return out

    @property
    def shared_path(self) -> Path:
        return self.path / "shared.jsonl"

    def append_shared(self, entry: Mapping[str, Any]) -> None:
        """Record the shared work of one start of the run (see the module docstring)."""
        append_jsonl(self.shared_path, [dict(entry)])

    def shared(self) -> list[dict]:
        """The shared-work entries, oldest first (a torn last line is ignored)."""
        return [obj for _, obj in read_jsonl(self.shared_path) if isinstance(obj, dict)]

    @property
    def answers_path(self) -> Path:
        return self.path / "answers.jsonl"

    def append_answer(self, solver: str, answer: TaskAnswer) -> None:
        """Keep a solver's answer made before its task's record (see the module docstring); the
        programs riding along go to programs/ first (``answers`` reads them back)."""
        if answer.programs:
            self.write_programs(answer.task_id, answer.programs)
        append_jsonl(self.answers_path, [{"solver": solver, **answer.to_json()}])

    @property
    def budget_path(self) -> Path:
        return self.path / "budget.jsonl"

    def append_budget(self, entry: Mapping[str, Any]) -> None:
        """Record how one start of a budgeted run spent its time (``ensemble.budget``)."""
        append_jsonl(self.budget_path, [dict(entry)])

    def budget(self) -> list[dict]:
        """The budget entries, oldest first (a torn last line is ignored)."""
        return [obj for _, obj in read_jsonl(self.budget_path) if isinstance(obj, dict)]

    def answers(self, solver: str, programs: bool = True) -> dict[str, TaskAnswer]:
        """The answers kept for ``solver``, the last of each task; for TTT also those of a run
        directory written before issue 27 (``ttt/ttt_results.jsonl``); the synthesizer's with their
        programs read back from programs/ unless ``programs`` is False. Bad lines raise RunFileError."""
        out: dict[str, TaskAnswer] = {}
        if solver == "ttt":
            legacy = self.path / self.LEGACY_TTT_RESULTS
            for n, obj in read_jsonl(legacy):
                try:
                    answer = _legacy_ttt_answer(obj)
                except (GridError, ValueError, TypeError, KeyError) as e:
                    raise RunFileError(f"{legacy}: line {n}: not a TTT result: {e}") from None
                if answer is not None:
                    out[answer.task_id] = answer
        for n, obj in read_jsonl(self.answers_path):
            if not isinstance(obj, dict) or obj.get("solver") != solver:
                continue
            try:
                answer = TaskAnswer.from_json({k: v for k, v in obj.items() if k != "solver"})
            except (GridError, ValueError, TypeError) as e:
                raise RunFileError(f"{self.answers_path}: line {n}: not a solver answer: {e}") from None
            out[answer.task_id] = answer
        if solver == "synth" and programs:
            from synth.store import load_programs

            out = {tid: replace(a, programs=tuple(load_programs(self.path, tid))) for tid, a in out.items()}
        return out

    def write_programs(self, task_id: str, programs: Any) -> None:
        """Replace the task's program file with ``programs`` (``synth.verify.ProgramResult``s)."""
        from synth.store import program_lines, programs_path

        path = programs_path(self.path, task_id)
        try:
            path.parent.mkdir(exist_ok=True)  # not parents: a vanished run directory is not recreated
        except OSError as e:
            raise StorageError(f"{path.parent}: cannot create: {e.strerror or e}") from None
        write_bytes_atomic(path, program_lines(programs))

    def append(self, record: TaskRecord) -> None:
        """Write one task for good: its programs (when the synthesizer ran), then its record
        (fsync'ed). Raises StorageError: the task is then not finished."""
        if record.synth is not None or record.programs:
            self.write_programs(record.task_id, record.programs)
        append_jsonl(self.results_path, [record.to_json()])

    def finish(self, tasks: Mapping[str, Task], also_to: str | Path | None = None) -> dict | None:
        """Write submission.json for every task of the run (and the same bytes to ``also_to``), and
        scores.json where solutions are known. A task without a record but with a synthesizer answer
        made ahead of it (a budgeted run) gets that answer, as the run's policy decides it alone;
        one with neither gets the 1x1 placeholders (``arc.score.to_submission``)."""
        records = self.records()
        ahead = self.answers("synth", programs=False) if self.answers_path.exists() else {}
        policy = self.config().solver_policy if ahead else ""
        predictions = {}
        for tid, task in tasks.items():
            rec = records.get(tid)
            if rec is None and tid in ahead:
                predictions[tid] = _provisional(task, ahead[tid], policy)
                continue
            per_test = [list(rec.attempts[i]) if rec and i < len(rec.attempts) else [] for i in range(len(task.test))]
            predictions[tid] = per_test
        submission = to_submission(predictions)
        write_json_atomic(self.path / "submission.json", submission)
        if also_to is not None:
            try:
                Path(also_to).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StorageError(f"{Path(also_to).parent}: cannot create: {e.strerror or e}") from None
            write_json_atomic(Path(also_to), submission)
        scored = {tid: t for tid, t in tasks.items() if t.has_solutions}
        if not scored:
            return None
        result = score({tid: predictions[tid] for tid in scored}, scored)
        write_json_atomic(self.path / "scores.json", result)
        return result


def _provisional(task: Task, synth: TaskAnswer, policy: str) -> list[list[Grid]]:
    """Per test input, the attempts ``policy`` gives the synthesizer's answer alone."""
    from ensemble.combine import combine

    return [list(combine((), synth.tests[i] if i < len(synth.tests) else None, policy).attempts)
            for i in range(len(task.test))]


SolveFn = Callable[[Task], TaskRecord]


def run_tasks(
    tasks: Mapping[str, Task],
    solve: SolveFn,
    run_dir: RunDir,
    progress: Callable[[TaskRecord, int, int], None] | None = None,
    retry_failed: bool = False,
) -> dict[str, TaskRecord]:
    """Solve every task not yet in ``run_dir``, appending each record as it finishes.

    ``solve`` turns a task into a record; an exception escaping it is recorded as an "error"
    record and the run goes on, except a StorageError (or an OSError saying the disk is full or
    failing), which stops the run: the machine failed, not the task. ``retry_failed`` also redoes
    tasks whose record is an error or a timeout (the new record supersedes it).
    ``progress(record, n_done, n_total)`` is called after each task. A ``solve`` with a
    ``prepare(tasks, store)`` method (``ensemble.pipeline.TaskSolver``) gets the tasks about to run
    first, and ``run_dir`` to keep (and find again) answers made ahead of their records; what it
    timed once goes to ``shared.jsonl``.
    """
    done = run_dir.records()
    todo = [t for tid, t in tasks.items() if tid not in done or (retry_failed and done[tid].status != "ok")]
    n_total, n_done = len(tasks), len(tasks) - len(todo)
    prepare = getattr(solve, "prepare", None)
    if prepare is not None and todo:
        start = time.perf_counter()
        shared = prepare(todo, run_dir)
        run_dir.append_shared({"started": time.strftime("%Y-%m-%d %H:%M:%S"), "n_tasks": len(todo),
                               "prepare_s": round(time.perf_counter() - start, 3), **shared})
    for task in todo:
        record = solve_one(solve, task)
        run_dir.append(record)
        done[task.id] = record
        n_done += 1
        if progress is not None:
            progress(record, n_done, n_total)
    return done


def solve_one(solve: SolveFn, task: Task) -> TaskRecord:
    """``solve(task)``, with an exception escaping it turned into the task's "error" (or "memory")
    record, except a StorageError or a full or failing disk, which is raised: the machine failed,
    not the task; and one marked ``unfinished`` (the run's deadline), which leaves the task to a later start. Shared by the in-process loop and the Ray workers."""
    start = time.perf_counter()
    try:
        return solve(task)
    except MemoryError as e:
        return failed_record(task, "memory", f"MemoryError: {e}", time.perf_counter() - start)
    except StorageError:
        raise
    except Exception as e:  # a failing task must not end a long run; a failing disk must
        if getattr(e, "unfinished", False):
            raise  # the run's time ran out mid-task (``ensemble.pipeline.DeadlineReached``): no record
        failure = storage_failure(e)
        if failure is not None:
            raise failure from None
        return failed_record(task, "error", f"{type(e).__name__}: {e}", time.perf_counter() - start)


def failed_record(task: Task, kind: str, message: str, seconds: float) -> TaskRecord:
    return TaskRecord(
        task_id=task.id,
        status="timeout" if kind == "timeout" else "error",
        attempts=tuple(() for _ in task.test),
        timings={"total": seconds},
        error=message,
        error_kind=kind,
    )

"""Run directories: resolved config, per-task results appended as each task finishes, the
Kaggle submission and scores. A stopped run resumes from its results file without redoing a
finished task.

Layout of RUN_DIR::

    config.json       the resolved configuration (a resumed run reuses it)
    results.jsonl     one JSON object per finished task (ok or failed), fsync'ed as written
    submission.json   Kaggle format, rewritten when the run ends
    scores.json       pass@2 scores where the solutions are known
    programs/         the synthesizer's program store (one JSONL per task)
    adapters/         TTT adapters (PEFT folders), one per task
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from arc.grid import Grid, as_grid
from arc.score import score, to_submission
from arc.task import Task


@dataclass(frozen=True)
class TaskRecord:
    """Everything a run keeps about one task. ``status`` is "ok", "error" or "timeout"."""

    task_id: str
    status: str
    attempts: tuple[tuple[Grid, ...], ...]  # per test input, at most 2 each
    rules: tuple[str, ...] = ()  # per test input, the ensemble rule that fired
    ttt: tuple[tuple[Grid, ...], ...] | None = None  # per test input, TTT's ranked answers
    synth: tuple[dict, ...] | None = None  # per test input, {"status", "attempts", ...}
    timings: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        d = asdict(self)
        d["timings"] = dict(self.timings)
        d["info"] = dict(self.info)
        return d

    @staticmethod
    def from_json(d: dict) -> "TaskRecord":
        def grids(rows):
            return tuple(tuple(as_grid(g) for g in row) for row in rows)

        return TaskRecord(
            task_id=d["task_id"],
            status=d["status"],
            attempts=grids(d["attempts"]),
            rules=tuple(d.get("rules") or ()),
            ttt=None if d.get("ttt") is None else grids(d["ttt"]),
            synth=None if d.get("synth") is None else tuple(d["synth"]),
            timings=d.get("timings") or {},
            error=d.get("error"),
            error_kind=d.get("error_kind"),
            info=d.get("info") or {},
        )


class RunDir:
    """A run directory on disk (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def results_path(self) -> Path:
        return self.path / "results.jsonl"

    def exists(self) -> bool:
        return (self.path / "config.json").exists()

    def create(self, config: Mapping[str, Any]) -> None:
        if self.exists():
            raise FileExistsError(f"{self.path} already holds a run; use --resume {self.path} to finish it")
        self.path.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(self.path / "config.json", dict(config))

    def config(self) -> dict:
        try:
            return json.loads((self.path / "config.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{self.path}: not a run directory (config.json unreadable: {e})") from None

    def records(self) -> dict[str, TaskRecord]:
        """Finished tasks. A last line cut off by a kill is dropped (and truncated away on append)."""
        out: dict[str, TaskRecord] = {}
        if not self.results_path.exists():
            return out
        for line in self.results_path.read_text().splitlines():
            if not line.strip():
                continue
            try:
                rec = TaskRecord.from_json(json.loads(line))
            except (json.JSONDecodeError, KeyError, ValueError):
                continue  # a torn write from a killed run; the task is simply not finished
            out[rec.task_id] = rec
        return out

    def append(self, record: TaskRecord) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        with open(self.results_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record.to_json(), separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _repair_tail(self) -> None:
        # A SIGKILL mid-write leaves a line without its newline; cut it so the next record
        # starts on a line of its own.
        p = self.results_path
        if not p.exists() or p.stat().st_size == 0:
            return
        data = p.read_bytes()
        if not data.endswith(b"\n"):
            with open(p, "r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def finish(self, tasks: Mapping[str, Task]) -> dict | None:
        """Write submission.json for every task of the run, and scores.json where solutions are known."""
        records = self.records()
        predictions = {}
        for tid, task in tasks.items():
            rec = records.get(tid)
            per_test = [list(rec.attempts[i]) if rec and i < len(rec.attempts) else [] for i in range(len(task.test))]
            predictions[tid] = per_test
        _write_json_atomic(self.path / "submission.json", to_submission(predictions))
        scored = {tid: t for tid, t in tasks.items() if t.has_solutions}
        if not scored:
            return None
        result = score({tid: predictions[tid] for tid in scored}, scored)
        _write_json_atomic(self.path / "scores.json", result)
        return result


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


SolveFn = Callable[[Task], TaskRecord]


def run_tasks(
    tasks: Mapping[str, Task],
    solve: SolveFn,
    run_dir: RunDir,
    progress: Callable[[TaskRecord, int, int], None] | None = None,
) -> dict[str, TaskRecord]:
    """Solve every task not yet in ``run_dir``, appending each record as it finishes.

    ``solve`` turns a task into a record; an exception escaping it is recorded as an "error"
    record and the run goes on. ``progress(record, n_done, n_total)`` is called after each task.
    """
    done = run_dir.records()
    todo = [t for tid, t in tasks.items() if tid not in done]
    n_total, n_done = len(tasks), len(tasks) - len(todo)
    for task in todo:
        start = time.perf_counter()
        try:
            record = solve(task)
        except MemoryError as e:
            record = failed_record(task, "memory", f"MemoryError: {e}", time.perf_counter() - start)
        except Exception as e:  # a failing task must not end a long run
            record = failed_record(task, "error", f"{type(e).__name__}: {e}", time.perf_counter() - start)
        run_dir.append(record)
        done[task.id] = record
        n_done += 1
        if progress is not None:
            progress(record, n_done, n_total)
    return done


def failed_record(task: Task, kind: str, message: str, seconds: float) -> TaskRecord:
    return TaskRecord(
        task_id=task.id,
        status="timeout" if kind == "timeout" else "error",
        attempts=tuple(() for _ in task.test),
        timings={"total": seconds},
        error=message,
        error_kind=kind,
    )

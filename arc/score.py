"""pass@2 scoring and the Kaggle submission format.

An attempt is right only if it equals the expected grid exactly. Two figures, always over the
tasks actually attempted (those present in ``predictions``):
- task accuracy: a task counts when every one of its test inputs is right;
- per-test accuracy: each test input counts 1/len(test) of its task (ARC Prize / Kaggle).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from arc.errors import GridError, TaskFormatError
from arc.grid import Grid, as_grid
from arc.task import Task

MAX_ATTEMPTS = 2


def score(predictions: Mapping[str, Sequence[Sequence[Any]]], tasks: Mapping[str, Task]) -> dict:
    """Score ``predictions`` (task id -> one list of <= 2 attempt grids per test input).

    A test input with no prediction (missing or empty list) is wrong. Raises ValueError for a
    task id not in ``tasks``, a task without known solutions, more test entries than test inputs,
    or more than 2 attempts.
    """
    n_tasks, tasks_right, tests_right = 0, 0, 0.0
    per_task: dict[str, list[bool]] = {}
    for tid, per_test in predictions.items():
        if tid not in tasks:
            raise ValueError(f"predictions name task {tid}, which is not in the dataset")
        task = tasks[tid]
        if not task.has_solutions:
            raise ValueError(f"task {tid} has unknown test outputs and cannot be scored")
        if len(per_test) > len(task.test):
            raise ValueError(f"task {tid}: {len(per_test)} predictions for {len(task.test)} test inputs")
        right = []
        for i, ex in enumerate(task.test):
            attempts = list(per_test[i]) if i < len(per_test) else []
            if len(attempts) > MAX_ATTEMPTS:
                raise ValueError(f"task {tid} test {i}: {len(attempts)} attempts, at most {MAX_ATTEMPTS} allowed")
            right.append(any(_same(a, ex.output) for a in attempts))
        per_task[tid] = right
        n_tasks += 1
        tasks_right += all(right)
        tests_right += sum(right) / len(right)
    return {
        "task_accuracy": tasks_right / n_tasks if n_tasks else 0.0,
        "test_accuracy": tests_right / n_tasks if n_tasks else 0.0,
        "n_tasks": n_tasks,
        "tasks_correct": tasks_right,
        "tests_correct": tests_right,
        "per_task": per_task,
    }


def score_lines(result: Mapping[str, Any], n_tasks: int, dataset: str) -> list[str]:
    """``score``'s figures in words: tasks attempted of the dataset's, task and per-test accuracy."""
    n = result["n_tasks"]
    return [f"tasks attempted: {n} of {n_tasks} in {dataset}",
            f"task accuracy:     {result['task_accuracy']:.2%} ({result['tasks_correct']}/{n})",
            f"per-test accuracy: {result['test_accuracy']:.2%} ({result['tests_correct']:.2f}/{n})"]


def _same(attempt: Any, expected: Grid) -> bool:
    if attempt is None:
        return False
    try:
        return as_grid(attempt) == expected
    except GridError:
        return False  # a malformed attempt is simply wrong


def to_submission(predictions: Mapping[str, Sequence[Sequence[Grid]]]) -> dict:
    """Kaggle format: task id -> one ``{"attempt_1": grid, "attempt_2": grid}`` per test input.

    A missing attempt is written as ``[[0]]``, which Kaggle requires to be present."""
    out = {}
    for tid, per_test in predictions.items():
        rows = []
        for attempts in per_test:
            a = [[list(r) for r in g] for g in attempts[:MAX_ATTEMPTS]]
            while len(a) < MAX_ATTEMPTS:
                a.append([[0]])
            rows.append({"attempt_1": a[0], "attempt_2": a[1]})
        out[tid] = rows
    return out


def read_submission(path: str | Path) -> dict[str, list[list[Grid]]]:
    """Read a Kaggle-format submission into predictions (invalid attempt grids count as no attempt)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TaskFormatError(f"{path}: cannot read submission: {e}") from None
    except RecursionError:
        raise TaskFormatError(f"{path}: cannot read submission: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise TaskFormatError(f"{path}: a submission maps task id to a list of attempt objects")
    preds: dict[str, list[list[Grid]]] = {}
    for tid, per_test in data.items():
        if not isinstance(per_test, list):
            raise TaskFormatError(f"{path}: task {tid}: expected a list (one entry per test input)")
        entries = []
        for i, entry in enumerate(per_test):
            if not isinstance(entry, dict):
                raise TaskFormatError(f"{path}: task {tid} test {i}: expected {{'attempt_1': ..., 'attempt_2': ...}}")
            extra = set(entry) - {"attempt_1", "attempt_2"}
            if extra:
                raise TaskFormatError(f"{path}: task {tid} test {i}: unexpected keys {sorted(extra)}")
            grids = []
            for key in ("attempt_1", "attempt_2"):
                if key not in entry:
                    continue
                try:
                    grids.append(as_grid(entry[key]))
                except GridError:
                    pass  # an invalid attempt is simply no attempt
            entries.append(grids)
        preds[tid] = entries
    return preds

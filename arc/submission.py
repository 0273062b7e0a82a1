"""The ARC Prize submission format, checked strictly (``arc-solve submission validate``).

A submission is one JSON object: every task id of the challenges file, no other, each mapped to a
list with one entry per test input, each entry an object with exactly the keys ``attempt_1`` and
``attempt_2``, each a grid: a non-empty rectangular list of lists of ints 0..9, at most 30 by 30.
Both keys are required even where a solver had nothing (``arc.score.to_submission`` writes a 1x1
placeholder there). ``arc.score.read_submission`` is the lenient reader used for scoring, where a
malformed attempt is simply wrong; this module is the gate before a file is handed in, where it
must be rejected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from arc.task import Task

ATTEMPT_KEYS = ("attempt_1", "attempt_2")
MAX_SIDE = 30


class SubmissionError(ValueError):
    """A submission that the ARC Prize would refuse; the message is one line naming where."""


def _grid_problem(grid: Any) -> str | None:
    """What is wrong with ``grid`` as an attempt, or None."""
    if not isinstance(grid, list) or not grid:
        return "must be a non-empty list of rows"
    if len(grid) > MAX_SIDE:
        return f"has {len(grid)} rows (at most {MAX_SIDE})"
    width = None
    for r, row in enumerate(grid):
        if not isinstance(row, list) or not row:
            return f"row {r} must be a non-empty list of ints"
        if width is None:
            width = len(row)
            if width > MAX_SIDE:
                return f"row {r} has {width} cells (at most {MAX_SIDE})"
        elif len(row) != width:
            return f"is not rectangular (row 0 has {width} cells, row {r} has {len(row)})"
        for c, v in enumerate(row):
            # bool is an int in Python, but JSON's true is not a colour
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 9:
                return f"cell ({r}, {c}) is {json.dumps(v)[:20]}, not an int 0..9"
    return None


def check_submission(data: Any, challenges: Mapping[str, Task]) -> None:
    """Raise SubmissionError (one line: the task, the test index and what is wrong) unless ``data``
    is a valid submission for ``challenges`` (task id -> ``arc.Task``)."""
    if not isinstance(data, dict):
        raise SubmissionError(f"a submission is a JSON object (task id -> list of attempts), got {type(data).__name__}")
    missing = [tid for tid in challenges if tid not in data]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise SubmissionError(f"task {missing[0]}: missing from the submission{more}")
    extra = sorted(tid for tid in data if tid not in challenges)
    if extra:
        more = f" and {len(extra) - 1} more" if len(extra) > 1 else ""
        raise SubmissionError(f"task {extra[0]}: not in the challenges{more}")
    for tid, task in challenges.items():
        entries = data[tid]
        if not isinstance(entries, list):
            raise SubmissionError(f"task {tid}: expected a list with one entry per test input, got {type(entries).__name__}")
        if len(entries) != len(task.test):
            raise SubmissionError(f"task {tid}: {len(entries)} entries for {len(task.test)} test inputs")
        for i, entry in enumerate(entries):
            where = f"task {tid} test {i}"
            if not isinstance(entry, dict):
                raise SubmissionError(f"{where}: expected an object with attempt_1 and attempt_2, got {type(entry).__name__}")
            keys = set(entry)
            if keys != set(ATTEMPT_KEYS):
                lacking = [k for k in ATTEMPT_KEYS if k not in keys]
                what = f"missing {', '.join(lacking)}" if lacking else f"unexpected keys {', '.join(sorted(keys - set(ATTEMPT_KEYS)))}"
                raise SubmissionError(f"{where}: {what} (exactly attempt_1 and attempt_2)")
            for key in ATTEMPT_KEYS:
                problem = _grid_problem(entry[key])
                if problem is not None:
                    raise SubmissionError(f"{where}: {key} {problem}")


def validate_file(path: str | Path, challenges: Mapping[str, Task]) -> str:
    """Check the submission file at ``path`` against ``challenges``; return a one-line summary.
    Raises SubmissionError (one line) for an unreadable file or a malformed submission."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SubmissionError(f"{path}: not a readable JSON file: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise SubmissionError(f"{path}: JSON nested too deeply") from None
    try:
        check_submission(data, challenges)
    except SubmissionError as e:
        raise SubmissionError(f"{path}: {e}") from None
    n_tests = sum(len(t.test) for t in challenges.values())
    return f"{path}: valid ARC Prize submission ({len(challenges)} tasks, {n_tests} test inputs, 2 attempts each)"

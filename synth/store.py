"""The program store's format: every program tried on a task, as JSON lines under a run directory.

Layout: ``RUN_DIR/programs/<task_id>.jsonl``, one ProgramResult per line. The synthesizer returns its
programs as values (``SynthResult.answer().programs``); the run directory (``ensemble.run.RunDir``, the
one writer) writes each task's file whole, atomically, with ``program_lines``. The store is for reading
programs back (``arc-solve programs``, the report), not for resuming: an unreadable line (a torn last
line from an older version's appends, an edited file) is skipped with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Iterable

from arc.errors import GridError
from arc.grid import as_grid
from synth.verify import ProgramResult

log = logging.getLogger(__name__)

_TASK_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def programs_path(run_dir: str | os.PathLike, task_id: str) -> Path:
    """Where the programs of ``task_id`` live (the id must be a plain file name)."""
    if not _TASK_ID.match(task_id):
        raise ValueError(f"task id {task_id!r} cannot be used as a file name")
    return Path(run_dir) / "programs" / f"{task_id}.jsonl"


def _grids(values) -> list:
    return [None if g is None else [list(row) for row in g] for g in values]


def to_record(p: ProgramResult) -> dict:
    """The JSON form of a ProgramResult."""
    return {
        "index": p.index, "source": p.source,
        "train_status": list(p.train_status), "train_outputs": _grids(p.train_outputs),
        "test_status": list(p.test_status), "test_outputs": _grids(p.test_outputs),
        "train_consistent": p.train_consistent, "deterministic": p.deterministic, "message": p.message,
        "tentative": p.tentative,
    }


def from_record(rec: dict) -> ProgramResult:
    """Inverse of :func:`to_record`; grids are validated again (the file may have been edited)."""
    def grids(values):
        return tuple(None if g is None else as_grid(g) for g in values)

    return ProgramResult(
        index=int(rec["index"]), source=str(rec["source"]),
        train_status=tuple(rec["train_status"]), train_outputs=grids(rec["train_outputs"]),
        test_status=tuple(rec["test_status"]), test_outputs=grids(rec["test_outputs"]),
        train_consistent=bool(rec["train_consistent"]), deterministic=rec["deterministic"],
        message=str(rec.get("message", "")), tentative=bool(rec.get("tentative", False)),
    )


def verdict(p: ProgramResult) -> str:
    """What the checks said of a program, in a few words (``arc-solve programs``)."""
    if not p.train_consistent:
        return "fails: " + " ".join(p.train_status)
    return ("PASSES every demonstration" + (", deterministic" if p.deterministic else ", NOT deterministic")
            + (", tentative (never unique alone)" if p.tentative else ""))


def program_lines(programs: Iterable[ProgramResult]) -> bytes:
    """The content of a task's program file: one JSON line per program, in order."""
    return "".join(json.dumps(to_record(p), separators=(",", ":")) + "\n" for p in programs).encode("utf-8")


def load_programs(run_dir: str | os.PathLike, task_id: str, passing_only: bool = False) -> list[ProgramResult]:
    """The programs stored for a task, in the order written (only train-consistent ones if asked)."""
    path = programs_path(run_dir, task_id)
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                program = from_record(json.loads(line))
            except (ValueError, KeyError, TypeError, GridError, RecursionError) as exc:
                log.warning("%s:%d: skipping unreadable program record (%s)", path, n, exc)
                continue
            if program.train_consistent or not passing_only:
                out.append(program)
    return out


def stored_tasks(run_dir: str | os.PathLike) -> list[str]:
    """Task ids that have a program file in this run directory, sorted."""
    folder = Path(run_dir) / "programs"
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def print_programs(programs: Iterable[ProgramResult], color: bool | None = None) -> None:
    """Print ``programs`` to the terminal: each one's verdict, its source highlighted, its test output
    sizes. Program-supplied text is escaped (``arc.text.printable``) before it reaches the terminal."""
    from rich.console import Console
    from rich.markup import escape
    from rich.syntax import Syntax

    from arc.text import printable

    console = Console(force_terminal=color, no_color=color is False, highlight=False, soft_wrap=True)
    for p in programs:
        console.print(f"[bold]program {p.index}[/bold]  {verdict(p)}"
                      + (f"  ({escape(printable(p.message.splitlines()[0][:120]))})" if p.message and not p.train_consistent else ""))
        console.print(Syntax(printable(p.source), "python", line_numbers=False, theme="ansi_dark"))
        console.print(f"test outputs: {', '.join('none' if g is None else '{}x{}'.format(len(g), len(g[0])) for g in p.test_outputs)}\n")


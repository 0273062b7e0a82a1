"""The one answer type both solvers return: per test input, ranked attempts, each with its score and
where it came from, and a status saying how far the solver trusts them.

It lives in ``arc`` because the TTT solver and the synthesizer never import each other nor the
ensemble, yet hand the ensemble the same value. ``ensemble.combine`` reads ``TestAnswer.status`` and
``TestAnswer.attempts`` (the grids); the run record keeps the whole value.

Statuses: the synthesizer's ``unique`` (one answer from deterministic train-consistent programs),
``several`` (programs that fit every demonstration disagree) and ``none``; the TTT solver's
``predicted`` (the views produced at least one grid) and ``none``; and ``skipped``, a solver that the
lazy ensemble did not ask because its answer could not change the submission.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from arc.grid import Grid, as_grid

AnswerStatus = Literal["unique", "several", "none", "predicted", "skipped"]
ANSWER_STATUSES: tuple[str, ...] = typing.get_args(AnswerStatus)


@dataclass(frozen=True)
class Attempt:
    """One ranked answer grid. ``score``: the solver's own measure, higher is better (TTT: the views
    that produced the grid; the synthesizer: the train-consistent programs that give it), None where
    unknown (records written before scores were kept). ``source``: which solver and how, e.g.
    ``ttt:vote`` or ``synth:search``."""

    grid: Grid
    score: float | None = None
    source: str = ""

    def to_json(self) -> dict:
        return {"grid": [list(r) for r in self.grid], "score": self.score, "source": self.source}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Attempt":
        if not isinstance(d, Mapping) or "grid" not in d:
            raise ValueError(f"an attempt needs a grid, got {d!r:.80}")
        score = d.get("score")
        if score is not None and not isinstance(score, (int, float)):
            raise ValueError(f"an attempt's score must be a number or null, got {score!r:.40}")
        return cls(as_grid(d["grid"]), None if score is None else float(score), str(d.get("source") or ""))


@dataclass(frozen=True)
class TestAnswer:
    """A solver's answer for one test input: its status and its attempts, best first, distinct."""

    __test__ = False  # not a pytest class, whatever its name

    status: AnswerStatus
    ranked: tuple[Attempt, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in ANSWER_STATUSES:
            raise ValueError(f"answer status must be one of {ANSWER_STATUSES}, got {self.status!r}")

    @property
    def attempts(self) -> tuple[Grid, ...]:
        """The grids, best first (what ``ensemble.combine`` reads)."""
        return tuple(a.grid for a in self.ranked)

    def to_json(self) -> dict:
        return {"status": self.status, "ranked": [a.to_json() for a in self.ranked]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TestAnswer":
        if not isinstance(d, Mapping) or not isinstance(d.get("ranked", []), list):
            raise ValueError(f"a test answer needs a status and a list 'ranked', got {d!r:.80}")
        return cls(d.get("status"), tuple(Attempt.from_json(a) for a in d.get("ranked", [])))

    @classmethod
    def of(cls, status: AnswerStatus, grids: typing.Sequence[Any], scores: typing.Sequence[float | None] = (),
           source: str = "") -> "TestAnswer":
        """From ranked grids (any grid form) and their scores (missing ones are None)."""
        return cls(status, tuple(Attempt(as_grid(g), scores[k] if k < len(scores) else None, source)
                                 for k, g in enumerate(grids)))


@dataclass(frozen=True)
class TaskAnswer:
    """What one solver returns for one task. ``programs``: what the synthesizer tried
    (``synth.verify.ProgramResult``s), which the run directory stores beside the record; empty for
    TTT. Nothing here writes a file: the run directory (``ensemble.run.RunDir``) does."""

    task_id: str
    tests: tuple[TestAnswer, ...]  # one per test input
    timings: Mapping[str, float] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    programs: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict:
        """The answer without its programs (they have their own file)."""
        return {"task_id": self.task_id, "tests": [t.to_json() for t in self.tests],
                "timings": dict(self.timings), "info": dict(self.info)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TaskAnswer":
        if not isinstance(d, Mapping) or not isinstance(d.get("task_id"), str) or not isinstance(d.get("tests"), list):
            raise ValueError(f"a task answer needs task_id and a list 'tests', got {d!r:.80}")
        return cls(d["task_id"], tuple(TestAnswer.from_json(t) for t in d["tests"]),
                   dict(d.get("timings") or {}), dict(d.get("info") or {}))

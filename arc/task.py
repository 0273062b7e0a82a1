"""Examples and tasks: small frozen dataclasses holding validated grids."""

from __future__ import annotations

from dataclasses import dataclass

from arc.grid import Grid


@dataclass(frozen=True)
class Example:
    """One input/output pair. ``output`` is None for a test input whose answer is unknown."""

    input: Grid
    output: Grid | None = None


@dataclass(frozen=True)
class Task:
    """An ARC task: demonstrations (``train``) and one or more test inputs (``test``)."""

    id: str
    train: tuple[Example, ...]
    test: tuple[Example, ...]

    @property
    def has_solutions(self) -> bool:
        """True when every test output is known."""
        return all(ex.output is not None for ex in self.test)

    def to_json(self) -> dict:
        """The ARC JSON form (``{"train": [...], "test": [...]}``); unknown outputs are omitted."""

        def pair(ex: Example) -> dict:
            d = {"input": [list(r) for r in ex.input]}
            if ex.output is not None:
                d["output"] = [list(r) for r in ex.output]
            return d

        return {"train": [pair(e) for e in self.train], "test": [pair(e) for e in self.test]}

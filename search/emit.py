"""Steps as a ``Program``: one dsl call per step, parameters written out as literals.

The program calls the very functions the search evaluated, so it behaves exactly as the search
saw it; ``search.program`` writes it out (``from common import *`` and ``def transform``).
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Sequence

from search.program import Program
from search.steps import OPS, Step


@lru_cache(maxsize=None)
def _may_refuse(op: str) -> bool:
    """Whether the operation is documented to return None (then the program checks for it)."""
    return "None" in str(inspect.signature(OPS[op]).return_annotation)


def step_call(s: Step, name: str = "grid") -> str:
    """The dsl call of one step on the variable ``name``, parameters written out: ``tile(grid, ny=2, nx=2)``."""
    return s.on(name)


def may_refuse(s: Step) -> bool:
    """Whether the step's operation is documented to return None (its result is then checked)."""
    return _may_refuse(s.op)


def step_program(steps: Sequence[Step], paint_by: tuple[str, int] | None = None, family: str = "compose") -> Program:
    """The program applying ``steps`` in order to the input grid; with ``paint_by`` (a
    ``pick_color`` choice and the background), the result's foreground is then painted in the
    colour that choice picks on the input."""
    for s in steps:
        inner = s
        while inner is not None:
            if inner.op not in OPS:
                raise KeyError(f"{inner.op!r} is not a dsl operation")
            inner = inner.cut
    lines = [f"grid = {step_call(s)}" for s in steps]
    checked = [_may_refuse(s.op) for s in steps]
    if paint_by is not None:
        by, bg = paint_by
        lines += [f"color = pick_color(input_grid, by={by!r}, background={bg!r})",
                  f"grid = paint_foreground(grid, color=color, background={bg!r})"]
        checked += [True, False]
    return Program(family, tuple(lines), checked=tuple(checked))


def emit_program(steps: Sequence[Step], paint_by: tuple[str, int] | None = None) -> str:
    """Python source of ``step_program(steps, paint_by)``."""
    return step_program(steps, paint_by).source

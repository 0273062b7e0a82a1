"""Source emission: a composition of steps as a readable ``transform`` program.

The program has the same form as an LLM's: ``from common import *``, ``import numpy as np`` and
``def transform(input_grid)`` whose body is one call of a dsl operation per step, with the
step's parameters written out as literals. It calls the very functions the search evaluated, so
it behaves exactly as the search saw it; it needs ``common`` (the sandbox provides it).
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Sequence

from synth.search.steps import OPS, Step

HEADER = "from common import *\nimport numpy as np\n"


@lru_cache(maxsize=None)
def _may_refuse(op: str) -> bool:
    """Whether the operation is documented to return None (then the program checks for it)."""
    return "None" in str(inspect.signature(OPS[op]).return_annotation)


def step_call(s: Step) -> str:
    """The dsl call of one step on ``grid``, parameters written out: ``tile(grid, ny=2, nx=2)``."""
    args = "".join(f", {k}={v!r}" for k, v in s.params)
    return f"{s.op}(grid{args})"


def emit_program(steps: Sequence[Step], paint_by: tuple[str, int] | None = None) -> str:
    """Python source of a program applying ``steps`` in order to the input grid; with
    ``paint_by`` (a ``pick_color`` choice and the background), the result's foreground is then
    painted in the colour that choice picks on the input."""
    for s in steps:
        if s.op not in OPS:
            raise KeyError(f"{s.op!r} is not a dsl operation")
    body = ["def transform(input_grid):", "    grid = np.array(input_grid, dtype=int)"]
    for s in steps:
        body.append(f"    grid = {step_call(s)}")
        if _may_refuse(s.op):
            body += ["    if grid is None:", "        return None"]
    if paint_by is not None:
        by, bg = paint_by
        body += [f"    color = pick_color(input_grid, by={by!r}, background={bg!r})", "    if color is None:",
                 "        return None", f"    grid = paint_foreground(grid, color=color, background={bg!r})"]
    body.append("    return grid")
    return HEADER + "\n\n" + "\n".join(body) + "\n"

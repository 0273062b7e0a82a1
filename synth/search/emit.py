"""Source emission: a composition of steps as a self-contained ``transform`` program.

The program has the same form as an LLM's (``from common import *``, ``import numpy as np``,
``def transform(input_grid)``) and carries the source of every operation it calls, copied from
the ``ops_*`` modules, so it runs without arc-solve installed and behaves exactly as the search
evaluated it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import lru_cache
from typing import Sequence

from synth.search.steps import OPS, Step

HEADER = "from common import *\nimport numpy as np\n"


@lru_cache(maxsize=None)
def _source(name: str) -> str:
    return textwrap.dedent(inspect.getsource(OPS[name]))


@lru_cache(maxsize=None)
def _calls(name: str) -> tuple[str, ...]:
    """Other operations that ``name`` refers to, in order of first use."""
    seen: list[str] = []
    for node in ast.walk(ast.parse(_source(name))):
        if isinstance(node, ast.Name) and node.id in OPS and node.id != name and node.id not in seen:
            seen.append(node.id)
    return tuple(seen)


def _needed(names: Sequence[str]) -> list[str]:
    """``names`` and everything they call, each after the functions it calls."""
    order: list[str] = []

    def visit(n: str) -> None:
        if n in order:
            return
        order.append(n)  # placed before visiting children so that cycles terminate
        for dep in _calls(n):
            visit(dep)

    for n in names:
        visit(n)
    return order[::-1]


def emit_program(steps: Sequence[Step]) -> str:
    """Python source of a program applying ``steps`` in order to the input grid."""
    parts = [HEADER]
    parts += [_source(name) for name in _needed([s.op for s in steps])]
    body = ["def transform(input_grid):", "    grid = np.array(input_grid, dtype=int)"]
    for s in steps:
        args = "".join(f", {k}={v!r}" for k, v in s.params)
        body.append(f"    grid = {s.op}(grid{args})")
        body.append("    if grid is None:")
        body.append("        return None")
    body.append("    return grid")
    parts.append("\n".join(body) + "\n")
    return "\n\n".join(parts)

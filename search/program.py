"""One program type and one emitter for everything the search finds.

A ``Program`` is a straight-line body: each line assigns ``grid`` (or ``parts``, ``color``, ...)
from calls of dsl operations with literal arguments. ``emit`` writes it in the form an LLM writes
(``from common import *``, ``import numpy as np``, ``def transform(input_grid)``), checking after
each line that may refuse (a dsl call documented to return None) that it did not. The lifts
emit the same body under another name and wrap it (``search.lifts``). ``compile_program`` runs a
source in-process exactly as the sandbox runs it; ``safe_call`` is the one place an operation
outside its domain becomes "not applicable" (None) instead of an exception.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from arc.grid import MAX_SIDE

HEADER = "from common import *\nimport numpy as np\n"

# What a dsl operation raises outside its domain: the candidate is simply not applicable.
NOT_APPLICABLE = (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError)


@dataclass(frozen=True)
class Program:
    """A straight-line program: ``lines`` in order, each followed by a check that its target is
    not None where ``checked`` says so (every line when ``checked`` is None)."""

    family: str
    lines: tuple[str, ...]
    tentative: bool = False  # fits every demonstration, but not learnt with one held out (SearchHit)
    checked: tuple[bool, ...] | None = None

    @property
    def description(self) -> str:
        return (f"{self.family}: " + "; ".join(line.strip() for line in self.lines if not line.startswith("#"))
                + ("  [tentative: does not hold out a demonstration]" if self.tentative else ""))

    @property
    def source(self) -> str:
        return self.emit()

    def emit(self, name: str = "transform") -> str:
        """Python source of the program as a function ``name(input_grid)``."""
        checked = self.checked if self.checked is not None else (True,) * len(self.lines)
        body = [f"def {name}(input_grid):", "    grid = np.array(input_grid, dtype=int)"]
        for line, check in zip(self.lines, checked):
            body.append(textwrap.indent(line, "    "))
            if check and not line.startswith("#"):
                target = line.split("=", 1)[0].strip()
                body += [f"    if {target} is None:", "        return None"]
        body.append("    return grid")
        return HEADER + "\n\n" + "\n".join(body) + "\n"


def compile_program(source: str, name: str = "transform") -> Callable:
    """The function ``name`` of an emitted program, with ``common`` bound to ``dsl.common`` as the
    sandbox binds it."""
    import dsl.common as common

    namespace = {n: getattr(common, n) for n in common.__all__}
    code = source.replace(HEADER.splitlines()[0] + "\n", "", 1)
    exec(compile(code, "<search program>", "exec"), namespace)
    return namespace[name]


def safe_call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or None where the operation is outside its domain."""
    try:
        return fn(*args, **kwargs)
    except NOT_APPLICABLE:
        return None


def as_result(out: Any) -> np.ndarray | None:
    """An operation's result as a grid array, or None when it is no grid of ARC's sizes."""
    if out is None:
        return None
    out = np.asarray(out)
    if out.ndim != 2 or not (1 <= out.shape[0] <= MAX_SIDE and 1 <= out.shape[1] <= MAX_SIDE):
        return None
    return np.ascontiguousarray(out, dtype=np.int64)


def run_source(source: str, grids: Sequence[np.ndarray]) -> list[np.ndarray] | None:
    """What an emitted program gives on each grid, in-process; None if it refuses one."""
    transform = compile_program(source)
    outs = []
    for g in grids:
        out = as_result(safe_call(transform, g.copy()))
        if out is None:
            return None
        outs.append(out)
    return outs

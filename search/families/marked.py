"""Objects that a marker colour points the way for (same-shape tasks): each object with cells of
the marker colour on its edge goes the way they point out of its box, by a number of cells or as a
trail repeated to the border (``move_by_marker``), in its own colour, the marker painted over or
left behind.

The marker colour is one every input holds and every demonstration changes; the amount (a trail,
or one to ``MAX_STEPS`` cells) and what becomes of the marker are read off the demonstrations:
every combination is run on each demonstration in turn, stopping at the first it gets wrong.
"""

from __future__ import annotations

from typing import Iterator

from dsl.rays import MARKER_AMOUNTS, marked_parts, move_by_marker
from search.budget import calls
from search.families.common import fits
from search.problem import Problem
from search.program import Program, safe_call

MAX_STEPS = 3
MARKERS = ("paint", "drop")
# One call costs about ten plain calls (the objects, each one's neighbourhood, the moves; measured:
# 0.23 s of CPU for the family on all 400 arc1-train tasks at four, 0.25 us a unit against 0.1).
CALL_WEIGHT = 10


def marked_programs(problem: Problem) -> Iterator[Program]:
    """Marked objects moved or trailed the way their markers point."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    bg = info.background
    budget.charge(calls(inputs))
    grids = inputs + list(problem.test_in)
    colors = [c for c in range(10) if c != bg and all((g == c).any() for g in grids)
              and all(((g == c) & (g != t)).any() for g, t in zip(inputs, targets))]
    for color in colors:
        marked = True
        for g in inputs:  # every demonstration has a marked object
            if budget.exhausted:
                return
            budget.charge(CALL_WEIGHT * calls([g]))
            if not safe_call(marked_parts, g, color, bg):
                marked = False
                break
        if not marked:
            continue
        for amount in (*MARKER_AMOUNTS, *range(1, MAX_STEPS + 1)):
            for marker in MARKERS:
                if fits(lambda g: move_by_marker(g, color, amount, marker, bg), inputs, targets,
                        charge=lambda g: budget.charge(CALL_WEIGHT * calls([g]))):
                    yield Program("marked", (f"grid = move_by_marker(grid, marker_color={color}, amount={amount!r}, "
                                             f"marker={marker!r}, background={bg!r})",))
                if budget.exhausted:
                    return


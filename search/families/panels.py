"""Panels between separator lines redrawn from one another (``dsl.cells``): the grid made
mirror-symmetric across its separator lines; every panel copied from, or stamped with, the panel
picked by a property; the panels that score best filled or kept and the others emptied.

Tried only where the outputs keep the inputs' shape and every input is cut by separator lines of
one colour (``split_cells``); each candidate is checked on the demonstrations in-process, stopping
at the first it gets wrong, and only those that fit all of them are offered.
"""

from __future__ import annotations

from functools import partial
from typing import Iterator

import numpy as np

from dsl.cells import FILL_PICKS, REDRAWS, cells_to_pixels, mirror_cells, redraw_cells, split_cells
from dsl.partition import PICKS
from search.budget import calls
from search.families.common import fits
from search.problem import Problem
from search.program import Program, safe_call


def _candidates() -> Iterator[tuple[str, object]]:
    yield "grid = mirror_cells(grid)", mirror_cells
    for mode in REDRAWS:
        for by in (PICKS if mode in ("copy", "mark", "stamp") else FILL_PICKS):
            yield f"grid = redraw_cells(grid, by={by!r}, mode={mode!r})", partial(redraw_cells, by=by, mode=mode)


def panel_programs(problem: Problem) -> Iterator[Program]:
    """One line redrawing the panels of the grid, or making each panel one pixel, for every way
    that fits all demonstrations."""
    inputs, targets, budget = list(problem.train_in), list(problem.targets), problem.budget
    if not problem.info.same_shape:
        yield from _pixel_programs(problem)
        return
    budget.charge(calls(inputs))
    if any(not split_cells(g) for g in inputs):  # no separator lines
        return
    for line, fn in _candidates():
        for g, t in zip(inputs, targets):  # up to the first demonstration it gets wrong
            if budget.exhausted:
                return
            budget.charge(5 * calls([g]))  # cutting the panels (ten colours tried), picking, redrawing
            out = safe_call(fn, g)
            if out is None or out.shape != t.shape or not np.array_equal(out, t):
                break
        else:
            yield Program("panels", (line,))


def _pixel_programs(problem: Problem) -> Iterator[Program]:
    """Each panel one pixel of an output colour, where it scores best by a property (the outputs
    have one pixel per panel)."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    for separator in ("color", "gaps"):
        budget.charge(calls(inputs))
        if budget.exhausted:
            return
        pixels = [cells_to_pixels(g, separator) for g in inputs]
        if any(p is None or p.shape != t.shape for p, t in zip(pixels, targets)):
            continue
        for by in FILL_PICKS:
            for color in info.out_colors:
                budget.charge(calls(inputs))
                if fits(partial(cells_to_pixels, separator=separator, by=by, color=color), inputs, targets):
                    yield Program("panels", (f"grid = cells_to_pixels(grid, separator={separator!r}, by={by!r}, "
                                             f"color={color})",))

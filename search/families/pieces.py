"""Objects fitted together like jigsaw pieces into the one rectangle they fill (``fit_pieces``).

Tried only where every demonstration's output has exactly as many cells as its input has cells
that are not background: the pieces' cells, rearranged. Each way of cutting the input into objects
(connectivity, one colour or several a piece), as they are or turned, is one candidate.
"""

from __future__ import annotations

import itertools
from typing import Iterator

from dsl.color import resolve_background
from dsl.pieces import fit_pieces
from search.budget import calls
from search.families.common import fits
from search.problem import Problem
from search.program import Program

# Fitting the pieces tries placements cell by cell: about this many units a cell of the input
# (measured: about 5 ms on a 10x10 grid of 2-3 pieces).
PIECES_CELL_COST = 300


def pieces_programs(problem: Problem) -> Iterator[Program]:
    """The input's objects fitted together into the output's rectangle."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if info.same_shape or info.background is None:
        return
    bg = info.background
    if not all(t.size == int((g != resolve_background(g, bg)).sum()) for g, t in zip(inputs, targets)):
        return
    for conn, by_color, turns in itertools.product((8, 4), (True, False), (False, True)):
        if budget.exhausted:
            return
        budget.charge(PIECES_CELL_COST * sum(g.size for g in inputs) + calls(inputs))
        if fits(lambda g: fit_pieces(g, bg, conn, by_color, turns), inputs, targets):
            yield Program("pieces", (f"grid = fit_pieces(grid, background={bg!r}, connectivity={conn}, "
                                     f"by_color={by_color}, turns={turns})",))
            return

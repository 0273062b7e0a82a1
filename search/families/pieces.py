"""Objects fitted together like jigsaw pieces into the one rectangle they fill (``fit_pieces``).

Tried only where every demonstration's output has exactly as many cells as its input has cells
that are not background: the pieces' cells, rearranged. Each way of cutting the input into objects
(connectivity, one colour or several a piece), as they are or turned, is one candidate.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from dsl.color import resolve_background
from dsl.pieces import fit_pieces_counted
from search.budget import calls
from search.problem import Problem
from search.program import Program

# One placement tried costs about 5 us (about 40 units); cutting the pieces out, about four calls.
PLACEMENT_COST = 40


def pieces_programs(problem: Problem) -> Iterator[Program]:
    """The input's objects fitted together into the output's rectangle; each try charged by the
    placements it made, demonstration by demonstration, stopping at the first it gets wrong."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if info.same_shape or info.background is None:
        return
    bg = info.background
    if not all(t.size == int((g != resolve_background(g, bg)).sum()) for g, t in zip(inputs, targets)):
        return
    for conn, by_color, turns in itertools.product((8, 4), (True, False), (False, True)):
        for g, t in zip(inputs, targets):
            if budget.exhausted:
                return
            out, tries = fit_pieces_counted(g, bg, conn, by_color, turns)
            budget.charge(4 * calls([g]) + PLACEMENT_COST * tries)
            if out is None or out.shape != t.shape or not np.array_equal(out, t):
                break
        else:
            yield Program("pieces", (f"grid = fit_pieces(grid, background={bg!r}, connectivity={conn}, "
                                     f"by_color={by_color}, turns={turns})",))
            return

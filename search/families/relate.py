"""Cells that take their colour from a related lone pixel (``paint_from_pixels``): each lone pixel
paints the cell of a target colour nearest to it, or each target cell takes the colour of the
pixel nearest to it; the pixels stay or go, and the answer is the grid or the box of the target.

The background is the one read off the task, or black where that is another colour (a frame that
covers most of the grid). The target is a colour every input holds (the test's too); on same-shape
tasks every cell the demonstrations change is a target cell (or, the pixels erased, becomes
background), otherwise each output is exactly the target's box. The mode and the pixels' fate are
read off the demonstrations: every combination is run on each demonstration in turn, stopping at
the first it gets wrong.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dsl.object_ops import paint_from_pixels
from dsl.objects import bounding_box
from search.budget import calls
from search.families.common import fits
from search.problem import Problem
from search.program import Program

MODES = ("pixel", "cell")
PIXELS = ("keep", "delete")
# One call costs a few plain calls (the objects, a distance table of target cells by pixels).
CALL_WEIGHT = 4


def _box_shape(grid: np.ndarray, color: int) -> tuple[int, int]:
    _, _, height, width = bounding_box(grid == color, background=False)
    return height, width


def _changed_colors(inputs: list[np.ndarray], targets: list[np.ndarray], background: int | None) -> set[int]:
    """The input colours of the cells the demonstrations change (those that become ``background``
    left out unless it is None)."""
    return {int(v) for g, t in zip(inputs, targets) for v in np.unique(g[(g != t) & (t != background)])}


def relate_programs(problem: Problem) -> Iterator[Program]:
    """Target cells painted from their nearest lone pixels (or the pixels onto their nearest cell)."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    budget.charge(calls(inputs))
    grids = inputs + list(problem.test_in)
    colors = [c for c in range(10) if all((g == c).any() for g in grids)]
    crop = not info.same_shape
    if crop:
        colors = [c for c in colors if all(_box_shape(g, c) == t.shape for g, t in zip(inputs, targets))]
    # the background as read, or black where it is another colour (a frame that covers most cells)
    for bg in dict.fromkeys((info.background, 0)):
        budget.charge(calls(inputs))
        if crop:
            options = [(c, pixels) for c in colors if c != bg for pixels in PIXELS]
        else:  # every changed cell is a target cell, or (pixels erased) becomes background
            kept, erased = _changed_colors(inputs, targets, None), _changed_colors(inputs, targets, bg)
            options = [(c, pixels) for c in colors if c != bg for pixels, changed in zip(PIXELS, (kept, erased))
                       if changed == {c}]
        for color, pixels in options:
            for mode in MODES:
                if budget.exhausted:
                    return
                if fits(lambda g: paint_from_pixels(g, color, mode, pixels, crop, bg), inputs, targets,
                        charge=lambda g: budget.charge(CALL_WEIGHT * calls([g]))):
                    yield Program("relate", (f"grid = paint_from_pixels(grid, target={color}, mode={mode!r}, "
                                             f"pixels={pixels!r}, crop={crop!r}, background={bg!r})",))

"""Colour substitution learned from demonstrations."""

from __future__ import annotations

import numpy as np


def remap_colors(grid: np.ndarray, mapping: tuple[tuple[int, int], ...]) -> np.ndarray | None:
    """Every cell's colour replaced by its partner in ``mapping`` ((from, to) pairs, unchanged
    colours listed too); None when the grid holds a colour the mapping does not list."""
    grid = np.asarray(grid)
    table = np.full(10, -1)
    for a, b in mapping:
        table[a] = b
    out = table[grid]
    return None if (out < 0).any() else out

"""Repairing grids: cells hidden under a mask colour restored from the grid's mirror symmetry
or its 2-D period, and what lies under such a patch."""

from __future__ import annotations

import numpy as np


def mirror_offset(known: np.ndarray, axis: int) -> int | None:
    """The reflection (row r <-> s - r, or column) that best fits the known cells, or None.

    ``known`` is the grid with -1 for unknown cells. The reflection must agree on every pair of
    known cells it maps onto each other and overlap at least half of the grid."""
    g = known if axis == 0 else known.T
    n = g.shape[0]
    best, best_overlap = None, 0
    for s in range(1, 2 * n - 2):
        rows = [r for r in range(n) if 0 <= s - r < n]
        a, b = g[rows], g[[s - r for r in rows]]
        both = (a >= 0) & (b >= 0)
        if (a[both] != b[both]).any():
            continue
        overlap = int(both.sum())
        if overlap > best_overlap:
            best, best_overlap = s, overlap
    if best is None or best_overlap * 2 < (known >= 0).sum():
        return None
    return best


def complete_symmetry(grid: np.ndarray, mask_color: int) -> np.ndarray | None:
    """Cells of ``mask_color`` are unknown; fill them from their mirror images (left-right,
    up-down, and the transposes), whose axes are found from the other cells. None when the
    grid has no such cell or some stay unknown.

    Example: grid = complete_symmetry(grid, mask_color=Color.BLACK)
    """
    known = np.where(grid == mask_color, -1, grid)
    if not (known < 0).any():
        return None
    s_rows, s_cols = mirror_offset(known, 0), mirror_offset(known, 1)
    both = (known >= 0) & (known.T >= 0) if grid.shape[0] == grid.shape[1] else None
    square = both is not None and both.any() and not (known.T[both] != known[both]).any()
    h, w = grid.shape
    changed = True
    while changed and (known < 0).any():
        changed = False
        for r, c in zip(*np.nonzero(known < 0)):
            partners = []
            if s_rows is not None:
                partners.append((s_rows - r, c))
            if s_cols is not None:
                partners.append((r, s_cols - c))
            if s_rows is not None and s_cols is not None:
                partners.append((s_rows - r, s_cols - c))
            if square:
                partners.append((c, r))
            for y, x in partners:
                if 0 <= y < h and 0 <= x < w and known[y, x] >= 0:
                    known[r, c] = known[y, x]
                    changed = True
                    break
    if (known < 0).any():
        return None
    return known


def under_patch(full: np.ndarray | None, grid: np.ndarray, mask_color: int) -> np.ndarray | None:
    """The part of ``full`` (a restored ``grid``, or None) in the bounding box of ``mask_color``."""
    if full is None:
        return None
    rows, cols = np.nonzero(grid == mask_color)
    return full[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def symmetry_patch(grid: np.ndarray, mask_color: int) -> np.ndarray | None:
    """What lies under the ``mask_color`` patch once the grid's symmetry is restored."""
    return under_patch(complete_symmetry(grid, mask_color), grid, mask_color)


def complete_periodic(grid: np.ndarray, mask_color: int) -> np.ndarray | None:
    """Cells of ``mask_color`` are unknown; fill them from the smallest 2-D period on which all
    known cells agree: rows py and columns px, or diagonal stripes (the colour repeats every py
    rows and moves one row per column, either way); None when the grid has no such cell or no period
    short enough to trust.

    Example: grid = complete_periodic(grid, mask_color=Color.BLACK)
    """
    unknown = grid == mask_color
    if not unknown.any():
        return None
    h, w = grid.shape
    rows, cols = np.indices(grid.shape)
    periods = [(py * px, 0, py, px) for py in range(1, h + 1) for px in range(1, w + 1)]
    periods += [(py, shift, py, 1) for py in range(2, h + 1) for shift in sorted({1, py - 1})]  # slopes +-1
    for area, shift, py, px in sorted(periods):
        if area * 2 > h * w:
            break  # a period this long repeats too little to trust
        ids = ((rows - (cols // px) * shift) % py) * px + cols % px if shift else None
        tile = np.full(area, -1)
        for k in range(area):  # class by class, so that a wrong period fails at its first disagreement
            if shift:
                values = grid[(ids == k) & ~unknown]
            else:
                r, c = divmod(k, px)
                values = grid[r::py, c::px][~unknown[r::py, c::px]]
            if len(values) == 0 or (values != values[0]).any():
                break
            tile[k] = values[0]
        else:
            if ids is None:
                ids = (rows % py) * px + cols % px
            return np.where(unknown, tile[ids], grid).astype(grid.dtype)
    return None


def periodic_patch(grid: np.ndarray, mask_color: int) -> np.ndarray | None:
    """What lies under the ``mask_color`` patch once the grid's periodic pattern is restored."""
    return under_patch(complete_periodic(grid, mask_color), grid, mask_color)

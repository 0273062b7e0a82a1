"""Repairing grids: cells hidden under a mask colour restored from the grid's mirror symmetry
or its 2-D period, and what lies under such a patch; a band or a run of cells carried on
periodically over the grid."""

from __future__ import annotations

import numpy as np

from dsl.color import resolve_background


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


def repeat_band(grid: np.ndarray, axis: int, background: int | None = 0) -> np.ndarray | None:
    """The band of rows (axis 0) or columns (axis 1) from the first to the last one holding a
    non-background cell, repeated with its own height (width) as period over the whole grid,
    in step with where it lies; None when the band is empty or already fills the grid.

    Example: grid = repeat_band(grid, axis=0, background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    g = grid if axis == 0 else grid.T
    full = np.flatnonzero((g != bg).any(axis=1))
    if len(full) == 0:
        return None
    first, last = int(full[0]), int(full[-1])
    if first == 0 and last == g.shape[0] - 1:
        return None
    out = g[first + (np.arange(g.shape[0]) - first) % (last - first + 1)]
    return out if axis == 0 else out.T.copy()


def continue_segments(grid: np.ndarray, direction: str = "hv", background: int | None = 0) -> np.ndarray | None:
    """Every run of two or more non-background cells along a row ("h"), a column ("v") or both
    ("hv") is repeated along its line over the whole line, in step with where it lies; cells a
    copy would put over another non-background cell keep their own colour. None when the grid
    has no such run.

    Example: grid = continue_segments(grid, direction="hv", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    out = grid.copy()
    found = False
    for axis in ((0, 1) if direction == "hv" else (0,) if direction == "h" else (1,)):
        g = grid if axis == 0 else grid.T
        o = out if axis == 0 else out.T  # a view: writes land in ``out``
        for r, line in enumerate(g):
            fg = np.concatenate([[False], line != bg, [False]])
            starts = np.flatnonzero(fg[1:] & ~fg[:-1])
            ends = np.flatnonzero(~fg[1:] & fg[:-1])
            for s, e in zip(starts, ends):
                if e - s < 2:
                    continue
                found = True
                copy = line[s + (np.arange(len(line)) - s) % (e - s)]
                free = o[r] == bg
                o[r, free] = copy[free]
    return out if found else None

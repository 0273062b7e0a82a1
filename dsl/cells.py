"""Partitions: a grid divided into cells by full-length separator lines, or cut into two halves,
and the cells picked, stacked, combined or shrunk to pixels."""

from __future__ import annotations

import numpy as np

from arc.views import symmetry_array
from dsl.color import most_common_color


def split_cells(grid: np.ndarray, gaps: bool | None = False) -> list[list[np.ndarray]] | None:
    """Cells between full-length separator lines of one colour, as a list of rows of cells.

    The separator colour is one that is not the grid's most common colour; with ``gaps``, it is
    the most common colour itself (blocks apart by empty rows and columns); with gaps=None,
    either, the first tried first. None when there is none."""
    if gaps is None:
        cells = split_cells(grid, False)
        return cells if cells is not None else split_cells(grid, True)
    h, w = grid.shape
    bg = most_common_color(grid)
    for color in range(10):
        if (color == bg) != gaps:
            continue
        sep_rows = [r for r in range(h) if (grid[r] == color).all()]
        sep_cols = [c for c in range(w) if (grid[:, c] == color).all()]
        if not sep_rows and not sep_cols:
            continue
        row_spans = spans(h, sep_rows)
        col_spans = spans(w, sep_cols)
        if len(row_spans) * len(col_spans) < 2:
            continue
        return [[grid[a:b, c:d] for c, d in col_spans] for a, b in row_spans]
    return None


def cell_list(grid: np.ndarray) -> list[np.ndarray] | None:
    """The cells of ``split_cells`` in reading order (views into ``grid``); None when there are none."""
    rows = split_cells(grid)
    return None if rows is None else [cell for row in rows for cell in row]


def cells_from_first(grid: np.ndarray, views: tuple[str, ...]) -> np.ndarray | None:
    """Every cell between separator lines redrawn as a symmetry of the first cell (reading
    order): cell k + 1 becomes ``views[k]`` (a name of arc.views.SYMMETRY_NAMES) of cell 0. None
    unless the grid has exactly len(views) + 1 cells, or when a view does not fit its cell.

    Example: grid = cells_from_first(grid, views=("rot90", "rot180"))
    """
    out = grid.copy()
    flat = cell_list(out) or []  # views into ``out``: writing a cell writes the grid
    if len(flat) != len(views) + 1:
        return None
    for cell, name in zip(flat[1:], views):
        view = symmetry_array(name, flat[0])
        if view.shape != cell.shape:
            return None
        cell[...] = view
    return out


def copy_cell(grid: np.ndarray) -> np.ndarray | None:
    """The one cell between separator lines that holds anything but background, copied into
    every cell; None unless exactly one cell is not empty and all cells have its shape.

    Example: grid = copy_cell(grid)
    """
    out = grid.copy()
    flat = cell_list(out)  # views into ``out``
    if flat is None:
        return None
    bg = most_common_color(grid)
    full = [c for c in flat if (c != bg).any()]
    if len(full) != 1 or any(c.shape != full[0].shape for c in flat):
        return None
    source = full[0].copy()
    for cell in flat:
        cell[...] = source
    return out


def spans(n: int, separators: list[int]) -> list[tuple[int, int]]:
    """Maximal runs of indices in range(n) that are not separators, as (start, stop) pairs."""
    out, start = [], 0
    for s in list(separators) + [n]:
        if s > start:
            out.append((start, s))
        start = s + 1
    return out


def two_halves(grid: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The grid cut in two along rows (axis 0) or columns (axis 1), dropping a middle separator line."""
    g = grid if axis == 0 else grid.T
    n = g.shape[0]
    if n % 2 == 0:
        a, b = g[:n // 2], g[n // 2:]
    elif n > 1 and len(np.unique(g[n // 2])) == 1:
        a, b = g[:n // 2], g[n // 2 + 1:]
    else:
        return None
    return (a, b) if axis == 0 else (a.T, b.T)


def combine_halves(grid: np.ndarray, axis: int, logic: str, color: int) -> np.ndarray | None:
    """Overlay the two halves cell by cell (non-zero = set): ``color`` where ``logic`` holds, else 0."""
    halves = two_halves(grid, axis)
    if halves is None:
        return None
    a, b = halves[0] != 0, halves[1] != 0
    rule = {"and": a & b, "or": a | b, "xor": a ^ b, "nor": ~(a | b), "a_not_b": a & ~b, "b_not_a": b & ~a}[logic]
    return np.where(rule, color, 0)


def fold_halves(grid: np.ndarray, axis: int, mirror: bool = True, reverse: bool = False,
                background: int = 0) -> np.ndarray | None:
    """The grid folded in two along rows (axis 0) or columns (axis 1): the second half (mirrored
    when ``mirror``, as a sheet folded over) laid on the first, whose ``background`` cells show
    it (with ``reverse``, the first half laid on the second). None when the grid has no halves.

    Example: grid = fold_halves(grid, axis=1, mirror=True, background=Color.BLACK)
    """
    halves = two_halves(grid, axis)
    if halves is None:
        return None
    a, b = halves
    if mirror:
        b = b[::-1] if axis == 0 else b[:, ::-1]
    top, under = (b, a) if reverse else (a, b)
    return np.where(top != background, top, under)


def select_cell(grid: np.ndarray, select: str) -> np.ndarray | None:
    """The one partition cell that stands out (most/fewest set cells or colours, or the odd one out)."""
    cells = cell_list(grid)
    if cells is None:
        return None
    bg = most_common_color(grid)
    if select == "odd_one":
        keys = [(cell.shape, cell.tobytes()) for cell in cells]
        odd = [cell for cell, k in zip(cells, keys) if keys.count(k) == 1]
        return odd[0] if len(odd) == 1 and len(cells) > 2 else None
    kind, prop = select.split("_", 1)
    if prop == "cells":
        scores = [int((cell != bg).sum()) for cell in cells]
    else:
        scores = [len(np.unique(cell[cell != bg])) for cell in cells]
    best = max(scores) if kind == "max" else min(scores)
    chosen = [cell for cell, s in zip(cells, scores) if s == best]
    return chosen[0] if len(chosen) == 1 else None


def overlay_cells(grid: np.ndarray, reverse: bool = False) -> np.ndarray | None:
    """All partition cells stacked into one: later cells' non-background cells paint over earlier ones."""
    cells = cell_list(grid)
    if cells is None:
        return None
    if len({cell.shape for cell in cells}) != 1:
        return None
    bg = most_common_color(grid)
    out = np.full(cells[0].shape, bg)
    for cell in (cells[::-1] if reverse else cells):
        out = np.where(cell != bg, cell, out)
    return out


def cells_to_pixels(grid: np.ndarray, gaps: bool | None = False) -> np.ndarray | None:
    """Each partition cell becomes one pixel: its most common non-background colour (or
    background). With ``gaps``, the cells are the blocks between empty rows and columns."""
    rows = split_cells(grid, gaps)
    if rows is None:
        return None
    bg = most_common_color(grid)
    out = np.full((len(rows), len(rows[0])), bg)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            values = cell[cell != bg]
            if len(values):
                out[i, j] = np.argmax(np.bincount(values, minlength=10))
    return out


def pixels_to_cells(small: np.ndarray, grid: np.ndarray, gaps: bool | None = False) -> np.ndarray | None:
    """The inverse of cells_to_pixels: ``grid`` with each of its partition cells filled with the
    colour of the matching pixel of ``small``, its separators kept. None when ``grid`` has no
    partition or ``small`` is not one pixel per cell.

    Example: grid = pixels_to_cells(small, grid, gaps=False)
    """
    out = np.array(grid, copy=True)
    rows = split_cells(out, gaps)  # views into ``out``
    small = np.asarray(small)
    if rows is None or small.shape != (len(rows), len(rows[0])):
        return None
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            cell[...] = small[i, j]
    return out

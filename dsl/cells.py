"""Partitions: a grid divided into cells by full-length separator lines, or cut into two halves,
and the cells redrawn, folded or shrunk to pixels (picking, stacking and combining parts is
``dsl.partition``'s)."""

from __future__ import annotations

import numpy as np

from arc.views import symmetry_array
from dsl.color import most_common_color


SEPARATORS = ("color", "gaps", "either", "most")


def _separators(grid: np.ndarray, separator: str) -> tuple[int, list[int], list[int]] | None:
    """The colour of the full-length lines ``split_cells`` cuts ``grid`` along, with the indices of
    those full rows and full columns; None when no colour's lines cut it into two cells or more."""
    if separator == "either":
        found = _separators(grid, "color")
        return found if found is not None else _separators(grid, "gaps")
    if separator not in SEPARATORS:
        raise ValueError(f"unknown separator {separator!r}")
    h, w = grid.shape
    bg = most_common_color(grid) if separator != "most" else None
    best, most = None, 1
    for color in range(10):
        full = grid == color
        if separator == "most":
            if full.all():
                continue  # a colour filling the grid separates nothing
        elif (color == bg) != (separator == "gaps"):
            continue
        sep_rows = np.flatnonzero(full.all(axis=1)).tolist()
        sep_cols = np.flatnonzero(full.all(axis=0)).tolist()
        if not sep_rows and not sep_cols:
            continue
        n = len(spans(h, sep_rows)) * len(spans(w, sep_cols))
        if n > most:
            best, most = (color, sep_rows, sep_cols), n
            if separator != "most":
                break  # the first colour that cuts
    return best


def _cell_rows(grid: np.ndarray, separator: str) -> list[list[np.ndarray]] | None:
    """The cells of ``split_cells`` as rows of cells (views into ``grid``); None when there are none."""
    found = _separators(grid, separator)
    if found is None:
        return None
    _, sep_rows, sep_cols = found
    return [[grid[a:b, c:d] for c, d in spans(grid.shape[1], sep_cols)] for a, b in spans(grid.shape[0], sep_rows)]


def split_cells(grid: np.ndarray, separator: str = "color") -> list[np.ndarray]:
    """The cells between full-length separator lines of one colour, in reading order (views into
    the grid); [] when no such lines cut the grid into two or more cells.

    ``separator`` says which colour's lines: "color", one that is not the grid's most common
    colour (the first, 0 to 9, whose lines cut it); "gaps", the most common colour itself
    (blocks apart by empty rows and columns); "either", "color" where it cuts, else "gaps";
    "most", any colour not filling the grid, the one whose lines cut it into the most cells
    (ties: the lower colour).

    Example: parts = split_cells(grid, separator="most")
    """
    rows = _cell_rows(np.asarray(grid), separator)
    return [] if rows is None else [cell for row in rows for cell in row]


def cells_from_first(grid: np.ndarray, views: tuple[str, ...]) -> np.ndarray | None:
    """Every cell between separator lines redrawn as a symmetry of the first cell (reading
    order): cell k + 1 becomes ``views[k]`` (a name of arc.views.SYMMETRY_NAMES) of cell 0. None
    unless the grid has exactly len(views) + 1 cells, or when a view does not fit its cell.

    Example: grid = cells_from_first(grid, views=("rot90", "rot180"))
    """
    out = grid.copy()
    flat = split_cells(out)  # views into ``out``: writing a cell writes the grid
    if len(flat) != len(views) + 1:
        return None
    for cell, name in zip(flat[1:], views):
        view = symmetry_array(name, flat[0])
        if view.shape != cell.shape:
            return None
        cell[...] = view
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


def cells_to_pixels(grid: np.ndarray, separator: str = "color", by: str | None = None,
                    color: int | None = None) -> np.ndarray | None:
    """Each cell between separator lines (``split_cells``, whose ``separator`` this is) becomes
    one pixel: its most common non-background colour (or background); with ``by`` (one of
    ``FILL_PICKS``), ``color`` for the cells that score best (``picked_cells``) and background
    for the others. None when there are no cells (or, with ``by``, when all tie).

    Example: small = cells_to_pixels(grid, separator="gaps")
    """
    rows = _cell_rows(np.asarray(grid), separator)
    if rows is None:
        return None
    bg = most_common_color(grid)
    if by is not None:
        picked = picked_cells([cell for row in rows for cell in row], by, bg)
        if picked is None:
            return None
        return np.where(np.array(picked).reshape(len(rows), len(rows[0])), color, bg)
    out = np.full((len(rows), len(rows[0])), bg)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            values = cell[cell != bg]
            if len(values):
                out[i, j] = np.argmax(np.bincount(values, minlength=10))
    return out


def pixels_to_cells(small: np.ndarray, grid: np.ndarray, separator: str = "color") -> np.ndarray | None:
    """The inverse of cells_to_pixels: ``grid`` with each of its partition cells filled with the
    colour of the matching pixel of ``small``, its separators kept. None when ``grid`` has no
    partition or ``small`` is not one pixel per cell.

    Example: grid = pixels_to_cells(small, grid, separator="color")
    """
    out = np.array(grid, copy=True)
    rows = _cell_rows(out, separator)  # views into ``out``
    small = np.asarray(small)
    if rows is None or small.shape != (len(rows), len(rows[0])):
        return None
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            cell[...] = small[i, j]
    return out


def mirror_cells(grid: np.ndarray) -> np.ndarray | None:
    """The grid made mirror-symmetric across its separator lines (at most one full row and one
    full column of one colour, as ``split_cells`` finds them): every background cell takes the
    colour of its image across the row, across the column or across both, where that image is
    in the grid and not background (in that order). None without such lines.

    Example: grid = mirror_cells(grid)
    """
    grid = np.asarray(grid)
    found = _separators(grid, "color")
    if found is None or len(found[1]) > 1 or len(found[2]) > 1:
        return None
    _, rows, cols = found
    h, w = grid.shape
    bg = most_common_color(grid)
    ys, xs = np.mgrid[0:h, 0:w]
    out = grid.copy()
    row, col = (rows[0] if rows else None), (cols[0] if cols else None)
    for r, c in dict.fromkeys(((row, None), (None, col), (row, col))):
        if r is None and c is None:
            continue
        my = 2 * r - ys if r is not None else ys
        mx = 2 * c - xs if c is not None else xs
        inside = (my >= 0) & (my < h) & (mx >= 0) & (mx < w)
        image = np.full((h, w), bg)
        image[inside] = grid[my[inside], mx[inside]]
        out = np.where((out == bg) & (image != bg), image, out)
    return out


REDRAWS = ("copy", "mark", "stamp", "fill", "keep")
FILL_PICKS = ("max_cells", "min_cells", "max_colors", "min_colors")


def redraw_cells(grid: np.ndarray, by: str, mode: str) -> np.ndarray | None:
    """Every cell between separator lines (``split_cells``, of one shape for "copy",
    "mark" and "stamp") redrawn from the cells picked ``by`` a property, by ``mode`` (one of ``REDRAWS``):
    "copy": every cell becomes the one cell ``pick_part`` picks ``by``; "mark": every
    cell that holds anything but background (a marker) becomes it, empty cells stay; "stamp": every cell's
    background shows the picked cell's drawing in the separator lines' colour; "fill": the cells
    that score best ``by`` (``picked_cells``, one of ``FILL_PICKS``, ties all picked) are filled
    with their most common colour and the others emptied; "keep": those cells kept and
    the others emptied. None without cells or when no cell is picked.

    Example: grid = redraw_cells(grid, by="max_cells", mode="fill")
    """
    from dsl.partition import pick_part

    out = np.array(grid, copy=True)
    flat = split_cells(out)  # views into ``out``
    if len(flat) < 2:
        return None
    bg = most_common_color(out)
    if mode in ("copy", "mark", "stamp"):
        if len({c.shape for c in flat}) != 1:
            return None
        chosen = pick_part([c.copy() for c in flat], by, bg)
        if chosen is None:
            return None
        ink = _separators(out, "color")[0]  # the lines are there: split_cells cut along them
        for cell in flat:
            if mode == "stamp":
                cell[...] = np.where((cell == bg) & (chosen != bg), ink, cell)
            elif mode == "copy" or (cell != bg).any():
                cell[...] = chosen
        return out
    if mode not in ("fill", "keep"):
        raise ValueError(f"unknown redraw {mode!r}")
    picked = picked_cells(flat, by, bg)
    if picked is None:
        return None
    for cell, chosen in zip(flat, picked):
        values = cell[cell != bg]
        if not chosen:
            cell[...] = bg
        elif mode == "fill" and len(values):
            cell[...] = np.argmax(np.bincount(values, minlength=10))
    return out


def picked_cells(cells: list[np.ndarray], by: str, background: int) -> list[bool] | None:
    """Which of ``cells`` score best ``by`` (one of ``FILL_PICKS``: most or fewest
    non-background cells, most or fewest colours; ties all picked); None when all tie."""
    if by not in FILL_PICKS:
        raise ValueError(f"unknown pick {by!r}")
    fg = [c[c != background] for c in cells]
    scores = [len(v) if by.endswith("cells") else len(np.unique(v)) for v in fg]
    best = max(scores) if by.startswith("max") else min(scores)
    if scores.count(best) == len(cells):
        return None  # nothing stands out
    return [s == best for s in scores]

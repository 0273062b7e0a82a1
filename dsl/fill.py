"""Painting cells by where they are: enclosed regions filled, rings drawn around cells, rays
extended to the first obstacle, gaps between equal cells joined, objects hollowed, lines drawn
through objects, the largest rectangle of background filled.

A ``background`` of None means the grid's most common colour.
"""

from __future__ import annotations

import numpy as np

from dsl._masks import dilate, neighbour_offsets, reachable_from_border, shift
from dsl.color import Color, resolve_background
from dsl.objects import bounding_box, find_objects


def fill_enclosed(grid: np.ndarray, color: int, background: int | None = Color.BLACK) -> np.ndarray:
    """Background cells that cannot reach the border through 4-connected background become ``color``.

    Example: grid = fill_enclosed(grid, color=Color.YELLOW, background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    free = grid == bg
    out = grid.copy()
    out[free & ~reachable_from_border(free, 4)] = color
    return out


def surround_cells(grid: np.ndarray, source: int | None, color: int, connectivity: int | str = 8,
                   background: int | None = Color.BLACK) -> np.ndarray:
    """Background cells next to a ``source`` cell (with source None, any cell that is not
    background) become ``color``: its 4 or 8 neighbours, or with connectivity "diag" its 4
    diagonal neighbours only.

    Example: grid = surround_cells(grid, source=Color.RED, color=Color.YELLOW, connectivity="diag")
    """
    bg = resolve_background(grid, background)
    src = grid != bg if source is None else grid == source
    if connectivity == "diag":
        near = np.zeros_like(src)
        for dx, dy in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
            near |= shift(src, dx, dy)
    else:
        near = dilate(src, connectivity, include_self=False)
    out = grid.copy()
    out[near & (grid == bg)] = color
    return out


def hollow_objects(grid: np.ndarray, background: int | None = Color.BLACK, color: int | None = None,
                   keep: str = "outline", connectivity: int = 4) -> np.ndarray | None:
    """Split every object into its inside (cells whose neighbours, the four sides or with
    ``connectivity=8`` all eight, have the cell's colour; the grid's edge counts as another
    colour) and its outline (the rest). keep="outline" repaints the inside, keep="interior" the
    outline, with ``color`` (None: the background). None when no cell is inside.

    Example: grid = hollow_objects(grid, background=Color.BLACK, color=Color.RED)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    p = np.pad(grid, 1, constant_values=-1)
    h, w = grid.shape
    inner = grid != bg
    for dy, dx in neighbour_offsets(connectivity):
        inner &= p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] == grid
    if not inner.any():
        return None
    paint = bg if color is None else color
    return np.where(inner if keep == "outline" else (grid != bg) & ~inner, paint, grid)


_RAYS = {
    "up": [(-1, 0)], "down": [(1, 0)], "left": [(0, -1)], "right": [(0, 1)],
    "h": [(0, -1), (0, 1)], "v": [(-1, 0), (1, 0)], "hv": [(-1, 0), (1, 0), (0, -1), (0, 1)],
    "diag": [(-1, -1), (-1, 1), (1, -1), (1, 1)],
    "up_left": [(-1, -1)], "up_right": [(-1, 1)], "down_left": [(1, -1)], "down_right": [(1, 1)],
}


def extend_lines(grid: np.ndarray, color: int | None, direction: str,
                 background: int | None = Color.BLACK) -> np.ndarray:
    """From every cell of ``color`` (None: every non-background cell), paint a ray of the cell's
    colour over background up to the first obstacle. direction: "up", "down", "left", "right",
    "h" (both sideways), "v" (up and down), "hv" (all four), "diag" (the four diagonals) or one
    diagonal ("up_left", "up_right", "down_left", "down_right").

    Example: grid = extend_lines(grid, color=None, direction="right", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    steps = _RAYS[direction]
    h, w = grid.shape
    out = grid.copy()
    sources = grid != bg if color is None else grid == color
    for r, c in zip(*np.nonzero(sources)):
        for dy, dx in steps:
            y, x = r + dy, c + dx
            while 0 <= y < h and 0 <= x < w and grid[y, x] == bg:
                out[y, x] = grid[r, c]
                y, x = y + dy, x + dx
    return out


def connect_pairs(grid: np.ndarray, direction: str, background: int | None = Color.BLACK,
                  color: int | None = None, ends: str = "cells", clear: bool = False) -> np.ndarray | None:
    """Background cells between two cells of the same colour in a row ("h"), a column ("v"),
    either ("hv"), or a diagonal either way ("diag") take that colour, or ``color`` when it is
    given. ends="border": only a row's (column's) two end cells on the grid's opposite borders
    make a pair, when they share a non-background colour, and the line between them runs over
    every cell (not "diag"; None when no row or column has such ends, or where lines of two
    colours cross). ends="objects" with direction="diag": two objects of one colour (8-connected)
    whose facing box corners are their own cells on one diagonal, two or more steps apart, are
    joined corner to corner where every cell between is background (None when no pair is).
    clear=True: the lines alone on a background grid, every other cell cleared.

    Example: grid = connect_pairs(grid, direction="h", background=Color.BLACK, color=Color.RED)
    """
    bg = resolve_background(grid, background)
    out = np.full_like(grid, bg) if clear else grid.copy()
    if ends == "objects":
        return _join_corners(grid, out, bg, color) if direction == "diag" else None
    if ends == "border":
        lines = np.full(grid.shape, -1)
        views = {"h": [(lines, grid)], "v": [(lines.T, grid.T)], "hv": [(lines, grid), (lines.T, grid.T)]}[direction]
        for view, source in views:
            for r in range(source.shape[0]):
                if source[r, 0] == source[r, -1] != bg:
                    paint = source[r, 0] if color is None else color
                    if ((view[r] >= 0) & (view[r] != paint)).any():
                        return None  # lines of two colours cross: which lies on top is not this rule's to say
                    view[r, :] = paint
        out[lines >= 0] = lines[lines >= 0]
        return out if (lines >= 0).any() else None
    if direction == "diag":
        h, w = grid.shape
        lines = [[(r, r - k) for r in range(h) if 0 <= r - k < w] for k in range(-w + 1, h)]
        lines += [[(r, k - r) for r in range(h) if 0 <= k - r < w] for k in range(h + w - 1)]
        for line in lines:
            cells = [(r, c) for r, c in line if grid[r, c] != bg]
            for (ra, ca), (rb, cb) in zip(cells[:-1], cells[1:]):
                if grid[ra, ca] == grid[rb, cb] and abs(rb - ra) > 1:
                    paint = grid[ra, ca] if color is None else color
                    for r, c in line[line.index((ra, ca)):line.index((rb, cb)) + 1]:
                        if clear or grid[r, c] == bg:
                            out[r, c] = paint if grid[r, c] == bg else grid[r, c]
        return out
    views = {"h": [(out, grid)], "v": [(out.T, grid.T)], "hv": [(out, grid), (out.T, grid.T)]}[direction]
    for view, source in views:  # a transposed view writes through to ``out``; pairs come from the input
        for r in range(source.shape[0]):
            cols = np.nonzero(source[r] != bg)[0]
            for a, b in zip(cols[:-1], cols[1:]):
                if source[r, a] == source[r, b] and b > a + 1:
                    view[r, a + 1:b] = source[r, a] if color is None else color
                    if clear:
                        view[r, a], view[r, b] = source[r, a], source[r, b]
    return out


def _join_corners(grid: np.ndarray, out: np.ndarray, bg: int, color: int | None) -> np.ndarray | None:
    """``connect_pairs(ends="objects", direction="diag")``: objects of one colour joined diagonally
    between the facing corners of their boxes, drawn on ``out``."""
    boxes = []
    for mask in find_objects(grid, bg, 8, by_color=True):
        rows, cols = np.nonzero(mask)
        boxes.append((int(grid[mask][0]), rows.min(), cols.min(), rows.max(), cols.max(), mask))
    drew = False
    for a, b in ((a, b) for a in boxes for b in boxes if a[0] == b[0] and a[1] < b[1]):
        (own, _, c0a, r1a, c1a, ma), (_, r0b, c0b, _, c1b, mb) = a, b
        for ya, xa, xb, sx in ((r1a, c1a, c0b, 1), (r1a, c0a, c1b, -1)):  # a above b: down-right, down-left
            n = r0b - ya
            if n < 2 or xb - xa != sx * n or not (ma[ya, xa] and mb[r0b, xb]):
                continue
            cells = [(ya + k, xa + sx * k) for k in range(1, n)]
            if all(grid[r, c] == bg for r, c in cells):
                for r, c in cells:
                    out[r, c] = own if color is None else color
                drew = True
    return out if drew else None


def fill_empty_lines(grid: np.ndarray, color: int, direction: str = "hv",
                     background: int | None = Color.BLACK) -> np.ndarray | None:
    """Every row ("h"), column ("v") or both ("hv") whose cells are all background becomes a
    line of ``color``. None when no such line is empty.

    Example: grid = fill_empty_lines(grid, color=Color.RED, direction="hv", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    empty = grid == bg
    rows = empty.all(axis=1) if "h" in direction else np.zeros(grid.shape[0], dtype=bool)
    cols = empty.all(axis=0) if "v" in direction else np.zeros(grid.shape[1], dtype=bool)
    if not rows.any() and not cols.any():
        return None
    out = grid.copy()
    out[rows, :] = color
    out[:, cols] = color
    return out


def fill_largest_empty_rectangle(grid: np.ndarray, color: int, side: int = 2,
                                 background: int | None = Color.BLACK) -> np.ndarray | None:
    """The rectangle of background cells with the most cells, at least ``side`` by ``side``,
    becomes ``color``. None when there is none, or two tie.

    Example: grid = fill_largest_empty_rectangle(grid, color=Color.MAGENTA, side=2, background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    h, w = grid.shape
    # Each maximal rectangle of background, seen from its bottom row: a column's run of background
    # ending there is its height, stretched sideways to the nearest shorter run on either side.
    runs = np.zeros((h, w), dtype=int)
    for r in range(h):
        runs[r] = np.where(grid[r] == bg, (runs[r - 1] if r else 0) + 1, 0)
    index = np.arange(w)
    shorter = runs[:, None, :] < runs[:, :, None]  # [row, column, other column]
    left = np.where(shorter & (index[None, None, :] < index[None, :, None]), index, -1).max(axis=2) + 1
    right = np.where(shorter & (index[None, None, :] > index[None, :, None]), index, w).min(axis=2)
    area = np.where((runs >= side) & (right - left >= side), runs * (right - left), 0)
    best = area.max(initial=0)
    if best == 0:
        return None
    rows, cols = np.nonzero(area == best)
    found = {(r - runs[r, c] + 1, r + 1, left[r, c], right[r, c]) for r, c in zip(rows.tolist(), cols.tolist())}
    if len(found) != 1:
        return None
    top, bottom, left_, right_ = found.pop()
    out = grid.copy()
    out[top:bottom, left_:right_] = color
    return out


def cross_lines(grid: np.ndarray, color: int, direction: str = "hv", background: int | None = Color.BLACK,
                connectivity: int = 8) -> np.ndarray:
    """Through the middle of every object (non-background cells joined by ``connectivity``, any
    colours) a full line of ``color`` across the grid: its middle row ("h"), its middle column
    ("v") or both ("hv"), painted over background cells only. An object of even height has no
    middle row (likewise for width) and draws none.

    Example: grid = cross_lines(grid, color=Color.PINK, direction="hv", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    line = np.zeros(grid.shape, dtype=bool)
    for mask in find_objects(grid, bg, connectivity, by_color=False):
        x, y, h, w = bounding_box(mask)  # h, w: the extents along axes 0 (rows) and 1
        if "h" in direction and h % 2 == 1:
            line[x + h // 2, :] = True
        if "v" in direction and w % 2 == 1:
            line[:, y + w // 2] = True
    out = grid.copy()
    out[line & (grid == bg)] = color
    return out


def fill_between_corners(grid: np.ndarray, color: int, background: int | None = Color.BLACK) -> np.ndarray | None:
    """Four cells of one colour at the corners of an upright rectangle mark a box: the background
    cells strictly inside it become ``color``. None when no such four cells enclose a cell.

    Example: grid = fill_between_corners(grid, color=Color.RED)
    """
    bg = resolve_background(grid, background)
    out = grid.copy()
    found = False
    for c in np.unique(grid):
        if c == bg:
            continue
        cells = set(zip(*np.nonzero(grid == c)))
        if len(cells) > 64:
            continue  # a colour this common marks no corners
        for r1, c1 in cells:
            for r2, c2 in cells:
                if r2 > r1 + 1 and c2 > c1 + 1 and (r1, c2) in cells and (r2, c1) in cells:
                    inside = out[r1 + 1:r2, c1 + 1:c2]
                    inside[grid[r1 + 1:r2, c1 + 1:c2] == bg] = color
                    found = True
    return out if found else None


def extend_ends(grid: np.ndarray, background: int | None = Color.BLACK) -> np.ndarray | None:
    """Every line end carries on: a cell with exactly one non-background neighbour (of the 8) is
    continued away from that neighbour, in its own colour, over background cells until the
    grid's edge or another cell. None when no cell is such an end or nothing is drawn.

    Example: grid = extend_ends(grid, background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    h, w = grid.shape
    fg = grid != bg
    out = grid.copy()
    drawn = False
    for r, c in zip(*np.nonzero(fg)):
        near = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr or dc)
                and 0 <= r + dr < h and 0 <= c + dc < w and fg[r + dr, c + dc]]
        if len(near) != 1:
            continue
        dr, dc = -near[0][0], -near[0][1]
        y, x = r + dr, c + dc
        while 0 <= y < h and 0 <= x < w and not fg[y, x]:
            out[y, x] = grid[r, c]
            drawn = True
            y, x = y + dr, x + dc
    return out if drawn else None


def connect_corner(grid: np.ndarray, start: int, end: int, color: int, first: str = "h",
                   background: int | None = Color.BLACK) -> np.ndarray | None:
    """A path with one bend from the one ``start`` cell to the one ``end`` cell: along the
    start's row to the end's column, then along that column (first="h"), or column first
    ("v"); its background cells take ``color``. None unless each colour has exactly one cell.

    Example: grid = connect_corner(grid, start=Color.RED, end=Color.GREEN, color=Color.TEAL, first="h")
    """
    bg = resolve_background(grid, background)
    a, b = np.argwhere(grid == start), np.argwhere(grid == end)
    if len(a) != 1 or len(b) != 1:
        return None
    (ay, ax), (by, bx) = a[0], b[0]
    corner = (ay, bx) if first == "h" else (by, ax)
    out = grid.copy()
    for (y0, x0), (y1, x1) in (((ay, ax), corner), (corner, (by, bx))):
        rows = np.arange(min(y0, y1), max(y0, y1) + 1)
        cols = np.arange(min(x0, x1), max(x0, x1) + 1)
        segment = out[np.ix_(rows, cols)]
        segment[segment == bg] = color
        out[np.ix_(rows, cols)] = segment
    return out

"""A grid's colours counted, listed in order or renamed by the roles they play (the substitution
itself is ``dsl.grids.recolor``)."""

from __future__ import annotations

import numpy as np

from dsl.color import Color, resolve_background


def color_roles(grid: np.ndarray, fixed: tuple[int, ...] = (Color.BLACK,)) -> tuple[tuple[int, int], ...]:
    """A renaming of all ten colours, as ``recolor`` takes it, by the role each colour of
    ``grid`` plays: the colours outside ``fixed`` that the grid holds take the colours outside
    ``fixed`` in order of their cell counts (most first; on a tie, the colour met first in
    reading order first), the colours it lacks take the rest in order, and ``fixed`` colours
    keep their names.

    Example: roles = color_roles(input_grid, fixed=(Color.BLACK,)); grid = recolor(input_grid, roles)
    """
    flat = np.asarray(grid).ravel()
    counts = np.bincount(flat, minlength=10)
    held = [c for c in range(10) if counts[c] and c not in fixed]
    first = {c: int(np.argmax(flat == c)) for c in held}
    lacking = [c for c in range(10) if not counts[c] and c not in fixed]
    order = sorted(held, key=lambda c: (-counts[c], first[c])) + lacking
    free = [c for c in range(10) if c not in fixed]
    return tuple(sorted([(c, c) for c in fixed] + list(zip(order, free))))


def paint_foreground(grid: np.ndarray, color: int, background: int | None = 0) -> np.ndarray:
    """Every cell that is not background becomes ``color``; often the colour that
    ``pick_color`` chooses on the input (the colour of the markers, of the largest object...).

    Example: grid = paint_foreground(grid, color=pick_color(input_grid, by="least_common"))
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    return np.where(grid == bg, grid, color)


def color_histogram(grid: np.ndarray, background: int | None = None, fill: int = 0) -> np.ndarray | None:
    """A bar per colour: column j holds the j-th most common colour (ties: the smaller colour
    first) in as many top cells as the grid has of it, the rest ``fill``. With a background,
    its colour gets no bar. None when there is no colour to count or ``fill`` is one of them.

    Example: grid = color_histogram(grid, background=None, fill=Color.BLACK)
    """
    grid = np.asarray(grid)
    counts = np.bincount(grid.ravel(), minlength=10)
    if background is not None:
        counts[background] = 0
    colors = sorted((c for c in range(10) if counts[c]), key=lambda c: (-counts[c], c))
    if not colors or fill in colors:
        return None
    out = np.full((int(counts[colors[0]]), len(colors)), fill, dtype=grid.dtype)
    for j, c in enumerate(colors):
        out[:counts[c], j] = c
    return out


def color_sequence(grid: np.ndarray, by: str, background: int | None = 0, skip: int = 0,
                   column: bool = True) -> np.ndarray | None:
    """The grid's colours as a one-cell-wide line: by "bands", the colours of its stripes in
    order (top to bottom as a column when the stripes lie across, left to right as a row when
    they stand up, whichever way lines are more nearly of one colour; ``column`` is then ignored); by "count", the non-background colours from the
    most to the least common (a column, or a row when ``column`` is False). ``skip`` drops that
    many colours from the front. None on a tie in the counts or when no colour is left.

    Example: grid = color_sequence(grid, by="count", background=Color.BLACK, skip=1)
    """
    grid = np.asarray(grid)
    if by == "bands":
        def runs(lines: np.ndarray) -> tuple[float, list[int]]:
            counts = [np.bincount(line, minlength=10) for line in lines]
            majority = [int(np.argmax(c)) for c in counts]
            purity = float(np.mean([c.max() / c.sum() for c in counts]))
            return purity, [c for i, c in enumerate(majority) if i == 0 or c != majority[i - 1]]
        (pure_rows, down), (pure_cols, across) = runs(grid), runs(grid.T)
        if pure_rows == pure_cols:
            return None  # neither way is the stripes' way
        colors, column = (down, True) if pure_rows > pure_cols else (across, False)
        if len(set(colors)) != len(colors):
            return None  # a colour comes back: not stripes
    elif by == "count":
        bg = resolve_background(grid, background)
        counts = np.bincount(grid[grid != bg], minlength=10)
        present = [c for c in range(10) if counts[c]]
        if len({int(counts[c]) for c in present}) != len(present):
            return None  # a tie leaves the order open
        colors = sorted(present, key=lambda c: -counts[c])
    else:
        raise ValueError(f"unknown order {by!r}; use 'bands' or 'count'")
    colors = colors[skip:]
    if not colors:
        return None
    line = np.array(colors, dtype=grid.dtype)
    return line[:, None] if column else line[None, :]


def count_colors(grid: np.ndarray, background: int | None = Color.BLACK) -> int:
    """How many colours the grid holds, its background (None: its most common colour) not counted.

    Example: n = count_colors(grid, background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    return int(sum(1 for c in np.unique(grid) if c != bg))


def fill_first(shape: tuple[int, int], n: int, color: int, background: int = Color.BLACK,
               order: str = "rows") -> np.ndarray | None:
    """A grid of ``shape`` in ``background`` whose first ``n`` cells take ``color``, counted
    along the rows ("rows"), down the columns ("cols"), or along the rows turning back at each
    end ("snake"). None when n does not fit.

    Example: grid = fill_first((3, 3), n, color=Color.BLUE, background=Color.BLACK, order="rows")
    """
    h, w = shape
    if not 0 <= n <= h * w:
        return None
    out = np.full(h * w, background)
    out[:n] = color
    if order == "cols":
        return out.reshape(w, h).T
    out = out.reshape(h, w)
    if order == "snake":
        out[1::2] = out[1::2, ::-1]
    return out

"""A grid reduced to one key (a colour, a count, the shape of its cells) and an answer looked up
by that key: the tasks whose output is one of a few fixed grids, chosen by a property of the
input."""

from __future__ import annotations

import numpy as np

from dsl._masks import label
from dsl.color import resolve_background
from dsl.objects import bounding_box
from dsl.partition import pick_color

GRID_KEYS = ("most_common", "least_common", "n_colors", "n_objects", "n_cells", "shape")


def grid_key(grid: np.ndarray, by: str, background: int | None = 0) -> int | tuple | None:
    """One hashable property of the whole grid (``by``, one of ``GRID_KEYS``): its most or
    least common non-background colour, how many non-background colours, objects (8-connected,
    any colour) or cells it has, or the shape of its non-background cells (their bounding box as
    rows of 0/1). None when the property names nothing (a tie, an empty grid).

    Example: key = grid_key(grid, by="n_objects", background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    fg = grid != bg
    if by in ("most_common", "least_common"):
        return pick_color(grid, by, background)
    if by == "n_colors":
        return len(np.unique(grid[fg]))
    if by == "n_objects":
        return int(label(fg, 8)[1])
    if by == "n_cells":
        return int(fg.sum())
    if by == "shape":
        if not fg.any():
            return None
        x, y, rows, cols = bounding_box(fg)
        return tuple(tuple(int(v) for v in row) for row in fg[x:x + rows, y:y + cols])
    raise ValueError(f"unknown grid key {by!r}")


def lookup_output(grid: np.ndarray, by: str, table: tuple, background: int | None = 0) -> np.ndarray | None:
    """The output grid that ``table`` ((key, grid as rows) pairs) gives for the grid's key
    (``grid_key(grid, by, background)``); None for a key the table does not hold.

    Example: grid = lookup_output(grid, by="most_common", table=((1, ((5, 5),)), (2, ((0, 5),))))
    """
    key = grid_key(grid, by, background)
    for k, out in table:
        if k == key:
            return np.array(out, dtype=int)
    return None

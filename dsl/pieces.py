"""Objects as jigsaw pieces: the one rectangle they fill exactly when fitted together."""

from __future__ import annotations

import numpy as np

from arc.views import symmetry_array
from dsl.color import Color, resolve_background
from dsl.objects import find_objects

MAX_PIECES = 8
MAX_TRIES = 5_000  # placements tried, over all rectangles, before giving up: a puzzle this hard is no ARC rule


def _sprites(grid: np.ndarray, bg: int, connectivity: int, by_color: bool, turns: bool) -> list[list[np.ndarray]] | None:
    """Each object cropped to its box (background cells -1), with its distinct quarter turns
    where ``turns``."""
    out = []
    for m in find_objects(grid, bg, connectivity, by_color):
        rows, cols = np.nonzero(m)
        box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
        sprite = np.where(m[box], grid[box], -1)
        views = [sprite]
        if turns:
            for name in ("rot90", "rot180", "rot270"):
                v = symmetry_array(name, sprite)
                if not any(v.shape == u.shape and np.array_equal(v, u) for u in views):
                    views.append(v)
        out.append(views)
    return out


def _tilings(pieces: list[list[np.ndarray]], h: int, w: int, found: dict[bytes, np.ndarray], tries: list[int]) -> bool:
    """Every exact cover of an h x w rectangle by the pieces (each once, in one of its views),
    added to ``found`` by the grid it gives; False when the placements tried (``tries[0]``, over
    every rectangle) pass MAX_TRIES or a second grid is found (no need to look further)."""
    board = np.full((h, w), -1, dtype=np.int64)
    used = [False] * len(pieces)

    def place() -> bool:
        free = np.flatnonzero(board.ravel() < 0)
        if len(free) == 0:
            found.setdefault(board.tobytes(), board.copy())
            return len(found) < 2
        r, c = divmod(int(free[0]), w)
        for k, views in enumerate(pieces):
            if used[k]:
                continue
            for v in views:
                tries[0] += 1
                if tries[0] > MAX_TRIES:
                    return False
                fr, fc = divmod(int(np.flatnonzero(v.ravel() >= 0)[0]), v.shape[1])
                y, x = r - fr, c - fc  # the piece's first cell on the first free cell
                if y < 0 or x < 0 or y + v.shape[0] > h or x + v.shape[1] > w:
                    continue
                window = board[y:y + v.shape[0], x:x + v.shape[1]]
                cells = v >= 0
                if (window[cells] >= 0).any():
                    continue
                window[cells] = v[cells]
                used[k] = True
                going = place()
                window[cells] = -1
                used[k] = False
                if not going:
                    return False
        return True

    return place()


def fit_pieces(grid: np.ndarray, background: int | None = Color.BLACK, connectivity: int = 8,
               by_color: bool = True, turns: bool = False) -> np.ndarray | None:
    """The objects (``find_objects``) fitted together, without overlap or gap, into the one
    rectangle they fill exactly, each placed as it is (with ``turns``, possibly turned by quarter
    turns). None when there are fewer than two or more than MAX_PIECES objects, or no rectangle,
    or several different ones, can be filled.

    Example: grid = fit_pieces(grid, background=Color.BLACK, connectivity=8, by_color=True, turns=False)
    """
    return fit_pieces_counted(grid, background, connectivity, by_color, turns)[0]


def fit_pieces_counted(grid: np.ndarray, background: int | None = Color.BLACK, connectivity: int = 8,
                       by_color: bool = True, turns: bool = False) -> tuple[np.ndarray | None, int]:
    """``fit_pieces`` and the placements it tried (the work it did, for the search's budget)."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    pieces = _sprites(grid, bg, connectivity, by_color, turns)
    if not 2 <= len(pieces) <= MAX_PIECES:
        return None, 0
    total = int((grid != bg).sum())
    tall = max(min(v.shape[0] for v in views) for views in pieces)
    wide = max(min(v.shape[1] for v in views) for views in pieces)
    found: dict[bytes, np.ndarray] = {}
    tries = [0]
    for h in range(1, total + 1):
        if total % h or h > 30 or total // h > 30 or (not turns and (h < tall or total // h < wide)):
            continue
        if not _tilings(pieces, h, total // h, found, tries):
            return None, tries[0]
    return (next(iter(found.values())) if len(found) == 1 else None), tries[0]

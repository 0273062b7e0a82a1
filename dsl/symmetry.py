"""Symmetries of a picture: detecting mirror, translational and rotational symmetry, and the
orbit of a point under them (to copy or restore colours across symmetric positions).

Points are (x, y) with x indexing axis 0 and y axis 1. ``apply`` accepts ints or numpy arrays.
"""

from __future__ import annotations

import math

import numpy as np

from dsl.color import Color


def _round(v):
    # Symmetries with half-integer centres map integer points to integer-valued floats. As in
    # BARC's helpers, arrays are truncated (astype) and Python floats rounded.
    if isinstance(v, np.ndarray):
        return v.astype(int)
    if isinstance(v, float):
        return int(round(v))
    return v


class Symmetry:
    """A transformation of grid coordinates that preserves the picture. Returned by
    detect_mirror_symmetry, detect_translational_symmetry, detect_rotational_symmetry.
    sym.apply(x, y, iters=1) returns the point (x', y') after applying it ``iters`` times."""

    def apply(self, x, y, iters: int = 1):
        raise NotImplementedError

    def _iter_range(self, grid_shape: tuple[int, int]) -> tuple[int, int]:
        raise NotImplementedError


class TranslationalSymmetry(Symmetry):
    """Translation by (translate_x, translate_y) per iteration.

    Example: sym = TranslationalSymmetry(translate_x=0, translate_y=3)
    """

    def __init__(self, translate_x: int, translate_y: int):
        self.translate_x, self.translate_y = translate_x, translate_y

    def apply(self, x, y, iters: int = 1):
        return _round(x + iters * self.translate_x), _round(y + iters * self.translate_y)

    def _iter_range(self, grid_shape):
        top = 0
        if self.translate_x:
            top = math.ceil(grid_shape[0] / abs(self.translate_x))
        if self.translate_y:
            top = max(top, math.ceil(grid_shape[1] / abs(self.translate_y)))
        return -top, top + 1

    def __repr__(self):
        return f"TranslationalSymmetry(translate_x={self.translate_x}, translate_y={self.translate_y})"


class MirrorSymmetry(Symmetry):
    """Reflection x -> 2*mirror_x - x (if mirror_x is not None) and y -> 2*mirror_y - y (if
    mirror_y is not None); mirror lines may be halves (between two cells).

    Example: x2, y2 = MirrorSymmetry(mirror_x=None, mirror_y=4.5).apply(x, y)
    """

    def __init__(self, mirror_x: float | None, mirror_y: float | None):
        self.mirror_x, self.mirror_y = mirror_x, mirror_y

    def apply(self, x, y, iters: int = 1):
        if iters % 2 == 0:
            return x, y
        if self.mirror_x is not None:
            x = 2 * self.mirror_x - x
        if self.mirror_y is not None:
            y = 2 * self.mirror_y - y
        return _round(x), _round(y)

    def _iter_range(self, grid_shape):
        return 0, 2

    def __repr__(self):
        return f"MirrorSymmetry(mirror_x={self.mirror_x}, mirror_y={self.mirror_y})"


class RotationalSymmetry(Symmetry):
    """Quarter turn about (center_x, center_y) per iteration: (x, y) -> (cx + (y - cy),
    cy - (x - cx)). As in BARC, iters <= 0 leaves the point where it is: turn back with
    iters=3. Centres may be halves."""

    def __init__(self, center_x: float, center_y: float):
        self.center_x, self.center_y = center_x, center_y

    def apply(self, x, y, iters: int = 1):
        x, y = x - self.center_x, y - self.center_y
        # BARC loops range(iters) times, so a negative count never turns (its docstring's
        # "-1 counterclockwise" is not what it does; programs were trained on what it does).
        for _ in range(max(int(iters), 0) % 4):
            x, y = y, -x
        return _round(x + self.center_x), _round(y + self.center_y)

    def _iter_range(self, grid_shape):
        return 0, 4

    def __repr__(self):
        return f"RotationalSymmetry(center_x={self.center_x}, center_y={self.center_y})"


def _score_symmetry(grid: np.ndarray, sym: Symmetry, ignore_colors, background=None) -> tuple[int, int, int]:
    """(pixels mapped onto the same colour, pixels mapped off the canvas, pixels mapped onto a
    different colour that is not ignored), over pixels not in ignore_colors (nor background)."""
    n, m = grid.shape
    occupied = ~np.isin(grid, ignore_colors)
    if background is not None:
        occupied &= grid != background
    xs, ys = np.nonzero(occupied)
    tx, ty = sym.apply(xs, ys)
    tx, ty = np.asarray(tx), np.asarray(ty)
    inside = (tx >= 0) & (tx < n) & (ty >= 0) & (ty < m)
    original = grid[xs[inside], ys[inside]]
    mapped = grid[tx[inside], ty[inside]]
    same = int(np.sum(original == mapped))
    conflict = int(np.sum((original != mapped) & ~np.isin(mapped, ignore_colors)))
    return same, int(np.sum(~inside)), conflict


def detect_mirror_symmetry(grid: np.ndarray, ignore_colors: list[int] = [Color.BLACK],
                           background: int | None = None) -> list[MirrorSymmetry]:
    """The best-scoring mirror symmetries (possibly several, e.g. one per axis): reflections with
    grid[x, y] == grid[2*mirror_x - x, 2*mirror_y - y] wherever neither pixel is in
    ignore_colors (ignore occluders there). Empty list if none.

    Example: for sym in detect_mirror_symmetry(grid, ignore_colors=[Color.BLACK]): x2, y2 = sym.apply(x, y)
    """
    grid = np.asarray(grid)
    n, m = grid.shape
    candidates = [MirrorSymmetry(c + z, None) for c in range(n) for z in (0, 0.5)]
    candidates += [MirrorSymmetry(None, c + z) for c in range(m) for z in (0, 0.5)]
    candidates += [MirrorSymmetry(cx + z, cy + z) for cx in range(n) for cy in range(m) for z in (0, 0.5)]
    best, best_score = [], 0.0
    for sym in candidates:
        same, off, conflict = _score_symmetry(grid, sym, ignore_colors, background)
        if conflict or not same:
            continue
        score = same - 0.01 * off
        if score > best_score:
            best, best_score = [sym], score
        elif score == best_score:
            best.append(sym)
    return best


def detect_translational_symmetry(grid: np.ndarray, ignore_colors: list[int] = [Color.BLACK],
                                  background: int | None = None) -> list[TranslationalSymmetry]:
    """Translations with grid[x, y] == grid[x + translate_x, y + translate_y] wherever neither
    pixel is in ignore_colors: the best one along axis 0 and the best along axis 1 (diagonal
    only if neither exists). Use with orbit() to fill in a tiled pattern.

    Example: syms = detect_translational_symmetry(grid, ignore_colors=[Color.BLACK])
    """
    grid = np.asarray(grid)
    n, m = grid.shape
    along_x = [TranslationalSymmetry(t, 0) for t in range(1, n)] + [TranslationalSymmetry(-t, 0) for t in range(1, n)]
    along_y = [TranslationalSymmetry(0, t) for t in range(1, m)] + [TranslationalSymmetry(0, -t) for t in range(1, m)]
    diagonal = [TranslationalSymmetry(tx, ty) for tx in range(1, n) for ty in range(1, m)]

    def scored(syms):
        out = []
        for sym in syms:
            same, off, conflict = _score_symmetry(grid, sym, ignore_colors, background)
            score = same - 0.01 * off - 100000 * conflict
            if score > 0:
                out.append((sym, score))
        return out

    found = []
    # max() keeps the first of equal keys; the key's second part breaks score ties by the shift.
    xs = scored(along_x)
    if xs:
        found.append(max(xs, key=lambda p: (p[1], -p[0].translate_x))[0])
    ys = scored(along_y)
    if ys:
        found.append(max(ys, key=lambda p: (p[1], -p[0].translate_y))[0])
    if not found:
        ds = scored(diagonal)
        if ds:
            found.append(max(ds, key=lambda p: (p[1], -p[0].translate_x - p[0].translate_y))[0])
    return found


def detect_rotational_symmetry(grid: np.ndarray, ignore_colors: list[int] = [Color.BLACK],
                               background: int | None = None) -> RotationalSymmetry | None:
    """The best quarter-turn symmetry (a RotationalSymmetry with float center_x, center_y), or
    None: grid[x, y] == grid[sym.apply(x, y)] wherever neither pixel is in ignore_colors.

    Example: sym = detect_rotational_symmetry(grid, ignore_colors=[Color.BLACK]); x2, y2 = sym.apply(x, y, iters=1)
    """
    grid = np.asarray(grid)
    n, m = grid.shape
    best, best_score = None, 0.0
    for cx in range(n):
        for cy in range(m):
            for z in (0, 0.5):
                sym = RotationalSymmetry(cx + z, cy + z)
                same, off, conflict = _score_symmetry(grid, sym, ignore_colors, background)
                score = same - 5 * off - 1000 * conflict
                if score > best_score:
                    best, best_score = sym, score
    return best


def orbit(grid: np.ndarray, x: int, y: int, symmetries: list[Symmetry]) -> list[tuple[int, int]]:
    """Points of ``grid``'s canvas that (x, y) reaches by applying each symmetry in turn some
    number of times (staying on the canvas after each), (x, y) itself included. Unsorted: in
    the order of BARC's helper (a Python set of the points, listed).

    Example: for x2, y2 in orbit(output_grid, x, y, symmetries): output_grid[x2, y2] = input_grid[x, y]
    """
    n, m = np.asarray(grid).shape
    # BARC walks itertools.product of the symmetries' iteration ranges (the first symmetry
    # slowest), keeps the end point of every walk that never leaves the canvas, and lists
    # set(points). Walks are done here one symmetry at a time over arrays, in that same order,
    # so the set sees the same points in the same order and lists them the same way.
    xs, ys = np.array([x]), np.array([y])
    alive = np.array([True])
    for sym in symmetries:
        lo, hi = sym._iter_range((n, m))
        steps = [tuple(np.asarray(v) for v in sym.apply(xs, ys, i)) for i in range(lo, hi)]
        if not steps:
            return []
        xs = np.stack([np.broadcast_to(tx, xs.shape) for tx, _ in steps], axis=1).ravel()
        ys = np.stack([np.broadcast_to(ty, ys.shape) for _, ty in steps], axis=1).ravel()
        alive = np.repeat(alive, len(steps)) & (xs >= 0) & (xs < n) & (ys >= 0) & (ys < m)
    points = [(int(a), int(b)) for a, b in zip(xs[alive].tolist(), ys[alive].tolist())]
    return list(set(points))

"""Whole-grid operations: the eight rigid transforms, scaling, tiling, mirroring, cropping,
colour substitution.

Every operation takes a numpy int grid (never modified) and returns a new grid, or None when it
does not apply. A ``background`` of None means "the grid's most common colour". The rigid
transforms and the upscale / tile / mirror kernels live in ``arc`` (views and training
transforms use them too); this module exposes them to programs.
"""

from __future__ import annotations

import numpy as np

from arc.transforms import mirror_concat_array, tile_array, upscale_array
from arc.views import anti_transpose, flip_lr, flip_ud, rot90, rot180, rot270, symmetry_array, transpose
from dsl.color import Color, most_common_color, resolve_background
from dsl.objects import crop

__all__ = [
    "rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose",
    "upscale", "downscale", "tile", "tile_views", "continue_pattern", "stack_steps", "repeat_from_seeds", "repeating_tile", "pad_grid", "mirror_concat", "self_tile", "crop_to_content", "trim_border",
    "recolor", "fill_with_most_common",
]


def upscale(grid: np.ndarray, ky: int, kx: int) -> np.ndarray:
    """Each cell becomes a ky x kx block.

    Example: grid = upscale(grid, ky=2, kx=3)
    """
    return upscale_array(grid, ky, kx)


def downscale(grid: np.ndarray, ky: int, kx: int) -> np.ndarray | None:
    """Each ky x kx block becomes one cell of the block's most common colour (ties: the smallest).
    None unless the blocks divide the grid, or when both factors are 1."""
    h, w = grid.shape
    if h % ky or w % kx or (ky == 1 and kx == 1):
        return None
    blocks = grid.reshape(h // ky, ky, w // kx, kx).transpose(0, 2, 1, 3).reshape(h // ky, w // kx, ky * kx)
    out = np.zeros((h // ky, w // kx), dtype=grid.dtype)
    for i in range(h // ky):
        for j in range(w // kx):
            out[i, j] = np.argmax(np.bincount(blocks[i, j], minlength=10))
    return out


def shrink_blocks(grid: np.ndarray) -> np.ndarray | None:
    """The grid drawn at its own scale: when it is made of uniform k x k blocks (k > 1, the
    largest such k), one cell per block; None when no block size above 1 fits.

    Example: grid = shrink_blocks(grid)
    """
    h, w = grid.shape
    for k in range(min(h, w), 1, -1):
        if h % k or w % k:
            continue
        small = grid[::k, ::k]
        if (upscale_array(small, k, k) == grid).all():
            return small.copy()
    return None


def tile(grid: np.ndarray, ny: int, nx: int) -> np.ndarray:
    """The grid repeated ny times down and nx times across.

    Example: grid = tile(grid, ny=3, nx=3)
    """
    return tile_array(grid, ny, nx)


def tile_views(grid: np.ndarray, views: tuple[tuple[str, ...], ...]) -> np.ndarray | None:
    """Blocks laid out as ``views`` (rows of symmetry names: "identity", "rot90", "flip_lr", ...):
    block (i, j) is the grid under ``views[i][j]``. None when the blocks differ in shape (a
    quarter turn of a grid that is not square).

    Example: grid = tile_views(grid, views=(("identity", "flip_lr"), ("flip_ud", "rot180")))
    """
    rows = [[symmetry_array(name, grid) for name in row] for row in views]
    shapes = {b.shape for row in rows for b in row}
    if len(shapes) != 1:
        return None
    return np.block(rows)


def _period(grid: np.ndarray, axis: int) -> int:
    """The smallest p with every line along ``axis`` equal to the line p further on."""
    lines = grid if axis == 0 else grid.T
    n = lines.shape[0]
    return next(p for p in range(1, n + 1) if p == n or np.array_equal(lines[p:], lines[:-p]))


def _drift(grid: np.ndarray, background: int) -> tuple[int, int] | None:
    """The smallest step (dy rows down, dx columns across, dx nearest 0) that carries every row
    onto the row dy further down, on every cell both lines show; the cells it would bring in
    from past the side must be background, and some non-background cell must move. None if no
    step does."""
    h, w = grid.shape
    for dy in range(1, h):
        for dx in sorted(range(-(w - 1), w), key=lambda d: (abs(d), d < 0)):
            src = grid[:h - dy, max(0, -dx):w - max(0, dx)]
            dst = grid[dy:, max(0, dx):w - max(0, -dx)]
            entering = grid[dy:, :dx] if dx > 0 else grid[dy:, w + dx:] if dx < 0 else grid[:0]
            if np.array_equal(src, dst) and (src != background).any() and (entering == background).all():
                return dy, dx
    return None


def continue_pattern(grid: np.ndarray, ky: float = 1, kx: float = 1, rows: int | None = None,
                     cols: int | None = None, drift: bool = False, background: int | None = Color.BLACK) -> np.ndarray | None:
    """A (ky * h, kx * w) grid (factors may be fractions such as 1.5), or a ``rows`` x ``cols``
    one, that carries on the grid's repeating pattern (its smallest period down and across) past
    its edges; None when the factors do not give whole sides or neither grows the grid. With
    ``drift``, the pattern is carried on down the rows (and across the columns, the grid turned)
    by its smallest step that may also move across (a staircase, a diagonal), cells coming in
    from past the side ``background``.

    Example: grid = continue_pattern(grid, ky=1.5, kx=1, rows=None, cols=None, drift=False, background=Color.BLACK)
    """
    h, w = grid.shape
    rows_out = round(ky * h) if rows is None else rows
    cols_out = round(kx * w) if cols is None else cols
    if rows_out < h or cols_out < w or (rows_out == h and cols_out == w) or rows_out > 30 or cols_out > 30:
        return None
    if (rows is None and abs(rows_out - ky * h) > 1e-6) or (cols is None and abs(cols_out - kx * w) > 1e-6):
        return None
    if drift:
        bg = resolve_background(grid, background)
        out = _drift_down(grid, rows_out, bg)
        out = None if out is None else _drift_down(out.T, cols_out, bg)
        return None if out is None else out.T.copy()
    py, px = _period(grid, 0), _period(grid, 1)
    return grid[np.ix_(np.arange(rows_out) % py, np.arange(cols_out) % px)]


def _drift_down(grid: np.ndarray, rows: int, background: int) -> np.ndarray | None:
    """``grid`` carried on down to ``rows`` rows by its drift (``_drift``); as it is where it
    already has them."""
    h, w = grid.shape
    if rows == h:
        return grid
    step = _drift(grid, background)
    if step is None:
        return None
    dy, dx = step
    out = np.full((rows, w), background, dtype=grid.dtype)
    out[:h] = grid
    for r in range(h, rows):
        c0, c1 = max(0, dx), w + min(0, dx)
        out[r, c0:c1] = out[r - dy, c0 - dx:c1 - dx]
    return out


# The steps ``stack_steps`` takes a row by: shifted one cell, or each drawn run one cell longer
# (grown) or shorter (shrunk) at its right or left end.
ROW_STEPS = ("right", "left", "grow_right", "grow_left", "shrink_right", "shrink_left")


def _step_row(row: np.ndarray, step: str, background: int) -> np.ndarray:
    drawn = row != background
    out = row.copy()
    if step == "right":
        out[1:], out[0] = row[:-1], background
    elif step == "left":
        out[:-1], out[-1] = row[1:], background
    elif step == "grow_right":
        new = drawn[:-1] & ~drawn[1:]
        out[1:][new] = row[:-1][new]
    elif step == "grow_left":
        new = drawn[1:] & ~drawn[:-1]
        out[:-1][new] = row[1:][new]
    elif step == "shrink_right":
        out[drawn & ~np.append(drawn[1:], False)] = background
    elif step == "shrink_left":
        out[drawn & ~np.insert(drawn[:-1], 0, False)] = background
    else:
        raise ValueError(f"unknown step {step!r}; use one of {ROW_STEPS}")
    return out


def stack_steps(grid: np.ndarray, up: tuple[str, int | None] | None = None,
                down: tuple[str, int | None] | None = None, shape: tuple[int, int] | None = None,
                at: str = "own", background: int | None = Color.BLACK) -> np.ndarray | None:
    """The grid's one drawn row (its seed) with rows generated from it above (``up``) and below
    (``down``) to the grid's edge: each row one ``step`` further from the seed than the one before
    ("right"/"left": shifted one cell; "grow_right"/"grow_left", "shrink_right"/"shrink_left":
    each drawn run one cell longer/shorter at that end), painted ``color`` (None: the seed's own
    colours). ``shape`` gives the output a new size (the seed left-aligned in it, cut to its
    width) with the seed on its "top" or "bottom" row; "own" keeps the grid's shape and the
    seed's row. None unless exactly one row is drawn.

    Example: grid = stack_steps(grid, up=("grow_right", Color.GREEN), down=("shrink_right", Color.BLUE), shape=None, at="own", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    drawn = np.nonzero((grid != bg).any(axis=1))[0]
    if len(drawn) != 1:
        return None
    r = int(drawn[0])
    rows, cols = grid.shape if shape is None else (int(shape[0]), int(shape[1]))
    if not (0 < rows <= 30 and 0 < cols <= 30):
        return None
    seed = np.full(cols, bg, dtype=grid.dtype)
    seed[:min(cols, grid.shape[1])] = grid[r, :cols]
    r0 = {"own": r, "top": 0, "bottom": rows - 1}[at]
    if r0 >= rows:
        return None
    out = np.full((rows, cols), bg, dtype=grid.dtype)
    out[r0] = seed
    for side, sign in ((up, -1), (down, 1)):
        if side is None:
            continue
        step, color = side
        row, i = seed, r0 + sign
        while 0 <= i < rows:
            row = _step_row(row, step, bg)
            out[i] = row if color is None else np.where(row != bg, color, bg)
            i += sign
    return out


def repeat_from_seeds(grid: np.ndarray, ahead: tuple[tuple[int, int, int | None], ...],
                      behind: tuple[tuple[int, int, int | None], ...], period: tuple[int, int],
                      background: int | None = Color.BLACK) -> np.ndarray | None:
    """Each drawn cell of the grid (a seed) with a motif repeated from it to the grid's edge:
    ``ahead``'s cells (row and column offsets from the seed, a colour; None: the seed's own) drawn,
    then again ``period`` further on, and so on; ``behind``'s the same way against the period.
    Drawn cells are kept. None when the grid has no drawn cell or the period is (0, 0).

    Example: grid = repeat_from_seeds(grid, ahead=((1, -1, None), (1, 1, None), (2, 0, None)), behind=(), period=(2, 0), background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    dy, dx = period
    seeds = np.argwhere(grid != bg)
    if len(seeds) == 0 or (dy == 0 and dx == 0):
        return None
    h, w = grid.shape
    out = grid.copy()
    for r, c in seeds.tolist():
        own = grid[r, c]
        for motif, sign in ((ahead, 1), (behind, -1)):
            for k in range(max(h, w) + 1):  # a copy beyond that many periods is off the grid
                for y, x, color in motif:
                    rr, cc = r + y + sign * k * dy, c + x + sign * k * dx
                    if 0 <= rr < h and 0 <= cc < w and out[rr, cc] == bg:
                        out[rr, cc] = own if color is None else color
    return out


def mirror_tile(grid: np.ndarray, ny: int, nx: int) -> np.ndarray | None:
    """The grid reflected back and forth, sharing its edge rows and columns: ny copies down
    (ny * (h - 1) + 1 rows: 0, 1, .., h-1, h-2, .., 0, 1, ..) and nx across. None when the grid
    has a single row (column) to reflect, or both counts are 1.

    Example: grid = mirror_tile(grid, ny=4, nx=1)
    """
    h, w = grid.shape
    if (ny == 1 and nx == 1) or (ny > 1 and h < 2) or (nx > 1 and w < 2):
        return None

    def bounce(n: int, copies: int) -> np.ndarray:
        if copies == 1:
            return np.arange(n)
        period = 2 * (n - 1)
        k = np.arange(copies * (n - 1) + 1) % period
        return np.where(k < n, k, period - k)

    return grid[np.ix_(bounce(h, ny), bounce(w, nx))]


def repeating_tile(grid: np.ndarray) -> np.ndarray | None:
    """The smallest block whose repetition (down and across, the last copy possibly cut) makes
    the grid; None when the grid does not repeat.

    Example: grid = repeating_tile(grid)
    """
    py, px = _period(grid, 0), _period(grid, 1)
    if (py, px) == grid.shape:
        return None
    return grid[:py, :px].copy()


def pad_grid(grid: np.ndarray, top: int = 0, bottom: int = 0, left: int = 0, right: int = 0,
             color: int = Color.BLACK) -> np.ndarray | None:
    """The grid on a larger canvas of ``color``, with that many rows and columns added on each
    side; None when a margin is negative or the canvas would pass 30 cells a side.

    Example: grid = pad_grid(grid, bottom=3, right=3, color=Color.BLACK)
    """
    h, w = grid.shape
    if min(top, bottom, left, right) < 0 or h + top + bottom > 30 or w + left + right > 30:
        return None
    out = np.full((h + top + bottom, w + left + right), color, dtype=grid.dtype)
    out[top:top + h, left:left + w] = grid
    return out


def mirror_concat(grid: np.ndarray, side: str) -> np.ndarray:
    """The grid joined with its mirror image on one side: "right", "left", "down" or "up".

    Example: grid = mirror_concat(grid, side="right")
    """
    return mirror_concat_array(grid, side)


def self_tile(grid: np.ndarray, background: int | None = Color.BLACK, invert: bool = False,
              key: int | str | None = None, content: str = "copy") -> np.ndarray | None:
    """A (h*h, w*w) grid whose block (i, j) is a copy of the grid where cell (i, j) is not
    background (with invert, where it is background); the other blocks are background. With
    ``key`` (a colour, or "most_common" / "least_common" for the grid's own), the copies go where
    the cell has that colour instead (None on a tie for the most or least common colour).
    ``content`` says what a block holds: "copy", the grid; "own", only the grid's cells of the
    colour of cell (i, j), the rest background; "paint", the grid's non-background cells all in
    the colour of cell (i, j).

    Example: grid = self_tile(grid, background=Color.BLACK, key="most_common", content="copy")
    """
    bg = resolve_background(grid, background)
    h, w = grid.shape
    if key is None:
        chosen = (grid != bg) != invert
    else:
        if isinstance(key, str):
            counts = np.bincount(grid.ravel(), minlength=10)
            present = counts[counts > 0]
            best = present.max() if key == "most_common" else present.min()
            if (counts == best).sum() != 1:  # a tie names no colour
                return None
            key = int(np.argmax(counts == best))
        chosen = grid == key
    out = np.full((h * h, w * w), bg, dtype=grid.dtype)
    for i in range(h):
        for j in range(w):
            if chosen[i, j]:
                block = grid
                if content == "own":
                    block = np.where(grid == grid[i, j], grid, bg)
                elif content == "paint":
                    block = np.where(grid != bg, grid[i, j], bg)
                out[i * h:(i + 1) * h, j * w:(j + 1) * w] = block
    return out


def crop_to_content(grid: np.ndarray, background: int | None = Color.BLACK) -> np.ndarray | None:
    """The bounding box of all non-background cells; None when there is none.

    Example: grid = crop_to_content(grid, background=None)
    """
    bg = resolve_background(grid, background)
    if not (grid != bg).any():
        return None
    return crop(grid, background=bg)


def trim_border(grid: np.ndarray) -> np.ndarray | None:
    """The grid without its outermost ring of cells (the frame around a cropped region); None
    for a grid narrower than 3 cells."""
    if grid.shape[0] < 3 or grid.shape[1] < 3:
        return None
    return grid[1:-1, 1:-1]


def recolor(grid: np.ndarray, mapping: tuple[tuple[int, int], ...]) -> np.ndarray | None:
    """Cell-wise colour substitution; ``mapping`` is a tuple of (from, to) pairs naming every
    colour it knows, unchanged ones included. None for a grid with a colour the mapping does not
    know.

    Example: grid = recolor(grid, mapping=((0, 0), (1, 2), (2, 1)))
    """
    grid = np.asarray(grid)
    table = np.full(10, -1)
    for src, dst in mapping:
        table[src] = dst
    out = table[grid]
    return None if (out < 0).any() else out.astype(grid.dtype)


def fill_with_most_common(grid: np.ndarray) -> np.ndarray:
    """The whole grid in its most common colour."""
    return np.full_like(grid, most_common_color(grid))

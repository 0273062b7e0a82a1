"""Whole-grid operations: symmetries, scaling, tiling, cropping, colour maps, gravity.

Every operation takes a numpy int grid (never modified) and keyword parameters, and returns a
new grid or None when it does not apply. The search emits the source of these functions into
the programs it writes, so they use only numpy and other functions of the ``ops_*`` modules.
"""

import numpy as np


def most_common_color(grid):
    """The colour with the most cells (ties: the smallest colour)."""
    return int(np.argmax(np.bincount(grid.ravel(), minlength=10)))


def resolve_background(grid, background):
    """``background`` is a colour, or None for the grid's most common colour."""
    return most_common_color(grid) if background is None else background


def rot90(grid):
    return np.rot90(grid, -1)


def rot180(grid):
    return np.rot90(grid, 2)


def rot270(grid):
    return np.rot90(grid, 1)


def flip_lr(grid):
    return grid[:, ::-1]


def flip_ud(grid):
    return grid[::-1, :]


def transpose(grid):
    return grid.T


def anti_transpose(grid):
    return np.rot90(grid, 2).T


def upscale(grid, ky, kx):
    """Each cell becomes a ky x kx block."""
    return np.repeat(np.repeat(grid, ky, axis=0), kx, axis=1)


def downscale(grid, ky, kx):
    """Each ky x kx block becomes one cell of the block's most common colour."""
    h, w = grid.shape
    if h % ky or w % kx or (ky == 1 and kx == 1):
        return None
    blocks = grid.reshape(h // ky, ky, w // kx, kx).transpose(0, 2, 1, 3).reshape(h // ky, w // kx, ky * kx)
    out = np.zeros((h // ky, w // kx), dtype=grid.dtype)
    for i in range(h // ky):
        for j in range(w // kx):
            out[i, j] = np.argmax(np.bincount(blocks[i, j], minlength=10))
    return out


def tile(grid, ny, nx):
    """The grid repeated ny times down and nx times across."""
    return np.tile(grid, (ny, nx))


def mirror_concat(grid, side):
    """The grid joined with its mirror image on one side (right, left, down, up)."""
    if side == "right":
        return np.concatenate([grid, grid[:, ::-1]], axis=1)
    if side == "left":
        return np.concatenate([grid[:, ::-1], grid], axis=1)
    if side == "down":
        return np.concatenate([grid, grid[::-1, :]], axis=0)
    return np.concatenate([grid[::-1, :], grid], axis=0)


def self_tile(grid, background, invert):
    """Block (i, j) is a copy of the grid where cell (i, j) is foreground (or background, if invert)."""
    bg = resolve_background(grid, background)
    h, w = grid.shape
    out = np.full((h * h, w * w), bg, dtype=grid.dtype)
    for i in range(h):
        for j in range(w):
            if (grid[i, j] != bg) != invert:
                out[i * h:(i + 1) * h, j * w:(j + 1) * w] = grid
    return out


def crop_to_content(grid, background):
    """The bounding box of all non-background cells."""
    bg = resolve_background(grid, background)
    rows, cols = np.nonzero(grid != bg)
    if len(rows) == 0:
        return None
    return grid[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def recolor(grid, mapping):
    """Cell-wise colour substitution; mapping is a tuple of (from, to) pairs naming every colour
    the demonstrations showed. None for a grid with a colour the mapping does not know."""
    if not set(np.unique(grid).tolist()) <= {src for src, _ in mapping}:
        return None
    out = grid.copy()
    for src, dst in mapping:
        out[grid == src] = dst
    return out


def trim_border(grid):
    """The grid without its outermost ring of cells (the frame around a cropped region)."""
    if grid.shape[0] < 3 or grid.shape[1] < 3:
        return None
    return grid[1:-1, 1:-1]


def fill_with_most_common(grid):
    """The whole grid in its most common colour."""
    return np.full_like(grid, most_common_color(grid))


def gravity(grid, direction, background):
    """Every non-background cell slides towards one side (down, up, left, right) until blocked."""
    bg = resolve_background(grid, background)
    turns = {"down": 0, "left": 1, "up": 2, "right": 3}[direction]
    g = np.rot90(grid, turns)
    out = np.full_like(g, bg)
    for c in range(g.shape[1]):
        column = g[:, c][g[:, c] != bg]
        if len(column):
            out[-len(column):, c] = column
    return np.rot90(out, -turns)

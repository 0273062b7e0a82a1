"""Training-only grid transforms. NOT invertible on arbitrary grids.

These make extra TTT / fine-tuning *training data* (the paper's list: upscaling, tiling,
mirror-concatenation). They are never used at inference time and never undone: a prediction
is only ever mapped back through an ``arc.views.View``. A result wider or taller than 30 is
returned as None so the caller drops it.

The numpy kernels (``upscale_array``, ``tile_array``, ``mirror_concat_array``) are the one home of
these operations: ``dsl``'s ``upscale``, ``tile`` and ``mirror_concat`` call them too.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from arc.grid import MAX_SIDE, Grid, from_array, to_array


def _fits(a: np.ndarray) -> Grid | None:
    if a.shape[0] > MAX_SIDE or a.shape[1] > MAX_SIDE:
        return None
    return from_array(a)


def upscale_array(grid: np.ndarray, ky: int, kx: int) -> np.ndarray:
    """Each cell becomes a ``ky`` x ``kx`` block (numpy in, numpy out, any size)."""
    return np.repeat(np.repeat(grid, ky, axis=0), kx, axis=1)


def tile_array(grid: np.ndarray, ny: int, nx: int) -> np.ndarray:
    """The grid repeated ``ny`` times down and ``nx`` times across (numpy in, numpy out)."""
    return np.tile(grid, (ny, nx))


def mirror_concat_array(grid: np.ndarray, side: str) -> np.ndarray:
    """The grid joined with its mirror image on ``side`` ("right", "left", "down", "up")."""
    if side == "right":
        return np.concatenate([grid, grid[:, ::-1]], axis=1)
    if side == "left":
        return np.concatenate([grid[:, ::-1], grid], axis=1)
    if side == "down":
        return np.concatenate([grid, grid[::-1, :]], axis=0)
    if side == "up":
        return np.concatenate([grid[::-1, :], grid], axis=0)
    raise ValueError(f"unknown side {side!r}")


def upscale(grid: Grid, fy: int, fx: int) -> Grid | None:
    """Each cell becomes an ``fy`` x ``fx`` block."""
    return _fits(upscale_array(to_array(grid), fy, fx))


def tile(grid: Grid, ny: int, nx: int) -> Grid | None:
    """The grid repeated ``ny`` times down and ``nx`` times across."""
    return _fits(tile_array(to_array(grid), ny, nx))


def mirror_concat(grid: Grid, side: str) -> Grid | None:
    """The grid joined with its mirror image on ``side`` ("right", "left", "down", "up")."""
    return _fits(mirror_concat_array(to_array(grid), side))


TRAINING_TRANSFORMS: dict[str, Callable[[Grid], Grid | None]] = {
    "upscale_x2": lambda g: upscale(g, 1, 2),
    "upscale_y2": lambda g: upscale(g, 2, 1),
    "upscale_2": lambda g: upscale(g, 2, 2),
    "tile_x2": lambda g: tile(g, 1, 2),
    "tile_y2": lambda g: tile(g, 2, 1),
    "tile_2": lambda g: tile(g, 2, 2),
    "mirror_right": lambda g: mirror_concat(g, "right"),
    "mirror_left": lambda g: mirror_concat(g, "left"),
    "mirror_down": lambda g: mirror_concat(g, "down"),
    "mirror_up": lambda g: mirror_concat(g, "up"),
}

"""Training-only grid transforms. NOT invertible on arbitrary grids.

These make extra TTT / fine-tuning *training data* (the paper's list: upscaling, tiling,
mirror-concatenation). They are never used at inference time and never undone: a prediction
is only ever mapped back through an ``arc.views.View``. A result wider or taller than 30 is
returned as None so the caller drops it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from arc.grid import MAX_SIDE, Grid, from_array, to_array


def _fits(a: np.ndarray) -> Grid | None:
    if a.shape[0] > MAX_SIDE or a.shape[1] > MAX_SIDE:
        return None
    return from_array(a)


def upscale(grid: Grid, fy: int, fx: int) -> Grid | None:
    """Each cell becomes an ``fy`` x ``fx`` block."""
    return _fits(np.kron(to_array(grid), np.ones((fy, fx), dtype=np.int64)))


def tile(grid: Grid, ny: int, nx: int) -> Grid | None:
    """The grid repeated ``ny`` times down and ``nx`` times across."""
    return _fits(np.tile(to_array(grid), (ny, nx)))


def mirror_concat(grid: Grid, side: str) -> Grid | None:
    """The grid joined with its mirror image on ``side`` ("right", "left", "down", "up")."""
    a = to_array(grid)
    if side == "right":
        out = np.concatenate([a, a[:, ::-1]], axis=1)
    elif side == "left":
        out = np.concatenate([a[:, ::-1], a], axis=1)
    elif side == "down":
        out = np.concatenate([a, a[::-1, :]], axis=0)
    elif side == "up":
        out = np.concatenate([a[::-1, :], a], axis=0)
    else:
        raise ValueError(f"unknown side {side!r}")
    return _fits(out)


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

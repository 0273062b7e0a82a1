"""Gravity: cells or whole objects slide towards one side of the grid until blocked."""

from __future__ import annotations

import numpy as np

from arc.views import symmetry_array
from dsl.color import Color, resolve_background
from dsl.objects import find_objects

# The turn that makes the side "down", and the turn back (the rigid transforms of arc.views).
_TURNS = {"down": ("identity", "identity"), "left": ("rot270", "rot90"), "up": ("rot180", "rot180"),
          "right": ("rot90", "rot270")}


def gravity(grid: np.ndarray, direction: str, background: int | None = Color.BLACK) -> np.ndarray:
    """Every non-background cell slides towards one side ("down", "up", "left", "right") until
    blocked; cells keep their order along the way.

    Example: grid = gravity(grid, direction="down", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    turn, back = _TURNS[direction]
    g = symmetry_array(turn, grid)
    out = np.full_like(g, bg)
    for c in range(g.shape[1]):
        column = g[:, c][g[:, c] != bg]
        if len(column):
            out[-len(column):, c] = column
    return symmetry_array(back, out)


def gravity_objects(grid: np.ndarray, direction: str, background: int | None = Color.BLACK) -> np.ndarray:
    """Objects (8-connected, any colours) slide as rigid units towards one side ("down", "up",
    "left", "right") until blocked, those nearest that side first."""
    bg = resolve_background(grid, background)
    turn, back = _TURNS[direction]
    g = symmetry_array(turn, grid)
    objects = find_objects(g, bg, 8, False)
    objects.sort(key=lambda m: -np.nonzero(m)[0].max())  # those nearest the floor settle first
    out = np.full_like(g, bg)
    for mask in objects:
        ys, xs = np.nonzero(mask)
        shift = 0
        while ys.max() + shift + 1 < g.shape[0] and (out[ys + shift + 1, xs] == bg).all():
            shift += 1
        out[ys + shift, xs] = g[ys, xs]
    return symmetry_array(back, out)

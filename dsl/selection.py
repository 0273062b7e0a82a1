"""Objects picked by a property (see ``select_object``, ``object_property``) and then cropped,
kept alone, removed or recoloured.

Masks come from ``find_objects``; a ``background`` of None means the grid's most common colour.
"""

from __future__ import annotations

import numpy as np

from dsl.color import Color, resolve_background
from dsl.objects import bounding_box, find_objects, object_property, select_object


def crop_object(grid: np.ndarray, select: str, background: int | None = Color.BLACK, connectivity: int = 4,
                by_color: bool = True) -> np.ndarray | None:
    """The bounding box of the object ``select`` picks (see select_object), with whatever else
    lies inside it; None when no single object stands out.

    Example: grid = crop_object(grid, select="max_size", background=0, connectivity=8, by_color=False)
    """
    mask = select_object(grid, find_objects(grid, background, connectivity, by_color), select)
    if mask is None:
        return None
    x, y, w, h = bounding_box(mask)
    return grid[x:x + w, y:y + h]


def keep_object(grid: np.ndarray, select: str, background: int | None = Color.BLACK, connectivity: int = 4,
                by_color: bool = True) -> np.ndarray | None:
    """Only the object ``select`` picks stays; every other cell becomes background."""
    mask = select_object(grid, find_objects(grid, background, connectivity, by_color), select)
    if mask is None:
        return None
    return np.where(mask, grid, resolve_background(grid, background))


def remove_small_objects(grid: np.ndarray, max_size: int, background: int | None = Color.BLACK,
                         connectivity: int = 8) -> np.ndarray:
    """Objects (of any colours) of at most ``max_size`` cells, noise, become background."""
    bg = resolve_background(grid, background)
    out = grid.copy()
    for mask in find_objects(grid, background, connectivity, False):
        if mask.sum() <= max_size:
            out[mask] = bg
    return out


def recolor_objects(grid: np.ndarray, prop: str, mapping: tuple, background: int | None = Color.BLACK,
                    connectivity: int = 4) -> np.ndarray | None:
    """Each single-colour object takes the colour ``mapping`` gives its (colour, property value)
    (a tuple of ((colour, value), new colour) pairs; prop as in object_property).

    None when an object of a colour the mapping covers has a value the mapping does not know:
    the rule learnt from the demonstrations does not say what to do with it.

    Example: grid = recolor_objects(grid, prop="size", mapping=(((5, 2), 1), ((5, 1), 2)), background=0)
    """
    table = dict(mapping)
    known_colors = {color for color, _ in table}
    objects = find_objects(grid, background, connectivity, True)
    out = grid.copy()
    for mask in objects:
        color = int(grid[mask][0])
        key = (color, object_property(grid, mask, objects, prop))
        if key in table:
            out[mask] = table[key]
        elif color in known_colors:
            return None
    return out

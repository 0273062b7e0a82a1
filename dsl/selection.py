"""Objects picked by a property (``pick_part`` over their sprites) and then cropped or kept
alone; objects removed or recoloured by a property (``object_property``).

Masks come from ``find_objects``; a ``background`` of None means the grid's most common colour.
"""

from __future__ import annotations

import numpy as np

from dsl.color import Color, resolve_background
from dsl.objects import bounding_box, find_objects, object_property
from dsl.partition import object_parts, pick_part


def _picked_object(grid: np.ndarray, by: str, background: int | None, connectivity: int,
                   by_color: bool, color: int | None = None) -> np.ndarray | None:
    """The mask of the object whose sprite (its cells on background, cropped to its bounding
    box) ``pick_part`` picks ``by`` (``color``: counting that colour's cells); None when none
    stands out."""
    bg = resolve_background(grid, background)
    masks = find_objects(grid, bg, connectivity, by_color)
    sprites = object_parts(grid, bg, connectivity, by_color, isolate=True)  # in the masks' order
    chosen = pick_part(sprites, by, bg, color)
    return next((m for m, s in zip(masks, sprites) if s is chosen), None)


def crop_object(grid: np.ndarray, by: str, background: int | None = Color.BLACK, connectivity: int = 4,
                by_color: bool = True, color: int | None = None) -> np.ndarray | None:
    """The bounding box of the object that stands out ``by`` a property (one of pick_part's
    PICKS: "max_cells" the largest, "min_area" the smallest box, "unique_colors", ...; with
    ``color``, "max_cells" is the object with the most cells of that colour, a marker), with
    whatever else lies inside the box; None when no single object stands out.

    Example: grid = crop_object(grid, by="max_cells", background=0, connectivity=8, by_color=False)
    """
    mask = _picked_object(grid, by, background, connectivity, by_color, color)
    if mask is None:
        return None
    x, y, w, h = bounding_box(mask)
    return grid[x:x + w, y:y + h]


def keep_object(grid: np.ndarray, by: str, background: int | None = Color.BLACK, connectivity: int = 4,
                by_color: bool = True) -> np.ndarray | None:
    """Only the object that stands out ``by`` a property (as crop_object picks it) stays; every
    other cell becomes background."""
    mask = _picked_object(grid, by, background, connectivity, by_color)
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

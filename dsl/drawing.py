"""Drawing on grids: blitting sprites and objects, translating, filling, lines, scaling,
and whether two placed objects collide or touch.

Functions that draw modify ``grid`` in place (as BARC's do). Coordinates (x, y) index axis 0
and axis 1: ``grid[x, y]``.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from arc.transforms import upscale_array
from dsl._masks import dilate, neighbour_offsets
from dsl.color import Color


def _as_int(value, name: str) -> int:
    if int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def blit(grid: np.ndarray, sprite: np.ndarray, x: int = 0, y: int = 0, background: int | None = None) -> np.ndarray:
    """Copy ``sprite`` into ``grid`` with its corner sprite[0, 0] at grid[x, y], in place; parts
    outside the grid are clipped. If background is given, sprite pixels of that colour are
    transparent. Float x, y are truncated with int() (2.7 -> 2, -0.5 -> 0). Returns grid."""
    x, y = int(x), int(y)  # BARC truncates; programs place sprites at half-cell centres
    sprite = np.asarray(sprite)
    n, m = grid.shape
    sn, sm = sprite.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + sn, n), min(y + sm, m)
    if x0 >= x1 or y0 >= y1:
        return grid
    part = sprite[x0 - x : x1 - x, y0 - y : y1 - y]
    target = grid[x0:x1, y0:y1]
    if background is None:
        target[...] = part
    else:
        keep = part != background
        target[keep] = part[keep]
    return grid


def blit_sprite(grid: np.ndarray, sprite: np.ndarray, x: int, y: int, background: int = Color.BLACK) -> np.ndarray:
    """Draw a sprite onto grid (in place) with its corner at (x, y) (floats truncated with
    int()); background pixels of the sprite are transparent. Returns grid.

    Example: blit_sprite(output_grid, sprite, x=x, y=y, background=Color.BLACK)
    """
    return blit(grid, sprite, x=x, y=y, background=background)


def blit_object(grid: np.ndarray, obj: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Draw a full-size object onto grid (in place) where it already is; its background pixels
    are transparent. Returns grid.

    Example: blit_object(output_grid, obj, background=Color.BLACK)
    """
    return blit(grid, obj, x=0, y=0, background=background)


def translate(obj: np.ndarray, x: int, y: int, background: int = Color.BLACK) -> np.ndarray:
    """A new array: obj moved by x along axis 0 and y along axis 1; pixels moved off the canvas
    are lost and vacated cells take the background colour.

    Example: moved = translate(obj, x=1, y=0, background=Color.BLACK)
    """
    obj = np.asarray(obj)
    out = np.full(obj.shape, background, dtype=obj.dtype)
    return blit(out, obj, x=x, y=y)


def flood_fill(grid: np.ndarray, x: int, y: int, color: int, connectivity: int = 4) -> None:
    """Recolour, in place, the region of grid[x, y]'s colour that contains (x, y) (4- or
    8-connected) with ``color``. Iterative, so any region size is safe.

    Example: flood_fill(grid, 0, 0, Color.BLUE, connectivity=4)
    """
    offsets = neighbour_offsets(connectivity)
    x, y = _as_int(x, "x"), _as_int(y, "y")
    old = grid[x, y]
    if old == color:
        return None
    n, m = grid.shape
    grid[x, y] = color
    queue = deque([(x, y)])
    while queue:
        cx, cy = queue.popleft()
        for dx, dy in offsets:
            nx, ny = cx + dx, cy + dy
            if 0 <= nx < n and 0 <= ny < m and grid[nx, ny] == old:
                grid[nx, ny] = color
                queue.append((nx, ny))
    return None


def draw_line(grid: np.ndarray, x: int, y: int, end_x: int | None = None, end_y: int | None = None,
              length: int | None = None, direction: tuple[int, int] | None = None, color: int | None = None,
              stop_at_color: list[int] = []) -> tuple[int, int]:
    """Draw, in place, a line from (x, y) to (end_x, end_y), or of ``length`` pixels along
    ``direction`` (dx, dy with entries -1, 0, 1; length None runs to the edge of the grid).
    Cells off the grid are skipped; the line stops before a cell whose colour is in
    stop_at_color. Returns the last pixel drawn (x, y if none was).

    Example: end_x, end_y = draw_line(grid, x, y, direction=(0, 1), color=Color.RED, stop_at_color=[Color.BLUE])
    """
    if (end_x is None) != (end_y is None):
        raise ValueError("draw_line: give both end_x and end_y, or neither")
    if color is None:
        raise ValueError("draw_line: color is required")
    x, y = _as_int(x, "x"), _as_int(y, "y")
    if end_x is not None:
        end_x, end_y = _as_int(end_x, "end_x"), _as_int(end_y, "end_y")
        length = max(abs(end_x - x), abs(end_y - y)) + 1
        direction = (end_x - x, end_y - y)
    if direction is None:
        raise ValueError("draw_line: give end_x/end_y or a direction")
    if length is None:
        length = 2 * max(grid.shape)
    dx, dy = (int(np.sign(d)) for d in direction)
    n, m = grid.shape
    stop = (x, y)
    for i in range(int(length)):
        px, py = x + i * dx, y + i * dy
        if 0 <= px < n and 0 <= py < m:
            if grid[px, py] in stop_at_color:
                break
            grid[px, py] = color
            stop = (px, py)
    return stop


def scale_sprite(sprite: np.ndarray, factor: int) -> np.ndarray:
    """A new array with every pixel of sprite repeated as a factor x factor block.

    Example: big = scale_sprite(sprite, factor=3)
    """
    sprite = np.asarray(sprite)
    factor = _as_int(factor, "factor")
    return upscale_array(sprite, factor, factor)  # the one upscaling kernel (dsl upscale: ky, kx apart)


def scale_pattern(pattern: np.ndarray, scale_factor: int) -> np.ndarray:
    """Older name of scale_sprite."""
    return scale_sprite(pattern, scale_factor)


def _placed_masks(object1, object2, x1, y1, x2, y2, background) -> tuple[np.ndarray, np.ndarray]:
    # Both objects drawn as masks on one canvas big enough for either placement.
    if object1 is None or object2 is None:
        raise ValueError("pass object1= and object2= as keyword arguments")
    a, b = np.asarray(object1) != background, np.asarray(object2) != background
    # Only the offset matters, truncated as BARC does: int(x2 - x1), not int(x2) - int(x1).
    x1, y1, x2, y2 = 0, 0, int(x2 - x1), int(y2 - y1)
    ox, oy = min(x1, x2) - 1, min(y1, y2) - 1  # one cell of margin so dilation cannot wrap
    n = max(x1 + a.shape[0], x2 + b.shape[0]) - ox + 1
    m = max(y1 + a.shape[1], y2 + b.shape[1]) - oy + 1
    ca, cb = np.zeros((n, m), dtype=bool), np.zeros((n, m), dtype=bool)
    ca[x1 - ox : x1 - ox + a.shape[0], y1 - oy : y1 - oy + a.shape[1]] = a
    cb[x2 - ox : x2 - ox + b.shape[0], y2 - oy : y2 - oy + b.shape[1]] = b
    return ca, cb


def collision(_=None, object1: np.ndarray | None = None, object2: np.ndarray | None = None, x1: int = 0,
              y1: int = 0, x2: int = 0, y2: int = 0, background: int = Color.BLACK) -> bool:
    """True when object1 placed at (x1, y1) and object2 placed at (x2, y2) share a
    non-background cell. Only the offset int(x2 - x1), int(y2 - y1) matters.

    Example: collision(object1=output_grid, object2=sprite, x2=x, y2=y)  # would the sprite overlap?
    """
    a, b = _placed_masks(object1, object2, x1, y1, x2, y2, background)
    return bool(np.any(a & b))


def contact(_=None, object1: np.ndarray | None = None, object2: np.ndarray | None = None, x1: int = 0,
            y1: int = 0, x2: int = 0, y2: int = 0, background: int = Color.BLACK, connectivity: int = 4) -> bool:
    """True when object1 at (x1, y1) and object2 at (x2, y2) overlap or are adjacent (4- or
    8-connectivity). Collision implies contact.

    Example: contact(object1=obj_a, object2=obj_b, connectivity=8)
    """
    a, b = _placed_masks(object1, object2, x1, y1, x2, y2, background)
    return bool(np.any(a & dilate(b, connectivity)))

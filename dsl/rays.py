"""Rays cast from objects: lines drawn from every object of a colour in fixed directions, to the
border or until they meet something.

A ray leaves an object (8-connected cells of one colour) from its cells furthest along the
direction (one corner for a diagonal of a box, a whole side for a straight direction, so a block
casts a beam as wide as it is) and runs over background cells. ``background=None`` means the
grid's most common colour. A direction is fixed (``DIRECTIONS``), aimed at a colour
("toward:<colour>"), or read off the object's place on the larger shape it is part of (``MARKED``:
a marker, the smaller part of a shape of several colours, points "inward" through the rest of
the shape, or "outward" away from it). A ray stops at the first obstacle, runs to the border over
other cells, or bounces off two opposite borders (``BOUNCES``); it paints one colour, or a cycle
of colours step by step from its object (a dotted line: "skip" leaves a step's cell as it is).
"""

from __future__ import annotations

import numpy as np

from dsl.color import resolve_background
from dsl._masks import dilate
from dsl.objects import find_objects

DIRECTIONS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1),
              "up_left": (-1, -1), "up_right": (-1, 1), "down_left": (1, -1), "down_right": (1, 1)}
STOPS = ("obstacle", "border")
BOUNCES = ("bounce_h", "bounce_v")  # off the left and right borders / the top and bottom ones
STRAIGHT = ("up", "down", "left", "right")
MARKED = ("inward", "outward", "open")


def ray_cells(grid: np.ndarray, mask: np.ndarray, direction: str, stop: str = "obstacle",
              background: int | None = 0) -> list[tuple[int, int]]:
    """The background cells a ray from the object ``mask`` covers along ``direction`` (one of
    ``DIRECTIONS``): from each of the object's cells furthest that way, onward until the border;
    stop="obstacle" ends it at the first cell that is not background, "border" runs past such
    cells (painting only the background ones); "bounce_h" / "bounce_v" (a diagonal) reflects off
    the left and right (top and bottom) borders and ends at the first obstacle or the other
    border. direction="toward:<colour>" (or "toward:any"):
    along each of the four straight directions whose ray first meets a cell of that colour (of any
    colour but the object's), the cells up to it. direction="inward" / "outward": where the object
    is the smaller part of a shape of several colours (non-background cells, 8-connected), along
    the direction from its centre toward the centre of the rest (away from it), straight or
    diagonal; nothing otherwise. direction="open": from each corner of the object's box that the
    object leaves empty (an L's missing corner), diagonally away from the box.

    Example: cells = ray_cells(grid, mask, "up_left", stop="obstacle", background=0)
    """
    return [(r, c) for r, c, _ in ray_steps(grid, mask, direction, stop, background)]


def ray_steps(grid: np.ndarray, mask: np.ndarray, direction: str, stop: str = "obstacle",
              background: int | None = 0) -> list[tuple[int, int, int]]:
    """``ray_cells`` with each cell's step from the object: (row, column, step), the cell next to
    the object step 1 (a cell passed over counts a step too)."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    if direction.startswith("toward:"):
        return _toward(grid, mask, direction.split(":", 1)[1], bg)
    if direction == "open":
        return _open_corners(grid, mask, stop, bg)
    if direction in MARKED:
        direction = _marked_direction(grid, mask, direction, bg)
        if direction is None:
            return []
    dy, dx = DIRECTIONS[direction]
    spots = np.argwhere(mask)
    reach = spots[:, 0] * dy + spots[:, 1] * dx
    out = []
    for y, x in spots[reach == reach.max()]:
        _walk(grid, y, x, dy, dx, stop, bg, out)
    return out


def _walk(grid: np.ndarray, y: int, x: int, dy: int, dx: int, stop: str, bg: int,
          out: list[tuple[int, int, int]]) -> None:
    """Append to ``out`` the background cells (row, column, step) a ray from (y, x) in direction
    (dy, dx) passes, up to the border, or to the first obstacle where ``stop`` is not "border";
    a bounce reflects the ray off two opposite borders (a diagonal only; at most h * w steps)."""
    h, w = grid.shape
    r, c, k = y + dy, x + dx, 1
    bounce = stop in BOUNCES and dy != 0 and dx != 0
    while k <= h * w:
        if bounce and stop == "bounce_h" and 0 <= r < h and not 0 <= c < w:
            dx, c = -dx, c - 2 * dx
        elif bounce and stop == "bounce_v" and 0 <= c < w and not 0 <= r < h:
            dy, r = -dy, r - 2 * dy
        if not (0 <= r < h and 0 <= c < w):
            break
        if grid[r, c] == bg:
            out.append((int(r), int(c), k))
        elif stop != "border":
            break
        r, c, k = r + dy, c + dx, k + 1


def _open_corners(grid: np.ndarray, mask: np.ndarray, stop: str, bg: int) -> list[tuple[int, int, int]]:
    rows, cols = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    if bottom == top or right == left:
        return []
    out = []
    for y, dy in ((top, -1), (bottom, 1)):
        for x, dx in ((left, -1), (right, 1)):
            if not mask[y, x]:
                _walk(grid, y, x, dy, dx, stop, bg, out)
    return out


def _marked_direction(grid: np.ndarray, mask: np.ndarray, way: str, background: int) -> str | None:
    """The direction (a key of ``DIRECTIONS``) a marker points: the object ``mask`` the smaller part
    of the shape (non-background cells, 8-connected, any colours) it belongs to, from its centre
    toward the centre of the rest of the shape (way="inward") or away from it ("outward"); a
    diagonal where neither axis leads by more than twice the other. None where the object is not
    such a part."""
    bg = background
    shape = next((s for s in find_objects(grid, bg, 8, False) if (s & mask).any()), None)
    if shape is None:
        return None
    rest = shape & ~mask
    if not rest.any() or rest.sum() <= mask.sum():
        return None
    (y0, x0), (y1, x1) = np.argwhere(mask).mean(axis=0), np.argwhere(rest).mean(axis=0)
    dy, dx = (y1 - y0, x1 - x0) if way == "inward" else (y0 - y1, x0 - x1)
    sy = 0 if abs(dy) * 2 < abs(dx) else int(np.sign(dy))
    sx = 0 if abs(dx) * 2 < abs(dy) else int(np.sign(dx))
    return next((name for name, step in DIRECTIONS.items() if step == (sy, sx)), None)


def _toward(grid: np.ndarray, mask: np.ndarray, anchor: str, bg: int) -> list[tuple[int, int, int]]:
    own = int(grid[mask][0])
    h, w = grid.shape
    out = []
    for direction in STRAIGHT:
        dy, dx = DIRECTIONS[direction]
        spots = np.argwhere(mask)
        reach = spots[:, 0] * dy + spots[:, 1] * dx
        for y, x in spots[reach == reach.max()]:
            r, c, cells = y + dy, x + dx, []
            while 0 <= r < h and 0 <= c < w and grid[r, c] == bg:
                cells.append((int(r), int(c), len(cells) + 1))
                r, c = r + dy, c + dx
            if 0 <= r < h and 0 <= c < w and (grid[r, c] != own if anchor == "any" else grid[r, c] == int(anchor)):
                out += cells
    return out


def casts(own: int, source: int | None, direction: str) -> bool:
    """Whether an object of colour ``own`` casts a ray of ``source`` colour (None: any) along ``direction``."""
    if source is not None:
        return own == source
    return not direction.startswith("toward:") or direction.split(":")[1] != str(own)


def cast_rays(grid: np.ndarray, rays: tuple, background: int | None = 0, rest: int | None = None) -> np.ndarray | None:
    """Every object (8-connected, one colour) of a ray's source colour casts it: ``rays`` holds
    (source colour, direction, paint, stop) tuples, a source of None meaning every object (but
    those of the colour a "toward:<colour>" ray aims at), each cast on the input grid (rays do not
    stop at each other); where two rays of different colours cross, the later one in ``rays``
    wins. paint: a colour, None for the source's own, or a tuple of them repeated step by step
    from the object (a dotted line; "skip" leaves that step's cell as it is). rest: a colour for
    every background cell no ray paints. None when no object casts any ray.

    Example: grid = cast_rays(grid, rays=((Color.RED, "right", (Color.GRAY, None), "border"),), background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    objects = find_objects(grid, bg, 8, True)
    out = grid.copy()
    painted = np.zeros(grid.shape, dtype=bool)
    cast = False
    for color, direction, paint, stop in rays:
        cycle = paint if isinstance(paint, tuple) else (paint,)
        for m in objects:
            own = int(grid[m][0])
            if not casts(own, color, direction):
                continue
            cast = True
            for r, c, k in ray_steps(grid, m, direction, stop, bg):
                p = cycle[(k - 1) % len(cycle)]
                if p != "skip":
                    out[r, c] = own if p is None else p
                    painted[r, c] = True
    if rest is not None:
        out[(grid == bg) & ~painted] = rest
    return out if cast else None


MARKER_AMOUNTS = ("trail",)  # besides a number of cells: "trail", the body repeated step by step to the border


def marked_parts(grid: np.ndarray, marker_color: int, background: int | None = 0
                 ) -> list[tuple[np.ndarray, int, tuple[str, ...]]] | None:
    """The objects (8-connected, one colour, not ``marker_color``) that cells of ``marker_color``
    mark: each marker cell belongs to the object it touches (side or corner) whose box holds it,
    or else to the one object it touches; one that touches none is left alone. Per marked
    object the mask of it and its marker cells, its colour, and the directions its marker cells
    point, one a cell, in the order of the cells, each once: out of the box of the object and its
    markers, diagonally from a corner of it, straight from the middle of a side (a side the box
    has: a one-row object's marker points left or right). None where a marker cell touches two
    objects and lies in the box of neither or both, or lies inside the box, pointing nowhere.

    Example: parts = marked_parts(grid, marker_color=Color.RED, background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    objects = [m for m in find_objects(grid, bg, 8, True) if int(grid[m][0]) != marker_color]
    near = [dilate(m, 8) for m in objects]
    boxes = [(rows.min(), rows.max(), cols.min(), cols.max()) for rows, cols in (np.nonzero(m) for m in objects)]
    owned: dict[int, list[tuple[int, int]]] = {}
    for r, c in np.argwhere(grid == marker_color):
        touched = [k for k, n in enumerate(near) if n[r, c]]
        inside = [k for k in touched if boxes[k][0] <= r <= boxes[k][1] and boxes[k][2] <= c <= boxes[k][3]]
        if len(inside) == 1 or (not inside and len(touched) == 1):
            owned.setdefault(inside[0] if inside else touched[0], []).append((int(r), int(c)))
        elif touched:
            return None
    out = []
    for k in sorted(owned):
        shape = objects[k].copy()
        for r, c in owned[k]:
            shape[r, c] = True
        rows, cols = np.nonzero(shape)
        top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
        directions: list[str] = []
        for r, c in owned[k]:
            dy = 0 if top == bottom else -1 if r == top else 1 if r == bottom else 0
            dx = 0 if left == right else -1 if c == left else 1 if c == right else 0
            if dy == dx == 0:
                return None
            direction = next(name for name, step in DIRECTIONS.items() if step == (dy, dx))
            if direction not in directions:
                directions.append(direction)
        out.append((shape, int(grid[objects[k]][0]), tuple(directions)))
    return out


def move_by_marker(grid: np.ndarray, marker_color: int, amount: int | str = 1, marker: str = "paint",
                   background: int | None = 0) -> np.ndarray | None:
    """Every object that cells of ``marker_color`` mark (``marked_parts``) goes the way its
    marker cells point: amount=<n> moves it n cells (one direction only: a shape whose markers
    point two ways, or that would leave the grid, makes the answer None); amount="trail" repeats
    it step by step along each direction its markers point until it leaves the grid, over the
    background only (cut by the border), the shape staying where it is. marker="paint": the shape
    goes in its body's colour, marker cells included; "drop": the marker cells are left behind as
    background and only the body goes. None where no object is marked, or a marker is unclear.

    Example: grid = move_by_marker(grid, marker_color=Color.RED, amount="trail", marker="paint", background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    parts = marked_parts(grid, marker_color, bg)
    if not parts:
        return None
    h, w = grid.shape
    out = grid.copy()
    moved = []
    for shape, body, directions in parts:
        cells = shape if marker == "paint" else shape & (grid == body)
        rows, cols = np.nonzero(cells)
        if amount == "trail":
            out[shape] = body if marker == "paint" else np.where(grid[shape] == body, body, bg)
            for direction in directions:
                dy, dx = DIRECTIONS[direction]
                for k in range(1, h + w):
                    r, c = rows + dy * k, cols + dx * k
                    inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
                    if not inside.any():
                        break
                    r, c = r[inside], c[inside]
                    free = grid[r, c] == bg
                    out[r[free], c[free]] = body
            continue
        if len(directions) != 1:
            return None
        dy, dx = DIRECTIONS[directions[0]]
        r, c = rows + dy * int(amount), cols + dx * int(amount)
        if r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w:
            return None
        out[shape] = bg
        moved.append((r, c, body))
    for r, c, body in moved:
        out[r, c] = body
    return out

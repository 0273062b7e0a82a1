"""Object operations: connected components, selecting one by a property, recolouring by property."""

import numpy as np

from synth.search.ops_grid import resolve_background


def find_objects(grid, background, connectivity, by_color):
    """Connected components of non-background cells as boolean masks, in reading order.

    ``by_color``: a component holds one colour only; otherwise any non-background colours join.
    """
    bg = resolve_background(grid, background)
    g = grid.tolist()
    h, w = grid.shape
    seen = [[v == bg for v in row] for row in g]
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    if connectivity == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    objects = []
    for r in range(h):
        for c in range(w):
            if seen[r][c]:
                continue
            seen[r][c] = True
            stack, cells = [(r, c)], []
            while stack:
                y, x = stack.pop()
                cells.append((y, x))
                for dy, dx in steps:
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and not seen[ny][nx] and (not by_color or g[ny][nx] == g[y][x]):
                        seen[ny][nx] = True
                        stack.append((ny, nx))
            mask = np.zeros((h, w), dtype=bool)
            ys, xs = zip(*cells)
            mask[list(ys), list(xs)] = True
            objects.append(mask)
    return objects


def bbox(mask):
    """(top, left, bottom, right) of a mask, bottom and right exclusive."""
    rows, cols = np.nonzero(mask)
    return rows.min(), cols.min(), rows.max() + 1, cols.max() + 1


def mask_shape(mask):
    """The object's cells within its bounding box, as a hashable value."""
    t, l, b, r = bbox(mask)
    return (b - t, r - l, mask[t:b, l:r].tobytes())


def object_score(grid, mask, prop):
    """A number for ranking objects by a property."""
    t, l, b, r = bbox(mask)
    if prop == "size":
        return int(mask.sum())
    if prop == "box":
        return (b - t) * (r - l)
    if prop == "colors":
        return len(np.unique(grid[mask]))
    if prop == "top":
        return -t
    if prop == "bottom":
        return b
    if prop == "left":
        return -l
    if prop == "right":
        return r
    return 0


def select_object(grid, objects, select):
    """The one object that stands out: ``max_<prop>``, ``min_<prop>``, ``unique_color`` or ``unique_shape``.

    None when no single object stands out (a tie is no answer)."""
    if not objects:
        return None
    if select in ("unique_color", "unique_shape"):
        if select == "unique_color":
            keys = [tuple(np.unique(grid[m]).tolist()) for m in objects]
        else:
            keys = [mask_shape(m) for m in objects]
        unique = [m for m, k in zip(objects, keys) if keys.count(k) == 1]
        return unique[0] if len(unique) == 1 and len(objects) > 2 else None
    kind, prop = select.split("_", 1)
    scores = [object_score(grid, m, prop) for m in objects]
    best = max(scores) if kind == "max" else min(scores)
    chosen = [m for m, s in zip(objects, scores) if s == best]
    return chosen[0] if len(chosen) == 1 else None


def crop_object(grid, select, background, connectivity, by_color):
    """The bounding box of the selected object (with whatever else lies inside it)."""
    mask = select_object(grid, find_objects(grid, background, connectivity, by_color), select)
    if mask is None:
        return None
    t, l, b, r = bbox(mask)
    return grid[t:b, l:r]


def keep_object(grid, select, background, connectivity, by_color):
    """Only the selected object stays; every other cell becomes background."""
    mask = select_object(grid, find_objects(grid, background, connectivity, by_color), select)
    if mask is None:
        return None
    return np.where(mask, grid, resolve_background(grid, background))


def remove_small_objects(grid, max_size, background, connectivity):
    """Objects of at most ``max_size`` cells (noise) become background."""
    bg = resolve_background(grid, background)
    out = grid.copy()
    for mask in find_objects(grid, background, connectivity, False):
        if mask.sum() <= max_size:
            out[mask] = bg
    return out


def object_property(grid, mask, objects, prop):
    """A hashable property value of one object among ``objects`` (for recolouring rules)."""
    if prop == "size":
        return int(mask.sum())
    if prop == "size_rank":
        sizes = sorted({int(m.sum()) for m in objects}, reverse=True)
        return sizes.index(int(mask.sum()))
    if prop == "is_largest":
        return int(mask.sum()) == max(int(m.sum()) for m in objects)
    if prop == "is_smallest":
        return int(mask.sum()) == min(int(m.sum()) for m in objects)
    if prop in ("height", "width"):
        t, l, b, r = bbox(mask)
        return int(b - t) if prop == "height" else int(r - l)
    if prop == "touches_border":
        return bool(mask[0, :].any() or mask[-1, :].any() or mask[:, 0].any() or mask[:, -1].any())
    if prop == "has_hole":
        t, l, b, r = bbox(mask)
        inner = ~mask[t:b, l:r]
        return bool(inner.any() and enclosed_cells(inner).any())
    if prop == "shape":
        h, w, cells = mask_shape(mask)
        return f"{h}x{w}:" + cells.hex()
    return None


def enclosed_cells(free):
    """Cells of boolean mask ``free`` that cannot reach the border through 4-connected free cells."""
    h, w = free.shape
    reach = np.zeros_like(free)
    stack = [(r, c) for r in range(h) for c in range(w) if free[r, c] and (r in (0, h - 1) or c in (0, w - 1))]
    for r, c in stack:
        reach[r, c] = True
    while stack:
        y, x = stack.pop()
        for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
            if 0 <= ny < h and 0 <= nx < w and free[ny, nx] and not reach[ny, nx]:
                reach[ny, nx] = True
                stack.append((ny, nx))
    return free & ~reach


def recolor_objects(grid, prop, mapping, background, connectivity):
    """Each single-colour object takes the colour ``mapping`` gives its (colour, property value).

    None when an object of a colour the mapping covers has a value the mapping does not know:
    the rule learnt from the demonstrations does not say what to do with it."""
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


def hollow_objects(grid, background):
    """Cells whose four neighbours all belong to the same object colour become background."""
    bg = resolve_background(grid, background)
    p = np.pad(grid, 1, constant_values=-1)
    inner = (grid != bg) & (p[:-2, 1:-1] == grid) & (p[2:, 1:-1] == grid) & (p[1:-1, :-2] == grid) & (p[1:-1, 2:] == grid)
    if not inner.any():
        return None
    return np.where(inner, bg, grid)


def surround_cells(grid, source, color, connectivity, background):
    """Background cells next to a ``source`` cell (4 or 8 neighbours) become ``color``."""
    bg = resolve_background(grid, background)
    p = np.pad(grid == source, 1)
    h, w = grid.shape
    near = np.zeros((h, w), dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if (dy or dx) and (connectivity == 8 or not (dy and dx)):
                near |= p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    out = grid.copy()
    out[near & (grid == bg)] = color
    return out


def gravity_objects(grid, direction, background):
    """Objects (8-connected, any colours) slide as rigid units towards one side until blocked."""
    bg = resolve_background(grid, background)
    turns = {"down": 0, "left": 1, "up": 2, "right": 3}[direction]
    g = np.rot90(grid, turns)
    objects = find_objects(g, bg, 8, False)
    objects.sort(key=lambda m: -np.nonzero(m)[0].max())  # those nearest the floor settle first
    out = np.full_like(g, bg)
    for mask in objects:
        ys, xs = np.nonzero(mask)
        shift = 0
        while ys.max() + shift + 1 < g.shape[0] and (out[ys + shift + 1, xs] == bg).all():
            shift += 1
        out[ys + shift, xs] = g[ys, xs]
    return np.rot90(out, -turns)

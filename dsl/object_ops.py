"""Per-object transforms chosen by a property: keep or delete objects, move them until they touch
an anchor, copy a template onto marker cells or complete its fragments.

Objects are boolean masks over the grid (connected non-background cells). ``background=None``
means "the grid's most common colour".
"""

from __future__ import annotations

import itertools

import numpy as np

from arc.transforms import upscale_array
from arc.views import SYMMETRY_NAMES, symmetry_array
from dsl._masks import dilate, label, reachable_from_border
from dsl.color import resolve_background
from dsl.grids import recolor
from dsl.objects import find_objects, object_property


OBJECT_PROPS = ("color", "size", "shape", "height", "width", "touches_border", "has_hole", "n_colors",
                "is_largest", "is_smallest", "shape_is_unique", "color_is_unique")


def object_feature(grid: np.ndarray, mask: np.ndarray, masks: list[np.ndarray], prop: str) -> int | bool | str | None:
    """``object_property`` widened with "color" (the object's most common colour), "n_colors",
    "shape_is_unique" and "color_is_unique" (no other object among ``masks`` shares it)."""
    if prop == "color":
        return int(np.argmax(np.bincount(grid[mask], minlength=10)))
    if prop == "n_colors":
        return len(np.unique(grid[mask]))
    if prop in ("shape_is_unique", "color_is_unique"):
        base = prop.split("_")[0]
        keys = [object_feature(grid, m, masks, base) for m in masks]
        return keys.count(object_feature(grid, mask, masks, base)) == 1
    return object_property(grid, mask, masks, prop)


def filter_objects(grid: np.ndarray, prop: str, keep: tuple, drop: tuple, background: int | None = 0,
                   connectivity: int = 4, by_color: bool = True) -> np.ndarray | None:
    """Objects whose ``prop`` value is in ``drop`` become background, those in ``keep`` stay; None
    when an object shows a value in neither (the rule never saw it)."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    masks = find_objects(grid, bg, connectivity, by_color)
    out = grid.copy()
    for m in masks:
        value = object_feature(grid, m, masks, prop)
        if value in drop:
            out[m] = bg
        elif value not in keep:
            return None
    return out


_STEPS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def _toward(mask: np.ndarray, anchor: np.ndarray) -> str | None:
    rows, cols = np.nonzero(mask)
    arows, acols = np.nonzero(anchor)
    if cols.max() >= acols.min() and acols.max() >= cols.min():  # columns overlap: move vertically
        return "down" if arows.min() > rows.max() else "up" if arows.max() < rows.min() else None
    if rows.max() >= arows.min() and arows.max() >= rows.min():
        return "right" if acols.min() > cols.max() else "left" if acols.max() < cols.min() else None
    return None


def move_until_contact(grid: np.ndarray, mover_color: int, anchor_color: int, direction: str = "toward",
                       background: int | None = 0) -> np.ndarray | None:
    """Every object of ``mover_color`` (8-connected) slides in ``direction`` (up/down/left/right,
    or toward: straight at the ``anchor_color`` cells) until it touches an anchor cell side by side.
    None when an object would leave the grid, run into another cell or has no way to the anchor."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    anchor = grid == anchor_color
    if not anchor.any() or mover_color == anchor_color:
        return None
    out = grid.copy()
    movers = [m for m in find_objects(grid, bg, 8, True) if grid[m][0] == mover_color]
    if not movers:
        return None
    for m in movers:
        d = _toward(m, anchor) if direction == "toward" else direction
        if d not in _STEPS:
            return None
        dy, dx = _STEPS[d]
        rows, cols = np.nonzero(m)
        colors = grid[m]
        out[m] = bg
        for _ in range(max(grid.shape) + 1):
            touching = dilate(_cells(grid.shape, rows, cols), 4) & anchor
            if touching.any():
                break
            rows, cols = rows + dy, cols + dx
            if rows.min() < 0 or cols.min() < 0 or rows.max() >= grid.shape[0] or cols.max() >= grid.shape[1]:
                return None
            if (out[rows, cols] != bg).any():
                return None
        else:
            return None
        out[rows, cols] = colors
    return out


def step_toward(grid: np.ndarray, mover_color: int, anchor_color: int, steps: int = 1,
                background: int | None = 0) -> np.ndarray | None:
    """Every cell of ``mover_color`` moves ``steps`` cells straight or diagonally toward the
    centre of the ``anchor_color`` cells (one step along each axis where the centres differ),
    stopping before it would land on a cell that is not background. None when either colour is
    missing.

    Example: grid = step_toward(grid, mover_color=Color.GREEN, anchor_color=Color.YELLOW, steps=1)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    mover, anchor = grid == mover_color, grid == anchor_color
    if not mover.any() or not anchor.any() or mover_color == anchor_color:
        return None
    rows, cols = np.nonzero(mover)
    arows, acols = np.nonzero(anchor)
    dy = int(np.sign(arows.mean() - rows.mean()))
    dx = int(np.sign(acols.mean() - cols.mean()))
    out = grid.copy()
    out[mover] = bg
    for _ in range(steps):
        r, c = rows + dy, cols + dx
        if r.min() < 0 or c.min() < 0 or r.max() >= grid.shape[0] or c.max() >= grid.shape[1] or (out[r, c] != bg).any():
            break
        rows, cols = r, c
    out[rows, cols] = mover_color
    return out


def _cells(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    return mask


def copy_to_markers(grid: np.ndarray, marker_color: int, anchor: str = "center",
                    background: int | None = 0) -> np.ndarray | None:
    """The largest object (touching colours joined, 8-connected) that is not a lone
    ``marker_color`` cell is the template; a copy of it is drawn over every lone marker cell.
    anchor: center (the template's centre on the marker; odd sides needed) or match (the
    template's own ``marker_color`` cell on the marker). None when there is no template or marker."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    masks = find_objects(grid, bg, 8, False)
    markers = [m for m in masks if m.sum() == 1 and grid[m][0] == marker_color]
    others = [m for m in masks if not (m.sum() == 1 and grid[m][0] == marker_color)]
    if not markers or not others:
        return None
    sizes = [int(m.sum()) for m in others]
    if sizes.count(max(sizes)) != 1:
        return None
    template = others[sizes.index(max(sizes))]
    rows, cols = np.nonzero(template)
    t, l = rows.min(), cols.min()
    h, w = rows.max() + 1 - t, cols.max() + 1 - l
    if anchor == "center":
        if h % 2 == 0 or w % 2 == 0:
            return None
        oy, ox = h // 2, w // 2
    else:
        spots = np.argwhere((grid == marker_color) & template)
        if len(spots) != 1:
            return None
        oy, ox = spots[0][0] - t, spots[0][1] - l
    out = grid.copy()
    for m in markers:
        (my, mx), = np.argwhere(m)
        ty, tx = rows - t + my - oy, cols - l + mx - ox
        inside = (ty >= 0) & (tx >= 0) & (ty < grid.shape[0]) & (tx < grid.shape[1])
        out[ty[inside], tx[inside]] = grid[rows[inside], cols[inside]]
    return out


def fill_holes_by_size(grid: np.ndarray, sizes: tuple, colors: tuple, background: int | None = 0) -> np.ndarray | None:
    """Background regions that do not reach the border (4-connected) take the colour that
    ``colors`` pairs with their size in ``sizes``; None for a hole of an unlisted size."""
    return fill_holes_by(grid, "size", sizes, colors, background)


def hole_kind(mask: np.ndarray) -> str:
    """"square" or "rect" when the cells fill their bounding box (a square one or not), else "other"."""
    rows, cols = np.nonzero(mask)
    h, w = rows.max() + 1 - rows.min(), cols.max() + 1 - cols.min()
    return "other" if h * w != len(rows) else "square" if h == w else "rect"


HOLE_PROPS = {"size": lambda m: int(m.sum()), "parity": lambda m: int(m.sum()) % 2, "kind": hole_kind}


def fill_holes_by(grid: np.ndarray, prop: str, values: tuple, colors: tuple,
                  background: int | None = 0) -> np.ndarray | None:
    """Background regions that do not reach the border (4-connected) take the colour that
    ``colors`` pairs with their ``prop`` in ``values``: "size" (cells), "parity" (cells mod 2) or
    "kind" (``hole_kind``). None for a hole whose value is not listed.

    Example: grid = fill_holes_by(grid, prop="kind", values=("rect", "square"), colors=(0, 2), background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    holes = (grid == bg) & ~reachable_from_border(grid == bg)
    lab, n = label(holes, 4)
    out = grid.copy()
    table = dict(zip(values, colors))
    for i in range(1, n + 1):
        value = HOLE_PROPS[prop](lab == i)
        if value not in table:
            return None
        out[lab == i] = table[value]
    return out


def fill_bounding_boxes(grid: np.ndarray, color: int | None, background: int | None = 0, connectivity: int = 8,
                        by_color: bool = True) -> np.ndarray:
    """The background cells inside every object's bounding box take ``color`` (None: the
    object's own colour, its most common one: each object becomes its filled hull)."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    out = grid.copy()
    for m in find_objects(grid, bg, connectivity, by_color):
        rows, cols = np.nonzero(m)
        paint = color if color is not None else int(np.bincount(grid[m]).argmax())
        box = out[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        box[grid[rows.min():rows.max() + 1, cols.min():cols.max() + 1] == bg] = paint
    return out


def object_shape(mask: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """The object's cells within its bounding box, as rows of 0/1."""
    rows, cols = np.nonzero(mask)
    box = mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return tuple(tuple(int(v) for v in row) for row in box)


def rewrite_objects(grid: np.ndarray, shapes: tuple, patches: tuple, keep_unseen: bool = True,
                    background: int | None = 0, connectivity: int = 8) -> np.ndarray | None:
    """Every one-colour object whose ``object_shape`` is ``shapes[i]`` has its bounding box replaced
    by ``patches[i]`` (rows of colours, drawn from the box's top-left corner; -1 keeps a cell).
    Other objects stay as they are when ``keep_unseen``, else the result is None."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    out = grid.copy()
    table = dict(zip(shapes, patches))
    for m in find_objects(grid, bg, connectivity, True):
        shape = object_shape(m)
        if shape not in table:
            if not keep_unseen:
                return None
            continue
        patch = np.array(table[shape])
        rows, cols = np.nonzero(m)
        t, l = rows.min(), cols.min()
        if t + patch.shape[0] > grid.shape[0] or l + patch.shape[1] > grid.shape[1]:
            return None
        box = out[t:t + patch.shape[0], l:l + patch.shape[1]]
        box[patch >= 0] = patch[patch >= 0]
    return out


def _templates(grid: np.ndarray, bg: int, connectivity: int,
               by: str = "colours") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The objects (touching colours joined) with the most colours, two or more, and the others;
    by="cells": the objects of two colours or more with the most cells, and the others."""
    masks = find_objects(grid, bg, connectivity, False)
    if by == "cells":
        sizes = [int(m.sum()) if len(np.unique(grid[m])) > 1 else 0 for m in masks]
        most = max(sizes, default=0)
        if most == 0:
            return [], masks
        return ([m for m, n in zip(masks, sizes) if n == most], [m for m, n in zip(masks, sizes) if n < most])
    counts = [len(np.unique(grid[m])) for m in masks]
    most = max(counts, default=0)
    if most < 2:
        return [], masks
    return ([m for m, n in zip(masks, counts) if n == most], [m for m, n in zip(masks, counts) if n < most])


def _placements(grid: np.ndarray, bg: int, patch: np.ndarray, fragment: int, owner: np.ndarray,
                 sizes: np.ndarray, whole: bool = True) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Where ``patch`` (colours, bg outside the copy) can lie so that its cells hold every cell of
    fragment number ``fragment`` (``owner`` numbers each cell's fragment, -1 for none; ``sizes``
    counts their cells) with its colour: no copy cell lands on another colour, a colour the copy
    finds under it is there on all the copy's cells of that colour (where ``whole``), and every
    fragment it touches lies wholly inside it; its cells off the grid are dropped. Each as (non-background
    cells covered, rows, columns, colours)."""
    h, w = grid.shape
    cells = np.argwhere(patch != bg)
    colours = patch[cells[:, 0], cells[:, 1]]
    (ay, ax) = np.argwhere(owner == fragment)[0]
    found = []
    anchors = cells[colours == grid[ay, ax]]
    oy, ox = ay - anchors[:, 0], ax - anchors[:, 1]
    # All placements at once: drop those where a copy cell in the grid lands on another colour.
    all_rows, all_cols = cells[None, :, 0] + oy[:, None], cells[None, :, 1] + ox[:, None]
    inside = (all_rows >= 0) & (all_cols >= 0) & (all_rows < h) & (all_cols < w)
    under = np.where(inside, grid[all_rows.clip(0, h - 1), all_cols.clip(0, w - 1)], bg)
    clash = ((under != bg) & (under != colours[None, :])).any(axis=1)
    for dy, dx in zip(oy[~clash], ox[~clash]):
        rows, cols = cells[:, 0] + dy, cells[:, 1] + dx
        inside = (rows >= 0) & (cols >= 0) & (rows < h) & (cols < w)  # a copy may run off the grid
        rows, cols, paint = rows[inside], cols[inside], colours[inside]
        under = grid[rows, cols]
        seen = under != bg
        if np.any(seen & (under != paint)) or whole and np.any(np.isin(paint, under[seen]) & ~seen):
            continue
        touched, counts = np.unique(owner[rows, cols][seen], return_counts=True)
        if touched[0] < 0 or fragment not in touched or np.any(sizes[touched] != counts):
            continue  # a template's cell, or a fragment cut
        found.append((int(seen.sum()), rows, cols, paint))
    return found


def _recolourings(grid: np.ndarray, bg: int, patch: np.ndarray, fragment: np.ndarray) -> list[np.ndarray]:
    """``patch`` in the fragment's own colours: for each way the fragment's cells lie on the
    patch's cells, the one-to-one map of every patch colour to the colour of the fragment's
    cells on it (each patch colour seen under the fragment), applied to the patch. Placements
    that leave a fragment cell off the patch, or map two colours onto one, give nothing."""
    cells = np.argwhere(fragment)
    colours = grid[cells[:, 0], cells[:, 1]]
    spots = np.argwhere(patch != bg)
    wanted = np.unique(patch[patch != bg])
    found, seen = [], set()
    for py, px in spots:
        rows, cols = cells[:, 0] - cells[0, 0] + py, cells[:, 1] - cells[0, 1] + px
        if rows.min() < 0 or cols.min() < 0 or rows.max() >= patch.shape[0] or cols.max() >= patch.shape[1]:
            continue
        under = patch[rows, cols]
        if np.any(under == bg):
            continue
        pairs = set(zip(under.tolist(), colours.tolist()))
        if len(pairs) != len(wanted) or len({a for a, _ in pairs}) != len(wanted) \
                or len({b for _, b in pairs}) != len(wanted):
            continue
        key = tuple(sorted(pairs))
        if key in seen:
            continue
        seen.add(key)
        found.append(recolor(patch, key + ((bg, bg),)))
    return found


def complete_templates(grid: np.ndarray, match: str = "colors", views: str = "identity",
                       keep_template: bool = True, background: int | None = 0,
                       connectivity: int = 8, max_scale: int = 1) -> np.ndarray | None:
    """Complete every fragment of a template into a whole copy.

    The templates are the objects (touching colours joined by ``connectivity``) with the most
    colours, two or more; every other object is a fragment. match="colors": a copy of a
    template (under one of ``views``: "identity" or "rigid", the 8 symmetries; scaled up to
    ``max_scale`` times) is drawn where its cells hold the fragment's cells with their colours,
    overlap no other colour, find each colour they share with the grid whole, and cut no
    object; the copy covering the most coloured cells wins, and may run off the grid's edge.
    match="shape": a one-colour fragment whose cells form exactly a template's shape takes the
    template's colours. match="recolor": the templates are the objects of two colours or more
    with the most cells, and a fragment is completed as with "colors" by a copy in its own
    colours, each of the template's colours swapped one-to-one for the colour the fragment
    shows on it (the fragment shows them all); of the copies covering as many cells, the one
    with the most cells on the grid wins. keep_template=False erases the templates first. None
    when a fragment has no copy, or two copies that are equally good disagree.

    Example: grid = complete_templates(grid, match="shape", views="identity", keep_template=True)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    if match not in ("colors", "shape", "recolor"):
        raise ValueError(f"complete_templates: unknown match {match!r}")
    templates, fragments = _templates(grid, bg, connectivity, "cells" if match == "recolor" else "colours")
    if not templates or not fragments:
        return None
    if match == "recolor":  # a fragment shows as many colours as the template it copies
        kinds = {len(np.unique(grid[t])) for t in templates}
        if any(len(np.unique(grid[f])) not in kinds for f in fragments):
            return None
    names = ("identity",) if views == "identity" else SYMMETRY_NAMES
    patches = []
    for t in templates:
        rows, cols = np.nonzero(t)
        box = np.where(t, grid, bg)[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        for name, k in itertools.product(names, range(1, max_scale + 1)):
            if k * max(box.shape) > max(grid.shape) or k * min(box.shape) > min(grid.shape):
                continue  # a copy larger than the grid
            patch = upscale_array(symmetry_array(name, box), k, k)
            if not any(patch.shape == p.shape and np.array_equal(patch, p) for p in patches):
                patches.append(patch)
    owner = np.full(grid.shape, -1)
    for i, m in enumerate(fragments):
        owner[m] = i
    sizes = np.array([int(m.sum()) for m in fragments])
    out = grid.copy()
    if not keep_template:
        for t in templates:
            out[t] = bg
    for number, fragment in enumerate(fragments):
        if match == "shape":
            colours = np.unique(grid[fragment])
            rows, cols = np.nonzero(fragment)
            box = fragment[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            fits = [p for p in patches if len(colours) == 1 and np.array_equal(p != bg, box)]
            paints = {p.tobytes() for p in fits}
            if len(paints) != 1:
                return None
            region = out[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            region[box] = fits[0][box]
            continue
        copies = patches if match == "colors" else [c for p in patches for c in _recolourings(grid, bg, p, fragment)]
        found = [f for p in copies for f in _placements(grid, bg, p, number, owner, sizes, match == "colors")]
        if not found:
            return None
        if match == "recolor":  # of the copies covering as much, those most on the grid
            found = [((score, len(rows)), rows, cols, paint) for score, rows, cols, paint in found]
        best = max(score for score, *_ in found)
        paints = {(rows.tobytes(), cols.tobytes(), paint.tobytes()) for score, rows, cols, paint in found
                  if score == best}
        if len(paints) != 1:
            return None
        _, rows, cols, paint = next(f for f in found if f[0] == best)
        out[rows, cols] = paint
    return out


_RAYS = {"hv": ((-1, 0), (1, 0), (0, -1), (0, 1)),
         "all": ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))}


def shoot_pixels(grid: np.ndarray, anchor: int | str, mode: str = "ray", unaligned: str = "keep",
                 directions: str = "hv", background: int | None = 0) -> np.ndarray | None:
    """Lone pixels reach out to an anchor they face. A lone pixel is a one-cell object (any
    colour but the anchor's). An anchor cell is a cell of colour ``anchor``; with
    anchor="largest", of the one largest object; with anchor="same", of an object of two cells
    or more in the pixel's own colour. From each pixel, along each of ``directions`` ("hv": the
    four sides; "all": the diagonals too), the first non-background cell is looked at (with
    "same", the first cell of such an object, past any other); where it is an anchor cell, mode
    "ray" paints the cells between in the pixel's colour, mode "move" moves the pixel next to
    it, and mode "join" moves it there in the anchor cell's colour; moving pixels in one line
    stack up, the nearest first. A pixel that faces no anchor stays (unaligned="keep") or is
    erased ("delete"). None when no pixel faces an anchor, or one faces two anchors.

    Example: grid = shoot_pixels(grid, anchor=Color.GREEN, mode="ray", unaligned="keep", directions="hv")
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    h, w = grid.shape
    objects = find_objects(grid, bg, 8, True)
    if anchor in ("same", "largest"):
        sizes = [int(m.sum()) for m in objects]
        big = np.zeros(grid.shape, dtype=bool)
        for m, n in zip(objects, sizes):
            if n > 1 if anchor == "same" else n == max(sizes, default=0):
                big |= m
        if anchor == "largest" and sizes.count(max(sizes, default=0)) != 1:
            return None
        pixels = [tuple(np.argwhere(m)[0]) for m in objects if m.sum() == 1]
    else:
        big = grid == anchor
        pixels = [tuple(np.argwhere(m)[0]) for m in objects if m.sum() == 1 and grid[m][0] != anchor]
    lone = np.zeros(grid.shape, dtype=bool)
    for y, x in pixels:
        lone[y, x] = True
    moves = []  # (distance, pixel, step, anchor cell)
    out = grid.copy()
    for y, x in pixels:
        colour = grid[y, x]
        hits = []
        for dy, dx in _RAYS[directions]:
            r, c = y + dy, x + dx
            # A moving pixel looks past the other lone pixels (they move too); "same" past anything.
            while 0 <= r < h and 0 <= c < w and (
                    grid[r, c] == bg or mode != "ray" and lone[r, c]
                    or anchor == "same" and not (big[r, c] and grid[r, c] == colour)):
                r, c = r + dy, c + dx
            if 0 <= r < h and 0 <= c < w and big[r, c] and (anchor != "same" or grid[r, c] == colour):
                hits.append((max(abs(r - y), abs(c - x)), (y, x), (dy, dx), (r, c)))
        if len(hits) > 1:
            return None
        if hits:
            moves.append(hits[0])
        elif unaligned == "delete":
            out[y, x] = bg
    if not moves:
        return None
    if mode != "ray":
        for _, (y, x), _, _ in moves:
            out[y, x] = bg
    for _, (y, x), (dy, dx), (r, c) in sorted(moves):  # the nearest first: the others stack behind
        colour = grid[y, x]
        if mode == "ray":
            while (r, c) != (y, x):
                r, c = r - dy, c - dx
                out[r, c] = colour
            continue
        paint = colour if mode == "move" else grid[r, c]
        r, c = r - dy, c - dx
        while out[r, c] != bg and (r, c) != (y, x):
            r, c = r - dy, c - dx
        out[r, c] = paint
    return out


def recolor_like_key(grid: np.ndarray, paint: str = "key", background: int | None = 0) -> np.ndarray | None:
    """Objects shaped like a key take its colour. A key is a one-colour object (8-connected)
    lying within the bounding box of a larger object of another colour, its frame. Every other
    object whose ``object_shape`` is a key's becomes the key's colour (paint="key") or its
    frame's ("frame"). None when there is no key, nothing changes, or two keys of one shape
    disagree.

    Example: grid = recolor_like_key(grid, paint="frame", background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    objects = find_objects(grid, bg, 8, True)
    boxes = []
    for m in objects:
        rows, cols = np.nonzero(m)
        boxes.append((rows.min(), rows.max(), cols.min(), cols.max(), int(m.sum()), int(grid[m][0])))
    keys: dict = {}  # shape -> colour to paint
    used = set()
    for i, (t, b, l, r, n, c) in enumerate(boxes):
        for j, (t2, b2, l2, r2, n2, c2) in enumerate(boxes):
            if i != j and c != c2 and n2 > n and t2 <= t and b <= b2 and l2 <= l and r <= r2:
                colour = c if paint == "key" else c2
                if keys.setdefault(object_shape(objects[i]), colour) != colour:
                    return None
                used |= {i, j}
                break
    out = grid.copy()
    changed = False
    for i, m in enumerate(objects):
        colour = keys.get(object_shape(m)) if i not in used else None
        if colour is not None and colour != grid[m][0]:
            out[m] = colour
            changed = True
    return out if changed else None


def align_objects(grid: np.ndarray, anchor_color: int, edge: str = "top", background: int | None = 0) -> np.ndarray | None:
    """Every object (8-connected, touching colours joined) slides straight, up or down (edge
    "top" / "bottom") or sideways ("left" / "right"), until that edge lines up with the same
    edge of the one object holding ``anchor_color``. None when there is not exactly one such
    object or the objects would overlap.

    Example: grid = align_objects(grid, anchor_color=Color.BLUE, edge="top", background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    objects = find_objects(grid, bg, 8, False)
    anchors = [m for m in objects if (grid[m] == anchor_color).any()]
    if len(anchors) != 1:
        return None
    axis = 0 if edge in ("top", "bottom") else 1

    def edge_of(m: np.ndarray) -> int:
        idx = np.nonzero(m.any(axis=1 - axis))[0]
        return int(idx[0] if edge in ("top", "left") else idx[-1])

    target = edge_of(anchors[0])
    out = np.full(grid.shape, bg)
    for m in objects:
        rows, cols = np.nonzero(m)
        shift = target - edge_of(m)
        rows, cols = (rows + shift, cols) if axis == 0 else (rows, cols + shift)
        if rows.min() < 0 or cols.min() < 0 or rows.max() >= grid.shape[0] or cols.max() >= grid.shape[1]:
            return None
        if (out[rows, cols] != bg).any():
            return None
        out[rows, cols] = grid[m]
    return out


def paint_from_pixels(grid: np.ndarray, target: int, mode: str = "pixel", pixels: str = "keep", crop: bool = False,
                      background: int | None = 0) -> np.ndarray | None:
    """Lone pixels give their colour to the nearest cells of colour ``target``. A lone pixel is
    a one-cell object (8-connected, one colour) of any colour but the target's. mode="pixel":
    each pixel paints the one target cell nearest to it (straight-line distance); mode="cell":
    each target cell takes the colour of the pixel nearest to it. The pixels stay
    (pixels="keep") or are erased ("delete"); crop=True answers only the box of the target
    cells. None where there is no pixel or no target cell, a pixel's nearest cell is tied, a
    cell's nearest pixels differ in colour, or two pixels paint one cell different colours.

    Example: grid = paint_from_pixels(grid, target=Color.TEAL, mode="pixel", pixels="delete", crop=False)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    cells = np.argwhere(grid == target)
    lone = [m for m in find_objects(grid, bg, 8, True) if m.sum() == 1 and grid[m][0] != target]
    if not len(cells) or not lone:
        return None
    where = np.array([np.argwhere(m)[0] for m in lone])
    colors = np.array([grid[m][0] for m in lone])
    dist = ((cells[:, None, :] - where[None]) ** 2).sum(axis=2)  # target cell x pixel
    out = grid.copy()
    if mode == "pixel":
        nearest = dist == dist.min(axis=0)
        if (nearest.sum(axis=0) != 1).any():
            return None
        chosen = nearest.argmax(axis=0)
        for cell in set(chosen.tolist()):
            if len(set(colors[chosen == cell].tolist())) != 1:
                return None
        out[cells[chosen, 0], cells[chosen, 1]] = colors
    elif mode == "cell":
        nearest = dist == dist.min(axis=1, keepdims=True)
        first = colors[nearest.argmax(axis=1)]
        if (nearest & (colors[None] != first[:, None])).any():
            return None
        out[cells[:, 0], cells[:, 1]] = first
    else:
        raise ValueError(f"unknown mode {mode!r}")
    if pixels == "delete":
        out[where[:, 0], where[:, 1]] = bg
    if crop:
        out = out[cells[:, 0].min():cells[:, 0].max() + 1, cells[:, 1].min():cells[:, 1].max() + 1]
    return out

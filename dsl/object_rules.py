"""Per-object rules: every object keeps, loses or changes its colour by the value of one of its
features, the rule a small table, one value against the rest, or a threshold.

Objects are the masks ``find_objects`` gives (4- or 8-connected, of one colour or of any
non-background colours). A feature is a hashable value of one object among the grid's objects
(``object_value``): its own cells, its box, how it ranks among the others, whether others share it.
``background=None`` means the grid's most common colour.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from arc.views import SYMMETRY_NAMES, symmetry_array
from dsl._masks import dilate, label, path_bends, path_ends, reachable_from_border
from dsl.color import resolve_background
from dsl.objects import find_objects, find_regions

# Features of one object; the numeric ones may also be compared with a threshold (``at_least``).
NUMERIC_FEATURES = ("size", "height", "width", "area", "n_colors", "n_holes", "size_rank", "size_rank_up",
                    "shape_count", "color_count", "row_rank", "col_rank", "n_neighbours", "n_ends", "n_corners")
OBJECT_FEATURES = ("color", "size", "height", "width", "area", "n_colors", "n_holes", "touches_border",
                   "is_rectangle", "is_symmetric", "is_largest", "is_smallest", "size_rank", "size_rank_up",
                   "shape", "shape_rigid", "shape_count", "color_count", "shape_is_unique", "color_is_unique",
                   "row_rank", "col_rank", "n_neighbours", "size_extreme", "touching", "color_touching")
# Features the object map (``map_objects``) also weighs: whether another object's box holds the
# object ("inside"); its drawing as a path, its cells with one neighbour ("n_ends") and those where
# it turns ("n_corners"), or both ("path"); the parity of its first column (row) counted from an
# edge (``PARITY_FEATURES``, by the axis whose length decides which edge counts).
PARITY_FEATURES = {"col_parity": 1, "col_parity_right": 1, "row_parity": 0, "row_parity_bottom": 0}
MAP_FEATURES = OBJECT_FEATURES + ("inside", "n_ends", "n_corners", "path", *PARITY_FEATURES)
# Features that relate an object to the rest of the drawing, read only where one object is picked
# (``crop_by_feature``): "copy_scale", how many times larger another colour's drawing copies its shape.
RELATIONAL_FEATURES = ("copy_scale",)
MAX_COPY_SCALE = 4
# An object of more cells than this completes no notch (``notch_places``): pieces are small, and
# the places looked at grow with the object's cells.
MAX_NOTCH_CELLS = 64
# What a rule does to an object: stays, becomes background, or takes a colour (an int).
ACTIONS = ("keep", "delete")


def _box(mask: np.ndarray) -> tuple[slice, slice]:
    rows, cols = np.nonzero(mask)
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def _pattern(m: np.ndarray) -> str:
    """A mask as text: "<rows>x<columns>:" and its cells row by row as 0/1."""
    return f"{m.shape[0]}x{m.shape[1]}:" + "".join("1" if v else "0" for v in m.ravel())


def _shape_key(mask: np.ndarray) -> str:
    return _pattern(mask[_box(mask)])


def _rigid_key(mask: np.ndarray) -> str:
    m = mask[_box(mask)]
    return min(_pattern(symmetry_array(n, m)) for n in SYMMETRY_NAMES)


def _own(grid: np.ndarray, mask: np.ndarray, masks: list[np.ndarray], feature: str, bg: int):
    """A feature that depends on the object alone."""
    if feature == "color":
        return int(np.argmax(np.bincount(grid[mask], minlength=10)))
    if feature == "size":
        return int(mask.sum())
    box = _box(mask)
    m = mask[box]
    if feature == "height":
        return m.shape[0]
    if feature == "width":
        return m.shape[1]
    if feature == "area":
        return int(m.size)
    if feature == "n_colors":
        return len(np.unique(grid[mask]))
    if feature == "n_holes":
        inner = ~m
        lab, n = label(inner, 4)
        edge = set(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]).tolist())
        return sum(1 for k in range(1, n + 1) if k not in edge)
    if feature == "touches_border":
        return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())
    if feature == "is_rectangle":
        return bool(m.all())
    if feature == "is_symmetric":
        cells = np.where(m, grid[box], -1)
        return bool((cells == cells[::-1]).all() or (cells == cells[:, ::-1]).all())
    if feature == "path":
        return (_own(grid, mask, masks, "n_ends", bg), _own(grid, mask, masks, "n_corners", bg))
    if feature in PARITY_FEATURES:
        rows, cols = np.nonzero(mask)
        h, w = mask.shape
        return {"col_parity": int(cols.min()) % 2, "col_parity_right": (w - 1 - int(cols.max())) % 2,
                "row_parity": int(rows.min()) % 2, "row_parity_bottom": (h - 1 - int(rows.max())) % 2}[feature]
    if feature == "n_ends":
        return path_ends(m)
    if feature == "n_corners":
        return path_bends(m)
    if feature == "shape":
        return _shape_key(mask)
    if feature == "shape_rigid":
        return _rigid_key(mask)
    raise ValueError(f"unknown object feature {feature!r}")


def _neighbours(masks: list[np.ndarray]) -> list[int]:
    """For each object, how many others touch it (side or corner)."""
    index = np.full(masks[0].shape, -1) if masks else None
    for k, m in enumerate(masks):
        index[m] = k
    return [len(set(index[dilate(m, 8)].tolist()) - {-1, k}) for k, m in enumerate(masks)]


def object_values(grid: np.ndarray, masks: list[np.ndarray], feature: str, background: int | None = 0) -> list:
    """``feature`` (one of ``MAP_FEATURES``) of every object in ``masks``, ranks and counts taken
    among them: "size_rank" (0 = the largest size, equal sizes share a rank), "size_rank_up" (0 =
    the smallest), "row_rank"/"col_rank" (by top row / left column), "n_neighbours" (objects touching it),
    "size_extreme" ("largest", "smallest" or "middle"), "touching" (the sorted colours of the
    cells touching it, side or corner), "color_touching" (its colour and those), "shape_count"/"color_count"
    (objects with its shape / colour), "shape_is_unique"/"color_is_unique", "is_largest"/"is_smallest",
    "inside" (another object's box holds all its cells), "n_ends"/"n_corners" (its cells with one
    neighbour / turning a corner, side neighbours in its box), "path" (both), "col_parity" /
    "col_parity_right" / "row_parity" / "row_parity_bottom" (the parity of its first column counted
    from the left / of its last from the right, rows alike),
    "copy_scale" (``copy_scale``: the largest k, 2 to ``MAX_COPY_SCALE``, for which the cells of
    another colour draw the object's shape k times larger, 0 where none does).

    Example: sizes = object_values(grid, find_objects(grid, 0, 4, True), "size", background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    if feature in ("size_rank", "size_rank_up", "is_largest", "is_smallest"):
        sizes = [int(m.sum()) for m in masks]
        ranks = sorted(set(sizes), reverse=feature != "size_rank_up")
        if feature == "is_largest":
            return [s == max(sizes) for s in sizes]
        if feature == "is_smallest":
            return [s == min(sizes) for s in sizes]
        return [ranks.index(s) for s in sizes]
    if feature in ("row_rank", "col_rank"):
        axis = 0 if feature == "row_rank" else 1
        starts = [int(np.nonzero(m.any(axis=1 - axis))[0][0]) for m in masks]
        order = sorted(set(starts))
        return [order.index(s) for s in starts]
    if feature == "inside":  # another object's box holds every cell of this one
        boxes = [_box(m) for m in masks]
        sizes = [int(m.sum()) for m in masks]
        return [any(j != k and mask[boxes[j]].sum() == sizes[k] for j in range(len(masks)))
                for k, mask in enumerate(masks)]
    if feature == "n_neighbours":  # other objects whose cells touch this one's (side or corner)
        return _neighbours(masks)
    if feature == "copy_scale":
        return [copy_scale(grid, m, bg) for m in masks]
    if feature == "size_extreme":
        sizes = [int(m.sum()) for m in masks]
        return ["largest" if s == max(sizes) else "smallest" if s == min(sizes) else "middle" for s in sizes]
    if feature in ("touching", "color_touching"):
        touching = [tuple(sorted(set(grid[dilate(m, 8) & ~m & (grid != bg)].tolist()))) for m in masks]
        if feature == "touching":
            return touching
        return [(_own(grid, m, masks, "color", bg), t) for m, t in zip(masks, touching)]
    if feature in ("shape_count", "color_count", "shape_is_unique", "color_is_unique"):
        keys = [_own(grid, m, masks, "shape" if feature.startswith("shape") else "color", bg) for m in masks]
        counts = [keys.count(k) for k in keys]
        return counts if feature.endswith("count") else [c == 1 for c in counts]
    return [_own(grid, m, masks, feature, bg) for m in masks]


def copy_scale(grid: np.ndarray, mask: np.ndarray, background: int | None = 0) -> int:
    """The largest k (2 to ``MAX_COPY_SCALE``) for which all the cells of some colour other than
    the object's (not the background) draw the object ``mask``'s shape k times larger, each cell a
    k x k block; a copy the grid's border cuts counts, where at least half of it shows along each
    side it is cut at. 0 where no colour does.

    Example: k = copy_scale(grid, mask, background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    h, w = grid.shape
    shape = mask[_box(mask)]
    own = int(np.argmax(np.bincount(grid[mask], minlength=10)))
    best = 0
    for color in np.unique(grid).tolist():
        if color in (bg, own):
            continue
        rows, cols = np.nonzero(grid == color)
        top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
        seen = (grid == color)[top:bottom + 1, left:right + 1]
        for k in range(MAX_COPY_SCALE, max(best, 1), -1):
            full = np.kron(shape, np.ones((k, k), dtype=bool))
            dy = _cut_offset(full.shape[0], seen.shape[0], top == 0, bottom == h - 1)
            dx = _cut_offset(full.shape[1], seen.shape[1], left == 0, right == w - 1)
            if dy is not None and dx is not None and np.array_equal(
                    full[dy:dy + seen.shape[0], dx:dx + seen.shape[1]], seen):
                best = k
                break
    return best


def _cut_offset(full: int, seen: int, at_start: bool, at_end: bool) -> int | None:
    """Where a copy ``full`` cells long starts within what shows of it (``seen`` cells, the
    border at its start and / or end): 0 where it shows whole; None where it cannot be such a copy."""
    if seen == full:
        return 0
    if seen > full or 2 * seen < full or at_start == at_end:
        return None
    return full - seen if at_start else 0


def rule_key(value: object, at_least: int | None) -> object:
    """The key a rule looks a feature value up by: the value, or whether it is at least ``at_least``."""
    return value if at_least is None else bool(value >= at_least)


# Actions that redraw an object: turned in its own box, or moved ("<side>:<cells>", the cells a
# number, "own" for its own extent that way, "size" for its count of cells, "contact" for as far
# as it can go before it meets a cell of another object or the border, maybe nowhere); "toward"
# the nearest obstacle in its way, "mirror" across the line of that obstacle, "away" from the one
# obstacle it touches (to contact or the border), "home" to contact toward the nearest obstacle of
# its own colour, "centre" its box centred on the box of every obstacle (a frame's middle).
TURNS = ("flip_lr", "flip_ud", "rot180", "transpose")
SIDES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


# Actions that paint around an object that stays: "<paint>:<colour>", the paint one of PAINTS (the
# background cells next to it, side or corner; those it encloses in its box; those of its box).
PAINTS = ("ring", "holes", "box")


def paint_region(grid: np.ndarray, mask: np.ndarray, paint: str, background: int) -> np.ndarray:
    """The background cells a paint of ``PAINTS`` covers around the object ``mask``: "holes" those
    inside its box that cannot reach the box's edge but through it, "ring" those outside touching
    it (side or corner; not its holes), "box" every one inside its box."""
    if paint not in PAINTS:
        raise ValueError(f"unknown paint {paint!r}")
    free = np.asarray(grid) == background
    region = np.zeros(mask.shape, dtype=bool)
    box = _box(mask)
    if paint == "box":
        region[box] = True
        return region & free & ~mask
    inside = ~mask[box]
    region[box] = inside & ~reachable_from_border(inside, 4)  # its holes
    if paint == "holes":
        return region & free
    return dilate(mask, 8, include_self=False) & free & ~region


# Actions that recolour an object like another it corresponds to: "like:<relation>", the relation
# one of RELATIONS (see ``partner_color``).
RELATIONS = ("shape", "shape_rigid", "adjacent", "touching", "rows", "columns", "nearest", "fits")


def partner_color(grid: np.ndarray, masks: list[np.ndarray], k: int, relation: str, background: int) -> int | None:
    """The colour of the objects of another colour that object ``k`` of ``masks`` corresponds to
    by ``relation``: "shape" (the same cells, moved), "shape_rigid" (the same up to a turn or
    mirror), "adjacent" (side by side), "touching" (side or corner), "rows"/"columns" (sharing a row / a column), "nearest"
    (the nearest, by the fewest king's moves between cells), "fits" (shaped like the hole object
    ``k`` encloses: ``paint_region(..., "holes", ...)``); its own colour where it corresponds to
    none; None where those it corresponds to have more than one colour between them."""
    grid = np.asarray(grid)
    own = _own(grid, masks[k], masks, "color", background)
    others = [j for j in range(len(masks)) if j != k and _own(grid, masks[j], masks, "color", background) != own]
    if not others:
        return own
    mk = masks[k]
    if relation in ("shape", "shape_rigid", "fits"):
        key = _rigid_key if relation == "shape_rigid" else _shape_key
        hole = paint_region(grid, mk, "holes", background) if relation == "fits" else mk
        if not hole.any():
            return own
        mine = key(hole)
        chosen = [j for j in others if key(masks[j]) == mine]
    elif relation in ("adjacent", "touching"):
        near = dilate(mk, 4 if relation == "adjacent" else 8)
        chosen = [j for j in others if (masks[j] & near).any()]
    elif relation in ("rows", "columns"):
        axis = 1 if relation == "rows" else 0
        span = mk.any(axis=axis)
        chosen = [j for j in others if (masks[j].any(axis=axis) & span).any()]
    elif relation == "nearest":
        rows, cols = np.nonzero(mk)
        dist = []
        for j in others:
            r, c = np.nonzero(masks[j])
            dist.append(int(np.maximum(np.abs(rows[:, None] - r[None]), np.abs(cols[:, None] - c[None])).min()))
        chosen = [j for j, d in zip(others, dist) if d == min(dist)]
    else:
        raise ValueError(f"unknown relation {relation!r}")
    colors = {_own(grid, masks[j], masks, "color", background) for j in chosen}
    return own if not colors else colors.pop() if len(colors) == 1 else None


def object_action_cells(grid: np.ndarray, mask: np.ndarray, action: str, obstacles: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Where a turn or a move (see ``map_objects``) puts the object ``mask``: its cells' rows,
    columns and colours afterwards; None when it leaves the grid or the turn does not fit its box.
    ``obstacles``: the cells a move "contact" stops before (default: the other non-object cells
    are not known here, so every True cell of ``obstacles``)."""
    grid = np.asarray(grid)
    box = _box(mask)
    if action in TURNS:
        cells = np.where(mask[box], grid[box], -1)
        if action == "transpose" and cells.shape[0] != cells.shape[1]:
            return None
        turned = {"flip_lr": cells[:, ::-1], "flip_ud": cells[::-1], "rot180": cells[::-1, ::-1],
                  "transpose": cells.T}[action]
        rows, cols = np.nonzero(turned >= 0)
        return rows + box[0].start, cols + box[1].start, turned[rows, cols]
    if action in ("toward", "mirror"):
        return _toward(grid, mask, obstacles, mirror=action == "mirror")
    if action == "centre":
        return _centred(grid, mask, obstacles)
    if action in ("away", "home"):
        side = _away_side(mask, obstacles) if action == "away" else home_side(grid, mask, obstacles)
        if side is None:
            return None
        action = f"{side}:contact"
    side, amount = action.split(":")
    dy, dx = SIDES[side]
    rows, cols = np.nonzero(mask)
    colors = grid[rows, cols]
    h, w = grid.shape
    if amount == "own":
        steps = (box[0].stop - box[0].start) if dy else (box[1].stop - box[1].start)
    elif amount == "size":
        steps = len(rows)
    elif amount == "contact":
        blocked = np.zeros(grid.shape, dtype=bool) if obstacles is None else obstacles
        steps = 0
        while True:
            r, c = rows + dy * (steps + 1), cols + dx * (steps + 1)
            if r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w or blocked[r, c].any():
                break
            steps += 1
    else:
        steps = int(amount)
    r, c = rows + dy * steps, cols + dx * steps
    if r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w:
        return None
    return r, c, colors


def wall_holes(occupied: np.ndarray) -> list[tuple[str, int, int]]:
    """The holes among ``occupied`` cells: each region of other cells that cannot reach the
    border (4-connected), as (its shape's key, its top row, its left column)."""
    free = ~np.asarray(occupied, dtype=bool)
    labels, n = label(free & ~reachable_from_border(free, 4), 4)
    out = []
    for k in range(1, n + 1):
        hole = labels == k
        rows, cols = np.nonzero(hole)
        out.append((_shape_key(hole), int(rows.min()), int(cols.min())))
    return out


def fit_moves(masks: list[np.ndarray], holes: list[tuple[str, int, int]]) -> dict[int, tuple[int, int]]:
    """Where "fit" moves objects: each hole of ``holes`` (``wall_holes``) takes the nearest object
    of ``masks`` of exactly its shape (by the steps between their top left corners; a tie takes
    none), an object taken by one hole only moving there unturned. Returns, by object index,
    the (rows, columns) it moves by; an object not in it stays."""
    corners = []
    for m in masks:
        rows, cols = np.nonzero(m)
        corners.append((_shape_key(m), int(rows.min()), int(cols.min())))
    taken: dict[int, list[tuple[int, int]]] = {}
    for key, r, c in holes:
        near = sorted((abs(r - mr) + abs(c - mc), k) for k, (mkey, mr, mc) in enumerate(corners) if mkey == key)
        if near and (len(near) == 1 or near[0][0] < near[1][0]):
            k = near[0][1]
            taken.setdefault(k, []).append((r - corners[k][1], c - corners[k][2]))
    return {k: moves[0] for k, moves in taken.items() if len(moves) == 1}


def _notch_parts(still: np.ndarray) -> list[tuple]:
    """The 4-connected parts of ``still`` that notches belong to: each as its label, its number of
    cells, its box (first and last row, first and last column), the gaps of its box labelled
    (4-connected regions of cells ``still`` lacks) and their sizes."""
    labels, n = label(still, 4)
    out = []
    for p in range(1, n + 1):
        pr, pc = np.nonzero(labels == p)
        r0, r1, c0, c1 = int(pr.min()), int(pr.max()), int(pc.min()), int(pc.max())
        gaps, _ = label(~still[r0:r1 + 1, c0:c1 + 1], 4)
        out.append((p, len(pr), (r0, r1, c0, c1), gaps, np.bincount(gaps.ravel())))
    return out


def notch_places(mask: np.ndarray, still: np.ndarray, parts: list | None = None,
                 charge: Callable[[int], None] | None = None) -> list[tuple[tuple, tuple[int, int], tuple | None]]:
    """Where ``mask`` completes a still object's notch, moved without turning onto cells
    ``still`` lacks: the translations after which the object and one 4-connected part of
    ``still`` make a full rectangle together, or after which its cells inside that part's box are
    exactly one region (4-connected) of the box's cells ``still`` lacks (a cup it fills, sticking out
    of the box or not). Each as (the slot it fills: the part, and the region or "rect"), (rows,
    columns), and the rectangle's (height, width) (None for a cup). ``parts``: ``_notch_parts(still)``,
    where it is already known; ``charge``, where given, is told the cells it places (each place
    looked at, times the object's cells). An object of more than ``MAX_NOTCH_CELLS`` has none."""
    h, w = still.shape
    rows, cols = np.nonzero(mask)
    out = []
    if len(rows) > MAX_NOTCH_CELLS:
        return out
    for p, size, (r0, r1, c0, c1), gaps, sizes in _notch_parts(still) if parts is None else parts:
        area = size + len(rows)
        if sizes[1:].min(initial=area) > len(rows) and (sizes[1:].sum() > len(rows) or not any(
                area % tall == 0 and area // tall > c1 - c0 for tall in range(r1 - r0 + 1, area + 1))):
            continue  # no gap it could fill, no rectangle it could close
        # every translation that brings the object next to the part's box or into it, at once
        dr, dc = np.meshgrid(np.arange(r0 - rows.max() - 1, r1 - rows.min() + 2),
                             np.arange(c0 - cols.max() - 1, c1 - cols.min() + 2), indexing="ij")
        dr, dc = dr.ravel(), dc.ravel()
        if charge is not None:
            charge(len(dr) * len(rows))
        r, c = rows[None] + dr[:, None], cols[None] + dc[:, None]
        ok = (r.min(1) >= 0) & (c.min(1) >= 0) & (r.max(1) < h) & (c.max(1) < w) & ((dr != 0) | (dc != 0))
        ok &= ~still[r.clip(0, h - 1), c.clip(0, w - 1)].any(1)
        tall = np.maximum(r1, r.max(1)) - np.minimum(r0, r.min(1)) + 1
        wide = np.maximum(c1, c.max(1)) - np.minimum(c0, c.min(1)) + 1
        rect = ok & (tall * wide == len(rows) + size)
        inside = (r >= r0) & (r <= r1) & (c >= c0) & (c <= c1)
        held = np.where(inside, gaps[(r - r0).clip(0, r1 - r0), (c - c0).clip(0, c1 - c0)], 0)
        top = held.max(1)
        low = np.where(inside, held, top[:, None]).min(1)
        cup = ok & ~rect & inside.any(1) & (low == top) & (sizes[top] == inside.sum(1))
        for k in np.nonzero(rect | cup)[0].tolist():
            if rect[k]:
                out.append(((p, "rect"), (int(dr[k]), int(dc[k])), (int(tall[k]), int(wide[k]))))
            else:
                out.append(((p, int(top[k])), (int(dr[k]), int(dc[k])), None))
    return out


def notch_moves(masks: list[np.ndarray], still: np.ndarray,
                charge: Callable[[int], None] | None = None) -> dict[int, tuple[int, int]]:
    """Where "notch" moves objects (``notch_places``; a full rectangle first: where an object makes
    one, its cups do not count): one object to a slot, each slot taking one object; an object with
    one place left takes it and leaves it to no other, until none changes. Where objects are left
    with several places and every rectangle made so far has one size, only places making that size
    are left to them, and the taking goes on. Returns, by object index, the (rows, columns) it
    moves by; an object with no place, or with several, stays. ``charge``: as ``notch_places``'."""
    options = []
    parts = _notch_parts(still)
    for m in masks:
        places = notch_places(m, still, parts, charge)
        options.append([p for p in places if p[2] is not None] or places)
    taken: set = set()
    moves: dict[int, tuple[int, int]] = {}
    sizes: set = set()
    narrowed = False
    while True:
        changed = False
        for k, places in enumerate(options):
            if k in moves:
                continue
            left = [p for p in places if p[0] not in taken]
            if len(left) == 1:
                taken.add(left[0][0])
                moves[k] = left[0][1]
                if left[0][2] is not None:
                    sizes.add(left[0][2])
                changed = True
        if changed:
            continue
        if narrowed or len(sizes) != 1 or len(moves) == len(masks):
            return moves
        narrowed = True  # the rectangles' one size decides between several places
        options = [[p for p in places if p[2] is None or p[2] in sizes] for places in options]


OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}


def _away_side(mask: np.ndarray, obstacles: np.ndarray | None) -> str | None:
    """The side opposite the one on which ``mask`` touches obstacle cells (a cell next to one of
    its own, straight that way); None when it touches them on no side or on more than one."""
    if obstacles is None:
        return None
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    touched = []
    for side, (dy, dx) in SIDES.items():
        r, c = rows + dy, cols + dx
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        r, c = r[inside], c[inside]
        if (obstacles[r, c] & ~mask[r, c]).any():
            touched.append(side)
    return OPPOSITE[touched[0]] if len(touched) == 1 else None


def home_side(grid: np.ndarray, mask: np.ndarray, obstacles: np.ndarray | None) -> str | None:
    """The side on which the nearest obstacle cell straight in the way of ``mask`` has the
    object's own colour (its most common); None when no side has one, or two are equally near.

    Example: side = home_side(grid, grid == 4, (grid != 0) & (grid != 4) | wall)
    """
    if obstacles is None:
        return None
    grid = np.asarray(grid)
    own = int(np.argmax(np.bincount(grid[mask], minlength=10)))
    rows, cols = np.nonzero(mask)
    h, w = grid.shape
    found = []
    for side, (dy, dx) in SIDES.items():
        steps = 1
        while True:
            r, c = rows + dy * steps, cols + dx * steps
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            if not inside.any():
                break
            r, c = r[inside], c[inside]
            hit = obstacles[r, c] & ~mask[r, c]
            if hit.any():
                if (grid[r, c][hit] == own).any():
                    found.append((steps, side))
                break
            steps += 1
    found.sort()
    if not found or len(found) > 1 and found[0][0] == found[1][0]:
        return None
    return found[0][1]


def _centred(grid: np.ndarray, mask: np.ndarray, obstacles: np.ndarray | None):
    """The object moved so that its box's middle is the middle of the box of every obstacle cell
    not its own; None when there is none, when the middles are half a cell apart, or when it
    would leave the grid or land on an obstacle."""
    if obstacles is None:
        return None
    others = obstacles & ~mask
    if not others.any():
        return None
    rows, cols = np.nonzero(mask)
    orows, ocols = np.nonzero(others)
    twice_dr = int(orows.min() + orows.max()) - int(rows.min() + rows.max())
    twice_dc = int(ocols.min() + ocols.max()) - int(cols.min() + cols.max())
    if twice_dr % 2 or twice_dc % 2:
        return None
    r, c = rows + twice_dr // 2, cols + twice_dc // 2
    h, w = grid.shape
    if r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w or others[r, c].any():
        return None
    return r, c, grid[rows, cols]


def _toward(grid: np.ndarray, mask: np.ndarray, obstacles: np.ndarray | None, mirror: bool = False):
    """The object slid straight toward the nearest obstacle in its way until it touches it, or
    (``mirror``) reflected across the line of the first obstacle cells it meets that way; None
    when none is in its way on any side, two are equally near, or the mirror image leaves the grid."""
    if obstacles is None or not obstacles.any():
        return None
    rows, cols = np.nonzero(mask)
    h, w = grid.shape
    best = []
    for side, (dy, dx) in SIDES.items():
        steps = 0
        while True:
            r, c = rows + dy * (steps + 1), cols + dx * (steps + 1)
            if r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w:
                steps = None
                break
            if obstacles[r, c].any():
                break
            steps += 1
        if steps is not None:
            best.append((steps, dy, dx))
    best.sort()
    if not best or len(best) > 1 and best[0][0] == best[1][0]:
        return None
    steps, dy, dx = best[0]
    if not mirror:
        return rows + dy * steps, cols + dx * steps, grid[rows, cols]
    if dy:  # the obstacle's row (or column) just past the object's far edge that way
        line = (rows.max() if dy > 0 else rows.min()) + dy * (steps + 1)
        r, c = 2 * line - rows, cols
    else:
        line = (cols.max() if dx > 0 else cols.min()) + dx * (steps + 1)
        r, c = rows, 2 * line - cols
    if r.min() < 0 or c.min() < 0 or r.max() >= h or c.max() >= w:
        return None
    return r, c, grid[rows, cols]


def map_objects(grid: np.ndarray, by: str, table: tuple, default: int | str | None = None, at_least: int | None = None,
                background: int | None = 0, connectivity: int = 4, by_color: bool = True,
                regions: bool = False) -> np.ndarray | None:
    """Each object (``find_objects``) looked up by its ``by`` feature (``object_values``) in
    ``table``, pairs of (value, action), and changed by the action: "keep", "delete" (becomes
    background), a colour (every cell of it takes that colour), a turn in its own box
    ("flip_lr", "flip_ud", "rot180", "transpose") or a move "<up|down|left|right>:<cells>" (a
    number of cells, "own" for its own height or width, "size" for its number of cells, "contact"
    until it would meet a cell no moving object had, one that moved to contact before it (the
    nearest to the border first: they stack), or the border), "toward": straight at the
    nearest such cell in its way until it touches it, "mirror": reflected across the row (column)
    of the first such cells met that way, "away": straight away from the one such cell it touches
    (on one side only) until it meets another or the border, "home": to contact toward the
    nearest such cell of its own colour straight in its way (``home_side``), "centre": its box
    centred on the box of every such cell (a frame's middle), "fit": into a hole of
    the grid as given (background cells walled in, 4-connected) of exactly its shape, each hole
    taking the nearest such object (``fit_moves``; an object no hole takes stays), "notch": to
    the one place where it completes a notch of what stays (``notch_moves``: with one of its parts a
    full rectangle, or filling one gap of that part's box; one object a notch; an object with no
    such place stays), "notch:<colour>" the same in that colour, or a paint
    "<ring|holes|box>:<colour>" (``paint_region``: the object stays, the background around it,
    inside it or in its box takes the colour), or "like:<relation>"
    (the colour of the objects it corresponds to: ``partner_color``; a paint may take it too:
    "holes:like:fits"). Objects that turn or move are
    lifted first, then drawn where they go; paints come last, on background only. With
    ``at_least``, the key is whether the value is at least that (True / False). With ``regions``
    the objects are the background's regions instead (``find_regions``), kept or recoloured. A value the table lacks takes ``default``; None when there is none (the rule never
    saw such an object), no object at all, or a move that leaves the grid.

    Example: grid = map_objects(grid, by="size", table=((6, Color.RED),), default=Color.BLUE, background=0)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    masks = find_regions(grid, bg, connectivity) if regions else find_objects(grid, bg, connectivity, by_color)
    if not masks:
        return None
    actions = dict(table)
    chosen = []
    for m, value in zip(masks, object_values(grid, masks, by, bg)):
        action = actions.get(rule_key(value, at_least), default)
        if action is None:
            return None
        chosen.append(action)
    for k, action in enumerate(chosen):  # colours taken from corresponding objects: "like:<relation>"
        if isinstance(action, str) and "like:" in action:
            head, relation = action.split("like:")
            color = partner_color(grid, masks, k, relation, bg)
            if color is None:
                return None
            chosen[k] = f"{head}{color}" if head else color
    out = grid.copy()
    painted = [(m, a) for m, a in zip(masks, chosen) if _is_paint(a)]
    redrawn = [(m, a) for m, a in zip(masks, chosen)
               if isinstance(a, str) and a not in ("keep", "delete") and not _is_paint(a)]
    for m, action in zip(masks, chosen):
        if _is_paint(action):
            continue
        if action == "delete" or isinstance(action, str) and action != "keep":
            out[m] = bg
        elif action != "keep":
            out[m] = int(action)
    obstacles = out != bg
    # "fit": into the holes of the grid as given, before anything moved; "notch": into the notches
    # of what stays, each taken by one object (``notch_moves``). Each object's shift, by its id.
    fitting = [m for m, a in redrawn if a == "fit"]
    notching = [m for m, a in redrawn if _is_notch(a)]
    shifts = {}
    if fitting:
        shifts.update((id(fitting[k]), move) for k, move in fit_moves(fitting, wall_holes(grid != bg)).items())
    if notching:
        shifts.update((id(notching[k]), move) for k, move in notch_moves(notching, obstacles).items())
    stacked = obstacles.copy()  # moves to contact stop at those placed before them too
    for k, (m, action) in enumerate(redrawn):  # "home": the way to the nearest still cell of its colour
        if action == "home":
            side = home_side(grid, m, obstacles)
            if side is None:
                return None
            redrawn[k] = (m, f"{side}:contact")
    for m, action in sorted(redrawn, key=lambda ma: _room(ma[0], ma[1])):
        contact = action.endswith(":contact")
        if action == "fit" or _is_notch(action):  # shifted as found above; an object none takes stays
            rows, cols = np.nonzero(m)
            dr, dc = shifts.get(id(m), (0, 0))
            out[rows + dr, cols + dc] = int(action.split(":")[1]) if ":" in action else grid[rows, cols]
            continue
        placed = object_action_cells(grid, m, action, stacked if contact else obstacles)
        if placed is None:
            return None
        rows, cols, colors = placed
        out[rows, cols] = colors
        if contact:
            stacked[rows, cols] = True
    for m, action in painted:
        paint, color = action.split(":")
        out[paint_region(out, m, paint, bg)] = int(color)
    return out


def _room(mask: np.ndarray, action: str) -> int:
    """How far a move to contact could go at most (the nearest to the border first); 0 for any other redraw."""
    if not action.endswith(":contact"):
        return 0
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    return {"up": rows.min(), "down": h - 1 - rows.max(), "left": cols.min(),
            "right": w - 1 - cols.max()}[action.split(":")[0]]


def _is_notch(action) -> bool:
    return isinstance(action, str) and action.split(":")[0] == "notch"


def _is_paint(action) -> bool:
    return isinstance(action, str) and action.split(":")[0] in PAINTS


PICKS = ("max", "min", "unique")


def pick_by_feature(grid: np.ndarray, masks: list[np.ndarray], by: str, pick: str,
                    background: int | None = 0) -> np.ndarray | None:
    """The one object among ``masks`` whose ``by`` feature (``object_values``) is the largest
    (pick="max"), the smallest ("min"), or shared by no other object ("unique", among three or
    more); None on a tie or when no object stands out.

    Example: mask = pick_by_feature(grid, find_objects(grid, 0, 8, False), "n_holes", "max", background=0)
    """
    if not masks:
        return None
    k = pick_index(object_values(grid, masks, by, background), pick)
    return None if k is None else masks[k]


def pick_index(values: list, pick: str) -> int | None:
    """Where in ``values`` the one largest ("max"), smallest ("min") or unshared ("unique", of
    three or more) value is; None on a tie."""
    if pick == "unique":
        chosen = [k for k, v in enumerate(values) if values.count(v) == 1]
        return chosen[0] if len(chosen) == 1 and len(values) > 2 else None
    best = max(values) if pick == "max" else min(values)
    chosen = [k for k, v in enumerate(values) if v == best]
    return chosen[0] if len(chosen) == 1 else None


def crop_by_feature(grid: np.ndarray, by: str, pick: str, background: int | None = 0, connectivity: int = 4,
                    by_color: bool = True, alone: bool = False) -> np.ndarray | None:
    """The bounding box of the object ``pick_by_feature`` chooses (``find_objects`` with
    ``connectivity`` and ``by_color``), with whatever else lies inside it, or (``alone``) with the
    other cells as background; None when no single object stands out.

    Example: grid = crop_by_feature(grid, by="n_colors", pick="max", background=0, connectivity=8, by_color=False)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    mask = pick_by_feature(grid, find_objects(grid, bg, connectivity, by_color), by, pick, bg)
    if mask is None:
        return None
    box = _box(mask)
    return np.where(mask[box], grid[box], bg) if alone else grid[box].copy()

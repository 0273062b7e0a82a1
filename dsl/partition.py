"""Cutting a grid into parts (equal blocks, corners, objects, colours; the cells between
separator lines are ``split_cells``, the two halves ``two_halves``), picking one part by a
property, and putting parts back together (overlay, cell-wise logic).

A part is a 2-D array cut out of the grid. Where a function of parts asks for a background,
``background=None`` means "the most common colour of all the parts together".
"""

from __future__ import annotations

import numpy as np

from arc.transforms import upscale_array
from arc.views import flip_lr, flip_ud, transpose
from dsl.color import resolve_background
from dsl.objects import bounding_box, find_objects, object_property


def split_equal(grid: np.ndarray, n_rows: int, n_cols: int) -> list[np.ndarray]:
    """The grid cut into ``n_rows`` x ``n_cols`` equal blocks, in reading order; a single line
    left between blocks (h = n*k + n - 1) is taken as a separator and dropped. [] when the sides
    do not divide."""
    grid = np.asarray(grid)
    h, w = grid.shape

    def cuts(n: int, side: int) -> list[tuple[int, int]] | None:
        if side % n == 0:
            k = side // n
            return [(i * k, (i + 1) * k) for i in range(n)]
        if (side + 1) % n == 0 and side + 1 > n:
            k = (side + 1) // n - 1
            return [(i * (k + 1), i * (k + 1) + k) for i in range(n)]
        return None

    rs, cs = cuts(n_rows, h), cuts(n_cols, w)
    if rs is None or cs is None or n_rows * n_cols < 2:
        return []
    return [grid[a:b, c:d] for a, b in rs for c, d in cs]


def split_corners(grid: np.ndarray, height: int, width: int) -> list[np.ndarray]:
    """The four ``height`` x ``width`` windows at the grid's corners (top-left, top-right,
    bottom-left, bottom-right; they may overlap); [] when the grid is not larger than a window."""
    grid = np.asarray(grid)
    h, w = grid.shape
    if height > h or width > w or (height, width) == (h, w) or height < 1 or width < 1:
        return []
    return [grid[:height, :width], grid[:height, w - width:], grid[h - height:, :width], grid[h - height:, w - width:]]


def object_parts(grid: np.ndarray, background: int | None = 0, connectivity: int = 4,
                 by_color: bool = True, isolate: bool = False) -> list[np.ndarray]:
    """The bounding-box crop of every object (``find_objects``: connected non-background cells;
    ``by_color``: of one colour), in reading order of each object's first cell. ``isolate``:
    cells of the crop that are not the object's become background (the object's sprite).

    Example: parts = object_parts(grid, background=Color.BLACK, connectivity=8, by_color=False, isolate=True)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    key = (grid.shape, grid.dtype.str, grid.tobytes(), bg, connectivity, by_color, isolate)
    parts = _PARTS_MEMO.get(key)
    if parts is None:
        if len(_PARTS_MEMO) > _PARTS_MEMO_SIZE:
            _PARTS_MEMO.clear()
        parts = _PARTS_MEMO[key] = []
        for mask in find_objects(grid, bg, connectivity, by_color):
            x, y, w, h = bounding_box(mask)
            part = grid[x:x + w, y:y + h].copy()
            if isolate:
                part[~mask[x:x + w, y:y + h]] = bg
            parts.append(part)
    return [p.copy() for p in parts]  # copies: a caller may change its parts


# object_parts remembers its answers as find_objects does (the enumeration picks objects of the
# same grid by several properties in a row). Bounded: emptied when it holds this many grids.
_PARTS_MEMO: dict[tuple, list[np.ndarray]] = {}
_PARTS_MEMO_SIZE = 5_000


def color_parts(grid: np.ndarray, background: int | None = 0) -> list[np.ndarray]:
    """For every non-background colour (ascending), the crop of the grid to that colour's
    bounding box."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    parts = []
    for color in range(10):
        if color == bg or not (grid == color).any():
            continue
        rows, cols = np.nonzero(grid == color)
        parts.append(grid[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy())
    return parts


PICKS = ("max_cells", "min_cells", "max_area", "min_area", "max_colors", "min_colors", "odd_one",
         "most_common", "unique_colors", "unique_shape", "symmetric", "asymmetric", "first", "last")


def _only(parts: list[np.ndarray], chosen: list[bool]) -> np.ndarray | None:
    picked = [p for p, c in zip(parts, chosen) if c]
    return picked[0] if len(picked) == 1 else None


def pick_part(parts: list[np.ndarray], by: str, background: int | None = 0, color: int | None = None) -> np.ndarray | None:
    """The one part that stands out ``by`` a property (one of ``PICKS``); None on a tie or when
    there are no parts.

    max/min_cells: non-background cells; max/min_area: height*width; max/min_colors: distinct
    non-background colours; odd_one: the only part whose contents no other part repeats (of 3+);
    most_common: the contents most parts share; unique_colors / unique_shape: the only part with
    its set of colours / its non-background shape (of 3+); symmetric / asymmetric: the only part
    that is (is not) left-right, up-down or diagonally symmetric; first / last: in the parts'
    order. ``color``: max/min_cells count the cells of that colour only. The parts may be the
    cells between separator lines, halves, objects' sprites (crop_object and keep_object pick
    objects this way) or any other cut.

    Example: grid = pick_part(split_cells(grid), by="max_cells", background=None)
    """
    if not parts:
        return None
    if by == "first":
        return parts[0]
    if by == "last":
        return parts[-1]
    bg = resolve_background(np.concatenate([np.ravel(p) for p in parts]), background)
    if by in ("odd_one", "most_common", "unique_colors", "unique_shape"):
        if by == "unique_colors":
            keys = [tuple(np.unique(p[p != bg]).tolist()) for p in parts]
        elif by == "unique_shape":
            keys = [(p.shape, (p != bg).tobytes()) for p in parts]
        else:
            keys = [(p.shape, p.tobytes()) for p in parts]
        counts = [keys.count(k) for k in keys]
        if by == "most_common":
            top = max(counts)
            winners = {k for k, c in zip(keys, counts) if c == top}
            return parts[counts.index(top)] if len(winners) == 1 and top > 1 else None
        return _only(parts, [c == 1 for c in counts]) if len(parts) > 2 else None
    if by in ("symmetric", "asymmetric"):
        sym = [_symmetric(p) for p in parts]
        return _only(parts, sym if by == "symmetric" else [not s for s in sym])
    kind, prop = by.split("_", 1)
    if prop == "cells":
        scores = [int((p == color).sum()) if color is not None else int((p != bg).sum()) for p in parts]
    elif prop == "area":
        scores = [p.size for p in parts]
    elif prop == "colors":
        scores = [len(np.unique(p[p != bg])) for p in parts]
    else:
        raise ValueError(f"unknown pick {by!r}")
    best = max(scores) if kind == "max" else min(scores)
    return _only(parts, [s == best for s in scores])


def _symmetric(p: np.ndarray) -> bool:
    return bool(np.array_equal(flip_ud(p), p) or np.array_equal(flip_lr(p), p) or np.array_equal(transpose(p), p))


def overlay_parts(parts: list[np.ndarray], background: int | None = 0, reverse: bool = False,
                  order: tuple[int, ...] | None = None, align: str | int | None = None) -> np.ndarray | None:
    """Parts stacked into one: each later part's non-background cells paint over the earlier
    ones (``reverse``: the first part ends on top; ``order``: the parts' indices from the bottom
    up). Parts of one shape lie cell on cell; with ``align``, parts of any shapes are first laid
    on one canvas, the smallest that holds them all: "centre", their boxes' centres on one cell
    (None where one falls half a cell off); a colour, each part's one cell of that colour on one
    cell (None where a part has none or several); or "jigsaw", four or nine parts of one shape
    side by side, two by two or three by three, each where its marks (its cells of the colours
    some part lacks) point from its centre. None when shapes differ without ``align``.

    Example: grid = overlay_parts(split_cells(grid), background=None, reverse=True)
    Example: grid = overlay_parts(object_parts(grid, background=0, connectivity=8, by_color=False), align=5)
    """
    if not parts or (align is None and len({p.shape for p in parts}) != 1):
        return None
    if order is not None:
        if sorted(order) != list(range(len(parts))):
            return None
        parts = [parts[i] for i in order]
    bg = resolve_background(np.concatenate([p.ravel() for p in parts]), background)
    if align is not None:  # laid on one canvas: one shape
        parts = _aligned(parts, align, bg)
        if parts is None:
            return None
    out = np.full(parts[0].shape, bg, dtype=int)
    for p in (parts[::-1] if reverse else parts):
        out = np.where(p != bg, p, out)
    return out


def _aligned(parts: list[np.ndarray], align: str | int, bg: int) -> list[np.ndarray] | None:
    """The parts laid on the smallest canvas of background that holds them all aligned so (see
    ``overlay_parts``), each as that canvas with the part pasted in."""
    if isinstance(align, str) and align not in ("centre", "jigsaw"):
        raise ValueError(f"unknown align {align!r}: 'centre', 'jigsaw' or a colour")
    if align == "jigsaw":
        return _jigsaw(parts, bg)
    if align == "centre":
        height, width = max(p.shape[0] for p in parts), max(p.shape[1] for p in parts)
        if any((height - p.shape[0]) % 2 or (width - p.shape[1]) % 2 for p in parts):
            return None
        corners = [((height - p.shape[0]) // 2, (width - p.shape[1]) // 2) for p in parts]
    else:
        anchors = [np.argwhere(p == align) for p in parts]
        if any(len(a) != 1 for a in anchors):
            return None
        top, left = max(int(a[0][0]) for a in anchors), max(int(a[0][1]) for a in anchors)
        corners = [(top - int(a[0][0]), left - int(a[0][1])) for a in anchors]
        height = max(r + p.shape[0] for (r, _), p in zip(corners, parts))
        width = max(c + p.shape[1] for (_, c), p in zip(corners, parts))
    return _laid(parts, corners, height, width, bg)


JIGSAW_SIDES = {4: 2, 9: 3}  # overlay_parts(align="jigsaw"): parts -> places along a side


def _jigsaw(parts: list[np.ndarray], bg: int) -> list[np.ndarray] | None:
    """Four or nine parts of one shape laid two by two or three by three, each where its marks
    point from its box's centre (up and left: the top-left place; neither: the middle). Its marks
    are its cells of the colours some part lacks (all its colours where no colour is in every
    part), background aside."""
    k = JIGSAW_SIDES.get(len(parts))
    if k is None or len({p.shape for p in parts}) != 1:
        return None
    h, w = parts[0].shape
    shared = set.intersection(*({int(c) for c in np.unique(p)} for p in parts)) - {bg}
    places = []
    for p in parts:
        marks = np.argwhere((p != bg) & ~np.isin(p, list(shared)))
        dr, dc = np.sign(marks.mean(axis=0) * 2 - (h - 1, w - 1)) if len(marks) else (0, 0)
        if k == 2:
            if dr == 0 or dc == 0:
                return None
            places.append((int(dr > 0), int(dc > 0)))
        else:
            places.append((int(dr) + 1, int(dc) + 1))
    if len(set(places)) != len(parts):
        return None
    return _laid(parts, [(r * h, c * w) for r, c in places], k * h, k * w, bg)


def _laid(parts: list[np.ndarray], corners: list[tuple[int, int]], height: int, width: int,
          bg: int) -> list[np.ndarray]:
    """Each part pasted at its corner on a canvas of background."""
    laid = []
    for (r, c), p in zip(corners, parts):
        canvas = np.full((height, width), bg, dtype=int)
        canvas[r:r + p.shape[0], c:c + p.shape[1]] = p
        laid.append(canvas)
    return laid


COLOR_PICKS = ("most_common", "least_common", "largest_object", "smallest_object", "largest_box", "smallest_box",
               "with_hole", "most_marked")


def pick_color(grid: np.ndarray, by: str, background: int | None = 0) -> int | None:
    """One non-background colour of the grid chosen ``by`` (one of ``COLOR_PICKS``): the most or
    least common colour, or the colour of the largest or smallest object (4-connected, one
    colour) by cells or by bounding-box area ("largest_box", "smallest_box"), or the colour of
    the one object that encloses background ("with_hole"), or the colour whose region holds the
    most markers ("most_marked": the markers are the cells of the grid's rarest colour, the
    background counted as a colour too, each held by the colour most of its eight neighbours have);
    None on a tie or an empty grid."""
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    if by == "most_marked":
        return _most_marked(grid)
    if by in ("most_common", "least_common"):
        counts = np.bincount(grid[grid != bg], minlength=10)
        present = [c for c in range(10) if counts[c]]
        if not present:
            return None
        best = (max if by == "most_common" else min)(counts[c] for c in present)
        chosen = [c for c in present if counts[c] == best]
    elif by == "with_hole":
        holed = [int(grid[m][0]) for m in find_objects(grid, bg, 4, True) if object_property(grid, m, [], "has_hole")]
        chosen = holed if len(holed) == 1 else []
    else:
        sizes: list[tuple[int, int]] = []
        for mask in find_objects(grid, bg, 4, True):
            if by.endswith("_box"):
                _, _, rows, cols = bounding_box(mask)
                size = rows * cols
            else:
                size = int(mask.sum())
            sizes.append((size, int(grid[mask][0])))
        if not sizes:
            return None
        best = (max if by.startswith("largest") else min)(s for s, _ in sizes)
        chosen = sorted({c for s, c in sizes if s == best})
        if [s for s, _ in sizes].count(best) != 1:
            return None
    return chosen[0] if len(chosen) == 1 else None


def _most_marked(grid: np.ndarray) -> int | None:
    counts = np.bincount(grid.ravel(), minlength=10)
    present = sorted((int(counts[c]), c) for c in range(10) if counts[c])
    if len(present) < 3 or present[0][0] == present[1][0]:
        return None
    marker = present[0][1]
    held = np.zeros(10, dtype=int)
    for r, c in zip(*np.nonzero(grid == marker)):
        near = grid[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2].ravel()
        votes = np.bincount(near[near != marker], minlength=10)
        if votes.max() > 0 and (votes == votes.max()).sum() == 1:
            held[int(votes.argmax())] += 1
    best = held.max()
    return int(held.argmax()) if best > 0 and (held == best).sum() == 1 else None


def _chosen_color(grid: np.ndarray, by: str | int, background: int | None) -> int | None:
    """The colour ``pick_color`` chooses ``by``, or ``by`` itself given as a number, where the grid holds it."""
    if isinstance(by, str):
        return pick_color(grid, by, background)
    return int(by) if (grid == by).any() else None


def keep_color(grid: np.ndarray, by: str | int, background: int | None = 0) -> np.ndarray | None:
    """The grid with only the cells of the colour ``pick_color`` chooses ``by`` (or of colour
    ``by`` itself, given as a number); every other cell becomes background. None when no single
    colour is chosen or the grid lacks it.

    Example: grid = keep_color(grid, by="least_common", background=Color.BLACK)
    """
    grid = np.asarray(grid)
    color = _chosen_color(grid, by, background)
    if color is None:
        return None
    return np.where(grid == color, grid, resolve_background(grid, background))


def remove_color(grid: np.ndarray, by: str | int, background: int | None = 0) -> np.ndarray | None:
    """The grid with the cells of the colour ``pick_color`` chooses ``by`` (or of colour ``by``
    itself, given as a number) made background, every other cell kept: ``keep_color``'s
    complement (noise or a marker cleared before a crop or a pick). None when no single colour
    is chosen, the grid lacks it or it is the background.

    Example: grid = remove_color(grid, by="most_common", background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    color = _chosen_color(grid, by, background)
    if color is None or color == bg:
        return None
    return np.where(grid == color, bg, grid)


def crop_to_color(grid: np.ndarray, by: str | int, background: int | None = 0, inner: bool = False) -> np.ndarray | None:
    """The bounding box of the cells of the colour ``pick_color`` chooses ``by`` (or of colour
    ``by`` itself), every colour inside it kept; with ``inner``, less its outermost ring (what a
    frame of that colour holds). None when no single colour is chosen, the grid lacks it or
    nothing is left inside.

    Example: grid = crop_to_color(grid, by="least_common", background=Color.BLACK, inner=True)
    """
    grid = np.asarray(grid)
    color = _chosen_color(grid, by, background)
    if color is None or color == resolve_background(grid, background):
        return None
    rows, cols = np.nonzero(grid == color)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    if inner:
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
        if bottom <= top or right <= left:
            return None
    return grid[top:bottom, left:right].copy()


CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


def crop_corner(grid: np.ndarray, rows: int, cols: int, corner: str) -> np.ndarray | None:
    """The ``rows`` x ``cols`` block at a ``corner`` of the grid (one of ``CORNERS``); None where
    the grid is smaller either way.

    Example: grid = crop_corner(grid, rows=3, cols=3, corner="top_left")
    """
    grid = np.asarray(grid)
    h, w = grid.shape
    if rows < 1 or cols < 1 or rows > h or cols > w or corner not in CORNERS:
        return None
    top = 0 if corner.startswith("top") else h - rows
    left = 0 if corner.endswith("left") else w - cols
    return grid[top:top + rows, left:left + cols].copy()


LOGICS = ("and", "or", "xor", "nor", "one", "first_only", "none_first")


def combine_parts(parts: list[np.ndarray], logic: str, color: int, background: int | None = 0) -> np.ndarray | None:
    """Parts of one shape combined cell by cell on "set" (non-background): ``color`` where
    ``logic`` (one of ``LOGICS``) holds, background elsewhere. and/or/xor(odd count)/nor over all
    parts; one: exactly one part set; first_only: the first part set and no other; none_first:
    the first part unset and some other set. None unless there are two parts or more, of one
    shape.

    Example: grid = combine_parts(two_halves(grid, axis=1), logic="nor", color=Color.GREEN, background=Color.BLACK)
    """
    if not parts or len(parts) < 2 or len({p.shape for p in parts}) != 1:
        return None
    bg = resolve_background(np.concatenate([p.ravel() for p in parts]), background)
    sets = np.stack([p != bg for p in parts])
    count = sets.sum(axis=0)
    rule = {"and": count == len(parts), "or": count > 0, "xor": count % 2 == 1, "nor": count == 0,
            "one": count == 1, "first_only": sets[0] & (count == 1), "none_first": ~sets[0] & (count > 0)}[logic]
    return np.where(rule, color, bg)


def paint_parts(parts: list[np.ndarray], size: str = "mask", background: int | None = 0) -> np.ndarray | None:
    """A stencil painted by a colour key: of the parts that are not all background, the one of a
    single colour is the stencil and the one of the most colours (two or more) the key; one is
    scaled to the other's shape, and the result holds the key's colour on the stencil's cells,
    background elsewhere. size="mask": the key is scaled up by whole factors to the stencil's
    shape; "key": the stencil is scaled down to the key's shape, each of its blocks wholly set or
    wholly background. None unless there is exactly one stencil and one key and the shapes
    divide, or where a block is half set.

    Example: grid = paint_parts(split_cells(grid, separator="most"), size="mask", background=Color.BLACK)
    """
    if size not in ("mask", "key"):
        raise ValueError(f"paint_parts: unknown size {size!r}")
    if not parts:
        return None
    bg = resolve_background(np.concatenate([p.ravel() for p in parts]), background)
    kinds = [len(np.unique(p[p != bg])) for p in parts]
    stencils = [p for p, n in zip(parts, kinds) if n == 1]
    most = max(kinds)
    keys = [p for p, n in zip(parts, kinds) if n == most]
    if len(stencils) != 1 or most < 2 or len(keys) != 1:
        return None
    stencil, key = stencils[0] != bg, keys[0]
    (h, w), (kh, kw) = stencil.shape, key.shape
    if h % kh or w % kw:
        return None
    fy, fx = h // kh, w // kw
    if size == "mask":
        return np.where(stencil, upscale_array(key, fy, fx), bg)
    blocks = stencil.reshape(kh, fy, kw, fx)
    small = blocks.all(axis=(1, 3))
    if np.any(small != blocks.any(axis=(1, 3))):
        return None
    return np.where(small, key, bg)


def majority_parts(parts: list[np.ndarray], mark: int | None = None) -> np.ndarray | None:
    """Parts of one shape (three or more) merged cell by cell: each cell takes the colour most
    parts have there (a tie: the lower colour), a repeated picture cleaned of what single parts
    add or lose; with ``mark``, every cell where the parts do not all agree gets colour ``mark``
    instead (where the odd part differs). None unless there are three parts or more, of one
    shape.

    Example: grid = majority_parts(split_cells(grid), mark=Color.BLUE)
    """
    if len(parts) < 3 or len({p.shape for p in parts}) != 1:
        return None
    stack = np.stack([np.asarray(p) for p in parts])
    votes = (stack[None] == np.arange(10)[:, None, None, None]).sum(axis=1)
    out = votes.argmax(axis=0)
    if mark is not None:
        out = np.where(votes.max(axis=0) < len(parts), mark, out)
    return out


def compress_grid(grid: np.ndarray, drop: str = "repeats", color: int | None = None) -> np.ndarray | None:
    """The grid with some of its rows and columns left out. drop: "repeats" (each run of
    identical adjacent rows kept once, then of identical adjacent columns), "uniform" (every row
    and every column of one colour in the grid as given removed; with ``color``, of that colour
    only). None when nothing is left.

    Example: grid = compress_grid(grid, drop="uniform", color=Color.BLACK)
    """
    grid = np.asarray(grid)
    if drop == "repeats":
        keep_rows = [0] + [r for r in range(1, grid.shape[0]) if not (grid[r] == grid[r - 1]).all()]
        grid = grid[keep_rows]
        keep_cols = [0] + [c for c in range(1, grid.shape[1]) if not (grid[:, c] == grid[:, c - 1]).all()]
        return grid[:, keep_cols]
    if drop != "uniform":
        raise ValueError(f"unknown drop rule {drop!r}")
    first_col, first_row = grid[:, :1], grid[:1, :]
    rows = (grid == first_col).all(axis=1) & (color is None or (grid[:, 0] == color))
    cols = (grid == first_row).all(axis=0) & (color is None or (grid[0, :] == color))
    out = grid[~rows][:, ~cols]
    return out if out.size else None

"""Finding objects and describing them: components, bounding boxes, crops, interiors.

Objects are numpy arrays the size of the whole grid, background everywhere except the
object's pixels; sprites are the cropped versions. Coordinates (x, y) index axis 0 and
axis 1 of the array: ``grid[x, y]``.

``find_objects`` and the functions after it work with boolean masks instead (the form the
program search composes), and take ``background=None`` to mean the grid's most common colour.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from dsl._masks import dilate, label, neighbour_offsets, reachable_from_border
from dsl.color import Color, resolve_background

# detect_objects searches non-overlapping subsets exactly only up to this many steps,
# then falls back to its greedy first choice, so a crowded grid cannot hang a program.
_SEARCH_BUDGET = 20_000


def find_connected_components(
    grid: np.ndarray, background: int = Color.BLACK, connectivity: int = 4, monochromatic: bool = True
) -> list[np.ndarray]:
    """Connected components of non-background pixels, each a full-size array (background
    elsewhere). connectivity: 4 (sides) or 8 (also diagonals). monochromatic=True splits by
    colour, colour by colour in object_colors(grid) order (not always ascending), each colour's
    components in raster order; False lets one component hold several colours.

    Example: objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=8, monochromatic=False)
    """
    grid = np.asarray(grid)
    neighbour_offsets(connectivity)  # reject a bad connectivity even on an empty grid
    components = []
    if monochromatic:
        masks = [grid == c for c in object_colors(grid, background)]
    else:
        masks = [grid != background]
    for mask in masks:
        labels, n = label(mask, connectivity)
        for i in range(1, n + 1):
            components.append(np.where(labels == i, grid, background).astype(grid.dtype))
    return components


def bounding_box(grid: np.ndarray, background: int = Color.BLACK) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the non-background pixels: x, y the smallest indices on axes
    0 and 1, width/height the extents along axes 0 and 1. With no such pixel, a grid of shape
    (n, m) gives (n, m, -n, -m) (crop then gives an empty array).

    Example: x, y, w, h = bounding_box(obj, background=Color.BLACK)
    """
    grid = np.asarray(grid)
    xs, ys = np.nonzero(grid != background)
    if len(xs) == 0:
        # BARC's scan starts from min = shape, max = -1 and never moves them.
        n, m = grid.shape
        return n, m, -n, -m
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def bounding_box_mask(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Boolean array, True inside the bounding box of the non-background pixels."""
    grid = np.asarray(grid)
    mask = np.zeros(grid.shape, dtype=bool)
    x, y, w, h = bounding_box(grid, background=background)
    mask[x : x + w, y : y + h] = True
    return mask


def crop(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """The smallest sub-array holding every non-background pixel (a numpy view, like slicing).

    Example: sprite = crop(an_object, background=Color.BLACK)
    """
    x, y, w, h = bounding_box(grid, background)
    return np.asarray(grid)[x : x + w, y : y + h]


# anchor -> (fraction of width-1 added to x, fraction of height-1 added to y)
_ANCHORS = {
    "upperleft": (0, 0), "upperright": (1, 0), "lowerleft": (0, 1), "lowerright": (1, 1),
    "center": (0.5, 0.5), "uppercenter": (0.5, 0), "lowercenter": (0.5, 1),
    "leftcenter": (0, 0.5), "rightcenter": (1, 0.5),
}


def object_position(obj: np.ndarray, background: int = Color.BLACK, anchor: str = "upper left") -> tuple:
    """(x, y) of a point of the object's bounding box: anchor is "upper left" (the default,
    smallest x and y), "upper right", "lower left", "lower right", "center", "upper center",
    "lower center", "left center" or "right center". "right" adds width-1 to x, "lower" adds
    height-1 to y; centres may be halves (floats).

    Example: x, y = object_position(obj, background=Color.BLACK, anchor="center")
    """
    key = anchor.lower().replace(" ", "").replace("top", "upper").replace("bottom", "lower")
    if key not in _ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; expected one of: upper left, upper right, lower left, "
                         "lower right, center, upper center, lower center, left center, right center")
    x, y, w, h = bounding_box(obj, background=background)
    fx, fy = _ANCHORS[key]
    ax, ay = x + fx * (w - 1), y + fy * (h - 1)
    return (int(ax) if float(ax).is_integer() else ax, int(ay) if float(ay).is_integer() else ay)


def object_colors(obj: np.ndarray, background: int = Color.BLACK) -> list[int]:
    """The distinct non-background colours in the object, in the order of BARC's helper: Python's
    iteration order of set(obj.flatten()) - {background}. Mostly ascending, but not always:
    a grid of black, blue and teal gives [8, 1].

    Example: colors = object_colors(obj, background=Color.BLACK)
    """
    # The order is CPython's set-table order (it depends on which colours are present and which
    # appears first), the order BARC's programs were trained on: build the same set the same way.
    return list(set(np.asarray(obj).ravel().tolist()) - {background})


def object_interior(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Boolean array: True for the object's pixels and every cell they enclose (background
    cells not 4-connected to the edge of the canvas through background).

    Example: interior = object_interior(obj, background=Color.BLACK)
    """
    grid = np.asarray(grid)
    return ~reachable_from_border(grid == background, connectivity=4)


def object_boundary(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Boolean array: True for object pixels that touch the outside (4-adjacent to exterior
    background) or lie on the edge of the canvas.

    Example: boundary = object_boundary(obj, background=Color.BLACK)
    """
    grid = np.asarray(grid)
    exterior = ~object_interior(grid, background)
    edge = np.zeros(grid.shape, dtype=bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    return (grid != background) & (dilate(exterior, 4) | edge)


def object_neighbors(grid: np.ndarray, background: int = Color.BLACK, connectivity: int = 4) -> np.ndarray:
    """Boolean array: background cells adjacent (4- or 8-connectivity) to the object's boundary.

    Example: neighbors = object_neighbors(obj, background=Color.BLACK, connectivity=8)
    """
    grid = np.asarray(grid)
    boundary = object_boundary(grid, background)
    return dilate(boundary, connectivity, include_self=False) & (grid == background)


def is_contiguous(bitmask: np.ndarray, background: int = Color.BLACK, connectivity: int = 4) -> bool:
    """True when the non-background cells form exactly one connected component."""
    return label(np.asarray(bitmask) != background, connectivity)[1] == 1


def check_between_objects(obj1: np.ndarray, obj2: np.ndarray, x: int, y: int, padding: int = 0,
                          background: int = Color.BLACK) -> bool:
    """True when pixel (x, y) lies in the gap between the two objects' bounding boxes along one
    axis and inside the span both boxes share on the other axis, ``padding`` cells from its ends."""
    boxes = [bounding_box(o, background=background) for o in (obj1, obj2)]
    for axis in (0, 1):
        p, q = (x, y) if axis == 0 else (y, x)
        # per box: (start, length) along this axis, then along the other one
        spans = [((b[0], b[2]), (b[1], b[3])) if axis == 0 else ((b[1], b[3]), (b[0], b[2])) for b in boxes]
        shared_lo = max(s[1][0] for s in spans)
        shared_hi = min(s[1][0] + s[1][1] for s in spans)
        for a, b in (spans, spans[::-1]):
            if a[0][0] + a[0][1] <= p < b[0][0] and q - padding >= shared_lo and q + padding < shared_hi:
                return True
    return False


def detect_objects(
    grid: np.ndarray,
    _=None,
    predicate: Callable[[np.ndarray], bool] | None = None,
    background: int = Color.BLACK,
    monochromatic: bool = False,
    connectivity: int | None = None,
    allowed_dimensions: list[tuple[int, int]] | None = None,
    colors: list[int] | None = None,
    can_overlap: bool = False,
) -> list[np.ndarray]:
    """Objects (full-size arrays) matching a specification. With connectivity 4 or 8, the
    connected components whose colours are all in ``colors`` (if given) and whose cropped
    sprite satisfies predicate; connectivity=None finds no components. With
    allowed_dimensions=[(n, m), ...], components survive only if the whole grid's shape is
    listed, and every n x m window holding colour (colours in ``colors``, predicate(window))
    is added unless it equals a component. Unless can_overlap, a non-overlapping subset
    covering the most pixels is returned (largest bounding boxes first).

    Example: objects = detect_objects(grid, colors=[Color.RED], allowed_dimensions=[(3, 3)], monochromatic=True)
    """
    grid = np.asarray(grid)

    def colours_ok(arr: np.ndarray) -> bool:
        return all(c in colors or c == background for c in np.unique(arr).tolist())

    objects: list[np.ndarray] = []
    if connectivity:
        objects = find_connected_components(grid, background, connectivity, monochromatic)
        if colors:  # as BARC: an empty list filters nothing here (but rejects every window below)
            objects = [o for o in objects if colours_ok(o)]
        if predicate is not None:
            objects = [o for o in objects if predicate(crop(o, background=background))]
    if allowed_dimensions:
        # BARC compares the full-size component's shape, i.e. the grid's, not the sprite's.
        if grid.shape not in allowed_dimensions:
            objects = []
        components = list(objects)
        for n, m in allowed_dimensions:
            for i in range(grid.shape[0] - n + 1):
                for j in range(grid.shape[1] - m + 1):
                    window = grid[i : i + n, j : j + m]
                    if not np.any(window != background) or (colors is not None and not colours_ok(window)):
                        continue
                    if predicate is not None and not predicate(window):
                        continue
                    candidate = np.full(grid.shape, background, dtype=grid.dtype)
                    candidate[i : i + n, j : j + m] = window
                    # Only components are checked: equal windows are all kept, as BARC keeps them.
                    if not any(np.array_equal(candidate, c) for c in components):
                        objects.append(candidate)
    if can_overlap:
        return objects
    return _non_overlapping(objects, background)


def _non_overlapping(objects: list[np.ndarray], background: int) -> list[np.ndarray]:
    def size(o: np.ndarray) -> tuple[int, int]:
        _, _, w, h = bounding_box(o, background)
        return w * h, int(np.sum(o != background))

    if not objects:
        return []
    objects = sorted(objects, key=size, reverse=True)  # stable: ties keep discovery order
    masks = np.array([o != background for o in objects]).reshape(len(objects), -1)
    overlap = (masks.astype(np.int64) @ masks.T.astype(np.int64)) > 0
    np.fill_diagonal(overlap, False)
    alone = [i for i in range(len(objects)) if not overlap[i].any()]
    rest = [i for i in range(len(objects)) if overlap[i].any()]
    if not rest:
        return [objects[i] for i in alone]
    best_possible = int(masks[rest].any(axis=0).sum())
    steps = 0

    class _OutOfBudget(Exception):
        pass

    # Exhaustive choice that prefers taking an object and stops at full coverage; ties go to
    # leaving it out. Depth is len(rest), bounded below, and the step budget bounds the time.
    def pick(k: int, chosen: list[int], covered: np.ndarray) -> tuple[list[int], int]:
        nonlocal steps
        steps += 1
        if steps > _SEARCH_BUDGET:
            raise _OutOfBudget
        if k == len(rest):
            return chosen, int(covered.sum())
        i = rest[k]
        if any(overlap[j, i] for j in chosen):
            return pick(k + 1, chosen, covered)
        with_, with_score = pick(k + 1, chosen + [i], covered | masks[i])
        if with_score == best_possible:
            return with_, with_score
        without, without_score = pick(k + 1, chosen, covered)
        return (with_, with_score) if with_score > without_score else (without, without_score)

    try:
        if len(rest) > 200:
            raise _OutOfBudget
        chosen, _ = pick(0, [], np.zeros(masks.shape[1], dtype=bool))
    except _OutOfBudget:
        chosen = []
        for i in rest:
            if not any(overlap[j, i] for j in chosen):
                chosen.append(i)
    return [objects[i] for i in alone] + [objects[i] for i in chosen]


# find_objects remembers its answers, keyed on the grid's contents: one search asks for the
# components of the same grid many times. Bounded: emptied when it holds this many grids.
_OBJECTS_MEMO: dict[tuple, list[np.ndarray]] = {}
_OBJECTS_MEMO_SIZE = 20_000


def find_objects(grid: np.ndarray, background: int | None = Color.BLACK, connectivity: int = 4,
                 by_color: bool = True) -> list[np.ndarray]:
    """Connected components of non-background cells as boolean masks, in reading order of each
    component's first cell. by_color=True: a component holds one colour only; False: any
    non-background colours join. background=None: the grid's most common colour.

    Example: masks = find_objects(grid, background=Color.BLACK, connectivity=8, by_color=False)
    """
    grid = np.asarray(grid)
    key = (grid.shape, grid.dtype.str, grid.tobytes(), background, connectivity, by_color)
    masks = _OBJECTS_MEMO.get(key)
    if masks is None:
        if len(_OBJECTS_MEMO) > _OBJECTS_MEMO_SIZE:
            _OBJECTS_MEMO.clear()
        bg = resolve_background(grid, background)
        labels, n = label(grid != bg, connectivity, values=grid if by_color else None)
        masks = _OBJECTS_MEMO[key] = [labels == i for i in range(1, n + 1)]
    return [m.copy() for m in masks]  # copies: a caller may change its masks


def find_regions(grid: np.ndarray, background: int | None = Color.BLACK, connectivity: int = 4) -> list[np.ndarray]:
    """Connected components of background cells (the regions the objects leave), as boolean masks
    in reading order of each region's first cell. background=None: the grid's most common colour.

    Example: regions = find_regions(grid, background=Color.BLACK, connectivity=4)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    labels, n = label(grid == bg, connectivity)
    return [labels == i for i in range(1, n + 1)]


def mask_shape(mask: np.ndarray) -> tuple[int, int, bytes]:
    """The object's cells within its bounding box as a hashable value: (rows, columns, bytes)."""
    x, y, w, h = bounding_box(mask)
    return (w, h, mask[x:x + w, y:y + h].tobytes())


def object_property(grid: np.ndarray, mask: np.ndarray, objects: list[np.ndarray], prop: str) -> int | bool | str | None:
    """A hashable value of one object among ``objects``: "size", "size_rank" (0 = largest),
    "is_largest", "is_smallest", "height" (rows), "width" (columns), "touches_border",
    "has_hole" (encloses background) or "shape"; None for anything else."""
    if prop == "size":
        return int(mask.sum())
    if prop == "size_rank":
        sizes = sorted({int(m.sum()) for m in objects}, reverse=True)
        return sizes.index(int(mask.sum()))
    if prop == "is_largest":
        return int(mask.sum()) == max(int(m.sum()) for m in objects)
    if prop == "is_smallest":
        return int(mask.sum()) == min(int(m.sum()) for m in objects)
    if prop == "touches_border":
        return bool(mask[0, :].any() or mask[-1, :].any() or mask[:, 0].any() or mask[:, -1].any())
    if prop in BOXED_PROPERTIES:
        x, y, w, h = bounding_box(mask)
        return boxed_property(mask[x:x + w, y:y + h], prop)
    return None


# The properties ``object_property`` reads inside the object's bounding box alone.
BOXED_PROPERTIES = ("height", "width", "has_hole", "shape")


def boxed_property(crop: np.ndarray, prop: str) -> int | bool | str:
    """One of ``BOXED_PROPERTIES`` of an object given as its mask cut to its bounding box (what
    ``object_property`` gives for the whole mask; a caller reading several of them cuts once)."""
    if prop == "height":
        return crop.shape[0]
    if prop == "width":
        return crop.shape[1]
    if prop == "has_hole":
        inner = ~crop
        return bool(inner.any() and (inner & ~reachable_from_border(inner, 4)).any())
    return f"{crop.shape[0]}x{crop.shape[1]}:" + crop.tobytes().hex()


def count_objects(grid: np.ndarray, color: int | None = None, connectivity: int = 4, min_size: int = 1,
                  background: int | None = Color.BLACK) -> int:
    """How many one-colour objects (of ``color``, or of any colour) with at least ``min_size`` cells.

    Example: n = count_objects(grid, color=Color.BLUE, connectivity=4, min_size=2, background=Color.BLACK)
    """
    grid = np.asarray(grid)
    return sum(1 for m in find_objects(grid, background, connectivity, True)
               if m.sum() >= min_size and (color is None or grid[m][0] == color))

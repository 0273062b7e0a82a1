"""Steps (an operation with its parameters) and the candidate steps for a task.

Parameters come from the demonstrations wherever possible: the background colour, the colours
the outputs add, the colour a patch hides, scale factors from the shapes, colour maps fitted
cell by cell. Families whose shape change cannot occur in the task are left out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable

import numpy as np

from arc.views import symmetry_array
from dsl import common
from dsl.cells import split_cells
from dsl.color import most_common_color, resolve_background
from dsl.object_rules import object_values
from dsl.objects import BOXED_PROPERTIES, bounding_box, boxed_property, find_objects, object_property
from dsl.partition import CORNERS
from search.budget import calls

# Every operation a step may name: the dsl functions programs get from ``from common import *``.
OPS: dict[str, Any] = {name: getattr(common, name) for name in common.OPERATIONS}


@dataclass(frozen=True)
class Step:
    """One operation call: ``OPS[op](grid, **params)``, ``op`` naming a dsl function; params
    hold literals only (they are written into the emitted program as they are). With ``cut``,
    the operation takes what that step makes of the grid instead (its parts):
    ``pick_part(split_cells(grid), by="max_cells")``."""

    op: str
    params: tuple[tuple[str, Any], ...] = ()
    cut: Step | None = None

    def apply(self, grid: np.ndarray) -> np.ndarray | None:
        return OPS[self.op](grid if self.cut is None else self.cut.apply(grid), **dict(self.params))

    @property
    def call(self) -> str:
        """The call on ``grid`` as source: ``tile(grid, ny=2, nx=2)``."""
        return self.on("grid")

    def on(self, name: str) -> str:
        """The call on the variable ``name`` as source: ``tile(layer0, ny=2, nx=2)``."""
        inner = name if self.cut is None else self.cut.on(name)
        return f"{self.op}({inner}" + "".join(f", {k}={v!r}" for k, v in self.params) + ")"

    @property
    def label(self) -> str:
        items = ([self.cut.label] if self.cut is not None else []) + [f"{k}={v!r}" for k, v in self.params]
        return f"{self.op}(" + ", ".join(items) + ")" if items else self.op


def step(op: str, cut: Step | None = None, **params: Any) -> Step:
    return Step(op, tuple(params.items()), cut)


@dataclass(frozen=True)
class TaskInfo:
    """Facts about a task's demonstrations that decide which steps are worth trying."""

    background: int | None  # a colour, or None for "each grid's most common colour"
    in_colors: tuple[int, ...]  # colours found in any input
    out_colors: tuple[int, ...]  # colours found in any output
    grown_colors: tuple[int, ...]  # colours with more cells in some output than in its input
    mask_colors: tuple[int, ...]  # colours in every input with fewer cells in every output
    same_shape: bool  # every output has its input's shape
    smaller: bool  # some output is smaller than its input in a dimension
    larger: bool  # some output is larger than its input in a dimension
    squared: bool  # every output is (h*h, w*w)

    @property
    def fill(self) -> int:
        """A literal colour for new cells (padding, empty blocks): the background, or black where
        the background is each grid's own."""
        return 0 if self.background is None else self.background


def task_info(train: list[tuple[np.ndarray, np.ndarray]]) -> TaskInfo:
    modes = {most_common_color(i) for i, _ in train}
    if len(modes) == 1:
        background = modes.pop()
    else:  # black is ARC's usual background even where a big shape outnumbers it
        background = 0 if all((i == 0).any() for i, _ in train) else None
    counts = [(np.bincount(i.ravel(), minlength=10), np.bincount(o.ravel(), minlength=10)) for i, o in train]
    out_colors = tuple(sorted({int(c) for _, o in train for c in np.unique(o)}))
    grown = tuple(c for c in range(10) if any(co[c] > ci[c] for ci, co in counts))
    masks = tuple(c for c in range(10) if all(ci[c] > 0 and co[c] < ci[c] for ci, co in counts))
    shapes = [(i.shape, o.shape) for i, o in train]
    return TaskInfo(
        background=background,
        in_colors=tuple(sorted({int(c) for i, _ in train for c in np.unique(i)})),
        out_colors=out_colors,
        grown_colors=grown,
        mask_colors=masks,
        same_shape=all(a == b for a, b in shapes),
        smaller=any(b[0] < a[0] or b[1] < a[1] for a, b in shapes),
        larger=any(b[0] > a[0] or b[1] > a[1] for a, b in shapes),
        squared=all(b == (a[0] * a[0], a[1] * a[1]) for a, b in shapes),
    )


SELECTIONS = ("max_cells", "min_cells", "max_area", "min_area", "max_colors", "unique_colors", "unique_shape")
OBJECT_KINDS = ((8, False), (4, True), (8, True), (4, False))


def static_steps(info: TaskInfo) -> list[Step]:
    """Steps whose parameters do not depend on the intermediate grids, simplest families first."""
    bg = info.background
    fill = info.fill
    out = [step(name) for name in ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose")]
    out.append(step("shrink_blocks"))
    # On a same-shape task, a crop the fitted steps can grow back (tile it, scale it, tile it by itself).
    if info.smaller or info.same_shape:
        out.append(step("crop_to_content", background=bg))
    fg_colors = [c for c in info.out_colors if c != bg]
    if info.smaller:
        out.append(step("trim_border"))
        out.append(step("repeating_tile"))
        out += [step("color_sequence", by="bands")]
        out += [step("color_sequence", by="count", background=bg, skip=k, column=c) for k in (0, 1) for c in (True, False)]
        out += [step("periodic_patch", mask_color=c) for c in info.mask_colors]
        for conn, by_color in OBJECT_KINDS:
            out += [step("crop_object", by=s, background=bg, connectivity=conn, by_color=by_color) for s in SELECTIONS]
        # the object (of several colours) that holds the most cells of a marker colour; or that is
        # (is not) symmetric
        for conn in (8, 4):
            out += [step("crop_object", by="max_cells", background=bg, connectivity=conn, by_color=False, color=c)
                    for c in info.in_colors if c != bg]
            out += [step("crop_object", by=s, background=bg, connectivity=conn, by_color=False)
                    for s in ("symmetric", "asymmetric", "min_colors")]
        # rows and columns left out: repeats, one-colour lines (separators, empty margins between parts)
        out += [step("compress_grid"), step("compress_grid", drop="uniform")]
        out += [step("compress_grid", drop="uniform", color=c) for c in info.in_colors]
        out += [step("symmetry_patch", mask_color=c) for c in info.mask_colors]
        cells = step("split_cells")
        out += [step("pick_part", cells, by=s, background=None)
                for s in ("max_cells", "min_cells", "max_colors", "min_colors", "odd_one")]
        out += [step("overlay_parts", cells, background=None, reverse=r) for r in (False, True)]
        out += [step("cells_to_pixels"), step("cells_to_pixels", separator="gaps")]
        out += [step("fold_halves", axis=axis, mirror=m, reverse=r, background=fill)
                for axis in (0, 1) for m in (True, False) for r in (False, True)]
        for axis in (0, 1):
            for logic in ("and", "or", "xor", "nor", "first_only", "none_first"):
                out += [step("combine_parts", step("two_halves", axis=axis), logic=logic, color=c, background=0)
                        for c in info.out_colors if c != 0]
    if not info.same_shape:  # bars of colour counts, the colour the background or counted too
        out += [step("color_histogram", background=b, fill=0) for b in dict.fromkeys((None, bg))]
    if info.larger:
        out += [step("mirror_concat", side=s) for s in ("right", "left", "down", "up")]
        if info.squared:
            out += [step("self_tile", background=bg, invert=inv) for inv in (False, True)]
            out += [step("self_tile", background=fill, key=k)
                    for k in ("most_common", "least_common", *[c for c in info.in_colors if c != fill])]
    if info.same_shape:
        out += [step("complete_symmetry", mask_color=c) for c in info.mask_colors]
        out += [step("complete_periodic", mask_color=c) for c in info.mask_colors]
        out += [step("repeat_band", axis=a, background=bg) for a in (0, 1)]
        out += [step("repeat_band", axis=a, background=bg, shortest=True) for a in (0, 1)]
        out.append(step("redraw_cells", by="max_cells", mode="copy"))
        out += [step("continue_segments", direction=d, background=bg) for d in ("hv", "h", "v")]
        out += [step("fill_enclosed", color=c, background=bg) for c in fg_colors]
        out += [step("fill_between_corners", color=c, background=bg) for c in info.grown_colors if c != bg]
        out.append(step("fill_with_most_common"))
        out += [step("gravity", direction=d, background=bg) for d in ("down", "up", "left", "right")]
        out += [step("gravity_objects", direction=d, background=bg) for d in ("down", "up", "left", "right")]
        out.append(step("hollow_objects", background=bg))
        # objects' insides or outlines repainted; each object's bounding box filled (its hull)
        out += [step("hollow_objects", background=bg, keep=k, connectivity=8) for k in ("outline", "interior")]
        out.append(step("hollow_objects", background=bg, keep="interior"))
        for c in info.grown_colors:
            if c != bg:
                out += [step("hollow_objects", background=bg, color=c, keep=k, connectivity=n)
                        for k in ("outline", "interior") for n in (4, 8)]
                out += [step("fill_bounding_boxes", color=c, background=bg, connectivity=8, by_color=b)
                        for b in (True, False)]
        out += [step("fill_bounding_boxes", color=None, background=bg, connectivity=8, by_color=b) for b in (True, False)]
        for c in info.grown_colors:
            if c != bg:
                out += [step("surround_cells", source=s, color=c, connectivity=k, background=bg)
                        for s in (*[s for s in info.in_colors if s not in (bg, c)], None) for k in (8, 4, "diag")]
        for c in [None] + [c for c in info.grown_colors if c != bg]:
            out += [step("extend_lines", color=c, direction=d, background=bg)
                    for d in ("hv", "h", "v", "up", "down", "left", "right", "diag",
                              "up_left", "up_right", "down_left", "down_right")]
        out.append(step("extend_ends", background=bg))
        out += [step("connect_pairs", direction=d, background=bg) for d in ("hv", "h", "v", "diag")]
        out.append(step("connect_pairs", direction="diag", background=bg, ends="objects"))  # corner to corner
        out += [step("cross_lines", color=c, direction=d, background=bg)
                for c in info.grown_colors if c != bg for d in ("hv", "h", "v")]
        out += [step("connect_pairs", direction=d, background=bg, color=c)
                for c in info.grown_colors if c != bg for d in ("hv", "h", "v")]
        # lines between markers on opposite borders (alone, or over the grid); empty rows and columns filled
        out += [step("connect_pairs", direction="hv", background=bg, ends="border", clear=k) for k in (True, False)]
        out += [step("fill_empty_lines", color=c, direction=d, background=bg)
                for c in info.grown_colors if c != bg for d in ("hv", "h", "v")]
        for conn, by_color in OBJECT_KINDS[:2]:
            out += [step("keep_object", by=s, background=bg, connectivity=conn, by_color=by_color) for s in SELECTIONS]
        out += [step("remove_small_objects", max_size=k, background=bg, connectivity=8) for k in (1, 2)]
        out += [step("keep_color", by=b, background=bg) for b in ("least_common", "most_common", "largest_object")]
    if info.same_shape or info.smaller:  # one colour alone (a crop may follow); the foreground one colour
        out += [step("keep_color", by=c, background=bg) for c in info.in_colors if c != bg]
        out += [step("paint_foreground", color=c, background=bg) for c in fg_colors]
    return out


def fitted_steps(grids: list[np.ndarray], targets: list[np.ndarray], info: TaskInfo,
                 charge: Callable[[int], None] | None = None) -> list[Step]:
    """Steps whose parameters are read off the current grids and the demonstration outputs;
    ``charge``, where given, is told the work of the objects a recolouring reads."""
    out: list[Step] = []
    ratios = {_ratio(g.shape, t.shape) for g, t in zip(grids, targets)}
    if len(ratios) == 1:
        ratio = ratios.pop()
        if ratio is not None and ratio[0] == "up" and ratio[1:] != (1, 1):
            out += [step("upscale", ky=ratio[1], kx=ratio[2]), step("tile", ny=ratio[1], nx=ratio[2])]
            out.append(step("continue_pattern", ky=ratio[1], kx=ratio[2]))
            views = fit_tile_views(grids, targets, ratio[1], ratio[2], info.background)
            if views is not None:
                out.append(step("tile_views", views=views))
        elif ratio is not None and ratio[0] == "down":
            out.append(step("downscale", ky=ratio[1], kx=ratio[2]))
    if all(g.shape[0] == g.shape[1] and t.shape == (g.shape[0] ** 2, g.shape[1] ** 2) and g.shape[0] > 1
           for g, t in zip(grids, targets)) and not info.squared:  # the task's own inputs get these as static steps
        out += [step("self_tile", background=info.background, invert=inv) for inv in (False, True)]
    bounces = {_bounces(g.shape, t.shape) for g, t in zip(grids, targets)}
    if len(bounces) == 1 and None not in bounces:
        ny, nx = bounces.pop()
        out.append(step("mirror_tile", ny=ny, nx=nx))
    margins = {(t.shape[0] - g.shape[0], t.shape[1] - g.shape[1]) for g, t in zip(grids, targets)}
    if len(margins) == 1:
        dh, dw = margins.pop()
        if dh >= 0 and dw >= 0 and dh + dw > 0:
            fill = info.fill
            out += [step("pad_grid", bottom=dh, right=dw, color=fill), step("pad_grid", top=dh, left=dw, color=fill)]
            if dh % 2 == 0 and dw % 2 == 0:
                out.append(step("pad_grid", top=dh // 2, bottom=dh // 2, left=dw // 2, right=dw // 2, color=fill))
    growth = {_growth(g.shape, t.shape) for g, t in zip(grids, targets)}
    if len(growth) == 1 and None not in growth:
        ky, kx = growth.pop()
        if not (float(ky).is_integer() and float(kx).is_integer()):  # whole factors are tried above
            out.append(step("continue_pattern", ky=ky, kx=kx))
    if all(g.shape == t.shape for g, t in zip(grids, targets)):
        mapping = fit_color_map(grids, targets)
        if mapping:
            out.append(step("recolor", mapping=mapping))
        out += fit_object_recolors(grids, targets, info, charge)
        views = fit_cell_views(grids, targets)
        if views is not None:
            out.append(step("cells_from_first", views=views))
    return out


def late_steps(grids: list[np.ndarray], targets: list[np.ndarray], info: TaskInfo) -> list[Step]:
    """Steps the enumeration tries after every other at a state, and nothing else tries (the
    local rules after a step, the assembly): they came after those were tuned, so they take no
    place and no share of work from the steps before them there."""
    bg = info.background
    out: list[Step] = []
    if info.same_shape or info.smaller:  # the most or least common colour cleared (noise, a marker)
        out += [step("remove_color", by=b, background=bg) for b in ("most_common", "least_common")]
    if info.smaller:  # the box of the most or least common colour (a frame, a marker's extent), or what it frames
        out += [step("crop_to_color", by=b, background=bg, inner=k)
                for b in ("most_common", "least_common") for k in (False, True)]
    shapes = {t.shape for t in targets}
    if len(shapes) == 1:  # a block of the outputs' one shape at a corner of a larger grid (not a single
        h, w = shapes.pop()  # cell or line: that picks a cell, not a part)
        if h > 1 and w > 1 and all(g.shape[0] >= h and g.shape[1] >= w for g in grids) and any(g.shape != (h, w) for g in grids):
            out += [step("crop_corner", rows=h, cols=w, corner=c) for c in CORNERS]
    return out


def fit_cell_views(grids: list[np.ndarray], targets: list[np.ndarray]) -> tuple[str, ...] | None:
    """The symmetries of its first cell that every other cell of the targets shows (the first
    that fits, identity first), when the first cell stays as it is; None otherwise."""
    common: list[set[str]] | None = None  # per cell after the first: the views every demonstration allows
    parts = [_target_cells(t.shape, t.dtype.str, t.tobytes()) for t in targets]  # the same in every state: kept
    if any(len(b) < 2 for b in parts):
        return None
    for g, b in zip(grids, parts):
        a = split_cells(g)
        if len(a) != len(b) or not np.array_equal(a[0], b[0]):
            return None
        views = [symmetry_array(n, a[0]) for n in VIEW_NAMES]
        fits = [{n for n, v in zip(VIEW_NAMES, views) if v.shape == c.shape and np.array_equal(v, c)} for c in b[1:]]
        if common is not None and len(common) != len(fits):
            return None
        common = fits if common is None else [x & y for x, y in zip(common, fits)]
    if not common or not all(common):
        return None
    return tuple(next(n for n in VIEW_NAMES if n in f) for f in common)


@functools.lru_cache(maxsize=16)
def _target_cells(shape: tuple[int, int], dtype: str, data: bytes) -> tuple[np.ndarray, ...]:
    """``split_cells`` of a demonstration output, given as its shape, dtype and bytes (read-only copies)."""
    cells = [c.copy() for c in split_cells(np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape))]
    for c in cells:
        c.flags.writeable = False
    return tuple(cells)


def fit_tile_views(grids: list[np.ndarray], targets: list[np.ndarray], ny: int, nx: int,
                   background: int | None = None) -> tuple | None:
    """The layout of symmetric copies (identity first where several fit) whose ny x nx blocks are
    every target; None when a block is no symmetry of its grid, or when plain tiling does. Where
    no layout fits the colours and the background is known, the layout that fits the foreground
    (cells not background) of grids and targets, for a later step to colour."""
    if ny * nx > 16:
        return None
    layout = _tile_layout(grids, targets, ny, nx)
    if layout is None and background is not None:
        layout = _tile_layout([g != background for g in grids], [t != background for t in targets], ny, nx)
    return layout


def _tile_layout(grids: list[np.ndarray], targets: list[np.ndarray], ny: int, nx: int) -> tuple | None:
    """Per block, the first view that every grid shows there in its target; None if some block has none."""
    layout = []
    for i in range(ny):
        row = []
        for j in range(nx):
            name = next((n for n in VIEW_NAMES if all(_block_is(g, t, i, j, n) for g, t in zip(grids, targets))), None)
            if name is None:
                return None
            row.append(name)
        layout.append(tuple(row))
    layout = tuple(layout)
    return None if all(n == "identity" for row in layout for n in row) else layout


VIEW_NAMES = ("identity", "flip_lr", "flip_ud", "rot180", "transpose", "anti_transpose", "rot90", "rot270")


def _block_is(grid: np.ndarray, target: np.ndarray, i: int, j: int, name: str) -> bool:
    h, w = grid.shape  # the blocks have the grid's shape: the target is (ny * h, nx * w)
    return np.array_equal(symmetry_array(name, grid), target[i * h:(i + 1) * h, j * w:(j + 1) * w])


def _growth(a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float] | None:
    """(ky, kx) with b = (ky * a[0], kx * a[1]), each factor at least 1 and a whole number of
    halves, thirds or quarters; None otherwise."""
    factors = []
    for small, big in zip(a, b):
        f = Fraction(big, small)
        if f < 1 or f.denominator not in (1, 2, 3, 4):
            return None
        factors.append(int(f) if f.denominator == 1 else float(f))
    return (factors[0], factors[1]) if factors != [1, 1] else None


def _bounces(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int] | None:
    """The copies (ny, nx) that mirror_tile needs to make shape b of shape a, if any but (1, 1)."""
    counts = []
    for n, m in zip(a, b):
        if m == n:
            counts.append(1)
        elif n > 1 and m > n and (m - 1) % (n - 1) == 0:
            counts.append((m - 1) // (n - 1))
        else:
            return None
    return None if counts == [1, 1] else (counts[0], counts[1])


def _ratio(a: tuple[int, int], b: tuple[int, int]) -> tuple | None:
    if b[0] % a[0] == 0 and b[1] % a[1] == 0:
        return ("up", b[0] // a[0], b[1] // a[1])
    if a[0] % b[0] == 0 and a[1] % b[1] == 0:
        return ("down", a[0] // b[0], a[1] // b[1])
    return None


def fit_color_map(grids: list[np.ndarray], targets: list[np.ndarray]) -> tuple[tuple[int, int], ...] | None:
    """The cell-wise colour substitution that turns every grid into its target (every colour seen,
    unchanged ones included, so that an unseen colour makes the program refuse); None when a
    change rests on a single cell."""
    pairs, support = np.unique(np.concatenate([(g * 10 + t).ravel() for g, t in zip(grids, targets)]),
                               return_counts=True)
    src, dst = pairs // 10, pairs % 10
    if len(np.unique(src)) != len(src):
        return None
    if ((src != dst) & (support < 2)).any():
        return None  # a change seen on a single cell is the answer learnt by heart, not a colour map
    mapping = tuple((int(a), int(b)) for a, b in zip(src, dst))
    return mapping if any(a != b for a, b in mapping) else None


RECOLOR_PROPS = ("size", "size_rank", "is_largest", "is_smallest", "touches_border", "has_hole", "height", "width", "shape")


def region_table(regions: Iterable[tuple[Any, np.ndarray, np.ndarray]]) -> tuple[dict, dict] | None:
    """From (key, mask, output) triples: the one output colour of each key, and how many regions
    showed it; None when a region's output holds two colours or two regions of a key disagree."""
    def one_color(target: np.ndarray, mask: np.ndarray) -> int | None:
        colors = np.unique(target[mask])
        return int(colors[0]) if len(colors) == 1 else None

    return _color_table((key, one_color(target, mask)) for key, mask, target in regions)


def _color_table(pairs: Iterable[tuple[Any, int | None]]) -> tuple[dict, dict] | None:
    """``region_table`` of regions whose output colour is known: (key, colour) pairs, a colour of
    None standing for a region whose output holds two."""
    table: dict = {}
    support: dict = {}
    for key, color in pairs:
        if color is None or table.setdefault(key, color) != color:
            return None
        support[key] = support.get(key, 0) + 1
    return table, support


def _pairs_agree(g: np.ndarray, t: np.ndarray, bg: int, offset: tuple[int, int]) -> bool:
    """Whether every two cells ``offset`` apart that hold one colour other than ``bg`` in ``g``
    hold one colour in ``t`` too."""
    dy, dx = offset
    h, w = g.shape
    a = (slice(0, h - dy), slice(max(0, -dx), w - max(0, dx)))
    b = (slice(dy, h), slice(max(0, dx), w + min(0, dx)))
    joined = (g[a] == g[b]) & (g[a] != bg)
    return bool((t[a] == t[b])[joined].all())


def _object_values(grid: np.ndarray, objects: list[np.ndarray], prop: str, crops: list[np.ndarray]) -> list:
    """``object_property`` of each of ``objects``, read once a list where it compares them (the
    sizes: ``dsl.object_rules.object_values``) and inside ``crops`` (each object's mask cut to its
    bounding box, filled the first time a property needs it) where it reads only the box: the same
    values, a box found once an object."""
    if prop in ("size_rank", "is_largest", "is_smallest"):
        return object_values(grid, objects, prop)
    if prop not in BOXED_PROPERTIES:
        return [object_property(grid, mask, objects, prop) for mask in objects]
    if not crops:
        for mask in objects:
            x, y, w, h = bounding_box(mask)
            crops.append(mask[x:x + w, y:y + h])
    return [boxed_property(c, prop) for c in crops]


# Reading one property of one object for a recolouring's table, in units of work (a dsl call of a
# few numpy operations on a small mask; measured on 100 arc1-train tasks).
PROPERTY_COST = 40


def fit_object_recolors(grids: list[np.ndarray], targets: list[np.ndarray], info: TaskInfo,
                        charge: Callable[[int], None] | None = None) -> list[Step]:
    """recolor_objects steps (one per property that explains every change) fitted to the
    demonstrations. ``charge``, where given, is told the work of finding the objects (a call a
    grid) and of each property read of them (``PROPERTY_COST`` an object)."""
    found = []
    # A recolouring keeps the background where it is and changes something: checked on the
    # whole grids first, which rules out most states before any object is found.
    diagonal = True  # whether 8-connected objects may be recoloured (read with the 4-connected ones)
    for g, t in zip(grids, targets):
        bg = resolve_background(g, info.background)
        if not (t[g == bg] == bg).all():
            return found
        # An object's output is one colour only where every two neighbours of one colour in it keep
        # one colour (its cells are joined by such steps): a vectorised pass rules out what the
        # objects' tables would, before any object is found. Side by side first, then diagonally.
        if not (_pairs_agree(g, t, bg, (0, 1)) and _pairs_agree(g, t, bg, (1, 0))):
            return found
        diagonal = diagonal and _pairs_agree(g, t, bg, (1, 1)) and _pairs_agree(g, t, bg, (1, -1))
    if all(np.array_equal(g, t) for g, t in zip(grids, targets)):
        return found
    for conn in (4, 8) if diagonal else (4,):
        objects = [find_objects(g, info.background, conn, True) for g in grids]
        if charge is not None:
            charge(calls(grids))
        if any(len(objs) > 60 for objs in objects):
            continue
        # What every property's table needs of an object, read once: its colour, and its output's
        # one colour (an object whose output holds two colours rules out every property at once).
        regions = [(g[mask], t[mask]) for g, t, objs in zip(grids, targets, objects) for mask in objs]
        if any((out != out[0]).any() for _, out in regions):
            continue
        colors = [(int(cells[0]), int(out[0])) for cells, out in regions]
        crops: list[list[np.ndarray]] = [[] for _ in grids]
        for prop in RECOLOR_PROPS:
            if charge is not None:
                charge(PROPERTY_COST * sum(len(objs) for objs in objects))
            values = (v for g, objs, c in zip(grids, objects, crops) for v in _object_values(g, objs, prop, c))
            learnt = _color_table(((c, v), o) for v, (c, o) in zip(values, colors))
            if learnt is None:
                continue
            table, support = learnt
            # Unchanged objects stay in the table: they mark which values the rule has seen.
            mapping = tuple(sorted(table.items()))
            changed = [k for k, v in mapping if k[0] != v]
            # A change seen on one object only is a lookup table of the demonstrations, not a rule.
            if not changed or any(support[k] < 2 for k in changed):
                continue
            s = step("recolor_objects", prop=prop, mapping=mapping, background=info.background, connectivity=conn)
            if all(np.array_equal(s.apply(g), t) for g, t in zip(grids, targets)):
                found.append(s)
    return found

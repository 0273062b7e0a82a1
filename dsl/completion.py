"""Repairing grids: cells hidden under a mask colour restored from the grid's mirror symmetry
or its 2-D period, and what lies under such a patch; a band or a run of cells, or a sequence of
square or diamond rings, carried on periodically over the grid."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from arc.views import symmetry_array
from dsl.color import resolve_background
from dsl.objects import find_objects


def mirror_offset(known: np.ndarray, axis: int) -> int | None:
    """The reflection (row r <-> s - r, or column) that best fits the known cells, or None.

    ``known`` is the grid with -1 for unknown cells. The reflection must agree on every pair of
    known cells it maps onto each other and overlap at least half of the grid."""
    g = known if axis == 0 else known.T
    n = g.shape[0]
    best, best_overlap = None, 0
    for s in range(1, 2 * n - 2):
        rows = [r for r in range(n) if 0 <= s - r < n]
        a, b = g[rows], g[[s - r for r in rows]]
        both = (a >= 0) & (b >= 0)
        if (a[both] != b[both]).any():
            continue
        overlap = int(both.sum())
        if overlap > best_overlap:
            best, best_overlap = s, overlap
    if best is None or best_overlap * 2 < (known >= 0).sum():
        return None
    return best


def patch_color(grid: np.ndarray, mask_color: int | str) -> int | None:
    """The mask colour as given, or with mask_color="block" the colour whose cells fill one solid
    rectangle of at least 2x2 cells and at most half the grid, the largest such (None when there
    is none, or a tie)."""
    if mask_color != "block":
        return mask_color
    best, size, tie = None, 0, False
    for c in np.unique(grid):
        rows, cols = np.nonzero(grid == c)
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        if h < 2 or w < 2 or len(rows) != h * w or len(rows) * 2 > grid.size:
            continue
        if len(rows) > size:
            best, size, tie = int(c), len(rows), False
        elif len(rows) == size:
            tie = True
    return None if tie else best


@lru_cache(maxsize=8)
def symmetry_maps(shape: tuple[int, int]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Every candidate symmetry of a grid of ``shape`` as (cells, their images), flat indices of
    the cells whose image stays in the grid: every mirror of rows, columns or either diagonal
    about any axis, and every half and quarter turn about any centre that keeps at least half
    of the grid on itself (a smaller overlap could not be confirmed by half the known cells)."""
    h, w = shape
    rows, cols = np.indices(shape)
    maps = []

    def add(y, x):
        inside = ((y >= 0) & (y < h) & (x >= 0) & (x < w)).ravel()
        src = np.flatnonzero(inside).astype(np.int32)
        maps.append((src, (y.ravel()[inside] * w + x.ravel()[inside]).astype(np.int32)))

    for s in range(1, 2 * h - 2):
        add(s - rows, cols)
    for s in range(1, 2 * w - 2):
        add(rows, s - cols)
    for d in range(-(w - 1), h):  # the diagonal r - c = d
        add(cols + d, rows - d)
    for s in range(0, h + w - 1):  # the anti-diagonal r + c = s
        add(s - cols, s - rows)
    for sy in range(2 * h - 1):
        for sx in range(2 * w - 1):
            if 2 * (h - abs(sy - (h - 1))) * (w - abs(sx - (w - 1))) < h * w:
                continue
            add(sy - rows, sx - cols)  # the half turn about (sy / 2, sx / 2)
            if (sy + sx) % 2 == 0:  # a quarter turn about the same centre, both ways
                a, b = (sy - sx) // 2, (sy + sx) // 2
                add(cols + a, b - rows)
                add(b - cols, rows - a)
    return tuple(maps)


def complete_symmetry(grid: np.ndarray, mask_color: int | str, symmetries: str = "mirrors") -> np.ndarray | None:
    """Cells of ``mask_color`` (or of the largest solid block of one colour: "block",
    ``patch_color``) are unknown; fill them from their images under the grid's
    symmetries, found from the other cells. symmetries="mirrors": the best left-right and up-down
    mirror (axes anywhere) and, on a square grid, the transpose; "all": every mirror (rows,
    columns, either diagonal, axes anywhere) and every half or quarter turn (about any centre)
    on which the known cells agree, each confirmed by at least half of them; a cell on a mirror's
    axis that no image fills takes the axis's colour where its known cells share one. None when
    the grid has no such cell or some stay unknown.

    Example: grid = complete_symmetry(grid, mask_color=Color.BLACK, symmetries="mirrors")
    """
    mask_color = patch_color(grid, mask_color)
    if mask_color is None:
        return None
    known = np.where(grid == mask_color, -1, grid)
    if not (known < 0).any():
        return None
    if symmetries == "all":
        return _complete_by_maps(known)
    s_rows, s_cols = mirror_offset(known, 0), mirror_offset(known, 1)
    both = (known >= 0) & (known.T >= 0) if grid.shape[0] == grid.shape[1] else None
    square = both is not None and both.any() and not (known.T[both] != known[both]).any()
    h, w = grid.shape
    changed = True
    while changed and (known < 0).any():
        changed = False
        for r, c in zip(*np.nonzero(known < 0)):
            partners = []
            if s_rows is not None:
                partners.append((s_rows - r, c))
            if s_cols is not None:
                partners.append((r, s_cols - c))
            if s_rows is not None and s_cols is not None:
                partners.append((s_rows - r, s_cols - c))
            if square:
                partners.append((c, r))
            for y, x in partners:
                if 0 <= y < h and 0 <= x < w and known[y, x] >= 0:
                    known[r, c] = known[y, x]
                    changed = True
                    break
    if (known < 0).any():
        return None
    return known


def _complete_by_maps(known: np.ndarray) -> np.ndarray | None:
    """``complete_symmetry``'s "all": ``known`` (-1 unknown) filled from every symmetry its known
    cells confirm."""
    n_known = int((known >= 0).sum())
    flat = known.ravel()
    chosen = []
    for src, dst in symmetry_maps(known.shape):
        if 2 * len(src) < n_known:
            continue
        a, b = flat[src], flat[dst]
        both = (a >= 0) & (b >= 0)
        if 2 * int(both.sum()) < n_known or (a[both] != b[both]).any():
            continue
        chosen.append((src, dst))
    if not chosen:
        return None
    out = flat.copy()
    while (out < 0).any():
        before = int((out < 0).sum())
        for src, dst in chosen:
            take = (out[src] < 0) & (out[dst] >= 0)
            out[src[take]] = out[dst[take]]
        if int((out < 0).sum()) == before:
            break
    for src, dst in chosen:  # a mirror's axis: its own image, filled from the axis's one colour
        axis = src[src == dst]
        if len(axis) and (out[axis] < 0).any():
            seen = np.unique(out[axis][out[axis] >= 0])
            if len(seen) == 1:
                out[axis[out[axis] < 0]] = seen[0]
    if (out < 0).any():
        return None
    return out.reshape(known.shape)


def under_patch(full: np.ndarray | None, grid: np.ndarray, mask_color: int | str) -> np.ndarray | None:
    """The part of ``full`` (a restored ``grid``, or None) in the bounding box of ``mask_color``
    (``patch_color``)."""
    mask_color = patch_color(grid, mask_color)
    if full is None or mask_color is None:
        return None
    rows, cols = np.nonzero(grid == mask_color)
    return full[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def symmetry_patch(grid: np.ndarray, mask_color: int | str, symmetries: str = "mirrors") -> np.ndarray | None:
    """What lies under the ``mask_color`` patch once the grid's symmetry is restored
    (``complete_symmetry``'s ``symmetries``).

    Example: grid = symmetry_patch(grid, mask_color=Color.BLACK, symmetries="mirrors")
    """
    return under_patch(complete_symmetry(grid, mask_color, symmetries), grid, mask_color)


def complete_periodic(grid: np.ndarray, mask_color: int | str | None, shear: bool = False) -> np.ndarray | None:
    """Cells of ``mask_color`` (or of the largest solid block of one colour: "block",
    ``patch_color``) are unknown; fill them from the smallest 2-D period on which all
    known cells agree: rows py and columns px, or diagonal stripes (the colour repeats every py
    rows and moves one row per column, either way); with ``shear``, any lattice: the pattern
    repeats every py rows and, every px columns, shifted down by some rows (a brick or staggered
    tiling). None when the grid has no such cell or no period short enough to trust. With
    ``mask_color`` None, no colour is a mask but some cells are noise: the rows-by-columns period
    that describes the grid most briefly (its tile, then each cell that differs from it) gives
    every cell its class's majority colour (None where a class has none, or nothing changes).

    Example: grid = complete_periodic(grid, mask_color=Color.BLACK, shear=False)
    """
    if mask_color is None:
        return _denoise_periodic(grid)
    mask_color = patch_color(grid, mask_color)
    if mask_color is None:
        return None
    unknown = grid == mask_color
    if not unknown.any():
        return None
    h, w = grid.shape
    rows, cols = np.indices(grid.shape)
    periods = [(py * px, 0, py, px) for py in range(1, h + 1) for px in range(1, w + 1)]
    if shear:
        periods += [(py * px, shift, py, px) for py in range(2, h + 1) for px in range(1, w + 1)
                    for shift in range(1, py) if py * px * 2 <= h * w]
    else:
        periods += [(py, shift, py, 1) for py in range(2, h + 1) for shift in sorted({1, py - 1})]  # slopes +-1
    known = np.where(unknown, -1, grid)
    agree: dict[tuple[int, int], bool] = {}

    def consistent(dy: int, dx: int) -> bool:  # known cells equal to those (dy, dx) away
        if (dy, dx) not in agree:
            c0, c1 = max(0, -dx), min(w, w - dx)
            a, b = known[:h - dy, c0:c1], known[dy:, c0 + dx:c1 + dx]
            agree[dy, dx] = not ((a >= 0) & (b >= 0) & (a != b)).any()
        return agree[dy, dx]

    for area, shift, py, px in sorted(periods):
        if area * 2 > h * w:
            break  # a period this long repeats too little to trust
        # Every two cells of one class lie a lattice vector apart: the class agrees iff every
        # lattice vector inside the grid maps known cells onto equal ones.
        vectors = ((i * py + j * shift, j * px) for j in range(0, (w - 1) // px + 1)
                   for i in range(-((h - 1 + j * shift) // py), (h - 1 - j * shift) // py + 1))
        if not all(consistent(dy, dx) if dy >= 0 else consistent(-dy, -dx)
                   for dy, dx in vectors if (dy, dx) != (0, 0) and abs(dy) < h):
            continue
        ids = ((rows - (cols // px) * shift) % py) * px + cols % px
        seen = ~unknown
        if not (np.bincount(ids[seen], minlength=area) > 0).all():
            continue
        tile = np.full(area, -1)
        tile[ids[seen]] = grid[seen]
        return np.where(unknown, tile[ids], grid).astype(grid.dtype)
    return None


def _denoise_periodic(grid: np.ndarray) -> np.ndarray | None:
    """``complete_periodic`` with no mask: every cell its class's majority colour under the
    briefest period (bits of the tile, plus position and colour bits for each cell off it)."""
    h, w = grid.shape
    rows, cols = np.indices(grid.shape)
    flat = grid.ravel().astype(np.int64)
    cell_bits = np.log2(h * w) + np.log2(10)
    best = None
    for py in range(1, h + 1):
        for px in range(1, w + 1):
            area = py * px
            if area * 2 > h * w:
                break
            ids = ((rows % py) * px + cols % px).ravel()
            counts = np.bincount(ids * 10 + flat, minlength=area * 10).reshape(area, 10)
            top = counts.max(axis=1)
            if (2 * top <= counts.sum(axis=1)).any():
                continue  # a class without a strict majority
            off = int(h * w - top.sum())
            bits = area * np.log2(10) + off * cell_bits
            if best is None or bits < best[0] - 1e-9:
                best = (bits, ids, counts.argmax(axis=1))
    if best is None:
        return None
    out = best[2][best[1]].reshape(h, w).astype(grid.dtype)
    return None if np.array_equal(out, grid) else out


def periodic_patch(grid: np.ndarray, mask_color: int | str, shear: bool = False) -> np.ndarray | None:
    """What lies under the ``mask_color`` patch once the grid's periodic pattern is restored
    (``complete_periodic``'s ``shear``).

    Example: grid = periodic_patch(grid, mask_color=Color.BLACK, shear=False)
    """
    return under_patch(complete_periodic(grid, mask_color, shear), grid, mask_color)


def repeat_band(grid: np.ndarray, axis: int, background: int | None = 0, shortest: bool = False) -> np.ndarray | None:
    """The band of rows (axis 0) or columns (axis 1) from the first to the last one holding a
    non-background cell, repeated with its own height (width) as period over the whole grid,
    in step with where it lies; None when the band is empty or already fills the grid. With
    ``shortest``, the period is the band's own smallest one instead, shown with at least half
    of it repeated (the band may end part way through a period).

    Example: grid = repeat_band(grid, axis=0, background=Color.BLACK, shortest=False)
    """
    bg = resolve_background(grid, background)
    g = grid if axis == 0 else grid.T
    full = np.flatnonzero((g != bg).any(axis=1))
    if len(full) == 0:
        return None
    first, last = int(full[0]), int(full[-1])
    if first == 0 and last == g.shape[0] - 1:
        return None
    period = last - first + 1
    if shortest:
        band = g[first:last + 1]
        period = next((p for p in range(1, period) if period - p >= max(2, p // 2)
                       and np.array_equal(band[p:], band[:-p])), None)
        if period is None:
            return None
    out = g[first + (np.arange(g.shape[0]) - first) % period]
    return out if axis == 0 else out.T.copy()


def continue_segments(grid: np.ndarray, direction: str = "hv", background: int | None = 0) -> np.ndarray | None:
    """Every run of two or more non-background cells along a row ("h"), a column ("v") or both
    ("hv") is repeated along its line over the whole line, in step with where it lies; cells a
    copy would put over another non-background cell keep their own colour. None when the grid
    has no such run.

    Example: grid = continue_segments(grid, direction="hv", background=Color.BLACK)
    """
    bg = resolve_background(grid, background)
    out = grid.copy()
    found = False
    for axis in ((0, 1) if direction == "hv" else (0,) if direction == "h" else (1,)):
        g = grid if axis == 0 else grid.T
        o = out if axis == 0 else out.T  # a view: writes land in ``out``
        for r, line in enumerate(g):
            fg = np.concatenate([[False], line != bg, [False]])
            starts = np.flatnonzero(fg[1:] & ~fg[:-1])
            ends = np.flatnonzero(~fg[1:] & fg[:-1])
            for s, e in zip(starts, ends):
                if e - s < 2:
                    continue
                found = True
                copy = line[s + (np.arange(len(line)) - s) % (e - s)]
                free = o[r] == bg
                o[r, free] = copy[free]
    return out if found else None


def _layer_indices(layers: str, shape: tuple[int, int], content: np.ndarray) -> list[np.ndarray]:
    """Each cell's layer (0 the innermost) in a grid of ``shape`` whose top-left part is
    ``content`` (a mask of the non-background cells), for each candidate anchor: the square
    ("rings") or diamond ("diamonds") distance from it. On each axis the anchor may lie on a side
    of the grid the content's box touches, or in the box's middle (between two cells: both
    count as layer 0)."""
    if layers not in ("rings", "diamonds"):
        raise ValueError(f"unknown layers {layers!r}")
    ys, xs = np.nonzero(content)
    h, w = content.shape
    rows, cols = np.indices(shape)

    def anchors(lo: int, hi: int, n: int) -> list[int]:  # doubled
        return [a for a, touched in ((0, lo == 0), (2 * (n - 1), hi == n - 1), (lo + hi, True)) if touched]

    out = []
    for cy in anchors(int(ys.min()), int(ys.max()), h):
        for cx in anchors(int(xs.min()), int(xs.max()), w):
            dy, dx = (np.abs(2 * rows - cy) - cy % 2) // 2, (np.abs(2 * cols - cx) - cx % 2) // 2
            out.append(np.maximum(dy, dx) if layers == "rings" else dy + dx)
    return out


def continue_layers(grid: np.ndarray, layers: str = "rings", background: int | None = 0, ky: int = 1,
                    kx: int = 1) -> np.ndarray | None:
    """The grid seen as layers about an anchor (``layers``: "rings", square rings; "diamonds"),
    each of one colour: the colour its non-background cells share, or the background where it
    has none. The anchor lies, on each axis, on a side of the grid that the
    non-background cells' box touches or in the box's middle (rings from a corner are nested L
    shapes, from a side nested U shapes): the one whose layers leave the fewest background cells
    inside layers of a colour. The colours of the layers from the first to the last holding a
    non-background cell repeat with their smallest period, and every layer of a (ky * h, kx * w)
    grid (the input at its top left) is painted its colour in that sequence, those before the
    first counted back; a sequence that never repeats must have no empty layer (a gap it never
    shows again). None when no anchor gives every layer one colour, when two that do best
    disagree, or when the grid has no non-background cell.

    Example: grid = continue_layers(grid, layers="rings", background=Color.BLACK, ky=1, kx=1)
    """
    bg = resolve_background(grid, background)
    content = grid != bg
    if not content.any() or ky < 1 or kx < 1 or ky * grid.shape[0] > 30 or kx * grid.shape[1] > 30:
        return None
    h, w = grid.shape
    best, results = None, {}
    for index in _layer_indices(layers, (ky * h, kx * w), content):
        own = index[:h, :w]
        seen = own[content]
        first, last = int(seen.min()), int(seen.max())
        n = last - first + 1
        counts = np.bincount((seen - first) * 10 + grid[content], minlength=n * 10).reshape(n, 10) > 0
        if (counts.sum(axis=1) > 1).any():
            continue
        drawn = counts.any(axis=1)
        inside = (own >= first) & (own <= last) & ~content
        missing = int(drawn[own[inside] - first].sum())  # background cells in layers of a colour
        if best is not None and missing > best:
            continue
        colours = np.where(drawn, counts.argmax(axis=1), bg)
        period = next(p for p in range(1, n + 1) if p == n or np.array_equal(colours[p:], colours[:-p]))
        if period == n and not drawn.all():
            continue  # a gap the sequence never shows again: its period is not shown
        out = colours[(index - first) % period].astype(grid.dtype)
        if best is None or missing < best:
            best, results = missing, {}
        results[out.tobytes()] = out
    return next(iter(results.values())) if len(results) == 1 else None


# Each symmetry group as maps of offsets from the centre (doubled, so that a centre may lie
# between cells): (dy, dx) -> its images.
_GROUPS = {
    "lr": ((1, 0, 0, -1),),
    "ud": ((-1, 0, 0, 1),),
    "d2": ((1, 0, 0, -1), (-1, 0, 0, 1), (-1, 0, 0, -1)),
    "rot90": ((0, 1, -1, 0), (-1, 0, 0, -1), (0, -1, 1, 0)),
    "d4": ((0, 1, -1, 0), (-1, 0, 0, -1), (0, -1, 1, 0), (1, 0, 0, -1), (-1, 0, 0, 1), (0, 1, 1, 0),
           (0, -1, -1, 0)),
}
# Rigid transforms (arc.views) that generate each group: a shape they all keep is symmetric under it.
_GROUP_GENERATORS = {"lr": ("flip_lr",), "ud": ("flip_ud",), "d2": ("flip_lr", "flip_ud"), "rot90": ("rot90",),
                     "d4": ("rot90", "transpose")}


def _centres(base: np.ndarray, bg: int, group: str, centre: str) -> list[tuple[int, int]]:
    """Candidate centres, doubled: every one within the drawing's bounding box whose images of
    the box stay in the grid (a mirror's centre only across its axis), or with
    centre="object" the centres of the objects (8-connected, one colour, two cells or more)
    that are themselves symmetric under ``group``."""
    ys, xs = np.nonzero(base != bg)
    if centre != "object":
        h, w = base.shape
        y0, y1, x0, x1 = 2 * int(ys.min()), 2 * int(ys.max()), 2 * int(xs.min()), 2 * int(xs.max())
        corners = [(y, x) for y in (y0, y1) for x in (x0, x1)]
        found = []
        for cy in (range(y0, y1 + 1) if group != "lr" else (y0,)):
            for cx in (range(x0, x1 + 1) if group != "ud" else (x0,)):
                # A map of the plane sends a box's corners to its image's extremes: all inside?
                if all(0 <= a * (y - cy) + b * (x - cx) + cy <= 2 * h - 2
                       and 0 <= c * (y - cy) + d * (x - cx) + cx <= 2 * w - 2
                       for a, b, c, d in _GROUPS[group] for y, x in corners):
                    found.append((cy, cx))
        return found
    found = []
    for m in find_objects(base, bg, 8, True):
        rows, cols = np.nonzero(m)
        if len(rows) < 2:
            continue
        box = m[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        views = [symmetry_array(name, box) for name in _GROUP_GENERATORS[group]]
        if all(v.shape == box.shape and np.array_equal(v, box) for v in views):
            found.append((int(rows.min() + rows.max()), int(cols.min() + cols.max())))
    return found


def symmetrize(grid: np.ndarray, group: str, color: int | None = None, remove: int | str | None = None,
               centre: str = "best", background: int | None = 0) -> np.ndarray | None:
    """The drawing made whole under a symmetry ``group`` ("lr", "ud", "d2": both mirrors,
    "rot90": quarter turns, "d4": all eight) about the one centre that its cells support best
    (centre="object": among the centres of the objects that are symmetric themselves): every
    non-background cell's images are drawn in its colour (or in ``color``, where given, on
    cells that were background). Cells of ``remove`` (a colour, or "fewest": the colour with
    the fewest cells) are erased first, an occluder. None when no centre maps a cell onto
    another of its colour without an image leaving the grid or landing on another colour, or
    when two centres are equally good and disagree.

    Example: grid = symmetrize(grid, group="d4", color=None, remove=None, centre="best", background=Color.BLACK)
    """
    grid = np.asarray(grid)
    bg = resolve_background(grid, background)
    base = grid.copy()
    if remove == "fewest":
        counts = np.bincount(grid[grid != bg], minlength=10)
        present = [c for c in range(10) if counts[c]]
        if len(present) < 2:
            return None
        remove = min(present, key=lambda c: (counts[c], c))
    if remove is not None:
        base[base == remove] = bg
    ys, xs = np.nonzero(base != bg)
    if len(ys) < 2:
        return None
    h, w = grid.shape
    colours = base[ys, xs]
    best, results = 0, {}  # the best support so far, and the grids it gives
    for cy, cx in _centres(base, bg, group, centre):
        dy, dx = 2 * ys - cy, 2 * xs - cx
        images = []
        for a, b, c, d in _GROUPS[group]:
            ry, rx = a * dy + b * dx + cy, c * dy + d * dx + cx
            if (ry % 2).any() or (rx % 2).any():
                break
            ry, rx = ry // 2, rx // 2
            if ry.min() < 0 or rx.min() < 0 or ry.max() >= h or rx.max() >= w:
                break
            under = base[ry, rx]
            if ((under != bg) & (under != colours)).any():
                break
            images.append((ry, rx))
        else:
            support = sum(int((base[ry, rx] != bg).sum()) for ry, rx in images)
            if support < best or support == 0:
                continue
            out = base.copy()
            for ry, rx in images:
                new = out[ry, rx] == bg
                out[ry[new], rx[new]] = colours[new] if color is None else color
            if support > best:
                best, results = support, {}
            results[out.tobytes()] = out
    return next(iter(results.values())) if len(results) == 1 else None

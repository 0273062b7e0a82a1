"""Per-cell features of a grid (own colour, neighbours, rays, symmetry partners, the cell's
object) and local rules: a table from a cell's feature values to its new colour.

Every feature gives one int per cell. Colours are 0..9; ``OUTSIDE`` (10) stands for "beyond
the grid" or "none seen". Arrays are indexed ``grid[x, y]``: x is axis 0 (rows), y axis 1.
"""

from __future__ import annotations

import zlib
from functools import cached_property
from typing import Callable

import numpy as np

from dsl._masks import dilate, label, path_counts
from dsl.color import Color

OUTSIDE = 10

# (dx, dy) of the eight neighbours, named by direction.
_NEIGHBOURS = {
    "up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1),
    "up_left": (-1, -1), "up_right": (-1, 1), "down_left": (1, -1), "down_right": (1, 1),
}
_SIDES = ("up", "down", "left", "right")
_CORNERS = ("up_left", "up_right", "down_left", "down_right")


class _Cells:
    """One grid with its background; features are computed on demand and cached."""

    def __init__(self, grid: np.ndarray, background: int):
        self.grid = np.asarray(grid, dtype=np.int64)
        self.background = int(background)
        self.rows, self.cols = np.indices(self.grid.shape)
        self.padded = np.pad(self.grid, 1, constant_values=OUTSIDE)

    def neighbour(self, direction: str) -> np.ndarray:
        dx, dy = _NEIGHBOURS[direction]
        n, m = self.grid.shape
        return self.padded[1 + dx : 1 + dx + n, 1 + dy : 1 + dy + m]

    def neighbours(self, directions: tuple[str, ...], outside: int = OUTSIDE) -> list[np.ndarray]:
        """The neighbours' colours, one array per direction; ``outside`` off the grid."""
        near = [self.neighbour(d) for d in directions]
        return near if outside == OUTSIDE else [np.where(v == OUTSIDE, outside, v) for v in near]

    def ray(self, direction: str) -> np.ndarray:
        """The first non-background colour met walking from each cell (excluded) in ``direction``."""
        dx, dy = _NEIGHBOURS[direction]
        g = self.grid
        # Walk so that the cell behind each cell is finished first: flip the grid so the walk goes down/right.
        flip_x, flip_y = dx > 0, dy > 0
        h = g[::-1] if flip_x else g
        h = h[:, ::-1] if flip_y else h
        ax, ay = abs(dx), abs(dy)  # now every step is (-ax, -ay)
        out = np.full(h.shape, OUTSIDE, dtype=np.int64)
        n, m = h.shape
        if ax == 0:  # horizontal: column by column
            for y in range(1, m):
                prev = h[:, y - 1]
                out[:, y] = np.where(prev != self.background, prev, out[:, y - 1])
        else:
            for x in range(1, n):
                if ay == 0:
                    prev, prev_out = h[x - 1], out[x - 1]
                    out[x] = np.where(prev != self.background, prev, prev_out)
                else:
                    prev, prev_out = h[x - 1, :-1], out[x - 1, :-1]
                    out[x, 1:] = np.where(prev != self.background, prev, prev_out)
        out = out[::-1] if flip_x else out
        return out[:, ::-1] if flip_y else out

    @cached_property
    def same_colour_4(self) -> np.ndarray:
        return _component_ids(self.grid, 4)

    @cached_property
    def same_colour_8(self) -> np.ndarray:
        return _component_ids(self.grid, 8)

    @cached_property
    def objects(self) -> np.ndarray:
        """Labels of the 8-connected non-background components (several colours allowed); 0 on background."""
        return label(self.grid != self.background, 8)[0]

    def per_object(self, labels: np.ndarray, values: Callable[[np.ndarray], int], empty: int = 0) -> np.ndarray:
        """``values(mask)`` for the component each cell is in; ``empty`` where the label is 0."""
        out = np.full(self.grid.shape, empty, dtype=np.int64)
        for i in np.unique(labels):
            if i == 0:
                continue
            mask = labels == i
            out[mask] = values(mask)
        return out

    def size_rank(self, labels: np.ndarray) -> np.ndarray:
        """0 for the largest component(s), 1 for the next size, ...; OUTSIDE on background."""
        sizes = np.bincount(labels.ravel())
        distinct = sorted({int(s) for s in sizes[1:]}, reverse=True)
        rank = {s: r for r, s in enumerate(distinct)}
        table = np.array([OUTSIDE] + [rank[int(s)] for s in sizes[1:]], dtype=np.int64)
        return table[labels]


def _component_ids(grid: np.ndarray, connectivity: int) -> np.ndarray:
    """Labels of same-colour components (every colour, background included), 1..n."""
    return label(np.ones(grid.shape, dtype=bool), connectivity, values=grid)[0]


def _code(digits: list[np.ndarray], base: int = OUTSIDE + 1) -> np.ndarray:
    out = np.zeros(digits[0].shape, dtype=np.int64)
    for d in digits:
        out = out * base + d
    return out


def _colour_set(values: list[np.ndarray]) -> np.ndarray:
    """Bitmask of the colours (0..9) among ``values``; OUTSIDE is left out."""
    out = np.zeros(values[0].shape, dtype=np.int64)
    for v in values:
        out |= np.where(v < OUTSIDE, np.left_shift(1, np.minimum(v, 9)), 0)
    return out


def _line_sets(g: np.ndarray, axis: int) -> np.ndarray:
    bits = np.bitwise_or.reduce(np.left_shift(1, g), axis=axis, keepdims=True)
    return np.broadcast_to(bits, g.shape)


def _partner(g: np.ndarray, view: np.ndarray) -> np.ndarray:
    return view if view.shape == g.shape else np.full(g.shape, OUTSIDE, dtype=np.int64)


def _shape_id(mask: np.ndarray) -> int:
    xs, ys = np.nonzero(mask)
    crop = mask[xs.min() : xs.max() + 1, ys.min() : ys.max() + 1]
    return zlib.crc32(bytes(crop.shape) + np.packbits(crop).tobytes()) & 0xFFFFFF


def _bbox_side(axis: int) -> Callable[[np.ndarray], int]:
    def side(mask: np.ndarray) -> int:
        idx = np.nonzero(mask.any(axis=1 - axis))[0]
        return int(idx[-1] - idx[0] + 1)
    return side


def _n_colours(c: _Cells) -> Callable[[np.ndarray], int]:
    return lambda mask: len(np.unique(c.grid[mask]))


def _majority(c: _Cells) -> Callable[[np.ndarray], int]:
    return lambda mask: int(np.argmax(np.bincount(c.grid[mask], minlength=10)))


def _on_border(mask: np.ndarray) -> int:
    return int(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


def _offset_mod2(labels: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    first = np.full(labels.max() + 1, 1 << 30, dtype=np.int64)
    np.minimum.at(first, labels.ravel(), index.ravel())
    return (index - first[labels]) % 2


def _extreme(grid: np.ndarray, labels: np.ndarray) -> np.ndarray:
    sizes = np.bincount(labels.ravel())
    colour = np.zeros(len(sizes), dtype=np.int64)
    colour[labels.ravel()] = grid.ravel()
    table = np.zeros(len(sizes), dtype=np.int64)
    for c in np.unique(grid):
        ids = np.nonzero(colour == c)[0]
        ids = ids[ids > 0]
        table[ids] = (sizes[ids] == sizes[ids].max()) + 2 * (sizes[ids] == sizes[ids].min())
    return table[labels]


def _match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a == b) & (a != OUTSIDE)).astype(np.int64)


def _size(mask: np.ndarray) -> int:
    return int(mask.sum())


def _bands(g: np.ndarray, background: int, axis: int) -> np.ndarray:
    """Per cell, the index of its band between separator lines along ``axis`` (0: bands of rows,
    1: bands of columns); a separator is a full row (column) of one non-background colour, and
    its cells get OUTSIDE. A grid with no separator is one band, 0."""
    lines = g if axis == 0 else g.T
    if lines.shape[1] > 1:
        sep = (lines == lines[:, :1]).all(axis=1) & (lines[:, 0] != background)
    else:
        sep = np.zeros(lines.shape[0], dtype=bool)
    # A band's index counts the runs of separators above it; a run at the very edge (a frame) counts none.
    starts = np.concatenate([[False], sep[1:] & ~sep[:-1]])
    index = np.where(sep, OUTSIDE, np.cumsum(starts))
    return np.broadcast_to(index[:, None] if axis == 0 else index[None, :], g.shape).astype(np.int64)


def _run_half(g: np.ndarray, axis: int) -> np.ndarray:
    """Per cell, where it lies in its run of one colour along ``axis`` (0: a vertical run, 1: a
    horizontal one): 0 in the first half, 1 the exact middle, 2 in the second half."""
    lines = g.T if axis == 0 else g  # each row of ``lines`` is one line along the axis
    out = np.zeros(lines.shape, dtype=np.int64)
    for r, line in enumerate(lines):
        start = 0
        for end in range(1, len(line) + 1):
            if end == len(line) or line[end] != line[start]:
                twice = 2 * np.arange(end - start) - (end - start - 1)  # 2 * (offset - middle)
                out[r, start:end] = np.where(twice < 0, 0, np.where(twice == 0, 1, 2))
                start = end
    return out.T if axis == 0 else out


def _colour_rank(g: np.ndarray) -> np.ndarray:
    """Per cell, the rank of its colour by cell count in the grid (0 = the most common);
    OUTSIDE when another colour has the same count."""
    counts = np.bincount(g.ravel(), minlength=10)
    present = counts[counts > 0]
    rank = np.array([(present > n).sum() if (present == n).sum() == 1 else OUTSIDE for n in counts])
    return rank[g].astype(np.int64)


def _least_colour(g: np.ndarray) -> np.ndarray:
    """Every cell: the grid's least common colour (OUTSIDE when two colours tie for it)."""
    counts = np.bincount(g.ravel(), minlength=10)
    least = counts[counts > 0].min()
    colour = int(np.argmax(counts == least)) if (counts == least).sum() == 1 else OUTSIDE
    return np.full(g.shape, colour, dtype=np.int64)


def _in_boxes(g: np.ndarray, background: int) -> np.ndarray:
    """Per cell, the bitmask of the non-background colours whose bounding box (over every cell
    of that colour) holds the cell."""
    out = np.zeros(g.shape, dtype=np.int64)
    for colour in np.unique(g):
        if colour == background:
            continue
        rows, cols = np.nonzero(g == colour)
        out[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] |= 1 << int(colour)
    return out


def _nearest_other(c: "_Cells") -> np.ndarray:
    """Per cell, the colour of the nearest cell along the four side rays that has neither the
    background colour nor the cell's own; OUTSIDE when there is none or two different colours
    are equally near."""
    g = c.grid
    n, m = g.shape
    reach = max(n, m)
    padded = np.pad(g, reach, constant_values=OUTSIDE)
    best = np.full(g.shape, OUTSIDE, dtype=np.int64)
    found = np.zeros(g.shape, dtype=bool)
    for d in range(1, reach):
        seen = np.full(g.shape, -1, dtype=np.int64)  # the colour met at distance d, -1 none, -2 a tie
        for dx, dy in ((-d, 0), (d, 0), (0, -d), (0, d)):
            shifted = padded[reach + dx : reach + dx + n, reach + dy : reach + dy + m]  # g[x + dx, y + dy]
            hit = ~found & (shifted != OUTSIDE) & (shifted != c.background) & (shifted != g)
            seen = np.where(hit & (seen == -1), shifted, np.where(hit & (seen >= 0) & (seen != shifted), -2, seen))
        new = seen != -1
        best[new] = np.where(seen[new] >= 0, seen[new], OUTSIDE)
        found |= new
        if found.all():
            break
    return best


def _distance_mod2(c: "_Cells") -> np.ndarray:
    """Per cell, its distance in king's moves to the nearest non-background cell, mod 2 (0 on
    one; 0 everywhere when the grid is all background): rings around the drawing alternate."""
    reached = c.grid != c.background
    out = np.zeros(c.grid.shape, dtype=np.int64)
    d = 0
    while reached.any() and not reached.all():
        d += 1
        grown = dilate(reached, 8)
        out[grown & ~reached] = d % 2
        reached = grown
    return out


def _nearest_colour(c: "_Cells") -> np.ndarray:
    """Per cell, the colour of the nearest non-background cell by steps up, down, left and right
    (its own colour on one; OUTSIDE where two colours are equally near or there is none)."""
    fg = c.grid != c.background
    colours = np.where(fg, np.left_shift(1, c.grid), 0).astype(np.int64)  # a bitmask of the nearest colours
    n, m = c.grid.shape
    reached = fg.copy()
    while reached.any() and not reached.all():
        padded = np.pad(np.where(reached, colours, 0), 1)
        near = np.zeros_like(colours)
        for dx, dy in (_NEIGHBOURS[d] for d in _SIDES):
            near |= padded[1 + dx : 1 + dx + n, 1 + dy : 1 + dy + m]
        new = ~reached & (near != 0)
        colours[new] = near[new]
        reached |= new
    single = (colours != 0) & ((colours & (colours - 1)) == 0)
    return np.where(single, np.log2(np.maximum(colours, 1)).astype(np.int64), OUTSIDE)


def _path(labels: np.ndarray, bends: bool) -> np.ndarray:
    """Per cell, its component's path ends (or right-angle turns, ``path_counts``), at most 6; 0
    where the label is 0."""
    per_label = np.minimum(path_counts(labels)[int(bends)], 6)
    per_label[0] = 0
    return per_label[labels]


# Features whose value is a colour: a rule may copy one into the cell.
COLOUR_FEATURES = ("colour", *_SIDES, *_CORNERS, *(f"ray_{d}" for d in _SIDES + _CORNERS),
                   "mirror_lr", "mirror_ud", "mirror_rot180", "mirror_transpose", "object_majority",
                   "nearest_other", "least_colour", "nearest_colour")

# name -> (description, function of the cell context). Ordered roughly from cheap and general
# to costly and specific: the learner tries feature sets in this order. The features named in
# ``SECOND_PASS`` come last and a learner tries them in a pass of their own, on work of their
# own, only where the others give no replicated rule: a feature added there never delays a
# rule the others find (search/families/local_rules.py).
FEATURES: dict[str, tuple[str, Callable[[_Cells], np.ndarray]]] = {
    "colour": ("the cell's colour", lambda c: c.grid),
    "is_background": ("1 if the cell has the background colour", lambda c: (c.grid == c.background).astype(np.int64)),
    "row_mod2": ("row index mod 2", lambda c: c.rows % 2),
    "col_mod2": ("column index mod 2", lambda c: c.cols % 2),
    "row_mod3": ("row index mod 3", lambda c: c.rows % 3),
    "col_mod3": ("column index mod 3", lambda c: c.cols % 3),
    "diag_mod2": ("(row + column) mod 2", lambda c: (c.rows + c.cols) % 2),
    "on_border": ("1 on the grid's outer ring", lambda c: (
        (c.rows == 0) | (c.cols == 0) | (c.rows == c.grid.shape[0] - 1) | (c.cols == c.grid.shape[1] - 1)
    ).astype(np.int64)),
    **{d: (f"colour of the {d.replace('_', '-')} neighbour (10 outside)", lambda c, d=d: c.neighbour(d))
       for d in _SIDES + _CORNERS},
    "n4_count": ("how many of the 4 side neighbours are not background",
                 lambda c: sum(((v != c.background) & (v != OUTSIDE)) for v in c.neighbours(_SIDES))),
    "n8_count": ("how many of the 8 neighbours are not background",
                 lambda c: sum(((v != c.background) & (v != OUTSIDE)) for v in c.neighbours(_SIDES + _CORNERS))),
    "n4_same": ("how many of the 4 side neighbours have the cell's colour",
                lambda c: sum((v == c.grid) for v in c.neighbours(_SIDES))),
    "n8_same": ("how many of the 8 neighbours have the cell's colour",
                lambda c: sum((v == c.grid) for v in c.neighbours(_SIDES + _CORNERS))),
    "n4_colours": ("bitmask of the colours among the 4 side neighbours", lambda c: _colour_set(c.neighbours(_SIDES))),
    "n8_colours": ("bitmask of the colours among the 8 neighbours",
                   lambda c: _colour_set(c.neighbours(_SIDES + _CORNERS))),
    "n4": ("the 4 side neighbours' colours (up, down, left, right) as base-11 digits",
           lambda c: _code(c.neighbours(_SIDES))),
    "n8": ("the 8 neighbours' colours (sides, then corners) as base-11 digits",
           lambda c: _code(c.neighbours(_SIDES + _CORNERS))),
    "n4_in": ("as n4, with a neighbour off the grid read as background",
              lambda c: _code(c.neighbours(_SIDES, outside=c.background))),
    "n8_in": ("as n8, with a neighbour off the grid read as background",
              lambda c: _code(c.neighbours(_SIDES + _CORNERS, outside=c.background))),
    "row_colours": ("bitmask of the colours in the cell's row", lambda c: _line_sets(c.grid, 1)),
    "col_colours": ("bitmask of the colours in the cell's column", lambda c: _line_sets(c.grid, 0)),
    "row_has": ("1 if the cell's row holds a non-background colour",
                lambda c: np.broadcast_to((c.grid != c.background).any(axis=1, keepdims=True), c.grid.shape)
                .astype(np.int64)),
    "col_has": ("1 if the cell's column holds a non-background colour",
                lambda c: np.broadcast_to((c.grid != c.background).any(axis=0, keepdims=True), c.grid.shape)
                .astype(np.int64)),
    **{f"ray_{d}": (f"first non-background colour seen looking {d.replace('_', '-')} (10 if none)",
                    lambda c, d=d: c.ray(d)) for d in _SIDES + _CORNERS},
    "mirror_lr": ("colour of the cell mirrored left-right", lambda c: c.grid[:, ::-1]),
    "mirror_ud": ("colour of the cell mirrored up-down", lambda c: c.grid[::-1, :]),
    "mirror_rot180": ("colour of the cell turned half a turn", lambda c: c.grid[::-1, ::-1]),
    "mirror_transpose": ("colour of the cell mirrored on the main diagonal (10 if not square)",
                         lambda c: _partner(c.grid, c.grid.T)),
    "ray_lr_match": ("1 if the first colours seen looking left and right are one colour (not none)",
                     lambda c: _match(c.ray("left"), c.ray("right"))),
    "ray_ud_match": ("1 if the first colours seen looking up and down are one colour (not none)",
                     lambda c: _match(c.ray("up"), c.ray("down"))),
    "band_row": ("index of the cell's band of rows between full separator rows (10 on a separator)",
                 lambda c: _bands(c.grid, c.background, 0)),
    "band_col": ("index of the cell's band of columns between full separator columns (10 on a separator)",
                 lambda c: _bands(c.grid, c.background, 1)),
    "nearest_other": ("colour of the nearest cell along the four side rays with neither the background "
                      "colour nor the cell's own (10 if none or tied)", _nearest_other),
    "middle_row": ("1 on the grid's middle row (none when the height is even)",
                   lambda c: (2 * c.rows == c.grid.shape[0] - 1).astype(np.int64)),
    "middle_col": ("1 on the grid's middle column (none when the width is even)",
                   lambda c: (2 * c.cols == c.grid.shape[1] - 1).astype(np.int64)),
    "vrun_half": ("where the cell lies in its vertical run of one colour: 0 upper half, 1 middle, 2 lower half",
                  lambda c: _run_half(c.grid, 0)),
    "hrun_half": ("where the cell lies in its horizontal run of one colour: 0 left half, 1 middle, 2 right half",
                  lambda c: _run_half(c.grid, 1)),
    "colour_rank": ("rank of the cell's colour by cell count in the grid (0 = most common; 10 on a tie)",
                    lambda c: _colour_rank(c.grid)),
    "least_colour": ("the grid's least common colour (10 on a tie)", lambda c: _least_colour(c.grid)),
    "in_boxes": ("bitmask of the non-background colours whose bounding box holds the cell",
                 lambda c: _in_boxes(c.grid, c.background)),
    "row": ("row index", lambda c: c.rows),
    "col": ("column index", lambda c: c.cols),
    "size4": ("size of the cell's same-colour 4-connected region",
              lambda c: np.bincount(c.same_colour_4.ravel())[c.same_colour_4]),
    "size8": ("size of the cell's same-colour 8-connected region",
              lambda c: np.bincount(c.same_colour_8.ravel())[c.same_colour_8]),
    "region_border": ("1 if the cell's same-colour 4-connected region touches the grid's edge",
                      lambda c: c.per_object(c.same_colour_4, _on_border)),
    "region_rank": ("size rank of the cell's same-colour 8-connected region among all regions (0 = largest)",
                    lambda c: c.size_rank(c.same_colour_8)),
    "region_extreme": ("1 if the cell's same-colour 4-connected region is the largest of its colour, 2 if the "
                       "smallest, 3 if both, 0 if neither (ties count)", lambda c: _extreme(c.grid, c.same_colour_4)),
    "region_row_mod2": ("the cell's row counted from the top of its same-colour 8-connected region, mod 2",
                        lambda c: _offset_mod2(c.same_colour_8, c.rows, 0)),
    "region_col_mod2": ("the cell's column counted from the left of its same-colour 8-connected region, mod 2",
                        lambda c: _offset_mod2(c.same_colour_8, c.cols, 1)),
    "region_shape": ("id of the shape of the cell's same-colour 8-connected region",
                     lambda c: c.per_object(c.same_colour_8, _shape_id)),
    "object_size": ("size of the cell's object (8-connected, any non-background colours; 0 on background)",
                    lambda c: c.per_object(c.objects, _size)),
    "object_rank": ("size rank of the cell's object (0 = largest; 10 on background)",
                    lambda c: c.size_rank(c.objects)),
    "object_height": ("height of the cell's object's bounding box (0 on background)",
                      lambda c: c.per_object(c.objects, _bbox_side(0))),
    "object_width": ("width of the cell's object's bounding box (0 on background)",
                     lambda c: c.per_object(c.objects, _bbox_side(1))),
    "object_colours": ("how many colours the cell's object has (0 on background)",
                       lambda c: c.per_object(c.objects, _n_colours(c))),
    "object_majority": ("most common colour of the cell's object (10 on background)",
                        lambda c: c.per_object(c.objects, _majority(c), empty=OUTSIDE)),
    "object_shape": ("id of the shape of the cell's object (0 on background)",
                     lambda c: c.per_object(c.objects, _shape_id)),
    # The second pass (``SECOND_PASS``): tried only where the features above give no replicated rule.
    # Counted from the far edge: on grids whose sides differ in parity, stripes anchored at the bottom or right.
    "row_mod2_up": ("row index counted up from the bottom row, mod 2", lambda c: (c.grid.shape[0] - 1 - c.rows) % 2),
    "col_mod2_left": ("column index counted leftward from the right column, mod 2",
                      lambda c: (c.grid.shape[1] - 1 - c.cols) % 2),
    # Shape classes that a turn, a mirror or a size change keeps: a path's ends and turns.
    "region_ends": ("how many cells of the cell's same-colour 4-connected region have one side neighbour in it "
                    "(a path's ends; at most 6)", lambda c: _path(c.same_colour_4, False)),
    "region_bends": ("how many cells of the cell's same-colour 4-connected region turn a right angle in it "
                     "(a path's bends; at most 6)", lambda c: _path(c.same_colour_4, True)),
    "object_bends": ("as region_bends, over the cell's object (0 on background)",
                     lambda c: _path(c.objects, True)),
    # Distance to the drawing, and the colour nearest: rings and Voronoi cells around the drawn cells.
    "distance_mod2": ("distance in king's moves to the nearest non-background cell, mod 2",
                      _distance_mod2),
    "nearest_colour": ("colour of the nearest non-background cell by side steps (its own on one; 10 on a tie)",
                       _nearest_colour),
}

SECOND_PASS = ("row_mod2_up", "col_mod2_left", "region_ends", "region_bends", "object_bends", "distance_mod2",
               "nearest_colour")


def cell_features(grid: np.ndarray, features: tuple[str, ...], background: int = Color.BLACK) -> np.ndarray:
    """One int per cell and feature: an array of shape (rows, columns, len(features)).

    Features (names from FEATURES): the cell's colour; its neighbours (up, down, left, right,
    up_left, ..., n4/n8 codes, counts and colour bitmasks); the colours of its row and column;
    rays (the first non-background colour seen looking in a direction, and the nearest colour
    other than the background and its own); symmetry partners (mirror_lr, mirror_ud,
    mirror_rot180, mirror_transpose); position (row, col, mod 2 / 3, mod 2 from the bottom or
    right, on_border, the middle row or column, the band between full separator lines, the
    colours whose bounding box holds it); its region (same-colour component: size, rank, shape,
    touches the edge) and object (8-connected non-background component: size, rank, bounding box, colours, shape); a
    path's ends and bends in its region or object (a shape class turns and sizes keep); its
    distance to the nearest non-background cell mod 2, and that cell's colour (nearest_colour).
    10 stands for "outside the grid" or "none".

    Example: feats = cell_features(input_grid, ("colour", "n4_count"), background=Color.BLACK)
    """
    cells = _Cells(grid, background)
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown cell features {unknown}; known: {sorted(FEATURES)}")
    columns = [np.asarray(FEATURES[f][1](cells), dtype=np.int64) for f in features]
    return np.stack(columns, axis=-1) if columns else np.zeros(cells.grid.shape + (0,), dtype=np.int64)


MAX_ROUNDS = 30  # apply_local_rule(..., until_stable=True): at most this many rounds


def apply_local_rule(
    grid: np.ndarray, features: tuple[str, ...], table: dict[tuple[int, ...], int | str],
    background: int = Color.BLACK, until_stable: bool = False,
) -> np.ndarray:
    """Recolour every cell by looking up its feature values (see cell_features) in ``table``.
    A value is a colour, or the name of a colour-valued feature (e.g. "ray_left", "mirror_lr")
    whose value at the cell becomes its colour. A cell whose values the table lacks, or whose
    named feature gives 10 (outside / none), keeps its colour. With ``until_stable``, the rule
    is applied again to what it gives until nothing changes (at most 30 rounds): a growth or a
    flood that spreads cell by cell.

    Example: output_grid = apply_local_rule(input_grid, ("colour", "n4_count"), {(0, 2): Color.RED, (0, 3): "up"})
    """
    grid = np.asarray(grid, dtype=np.int64)
    if until_stable:
        for _ in range(MAX_ROUNDS):
            after = apply_local_rule(grid, features, table, background)
            if np.array_equal(after, grid):
                break
            grid = after
        return grid
    named = sorted({v for v in table.values() if isinstance(v, str)})
    feats = cell_features(grid, tuple(features) + tuple(named), background)
    at = {name: len(features) + i for i, name in enumerate(named)}
    out = grid.copy()
    k = len(features)
    for x in range(grid.shape[0]):
        for y in range(grid.shape[1]):
            value = table.get(tuple(int(v) for v in feats[x, y, :k]), None)
            if isinstance(value, str):
                value = int(feats[x, y, at[value]])
            if value is not None and 0 <= value < OUTSIDE:
                out[x, y] = value
    return out

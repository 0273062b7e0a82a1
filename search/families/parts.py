"""Families for tasks whose output is cut from, counted in or looked up by the input.

Cut the grid into parts and pick, overlay or combine them (then at most one finishing step); a
fixed window; an output of one colour read off or decided by the input; an output drawn from a
count; an output looked up by a key of the input. Every program is a few lines calling ``dsl``
helpers with literal arguments.
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterator

import numpy as np

from dsl import common
from dsl.cells import split_cells
from dsl.classify import GRID_KEYS, grid_key
from dsl.objects import count_objects, crop
from dsl.grids import flip_lr, flip_ud, upscale
from dsl.palette import count_colors, fill_first, paint_foreground
from dsl.partition import (
    COLOR_PICKS,
    JIGSAW_SIDES,
    LOGICS,
    PICKS,
    color_parts,
    combine_parts,
    compress_grid,
    majority_parts,
    object_parts,
    overlay_parts,
    paint_parts,
    pick_color,
    pick_part,
    split_corners,
    split_equal,
)
from search.budget import calls
from search.families.common import same
from search.problem import Problem
from search.program import Program, safe_call
from search.steps import TaskInfo, fit_color_map


# ---- cutting into parts, then picking / overlaying / combining ----


def _blocks(side: int, part: int) -> int:
    """How many parts of side ``part`` make ``side``, one-line separators allowed (as split_equal
    cuts)."""
    return side // part if side % part == 0 else (side + 1) // (part + 1)


def _cutters(inputs: list[np.ndarray], targets: list[np.ndarray], bg: int | None) -> Iterator[tuple[str, Callable]]:
    """(source of a call that cuts ``grid`` into parts, the same call in-process)."""
    yield "split_cells(grid, separator='most')", lambda g: split_cells(g, "most")
    ratios = {(_blocks(i.shape[0], o.shape[0]), _blocks(i.shape[1], o.shape[1])) for i, o in zip(inputs, targets)}
    if len(ratios) == 1:
        r, c = ratios.pop()
        if r * c >= 2:
            yield f"split_equal(grid, {r}, {c})", lambda g, r=r, c=c: split_equal(g, r, c)
    shapes = {o.shape for o in targets}
    if len(shapes) == 1 and min(next(iter(shapes))) >= 2:  # single-cell corners are a lookup, not a cut
        h, w = shapes.pop()
        yield f"split_corners(grid, {h}, {w})", lambda g, h=h, w=w: split_corners(g, h, w)
    for conn in (4, 8):
        for by_color in (True, False):
            for isolate in (False, True):
                call = f"object_parts(grid, background={bg!r}, connectivity={conn}, by_color={by_color}, isolate={isolate})"
                yield call, lambda g, k=conn, b=by_color, i=isolate: object_parts(g, bg, k, b, i)
    yield f"color_parts(grid, background={bg!r})", lambda g: color_parts(g, bg)


def _posts(grids: list[np.ndarray], targets: list[np.ndarray], bg: int | None) -> Iterator[tuple[str, ...]]:
    """Lines of one finishing step (a rigid transform, a colour map, an upscale, compression, a
    half or quarter, one colour for every non-background cell) that turn ``grids`` into ``targets``."""
    if bg is not None and all(g.shape == t.shape for g, t in zip(grids, targets)):
        if same([paint_foreground(g, pick_color(g, "most_common", bg) or 0, bg) for g in grids], targets):
            yield (f"color = pick_color(grid, by='most_common', background={bg})",
                   f"grid = paint_foreground(grid, color=color, background={bg})")
    for line, fn in RIGID:
        if same([fn(g) for g in grids], targets):
            yield (line,)
    if all(g.shape == t.shape for g, t in zip(grids, targets)):
        mapping = fit_color_map(grids, targets)
        # A substitution is a rule only where each change shows in two demonstrations or more.
        changed = {(a, b) for a, b in mapping or () if a != b}
        seen = [{(int(a), int(b)) for a, b in zip(g.ravel(), t.ravel()) if a != b} for g, t in zip(grids, targets)]
        if mapping and all(sum(pair in s for s in seen) >= 2 for pair in changed):
            yield (f"grid = recolor(grid, mapping={mapping!r})",)
    factors = {(t.shape[0] // g.shape[0], t.shape[1] // g.shape[1])
               if t.shape[0] % g.shape[0] == 0 and t.shape[1] % g.shape[1] == 0 else None
               for g, t in zip(grids, targets)}
    if len(factors) == 1 and None not in factors and factors != {(1, 1)}:
        ky, kx = factors.pop()
        if same([upscale(g, ky, kx) for g in grids], targets):
            yield (f"grid = upscale(grid, ky={ky}, kx={kx})",)
    if same([compress_grid(g) for g in grids], targets):
        yield ("grid = compress_grid(grid)",)
    if all(len(np.unique(g)) == 2 for g in grids):
        swapped = [np.where(g == g.min(), g.max(), g.min()) for g in grids]
        if same(swapped, targets):
            yield ("grid = np.where(grid == grid.min(), grid.max(), grid.min())",)
    if bg is not None:
        n_colors = [count_colors(g, bg) for g in grids]
        if min(n_colors) >= 1 and same([upscale(g, k, k) for g, k in zip(grids, n_colors)], targets):
            yield (f"k = count_colors(grid, background={bg})", "grid = upscale(grid, ky=k, kx=k)")
    for rows, r in HALVES:
        for cols, c in HALVES:
            if rows or cols:
                line = f"grid = grid[{rows.format(0) or ':'}, {cols.format(1) or ':'}]"
                if same([g[r(g.shape[0]), c(g.shape[1])] for g in grids], targets):
                    yield (line,)


# A side kept whole, its first half or its second half (the middle line dropped when odd).
HALVES = (
    ("", lambda n: slice(None)),
    (":grid.shape[{}] // 2", lambda n: slice(None, n // 2)),
    ("(grid.shape[{}] + 1) // 2:", lambda n: slice((n + 1) // 2, None)),
)


# The seven rigid transforms other than the identity, as the dsl names them (rotations clockwise).
RIGID = tuple((f"grid = {name}(grid)", getattr(common, name))
              for name in ("rot270", "rot180", "rot90", "flip_lr", "flip_ud", "transpose", "anti_transpose"))


def part_programs(problem: Problem) -> Iterator[Program]:
    """Cut every input into parts, then pick one, overlay them, paint a stencil part with a key
    part or combine them cell by cell (and at most one finishing step), so that every
    demonstration output comes out."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    bg = info.background
    if info.same_shape:
        return
    if same([compress_grid(g) for g in inputs], targets):
        yield Program("compress", ("grid = compress_grid(grid)",))
    yield from _answer_programs(inputs, targets, info)
    near: dict[bytes, tuple[tuple[str, ...], list[np.ndarray]]] = {}  # results one step away

    def offer(family: str, lines: tuple[str, ...], grids: list) -> Iterator[Program]:
        if same(grids, targets):
            yield Program(family, lines)
        elif all(g is not None for g in grids):
            near.setdefault(b"".join(_key(g) for g in grids), (lines, grids))

    # each input's cells of each colour, each output's colours (the gatherings' and the paint's looks;
    # within a cut's charge)
    counts = [np.bincount(g.ravel(), minlength=10) for g in inputs]
    shown = [set(np.unique(t).tolist()) for t in targets]
    for cut, fn in _cutters(inputs, targets, bg):
        if budget.exhausted:
            return
        budget.charge(16 * calls(inputs))  # a cut, then every pick, overlay and combination of its parts
        parts = [safe_call(fn, g) for g in inputs]
        if any(not p or len(p) > 60 for p in parts):
            continue
        for by in PICKS:
            line = f"grid = pick_part(parts, by={by!r}, background={bg!r})"
            yield from offer("pick", (f"parts = {cut}", line), [pick_part(p, by, bg) for p in parts])
        for color in info.in_colors:
            if color != bg:
                for by in ("max_cells", "min_cells"):
                    line = f"grid = pick_part(parts, by={by!r}, background={bg!r}, color={color})"
                    yield from offer("pick", (f"parts = {cut}", line), [pick_part(p, by, bg, color) for p in parts])
        if all(len(cs) >= 3 and any(p.shape == t.shape for p in ps) for ps, t, cs in zip(parts, targets, shown)):
            # a stencil painted by a colour key, at either's size: where each output has some part's
            # shape and shows two colours of a key besides the background (a look, no cell work)
            budget.charge(2 * calls(inputs))
            for size in ("mask", "key"):
                line = f"grid = paint_parts(parts, size={size!r}, background={bg!r})"
                yield from offer("paint", (f"parts = {cut}", line), [paint_parts(p, size, bg) for p in parts])
        if not cut.startswith("split"):  # objects or colours gathered onto one canvas
            aligns = _gatherings(parts, targets, counts, shown, [c for c in info.in_colors if c != bg])
            budget.charge(len(aligns) * calls(inputs))
            for align in aligns:
                line = f"grid = overlay_parts(parts, background={bg!r}, align={align!r})"
                yield from offer("gather", (f"parts = {cut}", line), [overlay_parts(p, bg, align=align) for p in parts])
            continue
        for reverse in (False, True):
            line = f"grid = overlay_parts(parts, background={bg!r}, reverse={reverse})"
            yield from offer("overlay", (f"parts = {cut}", line), [overlay_parts(p, bg, reverse) for p in parts])
        sizes = {len(p) for p in parts}
        if len(sizes) == 1 and 3 <= sizes.pop() <= 4:
            for order in itertools.permutations(range(len(parts[0]))):
                if list(order) in (sorted(order), sorted(order, reverse=True)):
                    continue  # the plain and reversed orders are tried above
                line = f"grid = overlay_parts(parts, background={bg!r}, order={order!r})"
                grids = [overlay_parts(p, bg, False, order) for p in parts]
                yield from offer("overlay", (f"parts = {cut}", line), grids)
        budget.charge(calls(inputs))  # the parts' majority, cells where they disagree marked
        for mark in ((None, *info.out_colors) if not cut.startswith("split_corners") else ()):
            line = f"grid = majority_parts(parts, mark={mark!r})"
            yield from offer("combine", (f"parts = {cut}", line), [majority_parts(p, mark) for p in parts])
        for color in info.out_colors:
            if color == bg:
                continue
            for logic in LOGICS:
                line = f"grid = combine_parts(parts, logic={logic!r}, color={color}, background={bg!r})"
                grids = [combine_parts(p, logic, color, bg) for p in parts]
                yield from offer("combine", (f"parts = {cut}", line), grids)
    near.setdefault(b"input", ((), inputs))
    if bg is not None:
        near.setdefault(b"crop", ((f"grid = crop(grid, background={bg})",), [crop(g, bg) for g in inputs]))
    for lines, grids in near.values():
        if any(g.size == 0 for g in grids):
            continue  # a crop of a grid that is all background
        for post in _posts(grids, targets, bg):
            family = ("post" if not lines else "pick+post" if "pick_part" in lines[-1]
                      else "crop+post" if lines[0].startswith("grid = crop(") else "parts+post")
            yield Program(family, lines + post)
    for rows, cols in _windows(inputs, targets):
        yield Program("window", (f"grid = grid[{rows}, {cols}]",))


def _gatherings(parts: list[list[np.ndarray]], targets: list[np.ndarray], counts: list[np.ndarray],
                shown: list[set[int]], colors: list[int]) -> list[str | int]:
    """The ``overlay_parts`` alignments that could give every target its shape from the parts cut
    (a look at shapes and colour counts only): on the parts' centres, the canvas as high and wide
    as the highest and widest part; a jigsaw, four or nine parts of one shape making it; on one
    colour's cell, a colour the target shows and each input has a cell of for every part, the
    canvas no smaller than any part."""
    spans = [(max(p.shape[0] for p in ps), max(p.shape[1] for p in ps)) for ps in parts]
    out: list[str | int] = []
    if all(t.shape == span for t, span in zip(targets, spans)):
        out.append("centre")
    if all(len(ps) in JIGSAW_SIDES and len({p.shape for p in ps}) == 1
           and t.shape == (JIGSAW_SIDES[len(ps)] * ps[0].shape[0], JIGSAW_SIDES[len(ps)] * ps[0].shape[1])
           for ps, t in zip(parts, targets)):
        out.append("jigsaw")
    if all(t.shape[0] >= h and t.shape[1] >= w for t, (h, w) in zip(targets, spans)):
        out += [c for c in colors if all(n[c] >= len(ps) and c in cs for n, ps, cs in zip(counts, parts, shown))]
    return out


def _key(g: np.ndarray) -> bytes:
    return bytes(g.shape) + g.astype(np.int8).tobytes()


def _windows(inputs: list[np.ndarray], targets: list[np.ndarray]) -> Iterator[tuple[str, str]]:
    """(rows, columns) slices, as source, of a fixed-size corner of the input that is the output."""
    shapes = {t.shape for t in targets}
    if len(shapes) != 1:
        return
    h, w = shapes.pop()
    if any(g.shape[0] < h or g.shape[1] < w for g in inputs):
        return
    for rows, r in ((f":{h}", slice(None, h)), (f"-{h}:", slice(-h, None))):
        for cols, c in ((f":{w}", slice(None, w)), (f"-{w}:", slice(-w, None))):
            if same([g[r, c] for g in inputs], targets):
                yield rows, cols


TESTS = (
    ("(grid == flip_lr(grid)).all()", lambda g: bool((g == flip_lr(g)).all())),
    ("(grid == flip_ud(grid)).all()", lambda g: bool((g == flip_ud(g)).all())),
    ("(grid == flip_ud(grid)).all() or (grid == flip_lr(grid)).all()",
     lambda g: bool((g == flip_ud(g)).all() or (g == flip_lr(g)).all())),
)


def _answer_programs(inputs: list[np.ndarray], targets: list[np.ndarray], info: TaskInfo) -> Iterator[Program]:
    """Outputs filled with one colour: of a fixed shape with the colour read off the input or
    chosen by a yes/no test of the input, or a line as long as the input's count of cells."""
    if any(len(np.unique(t)) != 1 for t in targets):
        return
    colors_out = [int(t.flat[0]) for t in targets]
    shapes = {t.shape for t in targets}
    bg = info.background
    if len(shapes) == 1:
        h, w = shapes.pop()
        for by in COLOR_PICKS:
            colors = [pick_color(g, by, bg) for g in inputs]
            if colors == colors_out:
                yield Program("answer", (f"color = pick_color(grid, by={by!r}, background={bg!r})",
                                         f"grid = np.full(({h}, {w}), color)"))
        if len(set(colors_out)) == 2:
            for text, test in TESTS:
                answers = [test(g) for g in inputs]
                yes = {c for c, a in zip(colors_out, answers) if a}
                no = {c for c, a in zip(colors_out, answers) if not a}
                if len(yes) == 1 and len(no) == 1 and yes != no and min(answers.count(True), answers.count(False)) >= 2:
                    yield Program("answer", (f"grid = np.full(({h}, {w}), {yes.pop()} if {text} else {no.pop()})",))
    if bg is not None:
        for count, axis in (("int((grid != %d).sum())" % bg, 1), ("int((grid != %d).sum())" % bg, 0)):
            want = [(1, int((g != bg).sum())) if axis == 1 else (int((g != bg).sum()), 1) for g in inputs]
            if [t.shape for t in targets] == want:
                colors = [pick_color(g, "most_common", bg) for g in inputs]
                if colors == colors_out:
                    size = f"(1, {count})" if axis == 1 else f"({count}, 1)"
                    yield Program("answer", (f"color = pick_color(grid, by='most_common', background={bg!r})",
                                             f"grid = np.full({size}, color)"))


def _counts(inputs: list[np.ndarray], info: TaskInfo) -> Iterator[tuple[str, list[int]]]:
    """Numbers read off every input, each with the source line that computes it as ``n``."""
    bg = info.background
    colors = [c for c in info.in_colors if c != bg]
    yield f"n = count_colors(grid, background={bg!r})", [count_colors(g, bg) for g in inputs]
    for color in colors:
        yield f"n = int((grid == {color}).sum())", [int((g == color).sum()) for g in inputs]
    for color, conn, size in itertools.product([None, *colors], (4, 8), (1, 2)):
        yield (f"n = count_objects(grid, color={color!r}, connectivity={conn}, min_size={size}, background={bg!r})",
               [count_objects(g, color, conn, size, bg) for g in inputs])


def count_programs(problem: Problem) -> Iterator[Program]:
    """Outputs drawn from a number read off the input: that many cells of a grid of fixed shape
    filled in order, a diagonal of that side, or a block of one colour that long."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if info.same_shape:
        return
    wanted: list[tuple[str, list[int]]] = []  # (drawing line, the n each demonstration needs)
    shapes = {t.shape for t in targets}
    colors = sorted(set().union(*(np.unique(t).tolist() for t in targets)))
    if len(shapes) == 1 and len(colors) == 2:
        for color, back in (colors, colors[::-1]):
            n = [int((t == color).sum()) for t in targets]
            for order in ("rows", "cols", "snake"):
                if all(np.array_equal(fill_first(t.shape, k, color, back, order), t) for k, t in zip(n, targets)):
                    wanted.append((f"grid = fill_first({targets[0].shape!r}, n, "
                                   f"color={color}, background={back}, order={order!r})", n))
                    break
    if len(colors) == 2 and all(t.shape[0] == t.shape[1] for t in targets):
        for color, back in (colors, colors[::-1]):
            if all(np.array_equal(np.where(np.eye(len(t), dtype=bool), color, back), t) for t in targets):
                wanted.append((f"grid = np.where(np.eye(n, dtype=bool), {color}, {back})", [len(t) for t in targets]))
    if len(colors) == 1 and len(shapes) > 1:
        heights, widths = {t.shape[0] for t in targets}, {t.shape[1] for t in targets}
        if len(widths) == 1:
            wanted.append((f"grid = np.full((n, {widths.pop()}), {colors[0]})", [t.shape[0] for t in targets]))
        elif len(heights) == 1:
            wanted.append((f"grid = np.full(({heights.pop()}, n), {colors[0]})", [t.shape[1] for t in targets]))
    if not wanted or budget.exhausted:
        return
    for line, values in _counts(inputs, info):
        for draw, n in wanted:
            if values == n and len(set(n)) > 1:
                yield Program("count", (line, draw))


def lookup_programs(problem: Problem) -> Iterator[Program]:
    """Outputs that are one of a few fixed grids, chosen by one key of the input (its main
    colour, its count of objects, the shape of its cells...): a table from key to output. Only
    where the table is a rule, not a copy of the demonstrations: at least two outputs, every key
    giving one output, and two demonstrations more than the table has entries. A table with an
    entry that only one demonstration shows is ``tentative``: without that demonstration, the
    table would not know its key."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    outs = [tuple(tuple(int(v) for v in row) for row in t) for t in targets]
    if len(set(outs)) < 2:
        return
    for by in GRID_KEYS:
        keys = [grid_key(g, by, info.background) for g in inputs]
        if None in keys:
            continue
        table: dict = {}
        if any(table.setdefault(k, o) != o for k, o in zip(keys, outs)):
            continue
        if len(table) + 2 > len(inputs):
            continue
        entries = tuple(sorted(table.items(), key=repr))
        once = any(keys.count(k) < 2 for k in table)
        yield Program("lookup", (f"grid = lookup_output(grid, by={by!r}, table={entries!r}, background={info.background!r})",),
                      tentative=once)

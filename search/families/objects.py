"""Object- and part-level program families, each fitted to the demonstrations as a whole.

Where the enumerator composes small steps one at a time, a family here is a fixed program shape
whose parameters are read off the demonstrations: cut the grid into parts and pick, overlay or
combine them; keep or delete objects by a property; slide objects until they touch an anchor, or
lone pixels to one; copy a template onto marker cells or complete its fragments; complete a
drawing's symmetry; fill holes by their size or kind; draw an output from a count. Every program
is a few lines calling ``dsl`` helpers with literal arguments. A fitted program becomes a hit only after its emitted
source, run in-process exactly as the sandbox runs it, reproduces every demonstration.
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterator

import numpy as np

from arc.grid import from_array
from arc.task import Task
from dsl._masks import label, reachable_from_border
from dsl.classify import GRID_KEYS, grid_key
from dsl.color import resolve_background
from dsl.completion import symmetrize
from dsl.fill import connect_corner
from dsl.object_ops import (
    HOLE_PROPS,
    OBJECT_PROPS,
    align_objects,
    complete_templates,
    copy_to_markers,
    fill_bounding_boxes,
    fill_holes_by,
    filter_objects,
    move_until_contact,
    object_feature,
    object_shape,
    recolor_like_key,
    rewrite_objects,
    shoot_pixels,
    step_toward,
)
from dsl.objects import count_objects, crop, find_objects
from dsl.palette import count_colors, fill_first
from dsl.partition import (
    COLOR_PICKS,
    LOGICS,
    PICKS,
    color_parts,
    combine_parts,
    compress_grid,
    object_parts,
    overlay_parts,
    pick_color,
    pick_part,
    split_by_lines,
    split_corners,
    split_equal,
)
from search.budget import WorkBudget, as_budget, calls, cells
from search.families.assembly import assembly_programs
from search.problem import Problem
from search.program import Program, run_source, safe_call
from search.steps import TaskInfo, fit_color_map, region_table

def _same(outs: list, targets: list[np.ndarray]) -> bool:
    return all(o is not None and np.shape(o) == t.shape and np.array_equal(o, t) for o, t in zip(outs, targets))


def _fits(fn: Callable, inputs: list[np.ndarray], targets: list[np.ndarray]) -> bool:
    """``fn`` turns every input into its target; stops at the first demonstration it fails."""
    for g, t in zip(inputs, targets):
        out = safe_call(fn, g)
        if out is None or out.shape != t.shape or not np.array_equal(out, t):
            return False
    return True


# ---- cutting into parts, then picking / overlaying / combining ----


def _blocks(side: int, part: int) -> int:
    """How many parts of side ``part`` make ``side``, one-line separators allowed (as split_equal
    cuts)."""
    return side // part if side % part == 0 else (side + 1) // (part + 1)


def _cutters(inputs: list[np.ndarray], targets: list[np.ndarray], bg: int | None) -> Iterator[tuple[str, Callable]]:
    """(source of a call that cuts ``grid`` into parts, the same call in-process)."""
    yield "split_by_lines(grid)", split_by_lines
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
        if _same([np.where(g != bg, pick_color(g, "most_common", bg) or 0, bg) for g in grids], targets):
            yield (f"color = pick_color(grid, by='most_common', background={bg})",
                   f"grid = np.where(grid != {bg}, color, {bg})")
    for line, fn in RIGID:
        if _same([fn(g) for g in grids], targets):
            yield (line,)
    if all(g.shape == t.shape for g, t in zip(grids, targets)):
        mapping = fit_color_map(grids, targets)
        # A substitution is a rule only where each change shows in two demonstrations or more.
        changed = {(a, b) for a, b in mapping or () if a != b}
        seen = [{(int(a), int(b)) for a, b in zip(g.ravel(), t.ravel()) if a != b} for g, t in zip(grids, targets)]
        if mapping and all(sum(pair in s for s in seen) >= 2 for pair in changed):
            yield (f"grid = remap_colors(grid, {mapping!r})",)
    factors = {(t.shape[0] // g.shape[0], t.shape[1] // g.shape[1])
               if t.shape[0] % g.shape[0] == 0 and t.shape[1] % g.shape[1] == 0 else None
               for g, t in zip(grids, targets)}
    if len(factors) == 1 and None not in factors and factors != {(1, 1)}:
        ky, kx = factors.pop()
        if _same([np.kron(g, np.ones((ky, kx), dtype=int)) for g in grids], targets):
            yield (f"grid = np.kron(grid, np.ones(({ky}, {kx}), dtype=int))",)
    if _same([compress_grid(g) for g in grids], targets):
        yield ("grid = compress_grid(grid)",)
    if all(len(np.unique(g)) == 2 for g in grids):
        swapped = [np.where(g == g.min(), g.max(), g.min()) for g in grids]
        if _same(swapped, targets):
            yield ("grid = np.where(grid == grid.min(), grid.max(), grid.min())",)
    if bg is not None:
        n_colors = [len(np.unique(g[g != bg])) for g in grids]
        scaled = [np.kron(g, np.ones((k, k), dtype=int)) for g, k in zip(grids, n_colors)]
        if min(n_colors) >= 1 and _same(scaled, targets):
            yield (f"k = len(np.unique(grid[grid != {bg}]))", "grid = np.kron(grid, np.ones((k, k), dtype=int))")
    for rows, r in HALVES:
        for cols, c in HALVES:
            if rows or cols:
                line = f"grid = grid[{rows.format(0) or ':'}, {cols.format(1) or ':'}]"
                if _same([g[r(g.shape[0]), c(g.shape[1])] for g in grids], targets):
                    yield (line,)


# A side kept whole, its first half or its second half (the middle line dropped when odd).
HALVES = (
    ("", lambda n: slice(None)),
    (":grid.shape[{}] // 2", lambda n: slice(None, n // 2)),
    ("(grid.shape[{}] + 1) // 2:", lambda n: slice((n + 1) // 2, None)),
)


RIGID = (
    ("grid = np.rot90(grid, 1)", lambda g: np.rot90(g, 1)),
    ("grid = np.rot90(grid, 2)", lambda g: np.rot90(g, 2)),
    ("grid = np.rot90(grid, 3)", lambda g: np.rot90(g, 3)),
    ("grid = np.fliplr(grid)", np.fliplr),
    ("grid = np.flipud(grid)", np.flipud),
    ("grid = grid.T", lambda g: g.T),
    ("grid = np.rot90(grid, 2).T", lambda g: np.rot90(g, 2).T),
)


def part_programs(problem: Problem) -> Iterator[Program]:
    """Cut every input into parts, then pick one, overlay them or combine them cell by cell (and
    at most one finishing step), so that every demonstration output comes out."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    bg = info.background
    if info.same_shape:
        return
    if _same([compress_grid(g) for g in inputs], targets):
        yield Program("compress", ("grid = compress_grid(grid)",))
    yield from _answer_programs(inputs, targets, info)
    near: dict[bytes, tuple[tuple[str, ...], list[np.ndarray]]] = {}  # results one step away

    def offer(family: str, lines: tuple[str, ...], grids: list) -> Iterator[Program]:
        if _same(grids, targets):
            yield Program(family, lines)
        elif all(g is not None for g in grids):
            near.setdefault(b"".join(_key(g) for g in grids), (lines, grids))

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
        if not cut.startswith("split"):
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
            if _same([g[r, c] for g in inputs], targets):
                yield rows, cols


TESTS = (
    ("(grid == grid[:, ::-1]).all()", lambda g: bool((g == g[:, ::-1]).all())),
    ("(grid == grid[::-1]).all()", lambda g: bool((g == g[::-1]).all())),
    ("(grid == grid[::-1]).all() or (grid == grid[:, ::-1]).all()",
     lambda g: bool((g == g[::-1]).all() or (g == g[:, ::-1]).all())),
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


# ---- per-object transforms on same-shape tasks ----


def filter_programs(problem: Problem) -> Iterator[Program]:
    """Keep or delete whole objects by one property, the rule read off which objects vanish."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    for conn in (4, 8):
        for by_color in (True, False):
            if budget.exhausted:
                return
            budget.charge(4 * (calls(inputs) + len(OBJECT_PROPS) * cells(inputs)))
            all_masks = [find_objects(g, info.background, conn, by_color) for g in inputs]
            if any(len(m) > 60 or not m for m in all_masks):
                continue
            for prop in OBJECT_PROPS:
                keep: dict = {}
                drop: dict = {}
                ok = True
                for g, t, masks in zip(inputs, targets, all_masks):
                    bg = resolve_background(g, info.background)
                    for m, value in zip(masks, _values(g, masks, prop)):
                        if (t[m] == g[m]).all():
                            keep[value] = keep.get(value, 0) + 1
                        elif (t[m] == bg).all():
                            drop[value] = drop.get(value, 0) + 1
                        else:
                            ok = False
                            break
                    if not ok:
                        break
                # Each dropped value seen at least twice: a rule, not a list of the demonstrations' objects.
                if not ok or not keep or not drop or set(keep) & set(drop) or min(drop.values()) < 2:
                    continue
                k, d = tuple(sorted(keep, key=repr)), tuple(sorted(drop, key=repr))
                if _same([filter_objects(g, prop, k, d, info.background, conn, by_color) for g in inputs], targets):
                    yield Program("filter", (f"grid = filter_objects(grid, prop={prop!r}, keep={k!r}, drop={d!r}, "
                                             f"background={info.background!r}, connectivity={conn}, "
                                             f"by_color={by_color})",))


def _values(grid: np.ndarray, masks: list[np.ndarray], prop: str) -> list:
    """object_feature of every object, the uniqueness properties counted once for all."""
    if prop in ("shape_is_unique", "color_is_unique"):
        keys = _values(grid, masks, prop.split("_")[0])
        return [keys.count(k) == 1 for k in keys]
    return [safe_call(object_feature, grid, m, masks, prop) for m in masks]


def move_programs(problem: Problem) -> Iterator[Program]:
    """Objects of one colour slide until they touch the cells of another; all objects slide
    into line with an anchor's edge."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    colors = [c for c in info.in_colors if c != info.background]

    def kept(c: int) -> bool:  # a mover keeps its cell count; an anchor stays where it is
        return all((g == c).sum() == (t == c).sum() for g, t in zip(inputs, targets))

    for mover in colors:
        if budget.exhausted:
            return
        if not kept(mover) or all(np.array_equal(g == mover, t == mover) for g, t in zip(inputs, targets)):
            continue
        budget.charge(len(colors) * calls(inputs))
        for anchor in colors:
            if mover == anchor or not all(np.array_equal(g == anchor, t == anchor) for g, t in zip(inputs, targets)):
                continue
            for direction in ("toward", "up", "down", "left", "right"):
                first = safe_call(move_until_contact, inputs[0], mover, anchor, direction, info.background)
                if first is None or not np.array_equal(first, targets[0]):
                    continue
                moved = [safe_call(move_until_contact, g, mover, anchor, direction, info.background) for g in inputs]
                if _same(moved, targets):
                    yield Program("move", (f"grid = move_until_contact(grid, mover_color={mover}, anchor_color={anchor}, "
                                           f"direction={direction!r}, background={info.background!r})",))
            stepped = [safe_call(step_toward, g, mover, anchor, 1, info.background) for g in inputs]
            if _same(stepped, targets):
                yield Program("move", (f"grid = step_toward(grid, mover_color={mover}, anchor_color={anchor}, steps=1, "
                                       f"background={info.background!r})",))
    for anchor in colors:
        if not all(np.array_equal(g == anchor, t == anchor) for g, t in zip(inputs, targets)):
            continue
        for edge in ("top", "bottom", "left", "right"):
            if _fits(lambda g: align_objects(g, anchor, edge, info.background), inputs, targets):
                yield Program("move", (f"grid = align_objects(grid, anchor_color={anchor}, edge={edge!r}, "
                                       f"background={info.background!r})",))


def copy_programs(problem: Problem) -> Iterator[Program]:
    """A template object copied onto every lone marker cell."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    for marker in info.in_colors:
        if marker == info.background:
            continue
        for anchor in ("center", "match"):
            if _fits(lambda g: copy_to_markers(g, marker, anchor, info.background), inputs, targets):
                yield Program("copy", (f"grid = copy_to_markers(grid, marker_color={marker}, anchor={anchor!r}, "
                                       f"background={info.background!r})",))


def shoot_programs(problem: Problem) -> Iterator[Program]:
    """Lone pixels that face an anchor draw a ray to it or move next to it."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    still = [c for c in info.in_colors if c != info.background
             and all(np.array_equal(g == c, t == c) for g, t in zip(inputs, targets))]
    for anchor in ("same", "largest", *still):
        for mode, unaligned, directions in itertools.product(("ray", "move", "join"), ("keep", "delete"), ("hv", "all")):
            if budget.exhausted:
                return
            budget.charge(calls(inputs))
            if _fits(lambda g: shoot_pixels(g, anchor, mode, unaligned, directions, info.background), inputs, targets):
                yield Program("shoot", (f"grid = shoot_pixels(grid, anchor={anchor!r}, mode={mode!r}, "
                                        f"unaligned={unaligned!r}, directions={directions!r}, "
                                        f"background={info.background!r})",))


def symmetry_programs(problem: Problem) -> Iterator[Program]:
    """The drawing completed under a symmetry group about a centre found on each input."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or any((t != g)[g != resolve_background(g, info.background)].any()
                                  and not (set(np.unique(g)) - set(np.unique(t))) for g, t in zip(inputs, targets)):
        return
    new = [None, *(c for c in info.out_colors if c not in info.in_colors)]
    gone = [None, "fewest", *(c for c in info.in_colors if c not in info.out_colors)]
    for group, color, remove, centre in itertools.product(("d4", "rot90", "d2", "lr", "ud"), new, gone,
                                                          ("best", "object")):
        if budget.exhausted:
            return
        budget.charge(2 * calls(inputs))
        if _fits(lambda g: symmetrize(g, group, color, remove, centre, info.background), inputs, targets):
            yield Program("symmetry", (f"grid = symmetrize(grid, group={group!r}, color={color!r}, remove={remove!r}, "
                                       f"centre={centre!r}, background={info.background!r})",))


def path_programs(problem: Problem) -> Iterator[Program]:
    """A path with one bend drawn between the one cell of one colour and the one of another."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    ones = [c for c in info.in_colors if c != info.background and all((g == c).sum() == 1 for g in inputs)]
    new = [c for c in info.out_colors if c not in info.in_colors]
    for start, end in itertools.permutations(ones, 2):
        for color, first in itertools.product(new, ("h", "v")):
            if _fits(lambda g: connect_corner(g, start, end, color, first, info.background), inputs, targets):
                yield Program("path", (f"grid = connect_corner(grid, start={start}, end={end}, color={color}, "
                                       f"first={first!r}, background={info.background!r})",))


def key_programs(problem: Problem) -> Iterator[Program]:
    """Objects shaped like a key (an object inside a frame's box) take its or its frame's colour."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    for paint in ("key", "frame"):
        if _fits(lambda g: recolor_like_key(g, paint, info.background), inputs, targets):
            yield Program("key", (f"grid = recolor_like_key(grid, paint={paint!r}, background={info.background!r})",))


def template_programs(problem: Problem) -> Iterator[Program]:
    """Fragments of the many-coloured template objects completed into whole copies."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or not any(len(np.unique(g)) > 2 for g in inputs):
        return
    options = [("shape", views, keep, conn, 1) for views in ("identity", "rigid") for keep in (True, False)
               for conn in (8, 4)]
    options += [("colors", views, keep, conn, scale) for scale in (1, 3) for views in ("identity", "rigid")
                for keep in (True, False) for conn in (8, 4)]
    for match, views, keep, conn, scale in options:
        if budget.exhausted:
            return
        budget.charge(4 * calls(inputs))
        if _fits(lambda g: complete_templates(g, match, views, keep, info.background, conn, scale), inputs, targets):
            yield Program("template", (f"grid = complete_templates(grid, match={match!r}, views={views!r}, "
                                       f"keep_template={keep}, background={info.background!r}, "
                                       f"connectivity={conn}, max_scale={scale})",))
            return


def _holes(grid: np.ndarray, background: int | None) -> Iterator[np.ndarray]:
    """The background regions (4-connected) that do not reach the border, as masks."""
    bg = resolve_background(grid, background)
    lab, n = label((grid == bg) & ~reachable_from_border(grid == bg), 4)
    return (lab == i for i in range(1, n + 1))


def hole_programs(problem: Problem) -> Iterator[Program]:
    """Enclosed background regions filled with a colour chosen by their size, its parity, or
    whether they are squares, other rectangles or neither."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    for prop in ("size", "parity", "kind"):
        learnt = region_table((HOLE_PROPS[prop](hole), hole, t) for g, t in zip(inputs, targets)
                              for hole in _holes(g, info.background))
        if learnt is None:
            continue
        table, support = learnt
        if all(c == resolve_background(inputs[0], info.background) for c in table.values()):
            continue  # no hole, or every hole stays empty
        if len(table) > 1 and min(support.values()) < 2 and len(set(table.values())) > 1:
            continue  # a colour per value seen once each is a lookup table of the demonstrations
        values = tuple(sorted(table))
        colors = tuple(table[v] for v in values)
        call = (f"fill_holes_by_size(grid, sizes={values!r}, " if prop == "size"  # the same call, as it always read
                else f"fill_holes_by(grid, prop={prop!r}, values={values!r}, ")
        if _same([safe_call(fill_holes_by, g, prop, values, colors, info.background) for g in inputs], targets):
            yield Program("holes", (f"grid = {call}colors={colors!r}, background={info.background!r})",))


def box_programs(problem: Problem) -> Iterator[Program]:
    """The background inside every object's bounding box filled with one colour."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or info.background is None:
        return
    bg = info.background
    changed = [(g != t) for g, t in zip(inputs, targets)]
    if not any(c.any() for c in changed) or not all((g[c] == bg).all() for g, c in zip(inputs, changed)):
        return  # only background cells change
    colors = {int(v) for t, c in zip(targets, changed) for v in np.unique(t[c])}
    if len(colors) != 1:
        return
    color = colors.pop()
    for conn in (8, 4):
        for by_color in (True, False):
            if _fits(lambda g: fill_bounding_boxes(g, color, bg, conn, by_color), inputs, targets):
                yield Program("boxes", (f"grid = fill_bounding_boxes(grid, color={color}, background={bg}, "
                                        f"connectivity={conn}, by_color={by_color})",))


def rewrite_programs(problem: Problem) -> Iterator[Program]:
    """Objects of a given shape replaced by a patch the demonstrations show for that shape; the
    cells no object's box covers must stay as they were."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or info.background is None:
        return
    bg = info.background
    for conn in (8, 4):
        table: dict = {}
        support: dict = {}
        unchanged = 0
        ok = True
        for demo, (g, t) in enumerate(zip(inputs, targets)):
            masks = find_objects(g, bg, conn, True)
            if len(masks) > 60:
                ok = False
                break
            covered = np.zeros(g.shape, dtype=bool)
            for m in masks:
                rows, cols = np.nonzero(m)
                box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
                covered[box] = True
                patch = tuple(tuple(int(v) for v in row) for row in t[box])
                if patch == tuple(tuple(int(v) for v in row) for row in g[box]):
                    unchanged += 1
                    continue
                shape = object_shape(m)
                if table.setdefault(shape, patch) != patch:
                    ok = False
                    break
                support.setdefault(shape, set()).add(demo)
            if not ok or not np.array_equal(g[~covered], t[~covered]):
                ok = False
                break
        # A rewrite seen in one demonstration only is a copy of it, not a rule.
        if not ok or not table or min(len(d) for d in support.values()) < 2:
            continue
        shapes = tuple(table)
        patches = tuple(table[s] for s in shapes)
        keep = unchanged > 0
        if _same([safe_call(rewrite_objects, g, shapes, patches, keep, bg, conn) for g in inputs], targets):
            yield Program("rewrite", (f"grid = rewrite_objects(grid, shapes={shapes!r}, patches={patches!r}, "
                                      f"keep_unseen={keep}, background={bg}, connectivity={conn})",))
            return


FAMILIES: dict[str, Callable] = {
    "parts": part_programs,
    "filter": filter_programs,
    "move": move_programs,
    "copy": copy_programs,
    "template": template_programs,
    "symmetry": symmetry_programs,
    "key": key_programs,
    "path": path_programs,
    "shoot": shoot_programs,
    "holes": hole_programs,
    "boxes": box_programs,
    "rewrite": rewrite_programs,
    "lookup": lookup_programs,
    "count": count_programs,
    "assembly": assembly_programs,
}


def object_programs(task: Task | Problem, *, budget: int | WorkBudget = 2_000_000, families: tuple[str, ...] | None = None,
                    max_programs: int = 20, per_family: int = 3) -> list[tuple[Program, tuple]]:
    """Programs of the object families that reproduce every demonstration, each with its test
    outputs as the emitted source computes them; in family order, simplest lines first, at most
    ``per_family`` of one family (so that one family's many near-copies do not outvote the rest).
    ``budget`` counts cells (``search.budget``): a pass over the inputs per family started,
    per candidate a family weighs, and per program run."""
    problem = task if isinstance(task, Problem) else Problem.of(task, as_budget(budget))
    budget = problem.budget
    inputs, targets, tests = list(problem.train_in), list(problem.targets), list(problem.test_in)
    found: list[tuple[Program, tuple]] = []
    for name, family in FAMILIES.items():
        if families is not None and name not in families:
            continue
        if budget.exhausted:
            break
        budget.charge(calls(inputs))
        for program in family(problem):
            if sum(p.family == program.family for p, _ in found) >= per_family:
                continue
            budget.charge(calls(inputs + tests))
            outs = run_source(program.source, inputs + tests)
            if outs is not None and _same(outs[:len(inputs)], targets):
                found.append((program, tuple(from_array(o) for o in outs[len(inputs):])))
            if len(found) >= max_programs or budget.exhausted:
                return found
    return found

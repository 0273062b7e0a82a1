"""Per-object families for same-shape tasks, each fitted to the demonstrations as a whole.

Keep or delete objects by a property; slide objects until they touch an anchor, or lone pixels to
one; copy a template onto marker cells or complete its fragments; complete a drawing's symmetry;
draw a path between two cells; recolour like a key; fill holes by their size or kind, or boxes;
rewrite objects by their shape. Every program is a few lines calling ``dsl`` helpers with literal
arguments.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from dsl._masks import label, reachable_from_border
from dsl.color import resolve_background
from dsl.completion import symmetrize
from dsl.fill import connect_corner, fill_largest_empty_rectangle
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
from dsl.objects import bounding_box_mask, find_objects
from search.budget import calls, cells
from search.families.common import fits, same
from search.problem import Problem
from search.program import Program, safe_call
from search.steps import region_table


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
                if same([filter_objects(g, prop, k, d, info.background, conn, by_color) for g in inputs], targets):
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
                if same(moved, targets):
                    yield Program("move", (f"grid = move_until_contact(grid, mover_color={mover}, anchor_color={anchor}, "
                                           f"direction={direction!r}, background={info.background!r})",))
            stepped = [safe_call(step_toward, g, mover, anchor, 1, info.background) for g in inputs]
            if same(stepped, targets):
                yield Program("move", (f"grid = step_toward(grid, mover_color={mover}, anchor_color={anchor}, steps=1, "
                                       f"background={info.background!r})",))
    for anchor in colors:
        if not all(np.array_equal(g == anchor, t == anchor) for g, t in zip(inputs, targets)):
            continue
        for edge in ("top", "bottom", "left", "right"):
            if fits(lambda g: align_objects(g, anchor, edge, info.background), inputs, targets):
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
            if fits(lambda g: copy_to_markers(g, marker, anchor, info.background), inputs, targets):
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
            if fits(lambda g: shoot_pixels(g, anchor, mode, unaligned, directions, info.background), inputs, targets):
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
        if fits(lambda g: symmetrize(g, group, color, remove, centre, info.background), inputs, targets):
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
            if fits(lambda g: connect_corner(g, start, end, color, first, info.background), inputs, targets):
                yield Program("path", (f"grid = connect_corner(grid, start={start}, end={end}, color={color}, "
                                       f"first={first!r}, background={info.background!r})",))


def key_programs(problem: Problem) -> Iterator[Program]:
    """Objects shaped like a key (an object inside a frame's box) take its or its frame's colour."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    for paint in ("key", "frame"):
        if fits(lambda g: recolor_like_key(g, paint, info.background), inputs, targets):
            yield Program("key", (f"grid = recolor_like_key(grid, paint={paint!r}, background={info.background!r})",))


def template_programs(problem: Problem) -> Iterator[Program]:
    """Fragments of the many-coloured template objects completed into whole copies, in the
    template's colours or in their own."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or not any(len(np.unique(g)) > 2 for g in inputs):
        return
    options = [("shape", views, keep, conn, 1) for views in ("identity", "rigid") for keep in (True, False)
               for conn in (8, 4)]
    options += [("colors", views, keep, conn, scale) for scale in (1, 3) for views in ("identity", "rigid")
                for keep in (True, False) for conn in (8, 4)]
    if _only_adds_own_colours(inputs, targets, info.background):
        options += [("recolor", views, True, conn, 1) for views in ("identity", "rigid") for conn in (8, 4)]
    for match, views, keep, conn, scale in options:
        if budget.exhausted:
            return
        budget.charge(4 * calls(inputs))
        if fits(lambda g: complete_templates(g, match, views, keep, info.background, conn, scale), inputs, targets):
            yield Program("template", (f"grid = complete_templates(grid, match={match!r}, views={views!r}, "
                                       f"keep_template={keep}, background={info.background!r}, "
                                       f"connectivity={conn}, max_scale={scale})",))
            return


def _only_adds_own_colours(inputs: list[np.ndarray], targets: list[np.ndarray], background: int | None) -> bool:
    """Every output has at least its input's cells of each colour but the background, and more of
    some colour its input shows (a look at colour counts: what completing fragments in their own
    colours, the templates kept, can give)."""
    for g, t in zip(inputs, targets):
        bg = resolve_background(g, background)
        have, want = np.bincount(g.ravel(), minlength=10), np.bincount(t.ravel(), minlength=10)
        have[bg] = want[bg] = 0
        if np.any(want < have) or not np.any((want > have) & (have > 0)) or np.any((want > 0) & (have == 0)):
            return False
    return True


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
        if same([safe_call(fill_holes_by, g, prop, values, colors, info.background) for g in inputs], targets):
            yield Program("holes", (f"grid = {call}colors={colors!r}, background={info.background!r})",))


def box_programs(problem: Problem) -> Iterator[Program]:
    """The background inside every object's bounding box, or the largest rectangle of
    background, filled with one colour."""
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
            if fits(lambda g: fill_bounding_boxes(g, color, bg, conn, by_color), inputs, targets):
                yield Program("boxes", (f"grid = fill_bounding_boxes(grid, color={color}, background={bg}, "
                                        f"connectivity={conn}, by_color={by_color})",))
    if not all(c.any() and np.array_equal(bounding_box_mask(c, background=False), c) for c in changed):
        return  # the cells that change make one rectangle in every demonstration
    for side in (1, 2):  # the largest rectangle of background: a strip may be one cell thick, or not
        if budget.exhausted:
            return
        budget.charge(4 * calls(inputs))  # measured: 0.47 ms on a 30x30 grid, about four calls
        if fits(lambda g: fill_largest_empty_rectangle(g, color, side, bg), inputs, targets):
            yield Program("boxes", (f"grid = fill_largest_empty_rectangle(grid, color={color}, side={side}, "
                                    f"background={bg})",))
            return


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
        if same([safe_call(rewrite_objects, g, shapes, patches, keep, bg, conn) for g in inputs], targets):
            yield Program("rewrite", (f"grid = rewrite_objects(grid, shapes={shapes!r}, patches={patches!r}, "
                                      f"keep_unseen={keep}, background={bg}, connectivity={conn})",))
            return

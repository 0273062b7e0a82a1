"""Patterns repaired or grown: in-painting under a mask, continuation, and self-similar tiling.

``inpaint_programs``: the outputs are the inputs with the cells of one mask colour restored (or,
where the outputs are smaller, what lies under the mask), from every symmetry the visible cells
confirm (mirrors about any axis, either diagonal, half and quarter turns about any centre:
``complete_symmetry(symmetries="all")``) or from any 2-D lattice they repeat on, sheared ones
included (``complete_periodic(shear=True)``), the mask a colour every demonstration hides or each
grid's largest solid block (``mask_color="block"``); with no mask colour, a few noise cells off a
periodic pattern given their class's majority (``complete_periodic(mask_color=None)``). The
enumeration tries the plain mirrors and periods at depth one; these wider forms cost more, so they
run here only where the demonstrations show the mask shape (changed cells all of the mask colour,
or outputs the size of its box), charged per candidate symmetry and cell.

``continue_programs``: the output carries the input's pattern on past its edges to a size the
demonstrations fix (a constant shape, or a factor of the input's), by its 2-D period or by a
step that may also move across (a staircase carried on down: ``continue_pattern(drift=True)``).

``self_tile_programs``: the output is a grid (the input, or its content cropped) used as a tile,
copied into the blocks of an (h*h, w*w) grid where its own cells are set, or are background, or
have one colour (``self_tile``); found without composing the crop and the tiling. A block may hold
instead the tile's cells of its own cell's colour, or the tile painted in it (``content``), on
the background the tile has or on the one colour every output adds.

``layers_programs``: the output is the input seen as layers (square rings or diamonds about the
middle of its drawing, or about a side or corner of the grid it touches: nested U or L shapes),
one colour each, whose sequence repeats by its period over the grid or onto the outputs' multiple
of its size (``continue_layers``).

``stairs_programs``: the output is generated from the input's one drawn row (or column), not
continued from a pattern the input shows: each row further from it one more step (shifted, or its
runs grown or shrunk by a cell), in its own colours or one colour a side (``stack_steps``), on the
input's shape or on one whose sides are read off the input (its sides, its count of drawn cells or
of colours, halved or multiplied: ``SIDE_RULES``), the seed on its top or bottom row.

``repeat_programs``: the output is the input's single cells (seeds), each with a motif repeated
from it by a period to the grid's edge, one motif ahead of it and one behind
(``repeat_from_seeds``): the period the smallest that generates a demonstration with one seed
from a motif at most half its new cells, the motif read off that demonstration.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from dsl.completion import (complete_periodic, complete_symmetry, continue_layers, patch_color, symmetry_maps,
                            under_patch)
from dsl.grids import ROW_STEPS, continue_pattern, crop_to_content, repeat_from_seeds, self_tile, stack_steps
from dsl.palette import count_colors
from search.budget import calls
from search.families.common import fits
from search.problem import Problem
from search.program import Program, safe_call

# Checking one candidate symmetry against one cell costs about a quarter of a unit, building it a
# third, once a shape (measured: 40 ms for the 1,327 symmetries of a 30x30 grid, 1.2M
# candidate-cells; 48 ms to build them).
SYMMETRY_CELL_COST = 0.25
SYMMETRY_BUILD_COST = 0.3
# complete_periodic(shear=True) costs about 10 units a cell for each cell of the grid's longer side
# (measured on grids no lattice fits: 1.3 ms at 10x10, 13 ms at 20x20, 35 ms at 30x30).
LATTICE_CELL_COST = 10
# complete_periodic(mask_color=None) weighs every rows-by-columns period: about 17 units a cell for
# each cell of the longer side (measured: 1.1 ms at 10x10, 14 ms at 20x20, 60 ms at 30x30).
DENOISE_CELL_COST = 20
# continue_layers weighs one to nine anchors, a few vectorised passes over the output each: about
# two plain calls (measured: 0.17 ms for a 30x30 output from four anchors, 0.05 ms from one).
LAYER_CALLS = 2
# Programs stairs_programs gives at most: options the demonstrations leave open, each answering.
MAX_STAIRS = 4
# The periods repeat_programs tries: every step of at most this many cells down and across.
MAX_PERIOD = 5


def _mask_kind(problem: Problem, mask: int | str) -> str | None:
    """"fill" where every demonstration changes only cells of ``mask`` and leaves none of it,
    "patch" where every output has the size of the box of the input's ``mask`` cells (a colour,
    or "block": each input's largest solid block of one colour, ``patch_color``)."""
    pairs = [(g, t, patch_color(g, mask)) for g, t in zip(problem.train_in, problem.targets)]
    if any(m is None for _, _, m in pairs):
        return None
    if all(g.shape == t.shape and ((g != t) <= (g == m)).all() and (g == m).any() and not (t == m).any()
           for g, t, m in pairs):
        return "fill"
    for g, t, m in pairs:
        rows, cols = np.nonzero(g == m)
        if len(rows) == 0 or g.shape == t.shape or t.shape != (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1):
            return None
    return "patch"


def _cost(name: str, grid: np.ndarray, built: set) -> int:
    """Units of work one wide completion of ``grid`` costs: its lattices tried, or its symmetry
    maps checked (and built, the first time a shape is met: ``built`` holds those met)."""
    if name != "symmetry":
        return LATTICE_CELL_COST * max(grid.shape) * grid.size
    cost = SYMMETRY_CELL_COST * len(symmetry_maps(grid.shape)) * grid.size
    if grid.shape not in built:
        built.add(grid.shape)
        cost += SYMMETRY_BUILD_COST * len(symmetry_maps(grid.shape)) * grid.size
    return int(cost)


def inpaint_programs(problem: Problem) -> Iterator[Program]:
    """Masked cells restored from the symmetries or lattice the visible cells confirm; each
    completion charged before it runs, demonstration by demonstration, stopping at the first
    it gets wrong (the test inputs' share charged once a program fits)."""
    inputs, targets, budget = list(problem.train_in), list(problem.targets), problem.budget
    built: set = set()
    # A colour every demonstration hides, or a block of any colour (one a demonstration).
    for mask in (*problem.info.mask_colors, "block"):
        kind = _mask_kind(problem, mask)
        if kind is None:
            continue
        for name, arg in (("symmetry", 'symmetries="all"'), ("periodic", "shear=True")):
            complete = complete_symmetry if name == "symmetry" else complete_periodic
            ok = True
            for g, t in zip(inputs, targets):
                if budget.exhausted:
                    return
                budget.charge(_cost(name, g, built) + calls([g]))
                full = safe_call(complete, g, mask, "all" if name == "symmetry" else True)
                out = full if kind == "fill" else safe_call(under_patch, full, g, mask)
                if out is None or out.shape != t.shape or not np.array_equal(out, t):
                    ok = False
                    break
            if ok:
                budget.charge(sum(_cost(name, g, built) for g in problem.test_in))
                verb = f"complete_{name}" if kind == "fill" else f"{name}_patch"
                yield Program("inpaint", (f"grid = {verb}(grid, mask_color={mask!r}, {arg})",))
    # No mask colour, but noise: a few cells off a periodic pattern, each given its class's majority.
    if problem.same_shape and all(0 < int((g != t).sum()) * 3 <= g.size for g, t in zip(inputs, targets)):
        for g, t in zip(inputs, targets):
            if budget.exhausted:
                return
            budget.charge(DENOISE_CELL_COST * max(g.shape) * g.size + calls([g]))
            out = safe_call(complete_periodic, g, None)
            if out is None or not np.array_equal(out, t):
                return
        budget.charge(sum(DENOISE_CELL_COST * max(g.shape) * g.size for g in problem.test_in))
        yield Program("inpaint", ("grid = complete_periodic(grid, mask_color=None)",))


def self_tile_programs(problem: Problem) -> Iterator[Program]:
    """The input's content, cropped, used as a tile where its own cells say (``self_tile``);
    or the whole input, on a background no input has, each block the tile's cells of its own
    cell's colour or the tile painted in it."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if info.squared:
        yield from _self_tile_new_background(problem)
    bg = info.background
    if bg is None:
        return
    budget.charge(calls(inputs))
    tiles = [safe_call(crop_to_content, g, bg) for g in inputs]
    if any(c is None or t.shape != (c.shape[0] ** 2, c.shape[1] ** 2) or c.size < 4 for c, t in zip(tiles, targets)):
        return
    options = [dict(background=bg, invert=inv) for inv in (False, True)]
    options += [dict(background=bg, key=k) for k in ("most_common", "least_common",
                                                     *[c for c in info.in_colors if c != bg])]
    if any(len(np.unique(c[c != bg])) > 1 for c in tiles):  # with one colour, "own" and "paint" copy
        options += [dict(background=bg, content=c) for c in ("own", "paint")]
    for kw in options:
        if budget.exhausted:
            return
        budget.charge(2 * calls(targets))
        if fits(lambda g: self_tile(g, **kw), tiles, targets):
            args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
            # every option that fits (a key colour and "least_common" may both): they may disagree
            yield Program("self-tile", (f"grid = crop_to_content(grid, background={bg!r})",
                                        f"grid = self_tile(grid, {args})"))


def _self_tile_new_background(problem: Problem) -> Iterator[Program]:
    """``self_tile`` of the whole input on the one colour every output has and no input: each
    block the input's cells of its own cell's colour, or the input painted in that colour."""
    inputs, targets, budget = list(problem.train_in), list(problem.targets), problem.budget
    new = [c for c in range(10) if all((t == c).any() for t in targets) and not any((g == c).any() for g in inputs)]
    if len(new) != 1:
        return
    for content in ("own", "paint"):
        if budget.exhausted:
            return
        budget.charge(2 * calls(targets))
        if fits(lambda g: self_tile(g, background=new[0], content=content), inputs, targets):
            yield Program("self-tile", (f"grid = self_tile(grid, background={new[0]!r}, content={content!r})",))


def layers_programs(problem: Problem) -> Iterator[Program]:
    """The input's square or diamond rings (``continue_layers``), one colour each, carried on
    periodically over the grid or onto the outputs' whole multiple of its size."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    factors = {(t.shape[0] / g.shape[0], t.shape[1] / g.shape[1]) for g, t in zip(inputs, targets)}
    if len(factors) != 1 or info.smaller:
        return
    ky, kx = factors.pop()
    if not (ky.is_integer() and kx.is_integer()) or not set(info.out_colors) <= set(info.in_colors):
        return
    bg, ky, kx = info.fill, int(ky), int(kx)
    for layers in ("rings", "diamonds"):
        if budget.exhausted:
            return
        budget.charge(LAYER_CALLS * calls(targets))
        if fits(lambda g: continue_layers(g, layers, bg, ky, kx), inputs, targets):
            yield Program("layers", (f"grid = continue_layers(grid, layers={layers!r}, background={bg!r}, "
                                     f"ky={ky}, kx={kx})",))


def continue_programs(problem: Problem) -> Iterator[Program]:
    """The input's pattern carried on to the outputs' size: a shape they share, or a factor."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.larger or info.smaller:
        return
    sizes = []
    if len({t.shape for t in targets}) == 1:
        rows, cols = targets[0].shape
        sizes.append((f"rows={rows}, cols={cols}", dict(rows=rows, cols=cols)))
    factors = {(t.shape[0] / g.shape[0], t.shape[1] / g.shape[1]) for g, t in zip(inputs, targets)}
    if len(factors) == 1:
        ky, kx = factors.pop()
        ky, kx = (int(k) if float(k).is_integer() else k for k in (ky, kx))
        sizes.append((f"ky={ky!r}, kx={kx!r}", dict(ky=ky, kx=kx)))
    bg = info.background
    for (text, size), drift in itertools.product(sizes, (False, True)):
        if budget.exhausted:
            return
        # the drift is looked for step by step, each a pass over the grid
        budget.charge(calls(inputs) + (sum(g.size * g.shape[0] * 4 for g in inputs) if drift else 0))
        if fits(lambda g: continue_pattern(g, drift=drift, background=bg, **size), inputs, targets):
            yield Program("continue", (f"grid = continue_pattern(grid, {text}, drift={drift}, background={bg!r})",))
            return


def _quantities(bg: int) -> tuple:
    """Numbers read off a grid that an output's side may be, each with the source computing it."""
    return (("grid.shape[0]", lambda g: g.shape[0]), ("grid.shape[1]", lambda g: g.shape[1]),
            (f"int((grid != {bg}).sum())", lambda g: int((g != bg).sum())),
            (f"count_colors(grid, background={bg})", lambda g: count_colors(g, bg)))


def _side_rules(bg: int) -> list[tuple[str, object]]:
    """An output side as a quantity of the input, its half, or the product of two, simplest first."""
    qs = _quantities(bg)
    rules = list(qs) + [(f"{t} // 2", lambda g, f=f: f(g) // 2) for t, f in qs]
    rules += [(f"{t1} * {t2}", lambda g, f1=f1, f2=f2: f1(g) * f2(g))
              for (t1, f1), (t2, f2) in itertools.combinations_with_replacement(qs, 2)]
    return rules


def _layouts(ins: list[np.ndarray], outs: list[np.ndarray], bg: int) -> Iterator[tuple[str, list, str]]:
    """Where the seed goes: (the shape's source, each demonstration's shape, "own"/"top"/"bottom");
    only those whose seed row is the output's row there."""
    if all(g.shape == t.shape for g, t in zip(ins, outs)):
        options = [("None", [None] * len(ins), "own")]
    else:
        rules = _side_rules(bg)
        rows = [t for t, f in rules if all(f(g) == o.shape[0] for g, o in zip(ins, outs))][:2]
        cols = [t for t, f in rules if all(f(g) == o.shape[1] for g, o in zip(ins, outs))][:2]
        options = [(f"({r}, {c})", [o.shape for o in outs], at)
                   for r, c in itertools.product(rows, cols) for at in ("top", "bottom")]
    for text, shapes, at in options:
        if all(_seed_row(g, t, s, at, bg) for g, t, s in zip(ins, outs, shapes)):
            yield text, shapes, at


def _seed_at(g: np.ndarray, t: np.ndarray, at: str, bg: int) -> int:
    """The output row the input's one drawn row goes to ("own": its own row)."""
    if at == "own":
        return int(np.nonzero((g != bg).any(axis=1))[0][0])
    return 0 if at == "top" else t.shape[0] - 1


def _seed_row(g: np.ndarray, t: np.ndarray, shape, at: str, bg: int) -> bool:
    r = int(np.nonzero((g != bg).any(axis=1))[0][0])
    row = _seed_at(g, t, at, bg)
    seed = np.full(t.shape[1], bg)
    seed[:min(t.shape[1], g.shape[1])] = g[r, :t.shape[1]]
    return row < t.shape[0] and np.array_equal(t[row], seed)


def _sides(ins, outs, shapes, at: str, bg: int, sign: int, budget) -> list:
    """The (step, colour) options, or None, that give every demonstration's rows on one side of
    the seed (above: ``sign`` -1); colours: the seed's own, or the one colour of the first row."""
    seeds = [_seed_at(g, t, at, bg) for g, t in zip(ins, outs)]
    parts = [t[:r] if sign < 0 else t[r + 1:] for t, r in zip(outs, seeds)]
    if all((p == bg).all() for p in parts):
        return [None]
    firsts = [p[-1] if sign < 0 else p[0] for p in parts if len(p)]
    colors = {int(c) for row in firsts for c in np.unique(row) if c != bg}
    paints = (None, *sorted(colors)) if len(colors) == 1 else (None,)
    options = [(step, color) for step in ROW_STEPS for color in paints]
    kept = []
    for side in options:
        ok = True
        for g, t, shape, r, p in zip(ins, outs, shapes, seeds, parts):
            if budget.exhausted:
                return kept
            budget.charge(calls([t]))
            kw = {"up" if sign < 0 else "down": side}
            out = safe_call(stack_steps, g, shape=shape, at=at, background=bg, **kw)
            if out is None or out.shape != t.shape or not np.array_equal(out[:r] if sign < 0 else out[r + 1:], p):
                ok = False
                break
        if ok:
            kept.append(side)
    return kept


def stairs_programs(problem: Problem) -> Iterator[Program]:
    """Outputs generated from the input's one drawn row (or, turned, column) a step a row
    (``stack_steps``): the sides' steps and colours and the output's shape read off the
    demonstrations; every combination that fits (at most ``MAX_STAIRS``), so that options the
    demonstrations cannot tell apart disagree rather than one of them being trusted."""
    inputs, targets, bg, budget = list(problem.train_in), list(problem.targets), problem.info.background, problem.budget
    if bg is None:
        return
    found = 0
    for turned in (False, True):
        ins = [g.T if turned else g for g in inputs]
        outs = [t.T if turned else t for t in targets]
        budget.charge(calls(ins))
        if any(int((g != bg).any(axis=1).sum()) != 1 for g in ins):
            continue
        for text, shapes, at in _layouts(ins, outs, bg):
            up = _sides(ins, outs, shapes, at, bg, -1, budget)
            down = _sides(ins, outs, shapes, at, bg, 1, budget)
            for u, d in itertools.product(up, down):
                if (u is None and d is None) or found >= MAX_STAIRS or budget.exhausted:
                    continue
                budget.charge(calls(ins))
                line = (f"grid = stack_steps(grid, up={u!r}, down={d!r}, shape={text}, at={at!r}, "
                        f"background={bg!r})")
                lines = ("grid = transpose(grid)", line, "grid = transpose(grid)") if turned else (line,)
                found += 1
                yield Program("stairs", lines)


def _periods() -> list[tuple[int, int]]:
    steps = [(dy, dx) for dy in range(-MAX_PERIOD, MAX_PERIOD + 1) for dx in range(-MAX_PERIOD, MAX_PERIOD + 1)]
    return sorted((p for p in steps if p != (0, 0)), key=lambda p: (abs(p[0]) + abs(p[1]), p))


def _motifs(new: dict, period: tuple[int, int]) -> tuple[tuple, tuple] | None:
    """The motifs ahead of and behind a seed that ``period`` repeats into ``new`` (offset ->
    colour, None for the seed's own): each new cell on the period's side (or across it) whose
    cell one period back is not new starts a copy, the others behind alike; None unless the
    motifs are at most two thirds of the new cells (a period seen repeating)."""
    dy, dx = period
    ahead = {o: c for o, c in new.items() if o[0] * dy + o[1] * dx >= 0}
    behind = {o: c for o, c in new.items() if o[0] * dy + o[1] * dx < 0}
    first = tuple(sorted((y, x, c) for (y, x), c in ahead.items() if (y - dy, x - dx) not in ahead))
    last = tuple(sorted((y, x, c) for (y, x), c in behind.items() if (y + dy, x + dx) not in behind))
    if 3 * (len(first) + len(last)) > 2 * len(new):
        return None
    return first, last


def repeat_programs(problem: Problem) -> Iterator[Program]:
    """Single seed cells, each with a motif repeated from it by a period (``repeat_from_seeds``),
    learnt on the first demonstration with one seed and checked on all; the two that fit with the
    fewest motif cells (another the demonstrations cannot tell apart may answer otherwise)."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    bg = info.background
    if not info.same_shape or bg is None:
        return
    budget.charge(calls(inputs))
    if any(not (g != bg).any() or not np.array_equal(t[g != bg], g[g != bg]) for g, t in zip(inputs, targets)):
        return
    single = [(g, t) for g, t in zip(inputs, targets) if int((g != bg).sum()) == 1]
    if not single:
        return
    g, t = single[0]
    (r, c), = np.argwhere(g != bg).tolist()
    own = int(g[r, c])
    new = {(y - r, x - c): (None if int(t[y, x]) == own else int(t[y, x])) for y, x in np.argwhere(t != g).tolist()}
    if len(new) < 2:
        return
    budget.charge(len(new) * len(_periods()))
    options = [(period, _motifs(new, period)) for period in _periods()]
    # the fewest motif cells first (the simplest account of the new cells), then the shortest period
    options = sorted(((p, m) for p, m in options if m is not None), key=lambda o: len(o[1][0] + o[1][1]))
    found = 0
    for period, (ahead, behind) in options:
        if budget.exhausted or found >= 2:
            return
        if fits(lambda g: repeat_from_seeds(g, ahead, behind, period, bg), inputs, targets,
                charge=lambda g: budget.charge(calls([g]) + len(ahead + behind) * max(g.shape))):
            found += 1
            yield Program("repeat", (f"grid = repeat_from_seeds(grid, ahead={ahead!r}, behind={behind!r}, "
                                     f"period={period!r}, background={bg!r})",))

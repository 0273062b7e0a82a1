"""Breadth-first enumeration of compositions of steps, smallest first, evaluated in-process.

Breadth-first by number of steps. Each level is searched for programs first (the finishing
pass: one more step on each state, tried on the first demonstration alone and not at all where
its declared invariants rule out the outputs' shapes or colours, ``search.invariants``), and
only where it has none is it expanded into the next level's states. Intermediate states are
deduplicated by what they hold on every train and test input; a composition is complete when
its train outputs equal the demonstration outputs. Once a size yields programs, larger sizes
are not searched: fewer, simpler hits beat many spurious ones. Once a state has the outputs'
shapes (after a crop, a pad, a tiling), the steps of a same-shape task join in. Every step
applied is charged to the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from arc.grid import from_array
from arc.views import symmetry_array
from dsl.color import resolve_background
from dsl.palette import paint_foreground
from dsl.partition import COLOR_PICKS, pick_color
from search.assemble import CandidatePool
from search.budget import CALL_COST, calls, cells
from search.emit import step_program
from search.hits import SearchHit
from search.invariants import LastStep, palette, rule_key
from search.problem import Problem
from search.program import as_result, safe_call
from search.steps import VIEW_NAMES, Step, fitted_steps, late_steps, static_steps

# Fitting a state's steps (colour maps, object recolourings, ...) costs about this many units a cell
# of its grids (measured on 40 arc1-train tasks, every 10th from the 4th, against the steps applied:
# 40 charged twice the time a unit of a step takes once the outputs' cells are split once a task).
# The objects a recolouring reads are charged apart (``search.steps.fit_object_recolors``): at 20
# a cell, with them read once a property, the fitting took 0.3 times the time a unit of a step
# takes on 100 arc1-train tasks, 12 times it on d23f8c26 (experiments/calibrate_work.py).
FIT_PASSES = 8
# Ruling steps out by their declared invariants (``search.invariants.LastStep.allowed``): each rule
# the state's steps declare is answered once (RULE_COST), and each step costs a look-up of its
# rule (SKIP_COST). Measured on the same tasks at 3M: 378k steps of 2,163 states declaring 40k
# rules took some 2.4M units' time, charged 3.1M (the cell invariants are charged apart). Checked
# a step at a time, at 60 units a step ruled out, the check had cost more than it took: with it
# grouped, the enumeration's CPU time a unit rose from about 0.085 to 0.12-0.14 us on those tasks,
# the budget's nominal unit (``search.budget``). Measured again per phase on 100 arc1-train tasks
# (experiments/calibrate_work.py), the rules at 60 took 0.77 times the time a unit of a step takes:
# charged 45.
RULE_COST = 45
SKIP_COST = 2
# A step's result looked up in the enumeration's memo (its key: the grid's bytes, the step's hash)
# and a candidate's result compared with the first demonstration's output (``finish``): a few
# microseconds of Python each, whatever the grid's size. Uncharged, they were a sixth of the
# enumeration's CPU time on arc1-train (experiments/calibrate_work.py), and most of it on tasks of
# small grids, whose states share many grids (25ff71a9: 0.86 s of 1.6 s).
MEMO_COST = 80
CHECK_COST = 100
# Operations that read each cell many times (a symmetry or lattice tried per cell, a walk per cell,
# parts compared with each other) cost this many times a plain call: CPU time per unit of each
# step's charge, measured on 40 arc1-train tasks (every 10th from the 4th) against the mean.
STEP_WEIGHT = {
    "periodic_patch": 20, "complete_periodic": 16, "symmetry_patch": 12, "complete_symmetry": 10,
    "pick_part": 5, "redraw_cells": 5, "overlay_parts": 5, "continue_segments": 4, "gravity_objects": 3,
    "extend_ends": 3, "cells_to_pixels": 3, "fill_enclosed": 3, "fill_between_corners": 3,
    "crop_object": 2, "connect_pairs": 2, "fill_bounding_boxes": 2, "repeating_tile": 2,
}


@dataclass
class EnumerationStats:
    """What one enumeration did: states searched for programs (in all and by their number of
    steps), steps applied (a step's result on a grid found in the memo is not counted, but
    ``looked_up``), candidates compared with the first output in the finishing pass, steps the
    last level's invariants (``search.invariants``) ruled out without applying them, the deepest
    level begun."""

    states: int = 0  # states a finishing pass went through
    applied: int = 0
    looked_up: int = 0  # results found in the memo
    checked: int = 0  # candidates the finishing pass compared with the first output
    skipped: int = 0
    depth: int = 0
    by_steps: dict[int, int] = field(default_factory=dict)  # states finished, by how many steps they hold


@dataclass
class _State:
    steps: tuple[Step, ...]
    train: list[np.ndarray]
    test: list[np.ndarray]
    # Filled by the finishing pass: the steps tried on this state, and by index their result on
    # demonstration 0 (the expanding pass reuses them).
    candidates: list[Step] = field(default_factory=list)
    firsts: dict[int, np.ndarray | None] = field(default_factory=dict)


def apply_step(s: Step, grid: np.ndarray) -> np.ndarray | None:
    """The step's result on ``grid``, or None where it is not applicable."""
    return as_result(safe_call(s.apply, grid))


def apply_all(s: Step, grids: list[np.ndarray]) -> list[np.ndarray] | None:
    out = []
    for g in grids:
        r = apply_step(s, g)
        if r is None:
            return None
        out.append(r)
    return out


def state_key(grids: list[np.ndarray]) -> tuple:
    return tuple((g.shape, g.tobytes()) for g in grids)


def closeness(grids: list[np.ndarray], targets: list[np.ndarray]) -> float:
    """How near a state is to the outputs: right shapes first, then share of right cells; a
    shape the output's is a whole multiple of (a scaling or tiling away) counts half a right one."""
    score = 0.0
    for g, t in zip(grids, targets):
        if g.shape == t.shape:
            score += 1.0 + float((g == t).mean())
        elif t.shape[0] % g.shape[0] == 0 and t.shape[1] % g.shape[1] == 0:
            score += 0.5
    return score / len(targets)


def promise(grids: list[np.ndarray], targets: list[np.ndarray]) -> float:
    """How likely one more step is to turn a state into the outputs, read off each demonstration
    (its mean, and a bonus where one ratio of shapes holds for all of them, as a fitted scaling or
    tiling needs). A state of the output's shape scores 2 and the mean of its share of right
    cells and its share of right cells among those where either is not the output's background
    (``_agreement``: a state that lacks most of what the output draws is no nearer for sharing
    its background); one of its shape
    transposed, 1 and twice the best such share of a quarter turn or diagonal mirror of it; one
    the output is a whole multiple of (a scaling or tiling away), 1 and twice the share of the
    output's blocks that are some turn or mirror of it (or, failing that, its share of cells
    right once scaled); one the output fits inside (a crop away), 1, and 2 more where the output
    is a window of it; one of neither, nothing. What it costs: ``promise_cost``."""
    total, ratios = 0.0, set()
    for g, t in zip(grids, targets):
        (h, w), (th, tw) = g.shape, t.shape
        if (h, w) == (th, tw):
            total += 2.0 + 0.5 * (float((g == t).mean()) + _agreement(g, t))
            ratios.add((1, 1))
        elif (h, w) == (tw, th):
            total += 1.0 + 2.0 * max(_agreement(symmetry_array(n, g), t) for n in _SWAPS)
            ratios.add(None)
        elif th % h == 0 and tw % w == 0:
            ratios.add((th // h, tw // w))
            total += 1.0 + 2.0 * _blocks_seen(g, t)
        elif th <= h and tw <= w:
            ratios.add(None)
            total += 1.0 + 2.0 * _is_window(g, t)
        else:
            ratios.add(None)
    return total / len(targets) + (0.5 if len(ratios) == 1 and None not in ratios else 0.0)


def _agreement(g: np.ndarray, t: np.ndarray) -> float:
    """The share of cells right among those where ``g`` or ``t`` is not ``t``'s most common
    colour (1.0 where there are none)."""
    bg = np.bincount(t.ravel(), minlength=10).argmax()
    drawn = (g != bg) | (t != bg)
    n = int(drawn.sum())
    return 1.0 if n == 0 else float((g == t)[drawn].sum()) / n


def promise_cost(grids: list[np.ndarray], targets: list[np.ndarray]) -> int:
    """Units of work of ``promise`` on a state: a call, a few numpy calls a demonstration, a pass
    over its grids, and the windows a crop compares (a hundred cells compared at once cost a
    unit); measured on 40 arc1-train tasks, the numpy calls a demonstration against 100 of them
    (experiments/calibrate_work.py: charged a call a state alone, it took 1.6 times the time a
    unit of a step takes)."""
    windows = sum((g.shape[0] - t.shape[0] + 1) * (g.shape[1] - t.shape[1] + 1) * t.size
                  for g, t in zip(grids, targets)
                  if g.shape != t.shape and t.shape[0] <= g.shape[0] and t.shape[1] <= g.shape[1])
    return CALL_COST // 2 + CALL_COST // 4 * len(grids) + cells(grids) + windows // 100


def _blocks_seen(g: np.ndarray, t: np.ndarray) -> float:
    """The share of ``t``'s blocks of ``g``'s shape that are ``g`` turned or mirrored; where
    none is, the share of ``t``'s cells ``g`` scaled up gives."""
    h, w = g.shape
    ny, nx = t.shape[0] // h, t.shape[1] // w
    blocks = t.reshape(ny, h, nx, w).swapaxes(1, 2).reshape(ny * nx, h, w)
    seen = np.zeros(ny * nx, bool)
    for name in VIEW_NAMES:
        v = symmetry_array(name, g)
        if v.shape == (h, w):
            seen |= (blocks == v).all(axis=(1, 2))
    if seen.any():
        return float(seen.mean())
    return float((np.repeat(np.repeat(g, ny, axis=0), nx, axis=1) == t).mean())


def _is_window(g: np.ndarray, t: np.ndarray) -> float:
    """1.0 where ``t`` is a window of ``g`` (a crop of it), else 0.0."""
    windows = np.lib.stride_tricks.sliding_window_view(g, t.shape)
    return float((windows == t).all(axis=(2, 3)).any())


_SWAPS = ("transpose", "anti_transpose", "rot90", "rot270")


# Expanding a level into the next is done in chunks, the most promising states first: each chunk
# may spend this share of what is left, and its children are searched for programs (the
# finishing pass) before the next chunk is expanded. So a budget too small to expand a whole
# level still searches the best part of the next one, and depth 3 is reached on a slice.
EXPAND_SHARE = 0.5

# Steps tried only last, never expanded into a state: a block of the outputs' one shape cut from a
# corner (``crop_corner``) would be a state of the outputs' shape, rank first by its promise and draw
# every same-shape step after it, for what is nearly always a wrong answer.
LAST_ONLY = frozenset({"crop_corner"})


def enumerate_programs(problem: Problem, *, max_programs: int, max_depth: int,
                       stats: EnumerationStats | None = None, prune: bool = True,
                       pool: CandidatePool | None = None) -> list[SearchHit]:
    """Compositions of up to ``max_depth`` steps that give every demonstration output, the
    fewest steps first, within ``problem.budget``.

    Each level is searched in two passes. The finishing pass asks of every state whether one
    more step completes a program: it applies each step to the first demonstration only, and
    not at all where the step's declared invariants (``search.invariants``) rule out the
    outputs' shapes or colours; only a step right there is applied to the rest. Only where no
    program is found does the expanding pass apply the steps to every demonstration and test
    input to make the next level's states (the first demonstration's results kept from the
    finishing pass; a step's result on a grid another state shares is known already). The
    expanding pass goes in chunks, the states nearest the outputs first, each chunk's children
    searched for programs before the next chunk is expanded (``EXPAND_SHARE``). So a level is
    searched for programs at a fraction of what expanding it costs, and a budget too small to
    expand a level searches the most promising part of the next one.
    ``stats``, where given, counts what was done; ``prune=False`` applies every step in the
    finishing pass (to measure what the invariants save); ``pool``, where given, is offered the
    input and every state made, in the order made (``search.assemble``: the candidate pieces of
    an assembly, at no further cost)."""
    budget, info = problem.budget, problem.info
    stats = EnumerationStats() if stats is None else stats
    train_in, targets, test_in = list(problem.train_in), list(problem.targets), list(problem.test_in)
    static = static_steps(info)
    # Once a state has the outputs' shapes (after a crop, a pad, a tiling), the steps of a
    # same-shape task apply to it too.
    reshaped = [] if info.same_shape else [
        s for s in static_steps(replace(info, same_shape=True, smaller=False, larger=False)) if s not in static]
    static_keys, shaped_keys = [rule_key(s) for s in static], [rule_key(s) for s in reshaped]
    wanted = [palette(t) for t in targets]
    # Where a composition may end by painting its foreground (``_paint_choice``), its last step
    # need not make the outputs' colours: only shapes rule steps out there.
    paintable = _paint_possible(targets, info.background)
    target0 = targets[0].tobytes()
    seen = {state_key(train_in + test_in)}
    # A step's result on a grid, by step and grid: states that differ elsewhere often share a grid.
    memo: dict[tuple, np.ndarray | None] = {}
    hits: list[SearchHit] = []

    def result(s: Step, grid: np.ndarray) -> np.ndarray | None:
        key = (s, grid.shape, grid.tobytes())
        if key in memo:  # known: reading the key is all it costs
            stats.looked_up += 1
            budget.charge(MEMO_COST + int(grid.size))
            return memo[key]
        stats.applied += 1
        budget.charge(STEP_WEIGHT.get(s.op, 1) * calls([grid]))
        out = memo[key] = apply_step(s, grid)
        return out

    def finish(states: list[_State]) -> bool:
        """The finishing pass over ``states``: False when the budget or ``max_programs`` ends it."""
        for state in states:
            if budget.exhausted:
                return False
            stats.states += 1
            stats.by_steps[len(state.steps)] = stats.by_steps.get(len(state.steps), 0) + 1
            shaped = reshaped if state.steps and all(g.shape == t.shape for g, t in zip(state.train, targets)) else []
            budget.charge(FIT_PASSES * cells(state.train))
            fitted = fitted_steps(state.train, targets, info, charge=budget.charge)
            late = late_steps(state.train, targets, info)
            state.candidates = static + shaped + fitted + late
            if prune:  # each rule (``rule_key``) checked once, every step that declares it ruled out with it
                can = LastStep(state.train, targets, wanted, colors=not paintable, charge=budget.charge)
                keys = static_keys + (shaped_keys if shaped else []) + [rule_key(s) for s in fitted + late]
                tried, rules = can.allowed(keys)
                stats.skipped += len(keys) - len(tried)
                budget.charge(RULE_COST * rules + SKIP_COST * len(keys))
            else:
                tried = range(len(state.candidates))
            for k in tried:
                s = state.candidates[k]
                if budget.exhausted or len(hits) >= max_programs:
                    return False
                first = state.firsts[k] = result(s, state.train[0])
                stats.checked += 1
                budget.charge(CHECK_COST)
                if first is None or not (_equal(first, targets[0], target0)
                                         or (paintable and _same_foreground(first, targets[0], info.background))):
                    continue
                hit = _finish(state, s, first, problem, result)
                if hit is not None:
                    hits.append(hit)
        return True

    def expand(state: _State) -> list[tuple[float, _State]]:
        """``state``'s new children, each with its promise (``promise``)."""
        kids = []
        for k, s in enumerate(state.candidates):
            if budget.exhausted:
                break
            if s.op in LAST_ONLY:
                continue
            first = state.firsts[k] if k in state.firsts else result(s, state.train[0])
            if first is None:
                continue
            train = [first]
            for g in state.train[1:] + state.test:
                r = result(s, g)
                if r is None:
                    break
                train.append(r)
            if len(train) < len(state.train) + len(state.test):
                continue
            key = state_key(train)
            if key in seen:
                continue
            seen.add(key)
            n = len(state.train)
            if pool is not None:
                pool.add(state.steps + (s,), train[:n], train[n:])
            budget.charge(promise_cost(train[:n], targets))
            kids.append((promise(train[:n], targets), _State(state.steps + (s,), train[:n], train[n:])))
        return kids

    level = [_State((), train_in, test_in)]
    if pool is not None:
        pool.add((), train_in, test_in)
    stats.depth = 1
    if not finish(level) or hits or max_depth == 1:
        return hits
    for depth in range(2, max_depth + 1):
        stats.depth = depth
        children: list[tuple[float, int, _State]] = []
        i = 0
        while i < len(level):
            chunk_start, allowed = budget.spent, EXPAND_SHARE * budget.left
            kids: list[tuple[float, int, _State]] = []
            while i < len(level) and budget.spent - chunk_start <= allowed and not budget.exhausted:
                kids += [(c, len(children) + len(kids), st) for c, st in expand(level[i])]
                i += 1
            # Most promising states first, so a budget that runs out mid-level spends itself well.
            kids.sort(key=lambda c: (-c[0], c[1]))
            children += kids
            if not finish([c[2] for c in kids]) or budget.exhausted:
                return hits
        if hits or depth == max_depth:
            break
        children.sort(key=lambda c: (-c[0], c[1]))
        level = [c[2] for c in children]
    return hits


def _equal(grid: np.ndarray, target: np.ndarray, target_bytes: bytes) -> bool:
    """``np.array_equal(grid, target)``, read off the bytes where the dtypes agree (a tenth of
    its time on a small grid; the finishing pass asks it of every candidate)."""
    if grid.shape != target.shape:
        return False
    if grid.dtype == target.dtype:
        return grid.tobytes() == target_bytes
    return bool(np.array_equal(grid, target))


def _finish(state: _State, s: Step, first: np.ndarray, problem: Problem, result) -> SearchHit | None:
    """The hit ``state`` then ``s`` makes (``first``: its result on demonstration 0), if it gives
    every demonstration its output, or does once its foreground is painted; else None.
    ``result(step, grid)``: the step's result on a grid, charged (the enumeration's memo)."""
    info = problem.info
    targets, train_in, test_in = list(problem.targets), list(problem.train_in), list(problem.test_in)
    train = [first]
    for g in state.train[1:]:
        train.append(result(s, g))
        if train[-1] is None:
            return None
    solved = all(np.array_equal(g, t) for g, t in zip(train, targets))
    by = None if solved else _paint_choice(train, targets, train_in, info.background)
    if not solved and by is None:
        return None
    test = [result(s, g) for g in state.test]
    if any(g is None for g in test):
        return None
    steps = state.steps + (s,)
    if by is not None:
        painted = _painted(test, test_in, by, info.background)
        if painted is None:
            return None
        program = step_program(steps, paint_by=(by, info.background), family="compose+paint")
        return SearchHit(
            source=program.source,
            description=" | ".join(x.label for x in steps) + f" | paint_foreground(by={by!r})",
            steps=steps,
            test_outputs=tuple(from_array(g) for g in painted),
            family="compose+paint",
            program=program,
        )
    program = step_program(steps)
    return SearchHit(
        source=program.source,
        description=" | ".join(x.label for x in steps),
        steps=steps,
        test_outputs=tuple(from_array(g) for g in test),
        program=program,
    )


def _paint_possible(targets: list[np.ndarray], background: int | None) -> bool:
    """Whether every output's foreground is one colour, not the same in all of them: the only
    case ``_paint_choice`` can answer."""
    colors = set()
    for t in targets:
        fg = t[t != resolve_background(t, background)]
        if fg.size == 0 or (fg != fg[0]).any():
            return False
        colors.add(int(fg[0]))
    return len(colors) > 1


def _same_foreground(grid: np.ndarray, target: np.ndarray, background: int | None) -> bool:
    if grid.shape != target.shape:
        return False
    bg = resolve_background(grid, background)
    return resolve_background(target, background) == bg and np.array_equal(grid != bg, target != bg)


def _paint_choice(grids: list[np.ndarray], targets: list[np.ndarray], inputs: list[np.ndarray],
                  background: int | None) -> str | None:
    """The ``pick_color`` choice on the inputs whose colour, painted over the foreground of
    ``grids``, gives the targets; only where the targets' colour differs between demonstrations
    (a constant colour is a fitted recolouring's job, and names no choice)."""
    wanted = []
    for g, t in zip(grids, targets):
        if g.shape != t.shape:
            return None
        bg = resolve_background(g, background)
        fg = g != bg
        if resolve_background(t, background) != bg or not fg.any() or not np.array_equal(fg, t != bg):
            return None
        colors = np.unique(t[fg])
        if len(colors) != 1:
            return None
        wanted.append(int(colors[0]))
    if len(set(wanted)) < 2:
        return None
    return next((by for by in COLOR_PICKS
                 if all(pick_color(x, by, background) == c for x, c in zip(inputs, wanted))), None)


def _painted(grids: list[np.ndarray], inputs: list[np.ndarray], by: str, background: int | None) -> list | None:
    colors = [pick_color(x, by, background) for x in inputs]
    if None in colors:
        return None
    return [paint_foreground(g, color=c, background=background) for g, c in zip(grids, colors)]

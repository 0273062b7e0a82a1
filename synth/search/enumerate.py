"""Enumerative search over compositions of steps, smallest first, evaluated in-process.

Breadth-first by number of steps. Intermediate states are deduplicated by what they hold on
every train and test input; a composition is complete when its train outputs equal the
demonstration outputs. Once a size yields programs, larger sizes are not searched: fewer,
simpler hits beat many spurious ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from arc.grid import MAX_SIDE, Grid, from_array, to_array
from arc.task import Example, Task
from dsl.cells import cells_to_pixels, pixels_to_cells
from dsl.color import resolve_background
from dsl.palette import color_roles, paint_foreground, remap_colors
from dsl.partition import COLOR_PICKS, pick_color
from synth.search.budget import DEFAULT_WORK_BUDGET, WorkBudget, as_budget, calls, cells
from synth.search.emit import emit_program, step_call
from synth.search.local_rules import emit_after, learn_local_rules
from synth.search.objects import object_programs
from synth.search.steps import Step, fitted_steps, static_steps, task_info


@dataclass(frozen=True)
class SearchHit:
    """A program found by the search, with what it gave in-process."""

    source: str
    description: str
    steps: tuple[Step, ...]
    test_outputs: tuple[Grid, ...]
    # "compose" (enumerated steps), "compose+paint" (then the foreground painted in a colour chosen on
    # the input), "local-rule", "local-rule-after-step", or "objects:<family>"
    family: str = "compose"
    # Fits every demonstration but not when one is held out (a local rule, an assembly, a
    # lookup learnt with that demonstration out of view does not answer it): an answer, never
    # ``unique`` on its own.
    tentative: bool = False
    # A last resort (a local rule whose changes no two demonstrations replicate): reported only
    # where the search finds no other program. Always tentative.
    fallback: bool = False


@dataclass
class _State:
    steps: tuple[Step, ...]
    train: list[np.ndarray]
    test: list[np.ndarray]


def _apply(s: Step, grid: np.ndarray) -> np.ndarray | None:
    try:
        out = s.apply(grid)
    except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError):
        return None  # an operation outside its domain is simply not applicable
    if out is None or out.ndim != 2 or not (1 <= out.shape[0] <= MAX_SIDE and 1 <= out.shape[1] <= MAX_SIDE):
        return None
    return np.ascontiguousarray(out, dtype=np.int64)


def _apply_all(s: Step, grids: list[np.ndarray]) -> list[np.ndarray] | None:
    out = []
    for g in grids:
        r = _apply(s, g)
        if r is None:
            return None
        out.append(r)
    return out


def _key(grids: list[np.ndarray]) -> tuple:
    return tuple((g.shape, g.tobytes()) for g in grids)


def _closeness(grids: list[np.ndarray], targets: list[np.ndarray]) -> float:
    """How near a state is to the outputs: right shapes first, then share of right cells."""
    score = 0.0
    for g, t in zip(grids, targets):
        if g.shape == t.shape:
            score += 1.0 + float((g == t).mean())
    return score / len(targets)


# Fitting a state's steps (colour maps, object recolourings, ...) costs about this many units a cell
# of its grids (measured: 2.6 ms for 150 cells).
FIT_PASSES = 80


def _enumerate(task: Task, *, budget: WorkBudget, max_programs: int, max_depth: int) -> list[SearchHit]:
    train_in = [to_array(e.input) for e in task.train]
    targets = [to_array(e.output) for e in task.train]
    test_in = [to_array(e.input) for e in task.test]
    info = task_info(list(zip(train_in, targets)))
    static = static_steps(info)
    # Once a state has the outputs' shapes (after a crop, a pad, a tiling), the steps of a
    # same-shape task apply to it too.
    reshaped = [] if info.same_shape else [
        s for s in static_steps(replace(info, same_shape=True, smaller=False, larger=False)) if s not in static]
    seen = {_key(train_in + test_in)}
    frontier = [_State((), train_in, test_in)]
    hits: list[SearchHit] = []
    for depth in range(1, max_depth + 1):
        last = depth == max_depth
        children: list[tuple[float, int, _State]] = []
        for state in frontier:
            if budget.exhausted:
                return hits
            shaped = reshaped if state.steps and all(g.shape == t.shape for g, t in zip(state.train, targets)) else []
            budget.charge(FIT_PASSES * cells(state.train))
            for s in static + shaped + fitted_steps(state.train, targets, info):
                if budget.exhausted or len(hits) >= max_programs:
                    return hits
                budget.charge(calls(state.train[:1]))
                first = _apply(s, state.train[0])
                if first is None or (last and not np.array_equal(first, targets[0])):
                    continue  # cheap early rejection on the first demonstration
                budget.charge(calls(state.train[1:]))
                rest = _apply_all(s, state.train[1:])
                if rest is None:
                    continue
                train = [first] + rest
                solved = all(np.array_equal(g, t) for g, t in zip(train, targets))
                if last and not solved:
                    continue
                budget.charge(calls(state.test))
                test = _apply_all(s, state.test)
                if test is None:
                    continue
                steps = state.steps + (s,)
                by = None if solved else _paint_choice(train, targets, train_in, info.background)
                painted = _painted(test, test_in, by, info.background) if by else None
                if painted is not None:
                    hits.append(SearchHit(
                        source=emit_program(steps, paint_by=(by, info.background)),
                        description=" | ".join(x.label for x in steps) + f" | paint_foreground(by={by!r})",
                        steps=steps,
                        test_outputs=tuple(from_array(g) for g in painted),
                        family="compose+paint",
                    ))
                    continue
                if solved:
                    hits.append(SearchHit(
                        source=emit_program(steps),
                        description=" | ".join(x.label for x in steps),
                        steps=steps,
                        test_outputs=tuple(from_array(g) for g in test),
                    ))
                    continue
                key = _key(train + test)
                if key in seen:
                    continue
                seen.add(key)
                children.append((_closeness(train, targets), len(children), _State(steps, train, test)))
        if hits:
            break
        # Most promising states first, so a budget that runs out mid-level spends itself well.
        children.sort(key=lambda c: (-c[0], c[1]))
        frontier = [c[2] for c in children]
    return hits


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


# The whole-program families run first, each on a share of the work budget; the enumeration gets
# the rest. Their programs follow the enumeration's, so a composition stays the first answer. The
# shares, with the part kept back for the roles lift, add up to at most 0.75, so the enumeration
# always has a quarter of the budget, whatever the families spend.
LOCAL_RULE_SHARE = 0.2  # local_rules.py: per-cell rules, same-shape tasks only
AFTER_STEP_SHARE = 0.1  # same-shape tasks: local rules after one step, when none fits the inputs
# (tasks whose shapes change: LOCAL_RULE_SHARE, the learner having had none on the inputs)
OBJECT_SHARE = 0.15  # objects.py: parts, objects, assembly
CELL_SHARE = 0.15  # same-shape tasks on a grid of one-colour cells: the search again, a pixel per cell
ROLE_SHARE = 0.15  # tasks whose colours change between demonstrations: the search again on colours
# renamed by role, when it finds nothing otherwise


def search_programs(
    task: Task,
    *,
    budget: int | WorkBudget = DEFAULT_WORK_BUDGET,
    max_programs: int = 50,
    max_depth: int = 3,
    lift: bool = True,
) -> list[SearchHit]:
    """Train-consistent programs for ``task``: enumerated compositions, simplest first, then the
    object/part families' programs, then local rules, then (``lift``) programs on one pixel per
    cell of a partitioned grid and, where none of these fits, programs on colours renamed by
    role (at most ``max_programs`` in all), the fallback hits only where there is no other.

    ``budget`` is work in cells (``synth.search.budget``), an int or a ``WorkBudget`` whose
    ``spent`` and ``capped`` the caller reads afterwards; every share of it is a share of work,
    so the search is deterministic whatever the machine's speed or load."""
    budget = as_budget(budget)
    lifted = _cell_space_hits(task, budget=budget.share(CELL_SHARE), max_depth=max_depth) if lift else []
    rules = learn_local_rules(task, budget=budget.share(LOCAL_RULE_SHARE))
    local = [SearchHit(r.source, r.description, (), r.test_outputs, "local-rule", r.tentative, not r.replicated)
             for r in rules]
    if not any(r.replicated for r in rules):
        local += _rules_after_a_step(task, search_budget=budget)
    families = [SearchHit(p.source, p.description, (), outputs, f"objects:{p.family}", p.tentative)
                for p, outputs in object_programs(task, budget=budget.share(OBJECT_SHARE))]
    found = families + local + lifted
    # Work for the search on colours renamed by role is kept back only while nothing fits.
    roles = _task_roles(task) if lift and all(h.fallback for h in found) else None
    hits = _enumerate(task, budget=budget.part(budget.left - (int(ROLE_SHARE * budget.limit) if roles else 0)),
                      max_programs=max_programs, max_depth=max_depth)
    found = hits + found
    if roles and all(h.fallback for h in found):
        found += _role_space_hits(task, roles, budget=budget.part(budget.left), max_depth=max_depth)
    return ([h for h in found if not h.fallback] or found)[:max_programs]


_CELL_WRAPPER = """

def transform(input_grid):
    # The grid is a partition of one-colour cells: the program above runs on one pixel per cell.
    grid = np.array(input_grid, dtype=int)
    small = cells_to_pixels(grid, gaps={gaps})
    if small is None:
        return None
    small = cell_transform(small)
    if small is None:
        return None
    return pixels_to_cells(np.array(small, dtype=int), grid, gaps={gaps})
"""


def _cell_space_hits(task: Task, *, budget: WorkBudget, max_depth: int) -> list[SearchHit]:
    """On a same-shape task whose inputs and outputs are partitions (``split_cells``) of
    one-colour cells, alike in each demonstration: the search run on one pixel per cell, each
    program it finds wrapped to read the cells and write them back. Not lifted again."""
    train_in = [to_array(e.input) for e in task.train]
    targets = [to_array(e.output) for e in task.train]
    test_in = [to_array(e.input) for e in task.test]
    if any(g.shape != t.shape for g, t in zip(train_in, targets)):
        return []
    for gaps in (False, True, None):
        grids = train_in + test_in
        small_in = [cells_to_pixels(g, gaps) for g in grids]
        small_out = [cells_to_pixels(t, gaps) for t in targets]
        # Nothing lost: every input is its own pixels written back, every output its input's cells recoloured.
        if any(s is None for s in small_in + small_out) or not all(
                np.array_equal(pixels_to_cells(s, g, gaps), want)
                for s, g, want in zip(small_in + small_out, grids + train_in, grids + targets)):
            continue
        if all(np.array_equal(a, b) for a, b in zip(small_in, small_out)):
            return []
        small = Task(task.id, tuple(Example(from_array(g), from_array(t)) for g, t in zip(small_in, small_out)),
                     tuple(Example(from_array(g)) for g in small_in[len(targets):]))
        hits = []
        for h in search_programs(small, budget=budget, max_depth=max_depth, lift=False):
            outs = [pixels_to_cells(to_array(o), g, gaps) for o, g in zip(h.test_outputs, test_in)]
            if any(o is None for o in outs):
                continue
            source = h.source.replace("def transform(", "def cell_transform(", 1) + _CELL_WRAPPER.format(gaps=gaps)
            hits.append(replace(h, source=source, description=f"in cell space: {h.description}",
                                test_outputs=tuple(from_array(o) for o in outs), family=f"cells:{h.family}"))
        return hits
    return []


_ROLE_WRAPPER = """

def transform(input_grid):
    # Colours play roles: the program above runs on the grid's colours renamed by their cell counts
    # (those outside {fixed}), and its output's colours are named back.
    grid = np.array(input_grid, dtype=int)
    roles = color_roles(grid, fixed={fixed})
    out = role_transform(remap_colors(grid, roles))
    if out is None:
        return None
    return remap_colors(np.array(out, dtype=int), tuple((b, a) for a, b in roles))
"""


def _task_roles(task: Task) -> tuple[tuple[int, ...], list[tuple]] | None:
    """The colours every input holds (and those every output holds that no input does) keep
    their names; the others are renamed per grid by ``color_roles``. (fixed, renaming of each
    train then test input) when not all renamings are alike, else None."""
    inputs = [to_array(e.input) for e in task.train + task.test]
    outputs = [to_array(e.output) for e in task.train]
    sets = [set(np.unique(g).tolist()) for g in inputs]
    out_sets = [set(np.unique(g).tolist()) for g in outputs]
    fixed = set.intersection(*sets) | (set.intersection(*out_sets) - set.union(*sets))
    fixed = tuple(sorted(fixed))
    renamings = [color_roles(g, fixed) for g in inputs]
    if len(set(renamings)) == 1:
        return None
    return fixed, renamings


def _role_space_hits(task: Task, roles: tuple[tuple[int, ...], list[tuple]], *, budget: WorkBudget,
                     max_depth: int) -> list[SearchHit]:
    """The search run on the task with each grid's colours renamed by its input's roles
    (``_task_roles``), each program it finds wrapped to rename them and back. Not lifted again."""
    fixed, renamings = roles
    n = len(task.train)
    renamed = [remap_colors(to_array(e.input), r) for e, r in zip(task.train + task.test, renamings)]
    outs = [remap_colors(to_array(e.output), r) for e, r in zip(task.train, renamings)]
    role_task = Task(task.id, tuple(Example(from_array(g), from_array(o)) for g, o in zip(renamed, outs)),
                     tuple(Example(from_array(g)) for g in renamed[n:]))
    hits = []
    for h in search_programs(role_task, budget=budget, max_depth=max_depth, lift=False):
        back = [remap_colors(to_array(o), tuple((b, a) for a, b in r)) for o, r in zip(h.test_outputs, renamings[n:])]
        source = h.source.replace("def transform(", "def role_transform(", 1) + _ROLE_WRAPPER.format(fixed=fixed)
        hits.append(replace(h, source=source, description=f"with colours renamed by role: {h.description}",
                            test_outputs=tuple(from_array(o) for o in back), family=f"roles:{h.family}"))
    return hits


MAX_PRE_STEPS = 6


def _rules_after_a_step(task: Task, *, search_budget: WorkBudget) -> list[SearchHit]:
    """Local rules learnt on what one step makes of the inputs, each of at most ``MAX_PRE_STEPS``
    steps with an equal share of the budget. Where the outputs differ in shape from the inputs:
    the first steps, in the enumeration's order, that give every demonstration its output's
    shape (a crop, a tiling, a pad, ...). Where they do not: the steps that leave more cells
    right than the inputs do (a gravity, a fill, a completed symmetry), the most right first.
    Never a step that is itself the answer (the enumeration's job). Its share of the search's
    budget is ``LOCAL_RULE_SHARE``, or ``AFTER_STEP_SHARE`` on a same-shape task, where the learner
    has had its share on the inputs already."""
    train_in = [to_array(e.input) for e in task.train]
    targets = [to_array(e.output) for e in task.train]
    test_in = [to_array(e.input) for e in task.test]
    info = task_info(list(zip(train_in, targets)))
    budget = search_budget.share(AFTER_STEP_SHARE if info.same_shape else LOCAL_RULE_SHARE)
    seen: set[tuple] = set()
    pre: list[tuple[Step, list[np.ndarray], list[np.ndarray]]] = []
    closer: list[tuple[float, int]] = []  # same-shape tasks: (cells right, order) per entry of pre
    base = _closeness(train_in, targets)
    for s in static_steps(info) + fitted_steps(train_in, targets, info):
        if (not info.same_shape and len(pre) >= MAX_PRE_STEPS) or budget.exhausted:
            break
        budget.charge(calls(train_in))
        train = _apply_all(s, train_in)
        if train is None or any(g.shape != t.shape for g, t in zip(train, targets)):
            continue
        if all(np.array_equal(g, t) for g, t in zip(train, targets)):
            continue  # the step alone answers: the enumeration's job
        if info.same_shape and _closeness(train, targets) <= base:
            continue
        budget.charge(calls(test_in))
        test = _apply_all(s, test_in)
        if test is None or _key(train + test) in seen:
            continue
        seen.add(_key(train + test))
        closer.append((-_closeness(train, targets), len(pre)))
        pre.append((s, train, test))
    if info.same_shape:
        pre = [pre[k] for _, k in sorted(closer)[:MAX_PRE_STEPS]]
    hits: list[SearchHit] = []
    for k, (s, train, test) in enumerate(pre):
        share = budget.left // (len(pre) - k)
        if share <= 0:
            break
        shaped = Task(task.id, tuple(Example(from_array(g), from_array(t)) for g, t in zip(train, targets)),
                      tuple(Example(from_array(g)) for g in test))
        for rule in learn_local_rules(shaped, budget=budget.part(share)):
            source = emit_after(step_call(s), rule)
            hits.append(SearchHit(source, f"{s.label} | {rule.description}", (s,), rule.test_outputs,
                                  "local-rule-after-step", rule.tentative, not rule.replicated))
    return hits


def group_hits(hits: list[SearchHit]) -> tuple[str, list[tuple[Grid, ...]]]:
    """("unique" | "several" | "none", test-output tuples ranked by group size, then simplest
    first). ``unique`` needs one group with a hit in it that is not tentative."""
    groups: dict[tuple[Grid, ...], int] = {}
    for h in hits:
        groups[h.test_outputs] = groups.get(h.test_outputs, 0) + 1
    ranked = sorted(groups, key=lambda k: -groups[k])  # stable: ties keep first-found order
    if not ranked:
        return "none", ranked
    sure = len(ranked) == 1 and not all(h.tentative for h in hits)
    return ("unique" if sure else "several"), ranked

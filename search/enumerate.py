"""Breadth-first enumeration of compositions of steps, smallest first, evaluated in-process.

Breadth-first by number of steps. Intermediate states are deduplicated by what they hold on
every train and test input; a composition is complete when its train outputs equal the
demonstration outputs. Once a size yields programs, larger sizes are not searched: fewer,
simpler hits beat many spurious ones. Once a state has the outputs' shapes (after a crop, a pad,
a tiling), the steps of a same-shape task join in. Every step applied is charged to the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from arc.grid import from_array
from dsl.color import resolve_background
from dsl.palette import paint_foreground
from dsl.partition import COLOR_PICKS, pick_color
from search.budget import calls, cells
from search.emit import step_program
from search.hits import SearchHit
from search.problem import Problem
from search.program import as_result, safe_call
from search.steps import Step, fitted_steps, static_steps

# Fitting a state's steps (colour maps, object recolourings, ...) costs about this many units a cell
# of its grids (measured: 2.6 ms for 150 cells).
FIT_PASSES = 80


@dataclass
class _State:
    steps: tuple[Step, ...]
    train: list[np.ndarray]
    test: list[np.ndarray]


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
    """How near a state is to the outputs: right shapes first, then share of right cells."""
    score = 0.0
    for g, t in zip(grids, targets):
        if g.shape == t.shape:
            score += 1.0 + float((g == t).mean())
    return score / len(targets)


def enumerate_programs(problem: Problem, *, max_programs: int, max_depth: int) -> list[SearchHit]:
    """Compositions of up to ``max_depth`` steps that give every demonstration output, the
    fewest steps first, within ``problem.budget``."""
    budget, info = problem.budget, problem.info
    train_in, targets, test_in = list(problem.train_in), list(problem.targets), list(problem.test_in)
    static = static_steps(info)
    # Once a state has the outputs' shapes (after a crop, a pad, a tiling), the steps of a
    # same-shape task apply to it too.
    reshaped = [] if info.same_shape else [
        s for s in static_steps(replace(info, same_shape=True, smaller=False, larger=False)) if s not in static]
    seen = {state_key(train_in + test_in)}
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
                first = apply_step(s, state.train[0])
                if first is None or (last and not np.array_equal(first, targets[0])):
                    continue  # cheap early rejection on the first demonstration
                budget.charge(calls(state.train[1:]))
                rest = apply_all(s, state.train[1:])
                if rest is None:
                    continue
                train = [first] + rest
                solved = all(np.array_equal(g, t) for g, t in zip(train, targets))
                if last and not solved:
                    continue
                budget.charge(calls(state.test))
                test = apply_all(s, state.test)
                if test is None:
                    continue
                steps = state.steps + (s,)
                by = None if solved else _paint_choice(train, targets, train_in, info.background)
                painted = _painted(test, test_in, by, info.background) if by else None
                if painted is not None:
                    program = step_program(steps, paint_by=(by, info.background), family="compose+paint")
                    hits.append(SearchHit(
                        source=program.source,
                        description=" | ".join(x.label for x in steps) + f" | paint_foreground(by={by!r})",
                        steps=steps,
                        test_outputs=tuple(from_array(g) for g in painted),
                        family="compose+paint",
                        program=program,
                    ))
                    continue
                if solved:
                    program = step_program(steps)
                    hits.append(SearchHit(
                        source=program.source,
                        description=" | ".join(x.label for x in steps),
                        steps=steps,
                        test_outputs=tuple(from_array(g) for g in test),
                        program=program,
                    ))
                    continue
                key = state_key(train + test)
                if key in seen:
                    continue
                seen.add(key)
                children.append((closeness(train, targets), len(children), _State(steps, train, test)))
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

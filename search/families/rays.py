"""Rays from objects to the border or to an obstacle, their directions learnt (same-shape tasks
where only background cells change).

Every candidate ray (a source colour, one of eight directions, stopping at the first obstacle or
running to the border) is cast from every object of its colour on every demonstration; one that
paints a cell that does not change, or two colours, is out. The fewest candidates that together
paint every changed cell (greedy cover, most new cells first) make the program, one call of
``cast_rays``. It is tentative where the cover learnt without one demonstration does not draw it,
and where the demonstrations do not single its rays out: another candidate that paints exactly
the same cells on every demonstration (another direction, a stop no ray met, another source)
gives another test answer.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dsl.color import resolve_background
from dsl.objects import find_objects
from dsl.rays import DIRECTIONS, MARKED, STOPS, cast_rays, casts, ray_cells
from search.budget import calls, cells
from search.families.common import same
from search.problem import Problem
from search.program import Program, safe_call

MAX_RAYS = 4
MAX_OBJECTS = 30


def ray_programs(problem: Problem) -> Iterator[Program]:
    """Rays cast from objects of some colours in the directions the demonstrations show."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape:
        return
    bgs = [resolve_background(g, info.background) for g in inputs]
    changed = [g != t for g, t in zip(inputs, targets)]
    if not any(c.any() for c in changed) or any((g[c] != bg).any() for g, c, bg in zip(inputs, changed, bgs)):
        return  # only background cells may change
    budget.charge(calls(inputs))
    objects = [find_objects(g, bg, 8, True) for g, bg in zip(inputs, bgs)]
    if any(len(o) > MAX_OBJECTS for o in objects):
        return
    sources = sorted({int(g[m][0]) for g, ms in zip(inputs, objects) for m in ms})
    candidates = []  # (ray, painted cells per demonstration as index sets)
    for color in (*sources, None):
        anchors = [f"toward:{c}" for c in ("any", *sources) if c != color]
        for direction in (*DIRECTIONS, *anchors, *MARKED):
            for stop in STOPS[:1] if direction.startswith("toward") else STOPS:
                if budget.exhausted:
                    return
                budget.charge(3 * cells(inputs))  # a walk along the rays from every object (measured)
                ray = _fitted(inputs, targets, objects, changed, color, direction, stop, bgs)
                if ray is not None:
                    candidates.append(ray)
    chosen = _cover(candidates, changed, range(len(inputs)))
    if chosen is None:
        return
    rays = tuple(candidates[k][0] for k in chosen)
    if not same([safe_call(cast_rays, g, rays, info.background) for g in inputs], targets):
        return
    held = len(inputs) > 1 and all(_draws(candidates, changed, j) for j in range(len(inputs)))
    held = held and _singled_out(candidates, chosen, problem)
    yield Program("rays", (f"grid = cast_rays(grid, rays={rays!r}, background={info.background!r})",),
                  tentative=not held)


def _singled_out(candidates, chosen: list[int], problem: Problem) -> bool:
    """No chosen ray can be swapped for another candidate that paints the same cells on every
    demonstration and goes another way (left and right alike: every segment drawn runs between
    two sources, so the demonstrations show pairs joined, not a direction), or that draws a
    different answer on a test input (another stop, another source)."""
    rays = [candidates[k][0] for k in chosen]
    tests, bg = list(problem.test_in), problem.info.background
    answer = None
    for slot, k in enumerate(chosen):
        for ray, painted in candidates:
            if painted != candidates[k][1] or ray == rays[slot]:
                continue
            if ray[1] != rays[slot][1]:
                return False
            problem.budget.charge(2 * calls(tests))
            if answer is None:
                answer = [safe_call(cast_rays, g, tuple(rays), bg) for g in tests]
            other = tuple(rays[:slot] + [ray] + rays[slot + 1:])
            outs = [safe_call(cast_rays, g, other, bg) for g in tests]
            if any((a is None) != (o is None) or (a is not None and not np.array_equal(a, o))
                   for a, o in zip(answer, outs)):
                return False
    return True


def _fitted(inputs, targets, objects, changed, color, direction, stop, bgs):
    """The ray ((color, direction, paint, stop), its cells) when every cell it paints changes, to
    one colour; None otherwise or when it paints nothing."""
    paint = set()
    cells = []
    for i, (g, t, ms, c, bg) in enumerate(zip(inputs, targets, objects, changed, bgs)):
        for m in ms:
            if not casts(int(g[m][0]), color, direction):
                continue
            for r, col in ray_cells(g, m, direction, stop, bg):
                if not c[r, col]:
                    return None
                paint.add(int(t[r, col]) if color is not None or t[r, col] != g[m][0] else None)
                cells.append((i, r, col))
        if len(paint) > 1:
            return None
    if not cells:
        return None
    p = paint.pop()
    return (color, direction, None if p == color else p, stop), frozenset(cells)



def _draws(candidates, changed, j: int) -> bool:
    """The cover learnt without demonstration ``j`` paints every changed cell of ``j``."""
    chosen = _cover(candidates, changed, [i for i in range(len(changed)) if i != j])
    if chosen is None:
        return False
    painted = set().union(*(candidates[k][1] for k in chosen))
    return all((j, int(r), int(c)) in painted for r, c in zip(*np.nonzero(changed[j])))


def _cover(candidates, changed, demos) -> list[int] | None:
    """Indices of the fewest candidates (greedily) that paint every changed cell of ``demos``."""
    demos = set(demos)
    need = {(i, r, c) for i in demos for r, c in zip(*np.nonzero(changed[i]))}
    need = {(i, int(r), int(c)) for i, r, c in need}
    chosen: list[int] = []
    while need:
        gains = [len(cells & need) for _, cells in candidates]
        # most new cells; on a tie a ray in its source's own colour, then the first
        best = max(range(len(candidates)), key=lambda k: (gains[k], candidates[k][0][2] is None, -k), default=None)
        if best is None or gains[best] == 0 or len(chosen) == MAX_RAYS:
            return None
        chosen.append(best)
        need -= candidates[best][1]
    return sorted(chosen)

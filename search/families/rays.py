"""Rays from objects to the border or to an obstacle, their directions learnt (same-shape tasks
where only background cells change).

Every candidate ray (a source colour, one of eight directions, stopping at the first obstacle,
running to the border, or a diagonal bouncing between two borders) is cast from every object of
its colour on every demonstration; it paints one colour, or failing that a cycle of two read off
its odd and even steps (a dotted line, a step left as it is allowed only there); one that paints
a cell that does not change otherwise, or two colours at one step of its cycle, is out. Where
every background cell changes, the colour most of them take fills what no ray paints (``rest``). The fewest candidates that together
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
from dsl.rays import BOUNCES, DIRECTIONS, MARKED, STOPS, STRAIGHT, cast_rays, casts, ray_steps
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
    rest = _rest(inputs, targets, changed, bgs)
    if rest is not None:  # the cells the rest colour takes need no ray
        changed = [c & (t != rest) for c, t in zip(changed, targets)]
    candidates = []  # (ray, painted cells per demonstration as index sets)
    for color in (*sources, None):
        anchors = [f"toward:{c}" for c in ("any", *sources) if c != color]
        for direction in (*DIRECTIONS, *anchors, *MARKED):
            stops = STOPS + BOUNCES if direction in DIRECTIONS and direction not in STRAIGHT else STOPS
            for stop in STOPS[:1] if direction.startswith("toward") else stops:
                if budget.exhausted:
                    return
                budget.charge(3 * cells(inputs))  # a walk along the rays from every object (measured)
                ray = _fitted(inputs, targets, objects, changed, color, direction, stop, bgs, rest)
                if ray is not None:
                    candidates.append(ray)
    chosen = _cover(candidates, changed, range(len(inputs)))
    if chosen is None:
        return
    rays = tuple(candidates[k][0] for k in chosen)
    if not same([safe_call(cast_rays, g, rays, info.background, rest) for g in inputs], targets):
        return
    held = len(inputs) > 1 and all(_draws(candidates, changed, j) for j in range(len(inputs)))
    held = held and _singled_out(candidates, chosen, problem, rest)
    more = "" if rest is None else f", rest={rest}"
    yield Program("rays", (f"grid = cast_rays(grid, rays={rays!r}, background={info.background!r}{more})",),
                  tentative=not held)


def _rest(inputs, targets, changed, bgs) -> int | None:
    """The colour most changed cells take where every demonstration changes every background cell
    (and some to another colour, which rays must draw); None otherwise."""
    if not all(np.array_equal(c, g == bg) for g, c, bg in zip(inputs, changed, bgs)):
        return None
    counts = np.bincount(np.concatenate([t[c] for t, c in zip(targets, changed)]), minlength=10)
    rest = int(np.argmax(counts))
    return rest if counts.sum() > counts[rest] else None


def _singled_out(candidates, chosen: list[int], problem: Problem, rest: int | None) -> bool:
    """No chosen ray can be swapped for another candidate that paints the same cells on every
    demonstration and goes another way (left and right alike: every segment drawn runs between
    two sources, so the demonstrations show pairs joined, not a direction), or that draws a
    different answer on a test input (another stop, another source, a bounce the other way). A
    bounce is no rival to a ray that does not bounce: no demonstration shows it reflect."""
    rays = [candidates[k][0] for k in chosen]
    tests, bg = list(problem.test_in), problem.info.background
    answer = None
    for slot, k in enumerate(chosen):
        for ray, painted in candidates:
            if painted != candidates[k][1] or ray == rays[slot]:
                continue
            if ray[3] in BOUNCES and rays[slot][3] not in BOUNCES:
                continue  # a bounce no demonstration shows is the longer story, not a rival
            if ray[1] != rays[slot][1] and ray[3] not in BOUNCES:
                return False
            problem.budget.charge(2 * calls(tests))
            if answer is None:
                answer = [safe_call(cast_rays, g, tuple(rays), bg, rest) for g in tests]
            other = tuple(rays[:slot] + [ray] + rays[slot + 1:])
            outs = [safe_call(cast_rays, g, other, bg, rest) for g in tests]
            if any((a is None) != (o is None) or (a is not None and not np.array_equal(a, o))
                   for a, o in zip(answer, outs)):
                return False
    return True


def _fitted(inputs, targets, objects, changed, color, direction, stop, bgs, rest=None):
    """The ray ((color, direction, paint, stop), the cells it changes) when every cell it paints
    changes, to one colour (one colour per step of a cycle of two, where one step may leave its
    cell as it is); None otherwise or when it paints nothing. A cell that takes the ``rest``
    colour counts as changed to it (the cover does not need it)."""
    seen = []  # (demo, row, column, step, colour it takes: None for the source's own, -1 unchanged)
    for i, (g, t, ms, c, bg) in enumerate(zip(inputs, targets, objects, changed, bgs)):
        for m in ms:
            own = int(g[m][0])
            if not casts(own, color, direction):
                continue
            for r, col, k in ray_steps(g, m, direction, stop, bg):
                if not c[r, col] and (rest is None or t[r, col] != rest):
                    took = -1
                elif color is None and t[r, col] == own:
                    took = None
                else:
                    took = int(t[r, col])
                seen.append((i, r, col, k, took))
    if not seen:
        return None
    for period in (1, 2):
        slots = [{took for *_, k, took in seen if (k - 1) % period == s} for s in range(period)]
        if any(len(v) != 1 for v in slots) or all(v == {-1} for v in slots) or (period == 1 and slots[0] == {-1}):
            continue
        paint = [v.pop() for v in slots]
        paint = ["skip" if p == -1 else None if p == color else p for p in paint]
        cells = frozenset((i, r, col) for i, r, col, k, took in seen if took != -1)
        return (color, direction, paint[0] if period == 1 else tuple(paint), stop), cells
    return None


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

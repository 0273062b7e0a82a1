"""Greedy assembly: an output built as layers of partial candidates.

Each candidate is a grid some one-step program makes from the input. Where a candidate is not
background it "paints"; it explains the demonstration cells it paints correctly. Layers are
chosen from the top down: the top layer must be right everywhere it paints, each next layer
must be right wherever it paints cells not yet explained (what lies under a higher layer is
hidden), and the bottom layer is either a whole candidate right on every cell left or nothing
(every cell left is background). The layer explaining the most cells goes next; more than
``MAX_LAYERS`` layers is memorising, not a rule, and is refused. An assembly must also hold
out: chosen greedily on all demonstrations but one, its layers must build the one left out, for
each demonstration; one that does not is ``tentative`` (an answer, never ``unique``).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from search.budget import WorkBudget, calls
from search.emit import step_call
from search.problem import Problem
from search.program import Program, as_result, safe_call
from search.steps import Step, TaskInfo, fitted_steps, static_steps

MAX_LAYERS = 3
MAX_CANDIDATES = 400


def _candidates(inputs: list[np.ndarray], targets: list[np.ndarray], info: TaskInfo,
                budget: WorkBudget) -> list[tuple[Step | None, np.ndarray]]:
    """(step, the demonstrations' results flattened into one array), identity first, each result
    once, only steps that give every demonstration its output's shape."""
    seen: set[bytes] = set()
    out: list[tuple[Step | None, np.ndarray]] = []
    shapes = [t.shape for t in targets]
    if [g.shape for g in inputs] == shapes:
        flat = np.concatenate([g.ravel() for g in inputs])
        seen.add(flat.tobytes())
        out.append((None, flat))
    for s in static_steps(info) + fitted_steps(inputs, targets, info):
        if budget.exhausted:
            break
        budget.charge(calls(inputs))
        results = [as_result(safe_call(s.apply, g)) for g in inputs]
        if any(r is None or r.shape != sh for r, sh in zip(results, shapes)):
            continue
        flat = np.concatenate([r.ravel() for r in results])
        if flat.tobytes() in seen:
            continue
        seen.add(flat.tobytes())
        out.append((s, flat))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _layers(cands: list[tuple[Step | None, np.ndarray]], target: np.ndarray, bg: int,
            demo: np.ndarray | None = None) -> list[int] | None:
    """Indices of the chosen layers, top first, the last one possibly a whole-grid bottom; None
    when the greedy choice cannot explain every cell within MAX_LAYERS. ``demo`` numbers each
    cell's demonstration: a layer that paints in one demonstration only is a patch learnt by
    heart, not a rule, and is never chosen where there are several."""
    left = np.ones(target.shape, dtype=bool)
    need = 1 if demo is None else min(2, len(np.unique(demo)))
    chosen: list[int] = []
    while True:
        if (target[left] == bg).all():
            return chosen
        for i, (_, flat) in enumerate(cands):
            if i not in chosen and (flat[left] == target[left]).all():
                return chosen + [i]  # a whole candidate right on every cell left is the bottom
        if len(chosen) == MAX_LAYERS - 1:
            return None
        best, gain = -1, 0
        for i, (_, flat) in enumerate(cands):
            paint = (flat != bg) & left
            if i in chosen or (flat[paint] != target[paint]).any():
                continue
            n = int(paint.sum())
            if n > gain and (need == 1 or len(np.unique(demo[paint])) >= need):
                best, gain = i, n
        if best < 0:
            return None
        chosen.append(best)
        left &= cands[best][1] == bg


def _build(cands: list[tuple[Step | None, np.ndarray]], chosen: list[int], cells: np.ndarray, bg: int) -> np.ndarray:
    """The chosen layers overlaid, the top one (first) last, on the given cells."""
    out = np.full(len(cells), bg, dtype=np.int64)
    for i in reversed(chosen):
        flat = cands[i][1][cells]
        out = np.where(flat != bg, flat, out)
    return out


def _holds_out(cands: list[tuple[Step | None, np.ndarray]], target: np.ndarray, bg: int, demo: np.ndarray) -> bool:
    """Whether, for each demonstration, the layers chosen without it build it."""
    n = int(demo.max()) + 1
    if n < 2:
        return False  # nothing to hold out
    for k in range(n):
        rest, mine = np.flatnonzero(demo != k), np.flatnonzero(demo == k)
        chosen = _layers([(s, flat[rest]) for s, flat in cands], target[rest], bg, demo[rest])
        if chosen is None or not np.array_equal(_build(cands, chosen, mine, bg), target[mine]):
            return False
    return True


def assembly_programs(problem: Problem) -> Iterator[Program]:
    """At most one layered program: the greedy choice of layers over one-step candidates."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    bg = info.background
    if bg is None:
        return
    whole = _candidates(inputs, targets, info, budget)
    target = np.concatenate([t.ravel() for t in targets])
    # Each candidate also as the cells of one colour only, the rest made transparent.
    colors = [c for c in info.out_colors if c != bg]
    cands = [(s, None, flat) for s, flat in whole]
    if len(colors) > 1:
        cands += [(s, c, np.where(flat == c, c, bg)) for s, flat in whole for c in colors if (flat == c).any()]
    # Each layer chosen weighs every candidate on every cell (vectorised: about an eighth of a unit
    # a cell); so does each hold-out's choice. That work is charged before it is done, so the
    # candidates are cut (whole ones first) to what the budget has left: a lump charged past it
    # would starve the enumeration that runs after the families.
    per = max(1, (len(targets) + 1) * MAX_LAYERS * len(target) // 8)
    cands = cands[:budget.left // per]
    if len(cands) < 2:
        return
    budget.charge(per * len(cands))
    demo = np.concatenate([np.full(t.size, k) for k, t in enumerate(targets)])
    plain = [(s, flat) for s, _, flat in cands]
    chosen = _layers(plain, target, bg, demo)
    if chosen is None or len(chosen) < 2:
        return  # one layer is a plain one-step program: the enumeration's job
    lines = []
    for k, i in enumerate(chosen):
        s, color, _ = cands[i]
        if s is None:
            lines.append(f"layer{k} = grid")
        else:
            lines.append(f"layer{k} = {step_call(s)}")
        if color is not None:
            lines.append(f"layer{k} = np.where(layer{k} == {color}, {color}, {bg})")
    order = ", ".join(f"layer{k}" for k in reversed(range(len(chosen))))
    lines.append(f"grid = overlay_parts([{order}], background={bg!r})")
    yield Program("assembly", tuple(lines), tentative=not _holds_out(plain, target, bg, demo))

"""Greedy assembly over one-step candidates, run with the other families (before the enumeration).

Each candidate is a grid some one-step program makes from the input; the cover and the program
are ``search.assemble``'s (which also assembles the enumeration's deeper states). Where a candidate is not
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

from search.assemble import Piece, cover, flat_targets, holds_out, layered_program
from search.budget import WorkBudget, calls
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


def assembly_programs(problem: Problem) -> Iterator[Program]:
    """At most one layered program: the greedy choice of layers over one-step candidates."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    bg = info.background
    if bg is None:
        return
    whole = _candidates(inputs, targets, info, budget)
    target, demo = flat_targets(targets)
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
    flats = np.array([flat for _, _, flat in cands], dtype=np.int8)
    chosen = cover(flats, target, bg, demo, MAX_LAYERS)
    if chosen is None or len(chosen) < 2:
        return  # one layer is a plain one-step program: the enumeration's job
    pieces = [Piece(() if cands[i][0] is None else (cands[i][0],), cands[i][1]) for i in chosen]
    yield layered_program(pieces, bg, tentative=not holds_out(flats, target, bg, demo, MAX_LAYERS))

"""Greedy assembly: an output built as layers of candidate pieces, over what the enumeration reached.

A candidate is a grid some short composition of steps makes from the input (the input itself, a
state the enumeration made at one or two steps, a blank of one colour), kept only where it has the
output's shape on every demonstration, each distinct result once (by what it holds on every
demonstration and test input). Where a candidate is not background it "paints"; background is
transparent. The cover chooses layers from the top down (``cover``): a layer must be right on every
cell it paints that no higher layer explains (what lies under a higher layer is hidden); the layer
painting the most cells not yet explained goes next, ties to the candidate found first (fewer
steps, then the enumeration's order); the bottom layer is a whole candidate right on every cell
left, or nothing where every cell left is background. More than ``MAX_PIECES`` layers is
memorising, not a rule, and is refused; so is a layer that paints in one demonstration only where
there are several. The same layers, computed on the test input and overlaid in the same order, are
the answer. An assembly must also hold out (``holds_out``): chosen on all demonstrations but one,
its layers must build the one left out, for each demonstration; one that does not is ``tentative``.

``CandidatePool`` is what the enumeration fills as it expands (``enumerate_programs(pool=)``): its
states cost nothing more here. The cover is a few vectorised passes over a candidates x cells
array per layer chosen, charged ``1 / CELLS_PER_UNIT`` of a unit per candidate-cell of a round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from arc.grid import from_array
from search.budget import calls, cells
from search.emit import may_refuse, step_call
from search.hits import SearchHit
from search.problem import Problem
from search.program import Program, as_result, run_source, safe_call
from search.steps import Step

MAX_PIECES = 3  # layers of one assembly, the bottom one included
MAX_CANDIDATES = 1200  # whole candidates the pool keeps (the first found)
MAX_SPLITS = 600  # candidates also offered as the cells of one colour only (the first ones)
MAX_STEPS = 2  # steps of a candidate
# A vectorised pass of the cover over a cell of a candidate costs far less than a unit (a cell read
# by a Python-level operation): measured, about 5 ns for the whole round of comparisons a layer's
# choice makes, against 0.13 us a unit; so a unit pays for this many candidate-cells of a round.
CELLS_PER_UNIT = 24
ROW_COST = 40  # units to gather one candidate row (a few numpy calls: about 5 us)


@dataclass(frozen=True)
class Piece:
    """One layer: ``steps`` applied to the input (none: the input itself), then, where ``color`` is
    given, only that colour's cells kept; ``blank``: instead, the input's shape filled with ``color``."""

    steps: tuple[Step, ...] = ()
    color: int | None = None
    blank: bool = False

    def lines(self, name: str, background: int) -> list[tuple[str, bool]]:
        """The lines computing this layer into the variable ``name``, each with whether it may refuse."""
        if self.blank:
            return [(f"{name} = np.full_like(grid, {self.color})", False)]
        if not self.steps:
            out = [(f"{name} = grid", False)]
        else:
            out = [(f"{name} = {step_call(self.steps[0], 'grid')}", may_refuse(self.steps[0]))]
            out += [(f"{name} = {step_call(s, name)}", may_refuse(s)) for s in self.steps[1:]]
        if self.color is not None:
            out.append((f"{name} = np.where({name} == {self.color}, {self.color}, {background})", False))
        return out

    @property
    def label(self) -> str:
        if self.blank:
            return f"blank({self.color})"
        base = " | ".join(s.label for s in self.steps) or "input"
        return base if self.color is None else f"{base} [colour {self.color}]"


class CandidatePool:
    """The distinct grids of at most ``max_steps`` steps with the outputs' shapes on every
    demonstration, in the order offered, at most ``limit``: filled by the enumeration as it makes
    its states (``add``), read by ``assemble``."""

    def __init__(self, targets: Sequence[np.ndarray], *, limit: int = MAX_CANDIDATES, max_steps: int = MAX_STEPS):
        self.shapes = [t.shape for t in targets]
        self.limit = limit
        self.max_steps = max_steps
        self.items: list[tuple[tuple[Step, ...], list[np.ndarray], list[np.ndarray]]] = []
        self._seen: set[tuple] = set()

    def wants(self, steps: tuple[Step, ...]) -> bool:
        return len(steps) <= self.max_steps and len(self.items) < self.limit

    def add(self, steps: tuple[Step, ...], train: list[np.ndarray], test: list[np.ndarray]) -> None:
        if not self.wants(steps) or [g.shape for g in train] != self.shapes:
            return
        key = tuple((g.shape, g.tobytes()) for g in train + test)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append((steps, train, test))


# Per-object pieces (``object_pieces``): the input's objects of one kind, those with one value of a
# feature, each kept, recoloured, turned in its box, painted around or fitted into the hole of its
# shape (``map_objects`` with a one-entry table), the others left out; or the input without them.
OBJECT_KINDS = ((4, True), (8, True), (8, False))  # (connectivity, one colour an object)
SELECT_FEATURES = ("color", "is_largest", "is_smallest", "touches_border", "is_rectangle", "shape_is_unique")
MOVES = ("fit", "flip_lr", "flip_ud", "rot180")  # redraws that move an object's cells
MAX_OBJECT_PIECES = 160
MAX_BASES = 3  # grids the per-object pieces are made from (the inputs, one-step states)
# What a map_objects call costs, in units: about 0.25 ms of overhead (finding the objects, their
# features) and 1 unit a cell per object (measured on the first demonstration of 63 arc1-train
# tasks: 0.07 to 0.27 us a cell-object); a "fit" labels the grid's holes too, about twice that.
# Charged three fifths of that: measured on 100 arc1-train tasks per phase, the pieces took 0.6
# times the time a unit of a step takes (experiments/calibrate_work.py).
MAP_CALL = 2000


def _map_step(by: str, table: tuple, default, background: int, kind: tuple[int, bool]) -> Step:
    conn, by_color = kind
    return Step("map_objects", (("by", by), ("table", table), ("default", default), ("background", background),
                                ("connectivity", conn), ("by_color", by_color)))


def _useful(layer: np.ndarray, grid: np.ndarray, target: np.ndarray, bg: int) -> bool:
    """Whether a layer is worth offering, judged on the first demonstration: what it changes of
    the input (where it paints) is at least half right there, or, where it changes nothing, the
    output keeps at least half of the input's cells it paints."""
    paint = layer != bg
    if not paint.any():
        return False
    changed = paint & (layer != grid)
    if changed.any():
        return (layer[changed] == target[changed]).mean() >= 0.5
    return (target[paint] == grid[paint]).mean() >= 0.5


def object_pieces(problem: Problem, bases: Sequence[tuple[tuple[Step, ...], list[np.ndarray]]] | None = None,
                  limit: int = MAX_OBJECT_PIECES) -> list[tuple[Piece, np.ndarray]]:
    """Per-object pieces of a task, each with its rows on the demonstrations (flattened and joined,
    as ``cover`` reads them), at most ``limit``, made from each of ``bases`` in turn: (steps, what
    they make of the demonstration inputs, in the outputs' shapes); by default the inputs
    themselves, on a same-shape task (``object_bases`` gives more). From each: for each kind of object
    (``OBJECT_KINDS``), every object moved (``MOVES``: fitted into the hole of its shape, or turned
    in its box), and, for each value a feature (``SELECT_FEATURES``) takes on the first
    demonstration's objects, the objects with that value kept, recoloured (to an output colour),
    moved or painted around (ring, holes, box in a colour the outputs grow), the others left out;
    or the input without them. A placement is always read from the input (its own place, its own
    box, a hole of the input's). Each is judged on the first demonstration first (``_useful``;
    a keep, a recolouring or a removal computed there directly, the rest only where the output
    changes the selected objects' cells or their box) and only then computed on the others.
    Every call is charged to ``problem.budget``, which ends the offer when spent."""
    info, budget = problem.info, problem.budget
    bg = info.background
    targets = list(problem.targets)
    if bases is None:
        bases = [((), list(problem.train_in))] if info.same_shape else []
    if bg is None:
        return []
    out: list[tuple[Piece, np.ndarray]] = []
    seen: set[bytes] = set()
    bases = [(steps, inputs) for steps, inputs in bases if [g.shape for g in inputs] == [t.shape for t in targets]]
    for k, (steps, inputs) in enumerate(bases):  # each base an equal share of what is left
        _object_pieces(steps, inputs, targets, info, budget.part(budget.left // (len(bases) - k)), limit, out, seen)
    return out


def object_bases(pool: CandidatePool, targets: Sequence[np.ndarray], same_shape: bool,
                 n: int = MAX_BASES) -> list[tuple[tuple[Step, ...], list[np.ndarray]]]:
    """What per-object pieces are made from: the inputs, on a same-shape task, then the pool's
    one-step states (a crop, a tiling, a scaling, a gravity, ...) that leave the most cells of
    the outputs right, at most ``n`` in all."""
    ranked = sorted((-sum(int((g == t).sum()) for g, t in zip(train, targets)), k)
                    for k, (steps, train, _) in enumerate(pool.items) if len(steps) == 1)
    bases = [(pool.items[k][0], pool.items[k][1]) for _, k in ranked]
    if same_shape:
        bases = [((), pool.items[0][1])] + bases if pool.items and not pool.items[0][0] else bases
    return bases[:n]


def _object_pieces(steps: tuple[Step, ...], inputs: list[np.ndarray], targets: list[np.ndarray], info,
                   budget, limit: int, out: list, seen: set) -> None:
    """``object_pieces`` from one base, appended to ``out``."""
    from dsl.object_rules import PAINTS, object_values
    from dsl.objects import find_objects

    bg = info.background
    g0, t0 = inputs[0], targets[0]
    moved0 = g0 != t0
    colors = [c for c in info.out_colors if c != bg]
    paints = [f"{p}:{c}" for p in PAINTS for c in info.grown_colors if c != bg]
    n_objects: dict[tuple, int] = {}

    def cost(g: np.ndarray, kind: tuple[int, bool], fit: bool) -> int:
        key = (kind, g.shape, g.tobytes())
        if key not in n_objects:
            n_objects[key] = len(find_objects(g, bg, kind[0], kind[1]))
        return (2 if fit else 1) * (MAP_CALL + int(g.size) * max(1, n_objects[key])) * 3 // 5

    def offer(s: Step, kind: tuple[int, bool], first: np.ndarray | None = None) -> None:
        fit = "fit" in repr(s.params)
        if first is None:
            budget.charge(cost(g0, kind, fit))
            first = as_result(safe_call(s.apply, g0))
        if first is None or first.shape != t0.shape or not _useful(first, g0, t0, bg):
            return
        rows = [first]
        for g in inputs[1:]:
            budget.charge(cost(g, kind, fit))
            r = as_result(safe_call(s.apply, g))
            if r is None or r.shape != g.shape:
                return
            rows.append(r)
        row = np.concatenate([r.ravel() for r in rows])
        if row.tobytes() not in seen:
            seen.add(row.tobytes())
            out.append((Piece(steps + (s,)), row))

    for kind in OBJECT_KINDS:
        for move in MOVES:
            if len(out) >= limit or budget.exhausted:
                return
            offer(_map_step("color", (), move, bg, kind), kind)
        budget.charge(cost(g0, kind, False))
        masks = find_objects(g0, bg, kind[0], kind[1])
        if len(masks) < 2:
            continue
        for feature in SELECT_FEATURES:
            budget.charge(cost(g0, kind, False))
            values = object_values(g0, masks, feature, bg)
            for v in sorted({x for x in values if x is not None}, key=repr):
                sel = np.zeros(g0.shape, dtype=bool)
                for m, x in zip(masks, values):
                    if x == v:
                        sel |= m
                if sel.all() or not sel.any():
                    continue
                ys, xs = np.nonzero(sel)
                changes_near = bool(moved0[max(0, ys.min() - 1):ys.max() + 2, max(0, xs.min() - 1):xs.max() + 2].any())
                budget.charge(4 * int(g0.size))
                # computed here directly: the same cells map_objects gives (checked again on every
                # demonstration when the assembly's program is run)
                direct = [("keep", np.where(sel, g0, bg))] + [(c, np.where(sel, c, bg)) for c in colors]
                for a, first in direct:
                    if len(out) >= limit or budget.exhausted:
                        return
                    if _useful(first, g0, t0, bg):
                        offer(_map_step(feature, ((v, a),), "delete", bg, kind), kind)
                if _useful(np.where(sel, bg, g0), g0, t0, bg) and (moved0 & sel).any():
                    offer(_map_step(feature, ((v, "delete"),), "keep", bg, kind), kind)
                if not changes_near:
                    continue
                for a in (*MOVES, *paints):
                    if len(out) >= limit or budget.exhausted:
                        return
                    offer(_map_step(feature, ((v, a),), "delete", bg, kind), kind)


def flat_targets(targets: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every demonstration output's cells in one row (as the candidates' rows hold them), and the
    number of the demonstration each cell belongs to (``cover``'s ``demo``)."""
    target = np.concatenate([t.ravel() for t in targets]).astype(np.int8)
    demo = np.concatenate([np.full(t.size, k) for k, t in enumerate(targets)])
    return target, demo


def cover(flats: np.ndarray, target: np.ndarray, background: int, demo: np.ndarray | None = None,
          max_pieces: int = MAX_PIECES, charge: Callable[[int], None] | None = None) -> list[int] | None:
    """Rows of ``flats`` (candidates x cells) chosen as layers, top first, the last one possibly a
    whole-grid bottom; None when the greedy choice cannot explain every cell of ``target`` within
    ``max_pieces``. ``demo`` numbers each cell's demonstration: a layer that paints in one
    demonstration only is a patch learnt by heart, and is never chosen where there are several.
    Ties go to the lowest row. ``charge``, where given, is told the work of each round
    (``CELLS_PER_UNIT`` candidate-cells a unit)."""
    left = np.ones(target.shape, dtype=bool)
    demos = np.zeros(target.shape, dtype=np.int64) if demo is None else demo
    need = min(2, len(np.unique(demos)))
    chosen: list[int] = []
    free = np.ones(len(flats), dtype=bool)
    while True:
        goal = target[left]
        if (goal == background).all():
            return chosen
        if charge is not None:
            charge(1 + len(flats) * len(goal) // CELLS_PER_UNIT)
        sub = flats[:, left]
        right = sub == goal
        whole = np.flatnonzero(right.all(axis=1) & free)
        if len(whole):
            return chosen + [int(whole[0])]  # a whole candidate right on every cell left is the bottom
        if len(chosen) == max_pieces - 1:
            return None
        paint = sub != background
        ok = free & ~(paint & ~right).any(axis=1)
        gain = np.where(ok, paint.sum(axis=1), 0)
        if need > 1:
            where = demos[left]
            painted = sum(paint[:, where == d].any(axis=1).astype(np.int64) for d in np.unique(where))
            gain = np.where(painted >= need, gain, 0)
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            return None
        chosen.append(best)
        free[best] = False
        left &= flats[best] == background


def build(flats: np.ndarray, chosen: list[int], cells: np.ndarray, background: int) -> np.ndarray:
    """The chosen layers overlaid, the top one (first) last, on the given cells."""
    out = np.full(len(cells), background, dtype=flats.dtype)
    for i in reversed(chosen):
        layer = flats[i, cells]
        out = np.where(layer != background, layer, out)
    return out


def holds_out(flats: np.ndarray, target: np.ndarray, background: int, demo: np.ndarray,
              max_pieces: int = MAX_PIECES, charge: Callable[[int], None] | None = None) -> bool:
    """Whether, for each demonstration, the layers chosen without it build it."""
    n = int(demo.max()) + 1
    if n < 2:
        return False  # nothing to hold out
    for k in range(n):
        rest, mine = np.flatnonzero(demo != k), np.flatnonzero(demo == k)
        chosen = cover(flats[:, rest], target[rest], background, demo[rest], max_pieces, charge)
        if chosen is None or not np.array_equal(build(flats, chosen, mine, background), target[mine]):
            return False
    return True


def cover_cost(n_candidates: int, n_cells: int, n_demos: int, max_pieces: int = MAX_PIECES) -> int:
    """Units of work of a cover and its hold-outs over that many candidates and cells at most
    (every round over every cell)."""
    return max(1, (n_demos + 1) * max_pieces * (1 + n_candidates * n_cells // CELLS_PER_UNIT))


def layered_program(pieces: Sequence[Piece], background: int, family: str = "assembly",
                    tentative: bool = False) -> Program:
    """The program computing each piece from the input and overlaying them, the first on top."""
    lines: list[tuple[str, bool]] = []
    for k, piece in enumerate(pieces):
        lines += piece.lines(f"layer{k}", background)
    order = ", ".join(f"layer{k}" for k in reversed(range(len(pieces))))
    lines.append((f"grid = overlay_parts([{order}], background={background!r})", False))
    return Program(family, tuple(t for t, _ in lines), tentative=tentative, checked=tuple(c for _, c in lines))


def assemble(problem: Problem, pool: CandidatePool) -> list[SearchHit]:
    """At most one layered program over the pool's candidates (and blanks of the outputs'
    colours, on a task whose outputs keep the inputs' shapes), within ``problem.budget``; where
    they have no cover, over them and per-object pieces (``object_pieces``, on at most half of
    what is left), of which one alone may answer."""
    info, budget = problem.info, problem.budget
    bg = info.background
    targets = list(problem.targets)
    if bg is None or len(pool.items) < 2 or budget.exhausted:
        return []
    target, demo = flat_targets(targets)
    pieces = [Piece(steps) for steps, _, _ in pool.items]
    rows = [np.concatenate([g.ravel() for g in train]) for _, train, _ in pool.items]
    if info.same_shape:
        for c in info.out_colors:
            if c != bg:
                pieces.append(Piece(color=c, blank=True))
                rows.append(np.full(target.size, c))
    whole = len(pieces)
    colors = [c for c in info.out_colors if c != bg]
    if len(colors) > 1:  # a candidate's cells of one colour only, the rest made transparent
        for piece, row in list(zip(pieces, rows))[:MAX_SPLITS]:
            if piece.blank:
                continue
            for c in colors:
                mask = row == c
                if mask.any() and not mask.all():
                    pieces.append(Piece(piece.steps, color=c))
                    rows.append(np.where(mask, c, bg))
    budget.charge(ROW_COST * len(rows) + cells(rows) // CELLS_PER_UNIT)  # gathering the candidates
    found = _assembled(problem, pieces, rows, target, demo, single=())
    if found is not None:
        return found
    made = object_pieces(problem.with_budget(budget.part(budget.left // 2)), object_bases(pool, targets, info.same_shape))
    if not made:
        return []
    # The per-object pieces go after the whole candidates and blanks, before the one-colour splits.
    pieces = pieces[:whole] + [p for p, _ in made] + pieces[whole:]
    rows = rows[:whole] + [r for _, r in made] + rows[whole:]
    budget.charge(ROW_COST * len(made) + cells([r for _, r in made]) // CELLS_PER_UNIT)
    return _assembled(problem, pieces, rows, target, demo, single=range(whole, whole + len(made))) or []


def _assembled(problem: Problem, pieces: list[Piece], rows: list[np.ndarray], target: np.ndarray, demo: np.ndarray,
               single: Sequence[int]) -> list[SearchHit] | None:
    """The layered program the cover chooses among ``pieces`` (their ``rows``), cut (the first
    ones kept) so that the most the cover and its hold-outs can cost fits in what the budget has
    left (what they do cost is charged as they go): [] where its program does not rebuild the
    demonstrations, None where there is no cover, or one of a single piece not in ``single``
    (a single candidate of the enumeration's is a plain composition: the enumeration's job)."""
    info, budget = problem.info, problem.budget
    bg = info.background
    targets, inputs, tests = list(problem.targets), list(problem.train_in), list(problem.test_in)
    keep = min(len(rows), budget.left // cover_cost(1, target.size, len(targets)))
    if keep < 2:
        return None
    flats = np.array(rows[:keep], dtype=np.int8)
    chosen = cover(flats, target, bg, demo, charge=budget.charge)
    if chosen is None or not chosen or (len(chosen) < 2 and chosen[0] not in single):
        return None
    tentative = not holds_out(flats, target, bg, demo, charge=budget.charge)
    program = layered_program([pieces[i] for i in chosen], bg, tentative=tentative)
    budget.charge(calls(inputs + tests) * (1 + sum(len(pieces[i].steps) for i in chosen)))
    outs = run_source(program.source, inputs + tests)
    if outs is None or any(o is None or np.shape(o) != t.shape or not np.array_equal(o, t)
                           for o, t in zip(outs, targets)):
        return []
    description = "assembly: " + " over ".join(pieces[i].label for i in chosen)
    return [SearchHit(program.source, description, (), tuple(from_array(o) for o in outs[len(inputs):]),
                      "assembly", tentative, program=program)]

"""Hierarchical voting over predictions made under several views (the paper's hierarchical voting).

``hierarchical_vote(candidates)`` takes ``(grid, view)`` pairs (a ``View`` or its name), grids already mapped back to
the original frame, and returns at most 2 distinct grids (tuples of tuples of int), best first.
Candidates whose grid is None (a parse failure) or not a valid grid are ignored.

Groups. Predictions are grouped by view with the demonstration order removed from the name
(``rot90+order=1,0`` and ``rot90+order=0,1`` are one group, "rot90"): the orders of one view are
samples of the same view, as the paper groups by transformation. ``identity`` plus any order is
the identity group.

Stage 1, per group: the 3 most frequent predictions. When fewer than 3 distinct ones exist and all
of the group's predictions share a shape, add the row-wise majority grid, then the column-wise one,
each only if it is not already chosen. A row (column) majority counts the group's predictions;
a tie is broken by how often that row (column) occurs at that index among all predictions of that
shape in every group, then by the rank of the prediction it comes from. So a fill-in equals a
prediction unless some rows genuinely disagree.

Stage 2, global. Each group nominates each of its stage-1 grids once, whatever its count and
whether predicted or filled in: a group with one prediction gives one nomination, never three,
and a fill-in equal to a prediction adds nothing. Grids are ranked by

1. nominations (number of groups listing it),
2. its count in the identity group (the paper's tie-break),
3. its support: the number of raw predictions equal to it over all groups (fill-ins have none),
4. a fixed order: smaller height, then width, then the grid's tuple order.

Every key is a function of the multiset of candidates, so the result does not depend on the order
of ``candidates``; a tied runner-up is never lost (ranking is a sort, not a dict keyed by count).

``flat_vote`` is the ablation: one Counter over all predictions, ties broken by keys 2 and 4.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence

from arc.errors import GridError
from arc.grid import Grid, as_grid
from arc.views import View, parse_view

IDENTITY = "identity"


def vote_group(view: View | str) -> str:
    """The group of a view (a ``View``, or its name): the view without its demonstration order, by name
    (``identity`` when nothing else is left). A name that is no view's (e.g. a caller's own label) is
    its own group."""
    if isinstance(view, str):
        try:
            view = parse_view(view)
        except ValueError:
            return view
    return View(view.symmetry, view.colors).name


def _clean(candidates: Iterable[tuple[Any, View | str]]) -> list[tuple[Grid, str]]:
    out = []
    for grid, view in candidates:
        if grid is None:
            continue
        try:
            out.append((as_grid(grid), vote_group(view)))
        except GridError:
            continue
    return out


def _order_key(g: Grid) -> tuple:
    return (len(g), len(g[0]), g)


def _majority(ranked: Sequence[Grid], counts: Counter, lines_of, global_lines: Counter) -> Grid:
    """Row- (or column-) wise majority of same-shaped grids; ``lines_of`` gives a grid's rows or columns."""
    per_grid = [lines_of(g) for g in ranked]
    chosen = []
    for i in range(len(per_grid[0])):
        support: Counter = Counter()
        for g, lines in zip(ranked, per_grid):
            support[lines[i]] += counts[g]
        rank = {}
        for r, lines in enumerate(per_grid):
            rank.setdefault(lines[i], r)
        chosen.append(min(support, key=lambda ln: (-support[ln], -global_lines[(i, ln)], rank[ln])))
    return tuple(chosen)


def _rows(g: Grid) -> tuple:
    return g


def _cols(g: Grid) -> tuple:
    return tuple(zip(*g))


def stage_one(groups: dict[str, Counter], identity: Counter) -> dict[str, list[Grid]]:
    """Per group: its up to 3 candidates (top predictions, then fill-ins), best first."""
    global_rows: dict[tuple[int, int], Counter] = {}
    global_cols: dict[tuple[int, int], Counter] = {}
    for counts in groups.values():
        for g, n in counts.items():
            shape = (len(g), len(g[0]))
            for i, row in enumerate(_rows(g)):
                global_rows.setdefault(shape, Counter())[(i, row)] += n
            for i, col in enumerate(_cols(g)):
                global_cols.setdefault(shape, Counter())[(i, col)] += n
    chosen = {}
    for name, counts in groups.items():
        ranked = sorted(counts, key=lambda g: (-counts[g], -identity[g], _order_key(g)))
        picks = ranked[:3]
        shapes = {(len(g), len(g[0])) for g in ranked}
        if len(picks) < 3 and len(shapes) == 1:
            shape = shapes.pop()
            for lines_of, table, back in ((_rows, global_rows, _rows), (_cols, global_cols, _cols)):
                fill = back(_majority(ranked, counts, lines_of, table[shape]))
                if fill not in picks:
                    picks.append(fill)
        chosen[name] = picks
    return chosen


def hierarchical_vote(candidates: Iterable[tuple[Any, str]]) -> list[Grid]:
    """The top 2 grids by two-stage (per-view, then global) voting; see the module docstring."""
    cands = _clean(candidates)
    groups: dict[str, Counter] = {}
    for g, name in cands:
        groups.setdefault(name, Counter())[g] += 1
    identity = groups.get(IDENTITY, Counter())
    support = Counter(g for g, _ in cands)
    nominations: Counter = Counter()
    for picks in stage_one(groups, identity).values():
        nominations.update(picks)  # picks are distinct: one nomination per group
    ranked = sorted(nominations, key=lambda g: (-nominations[g], -identity[g], -support[g], _order_key(g)))
    return ranked[:2]


def flat_vote(candidates: Iterable[tuple[Any, str]]) -> list[Grid]:
    """Ablation: the 2 most frequent predictions over all views (ties: identity count, fixed order)."""
    cands = _clean(candidates)
    counts = Counter(g for g, _ in cands)
    identity = Counter(g for g, name in cands if name == IDENTITY)
    return sorted(counts, key=lambda g: (-counts[g], -identity[g], _order_key(g)))[:2]

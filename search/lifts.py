"""Lifts: the whole search run again on the task seen another way, each program it finds wrapped
to map its input into that view and its output back.

Two views: on a same-shape task whose grids are partitions of one-colour cells, one pixel per
cell (``cell_lift``: ``cells_to_pixels``, written back by ``pixels_to_cells``); and on a task
whose colours change between demonstrations, each grid's colours renamed by the role they play
(``role_lift``: ``color_roles``, ranked by cell count, the colours every grid shares keeping their
names). A lift is one value (``Lift``) and one loop (``lifted_hits``); programs found in a lifted
view are not lifted again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from arc.grid import from_array, to_array
from dsl.cells import cells_to_pixels, pixels_to_cells
from dsl.grids import recolor
from dsl.palette import color_roles
from search.budget import WorkBudget
from search.hits import SearchHit
from search.problem import Problem


@dataclass(frozen=True)
class Lift:
    """The task in a lifted view, how a test answer there maps back, and the wrapper program."""

    name: str  # the hits' family prefix: "cells" or "roles"
    describe: str  # what the hits' descriptions start with
    problem: Problem  # the task in the lifted view, with the lift's budget
    back: Callable[[int, np.ndarray], np.ndarray | None]  # test input k's answer there, mapped back
    inner: str  # the name the lifted program is emitted under
    wrapper: str  # source of ``transform``, which calls ``inner``


def lifted_hits(lift: Lift, search: Callable[..., list[SearchHit]], *, max_depth: int) -> list[SearchHit]:
    """``search`` (the orchestrator, not lifting again) run on the lifted problem, each hit wrapped."""
    hits = []
    for h in search(lift.problem, max_depth=max_depth, lift=False):
        outs = [lift.back(k, to_array(o)) for k, o in enumerate(h.test_outputs)]
        if any(o is None for o in outs):
            continue
        source = h.program.emit(lift.inner) + lift.wrapper
        hits.append(replace(h, source=source, description=f"{lift.describe}: {h.description}",
                            test_outputs=tuple(from_array(o) for o in outs), family=f"{lift.name}:{h.family}",
                            program=None))
    return hits


_CELL_WRAPPER = """

def transform(input_grid):
    # The grid is a partition of one-colour cells: the program above runs on one pixel per cell.
    grid = np.array(input_grid, dtype=int)
    small = cells_to_pixels(grid, separator={separator!r})
    if small is None:
        return None
    small = cell_transform(small)
    if small is None:
        return None
    return pixels_to_cells(np.array(small, dtype=int), grid, separator={separator!r})
"""


def cell_lift(problem: Problem, budget: WorkBudget) -> Lift | None:
    """On a same-shape task whose inputs and outputs are partitions (``split_cells``) of
    one-colour cells, alike in each demonstration: the task on one pixel per cell; None otherwise
    (or where the pixels do not change)."""
    train_in, targets, test_in = list(problem.train_in), list(problem.targets), list(problem.test_in)
    if any(g.shape != t.shape for g, t in zip(train_in, targets)):
        return None
    for separator in ("color", "gaps", "either"):
        grids = train_in + test_in
        small_in = [cells_to_pixels(g, separator) for g in grids]
        small_out = [cells_to_pixels(t, separator) for t in targets]
        # Nothing lost: every input is its own pixels written back, every output its input's cells recoloured.
        if any(s is None for s in small_in + small_out) or not all(
                np.array_equal(pixels_to_cells(s, g, separator), want)
                for s, g, want in zip(small_in + small_out, grids + train_in, grids + targets)):
            continue
        if all(np.array_equal(a, b) for a, b in zip(small_in, small_out)):
            return None
        small = Problem.of_arrays(problem.task.id, small_in[:len(targets)], small_out, small_in[len(targets):], budget)
        return Lift("cells", "in cell space", small,
                    lambda k, out, separator=separator: pixels_to_cells(out, test_in[k], separator),
                    "cell_transform", _CELL_WRAPPER.format(separator=separator))
    return None


_ROLE_WRAPPER = """

def transform(input_grid):
    # Colours play roles: the program above runs on the grid's colours renamed by their cell counts
    # (those outside {fixed}), and its output's colours are named back.
    grid = np.array(input_grid, dtype=int)
    roles = color_roles(grid, fixed={fixed})
    out = role_transform(recolor(grid, roles))
    if out is None:
        return None
    return recolor(np.array(out, dtype=int), tuple((b, a) for a, b in roles))
"""


def task_roles(problem: Problem) -> tuple[tuple[int, ...], list[tuple]] | None:
    """The colours every input holds (and those every output holds that no input does) keep
    their names; the others are renamed per grid by ``color_roles``. (fixed, renaming of each
    train then test input) when not all renamings are alike, else None."""
    inputs = list(problem.train_in) + list(problem.test_in)
    sets = [set(np.unique(g).tolist()) for g in inputs]
    out_sets = [set(np.unique(g).tolist()) for g in problem.targets]
    fixed = set.intersection(*sets) | (set.intersection(*out_sets) - set.union(*sets))
    fixed = tuple(sorted(fixed))
    renamings = [color_roles(g, fixed) for g in inputs]
    if len(set(renamings)) == 1:
        return None
    return fixed, renamings


def role_lift(problem: Problem, roles: tuple[tuple[int, ...], list[tuple]], budget: WorkBudget) -> Lift:
    """The task with each grid's colours renamed by its input's roles (``task_roles``)."""
    fixed, renamings = roles
    n = len(problem.train_in)
    renamed = [recolor(g, r) for g, r in zip(list(problem.train_in) + list(problem.test_in), renamings)]
    outs = [recolor(t, r) for t, r in zip(problem.targets, renamings)]
    role_problem = Problem.of_arrays(problem.task.id, renamed[:n], outs, renamed[n:], budget)
    return Lift("roles", "with colours renamed by role", role_problem,
                lambda k, out: recolor(out, tuple((b, a) for a, b in renamings[n + k])),
                "role_transform", _ROLE_WRAPPER.format(fixed=fixed))

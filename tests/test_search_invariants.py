"""The enumeration's invariants (search/invariants.py) hold on real grids, pruning by them never
loses a program, and the finishing pass searches a level for programs before expanding it."""

import numpy as np
import pytest

from arc.grid import to_array
from search import WorkBudget
from search.enumerate import EnumerationStats, enumerate_programs
from dsl.color import resolve_background
from search.invariants import (COLORS_KEPT, COUNTS_KEPT, PAINTS_BACKGROUND, REMOVES, SHAPE_KEPT, SHAPE_SWAPPED,
                               SHRINKS, LastStep, _default_background, _named_colors, palette)
from search.problem import Problem
from search.steps import fitted_steps, static_steps, step

# Tasks whose step lists cover the shape-keeping, shrinking and growing families.
TASKS = ("00d62c1b", "0520fde7", "1cf80156", "007bbfb7", "3af2c5a8", "05269061", "d13f3404", "08ed6ac7")


@pytest.mark.parametrize("task_id", TASKS)
def test_declared_invariants_hold_on_every_step_of_a_task(arc1_train, task_id):
    problem = Problem.of(arc1_train[task_id], WorkBudget(1))
    info = problem.info
    inputs, targets = list(problem.train_in), list(problem.targets)
    steps = static_steps(info) + fitted_steps(inputs, targets, info)
    checked = 0
    for s in steps:
        for g in inputs:
            out = s.apply(g)
            if out is None:
                continue
            out = np.asarray(out)
            checked += 1
            if s.op in SHAPE_KEPT:
                assert out.shape == g.shape, s.label
            if s.op in SHAPE_SWAPPED:
                assert out.shape == g.shape[::-1], s.label
            if s.op in COLORS_KEPT:
                assert palette(out) & ~(palette(g) | _named_colors(s)) == 0, s.label
            params = dict(s.params)
            bg = resolve_background(g, params.get("background", _default_background(s.op)))
            if s.op in PAINTS_BACKGROUND and not params.get("clear"):
                assert (out == g)[g != bg].all(), s.label
            if s.op in REMOVES:
                assert ((out == g) | (out == bg)).all(), s.label
            if s.op in SHRINKS:
                assert out.shape[0] <= g.shape[0] and out.shape[1] <= g.shape[1], s.label
                assert out.shape != g.shape or np.array_equal(out, g), s.label
            if s.op in COUNTS_KEPT:
                assert (np.bincount(out.ravel(), minlength=10) == np.bincount(g.ravel(), minlength=10)).all(), s.label
    assert checked > 20


def test_last_step_rules_out_shape_and_colours():
    grid = np.zeros((3, 4), dtype=int)
    grid[0, 0] = 2
    target = np.zeros((3, 4), dtype=int)
    target[0, 0], target[1, 1] = 2, 5

    can = LastStep([grid], [target], [palette(target)])
    assert not can.possible(step("rot90"))  # (4, 3) is not the output's shape
    assert not can.possible(step("flip_lr"))  # colour 5 is nowhere in the grid nor in the parameters
    assert can.possible(step("extend_lines", color=5, direction="h", background=0))
    assert not can.possible(step("upscale", ky=1, kx=1))  # keeps its colours: 5 is missing
    assert can.possible(step("symmetrize", group="lr"))  # nothing declared: always tried
    square = LastStep([grid.T], [target], [palette(target)], colors=False)
    assert square.possible(step("transpose")) and not square.possible(step("flip_ud"))


@pytest.mark.parametrize("task_id", ["3c9b0459", "1cf80156", "f25fbde4", "0d3d703e"])
def test_pruning_never_loses_a_program(arc1_train, task_id):
    task = arc1_train[task_id]
    runs = []
    for prune in (True, False):
        stats = EnumerationStats()
        hits = enumerate_programs(Problem.of(task, WorkBudget(6_000_000)), max_programs=50, max_depth=2,
                                  stats=stats, prune=prune)
        runs.append(([h.source for h in hits], stats))
    (pruned, with_pruning), (plain, without) = runs
    assert pruned and pruned == plain
    assert with_pruning.applied <= without.applied


@pytest.mark.parametrize("task_id,budget", [("f25fbde4", 1_200_000), ("017c7c7b", 200_000), ("3de23699", 1_600_000)])
def test_finishing_pass_finds_two_step_programs_on_a_small_budget(arc1_train, task_id, budget):
    # Expanding the first level (every step on every grid) before searching the second for programs
    # spent these budgets before reaching the program: a crop then a scaling, a pattern carried on
    # then recoloured, a box's inside trimmed then painted (3de23699 now has one step fewer: what its
    # rarest colour's corners frame, ``crop_to_color(inner=True)``, then painted).
    task = arc1_train[task_id]
    hits = enumerate_programs(Problem.of(task, WorkBudget(budget)), max_programs=50, max_depth=3)
    assert hits and len(hits[0].steps) <= 2
    assert hits[0].test_outputs == tuple(ex.output for ex in task.test)

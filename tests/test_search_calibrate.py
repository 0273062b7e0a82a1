"""Each phase's charge grows with what the phase does (counts of work, never seconds).

experiments/calibrate_work.py measured the CPU time a unit of work takes per phase; where a phase
did work it did not charge (the objects a fitted recolouring reads, memo look-ups and candidate
checks in the enumeration, the demonstrations ``promise`` reads, the cells a rule run until stable
changes, the objects whose fate the object map reads), its charge now counts that work.
"""

from __future__ import annotations

import numpy as np

from arc.grid import from_array
from arc.task import Example, Task
from search.budget import CALL_COST, WorkBudget
from search.enumerate import CHECK_COST, MEMO_COST, EnumerationStats, enumerate_programs, promise_cost
from search.families.local_fixpoint import MOVED_COST, _Run
from search.families.object_map import _fates
from search.problem import Problem
from search.steps import PROPERTY_COST, fit_object_recolors, task_info


def _dots(n: int, size: int = 12, color: int = 1) -> np.ndarray:
    """``n`` single cells of ``color`` on a blank grid, two cells apart."""
    g = np.zeros((size, size), dtype=np.int8)
    for k in range(n):
        g[2 * (k // (size // 2)), 2 * (k % (size // 2))] = color
    return g


def test_fitted_recolouring_charges_each_object_it_reads():
    """Recolouring every object: the charge grows by at least PROPERTY_COST an object a property."""
    def charged(n: int) -> int:
        grids = [_dots(n), _dots(n)]
        targets = [np.where(g == 1, 2, g) for g in grids]
        spent = []
        fit_object_recolors(grids, targets, task_info(list(zip(grids, targets))), spent.append)
        return sum(spent)

    few, many = charged(2), charged(8)
    assert many - few >= PROPERTY_COST * 2 * 6  # six more objects in each of two grids, at least one property


def test_promise_costs_a_few_calls_a_demonstration():
    one = [np.zeros((1, 1), dtype=np.int8)]
    assert promise_cost(one * 4, one * 4) - promise_cost(one, one) >= 3 * (CALL_COST // 4)


def test_enumeration_charges_memo_lookups_and_checks_whatever_the_grid_size():
    """On 1x1 grids a step's cells cost next to nothing: the look-ups and checks are the work."""
    def g(v):
        return from_array(np.array([[v]], dtype=np.int8))

    task = Task("tiny", (Example(g(1), g(3)), Example(g(2), g(4))), (Example(g(5)),))
    problem = Problem.of(task, WorkBudget(400_000))
    stats = EnumerationStats()
    enumerate_programs(problem, max_programs=5, max_depth=2, stats=stats)
    assert stats.looked_up > 0 and stats.checked > 0
    assert problem.budget.spent >= MEMO_COST * stats.looked_up + CHECK_COST * stats.checked


def test_rule_until_stable_charges_the_cells_it_changes():
    """A rule that paints each cell right of a 1: the same rounds over grids of one size, the
    charge grows with the cells changed."""
    def charged(n: int) -> int:
        grid = np.zeros((8, 8), dtype=np.int8)
        grid[:n, 0] = 1
        target = grid.copy()
        target[:n, :] = 1
        budget = WorkBudget(10_000_000)
        assert _Run(("colour", "left"), 0).learn([grid], [target], budget)
        return budget.spent

    assert charged(6) - charged(2) >= MOVED_COST * 4 * 7


def test_object_map_charges_each_object_whose_fate_it_reads():
    def charged(n: int) -> int:
        grid = _dots(n)
        target = np.zeros_like(grid)  # every object deleted
        budget = WorkBudget(10_000_000)
        _fates([grid], [target], 0, 4, True, False, budget)
        return budget.spent

    assert charged(8) - charged(2) >= 6 * (CALL_COST + 144)

"""The search's budget: work counted in cells, not seconds.

One unit is one grid cell read by one candidate operation, and each operation call costs
``CALL_COST`` units more (Python's overhead per call, which dominates on small grids): applying
a step to a 10x10 grid costs 500, learning a local rule's table over 500 demonstration and test
cells costs 500 per pass over them. On the development machine (one thread) a unit is about
0.1 microseconds of CPU time, and CPU time per task tracks the count (Pearson r 0.86 over the 400
arc1-train tasks, 0.85 over the development set; ``work_cpu_correlation`` in
experiments/bench_search.py's summary). Each phase charges what it does, so that a unit takes
about the same time in all of them (experiments/calibrate_work.py: on 100 arc1-train tasks the
enumeration, the families, the local rules, the rules after a step and until stable, the
per-object pieces and the verdict's hold-out each within 0.85 to 1.05 times the mean).
Every decision the search makes about stopping depends on this count alone, so
the same task and budget give the same programs on any machine, under any load and in any
number of worker processes. A wall-clock cap remains as a safety net only: a search that
reaches it stops early, and ``capped`` says so (its answers may then differ from run to run).

Shares of a budget (a family's part, the part the role lift keeps back) are child budgets:
whatever a child spends is spent by its parents too, and a child is exhausted as soon as any
of its ancestors is.
"""

from __future__ import annotations

import time

# The default budget: the median arc1-train task takes about 1 s of CPU time, search and verdict, on
# one thread of the development machine (calibrated with experiments/bench_search.py; at most 2 s
# asked for; kept at 12M when the phases' charges were made to track CPU time, round 37: 1.2 s
# median on a machine loaded with five other jobs).
DEFAULT_WORK_BUDGET = 12_000_000


class WorkBudget:
    """An allowance of ``limit`` units of work (cells) and what has been spent of it."""

    def __init__(self, limit: int, *, cap_s: float | None = None, _parent: WorkBudget | None = None):
        if limit < 0:
            raise ValueError(f"a work budget must be >= 0, got {limit}")
        self.limit = int(limit)
        self.spent = 0
        self._parent = _parent
        self._root: WorkBudget = self if _parent is None else _parent._root
        if _parent is None:
            self._deadline = None if cap_s is None else time.monotonic() + cap_s
            self._capped = False

    def charge(self, cells: int) -> None:
        """Count ``cells`` units of work done, here and in every enclosing budget."""
        b: WorkBudget | None = self
        while b is not None:
            b.spent += int(cells)
            b = b._parent

    @property
    def left(self) -> int:
        """Units left before this budget or an enclosing one runs out."""
        b: WorkBudget | None = self
        left = self.limit - self.spent
        while b is not None:
            left = min(left, b.limit - b.spent)
            b = b._parent
        return max(0, left)

    @property
    def exhausted(self) -> bool:
        """Out of work (here or in an enclosing budget), or past the wall-clock safety cap."""
        if self.left <= 0:
            return True
        root = self._root
        if root._deadline is not None and not root._capped and time.monotonic() > root._deadline:
            root._capped = True
        return root._capped

    @property
    def capped(self) -> bool:
        """Whether the search stopped at the wall-clock safety cap (not at its work budget)."""
        return self._root._capped

    def share(self, fraction: float) -> WorkBudget:
        """A child budget of ``fraction`` of this one's limit (at most what is left)."""
        return self.part(int(fraction * self.limit))

    def part(self, units: int) -> WorkBudget:
        """A child budget of ``units`` (at most what is left)."""
        return WorkBudget(max(0, min(int(units), self.left)), _parent=self)


def as_budget(budget: int | WorkBudget) -> WorkBudget:
    """A budget as given, or a fresh one of that many units."""
    return budget if isinstance(budget, WorkBudget) else WorkBudget(int(budget))


# What one operation call costs beyond the cells it reads, in cells (measured in the enumeration:
# about 100 us a call against 0.2 us a cell, the machine busy).
CALL_COST = 400


def cells(grids) -> int:
    """Units of work of one pass over ``grids`` (no call overhead)."""
    return sum(int(g.size) for g in grids)


def calls(grids) -> int:
    """Units of work of one operation called on each of ``grids``."""
    return sum(CALL_COST + int(g.size) for g in grids)

"""``Problem``: one task as every part of the search reads it, built once.

The demonstrations' and test inputs' arrays, the facts that decide which candidates are worth
trying (``TaskInfo``: background, palettes, how shapes change) and the work budget the part
reading it may spend. ``without(i)`` is the same task without demonstration ``i``, built from the
arrays already there, so a hold-one-out check can run any family again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from arc.grid import from_array, to_array
from arc.task import Example, Task
from search.budget import WorkBudget
from search.steps import TaskInfo, task_info


@dataclass(frozen=True)
class Problem:
    """A task's arrays and facts, and the budget of whoever holds it."""

    task: Task
    train_in: tuple[np.ndarray, ...]
    targets: tuple[np.ndarray, ...]
    test_in: tuple[np.ndarray, ...]
    info: TaskInfo
    budget: WorkBudget

    @classmethod
    def of(cls, task: Task, budget: WorkBudget) -> Problem:
        train_in = tuple(to_array(e.input) for e in task.train)
        targets = tuple(to_array(e.output) for e in task.train)
        return cls(task, train_in, targets, tuple(to_array(e.input) for e in task.test),
                   task_info(list(zip(train_in, targets))), budget)

    @classmethod
    def of_arrays(cls, task_id: str, train_in, targets, test_in, budget: WorkBudget) -> Problem:
        """A problem made of grids the search computed (a lifted or reshaped task)."""
        train_in, targets, test_in = ([to_array(g) for g in grids] for grids in (train_in, targets, test_in))
        task = Task(task_id, tuple(Example(from_array(g), from_array(t)) for g, t in zip(train_in, targets)),
                    tuple(Example(from_array(g)) for g in test_in))
        return cls(task, tuple(train_in), tuple(targets), tuple(test_in),
                   task_info(list(zip(train_in, targets))), budget)

    def with_budget(self, budget: WorkBudget) -> Problem:
        return replace(self, budget=budget)

    def without(self, i: int, budget: WorkBudget | None = None) -> Problem:
        """The same task without demonstration ``i`` (its facts read again from the others)."""
        keep = [k for k in range(len(self.train_in)) if k != i]
        train_in = tuple(self.train_in[k] for k in keep)
        targets = tuple(self.targets[k] for k in keep)
        task = replace(self.task, train=tuple(self.task.train[k] for k in keep))
        return Problem(task, train_in, targets, self.test_in, task_info(list(zip(train_in, targets))),
                       self.budget if budget is None else budget)

    @property
    def same_shape(self) -> bool:
        return self.info.same_shape

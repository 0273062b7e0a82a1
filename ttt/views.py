"""The views a task is shown under at TTT inference (the paper's augmented inference).

Each symmetry comes with ``n_orders`` demonstration orders: for the identity symmetry the first is
the original order, so the plain task is always among the views; every other order is random and
distinct (as far as the number of demonstrations allows). No colour permutations: the paper's
inference views are geometric. Predictions made under a view are mapped back with
``view.invert(grid)`` and voted on with ``ttt.vote.hierarchical_vote``, which groups the orders of one
symmetry together.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from arc.task import Task
from arc.views import View, random_order

INFERENCE_SYMMETRIES = ("identity", "transpose", "flip_lr", "flip_ud", "rot90", "rot180", "rot270")


def _orders(n_demos: int, n_orders: int, rng: np.random.Generator, start_identity: bool) -> list[tuple[int, ...]]:
    want = min(n_orders, math.factorial(n_demos))
    identity = tuple(range(n_demos))
    orders: list[tuple[int, ...]] = [identity] if start_identity else []
    # Rejection sampling terminates quickly: at most n! distinct orders are asked for.
    while len(orders) < want:
        order = random_order(rng, n_demos)
        if order not in orders:
            orders.append(order)
    return orders


def inference_views(
    task: Task,
    rng: np.random.Generator,
    n_orders: int = 2,
    symmetries: Sequence[str] = INFERENCE_SYMMETRIES,
) -> list[View]:
    """Views of ``task``: each symmetry with ``n_orders`` demonstration orders, identity view first."""
    if n_orders < 1:
        raise ValueError(f"n_orders must be at least 1, got {n_orders}")
    n = len(task.train)
    views: list[View] = []
    for sym in symmetries:
        for order in _orders(n, n_orders, rng, start_identity=(sym == "identity")):
            view = View(sym, order=order if n > 1 else None)
            if view not in views:
                views.append(view)
    return views

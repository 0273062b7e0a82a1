"""What every family's candidates are checked with: equal outputs, or a callable that gives them."""

from __future__ import annotations

from typing import Callable

import numpy as np

from search.program import safe_call


def same(outs: list, targets: list[np.ndarray]) -> bool:
    return all(o is not None and np.shape(o) == t.shape and np.array_equal(o, t) for o, t in zip(outs, targets))


def fits(fn: Callable, inputs: list[np.ndarray], targets: list[np.ndarray],
         charge: Callable[[np.ndarray], object] | None = None) -> bool:
    """``fn`` turns every input into its target; stops at the first demonstration it fails
    (``charge``, where given, is called with each input before it is tried)."""
    for g, t in zip(inputs, targets):
        if charge is not None:
            charge(g)
        out = safe_call(fn, g)
        if out is None or out.shape != t.shape or not np.array_equal(out, t):
            return False
    return True

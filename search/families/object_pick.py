"""The output is one object of the input, cropped: the one whose feature is the largest, the
smallest, or the only one of its kind, the feature read off the demonstrations.

For each way of cutting the inputs into objects, the objects whose crop (their box as it is, or
their cells alone) is a demonstration's output are the ones to pick; every feature of
``OBJECT_FEATURES`` and pick of ``PICKS`` that singles one of them out on every demonstration
makes a program, the simplest features first; then the features that relate an object to the
rest of the drawing (``RELATIONAL_FEATURES``: the object another colour copies larger).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dsl.color import resolve_background
from dsl.object_rules import NUMERIC_FEATURES, OBJECT_FEATURES, RELATIONAL_FEATURES, object_values, pick_index
from dsl.objects import find_objects
from search.budget import calls, cells
from search.families.object_map import MAX_OBJECTS, SEGMENTATIONS
from search.problem import Problem
from search.program import Program

# max/min for numbers and yes/no features (the one that is, or is not); unique for any feature
ORDERED = set(NUMERIC_FEATURES) | set(RELATIONAL_FEATURES) | {
    "touches_border", "is_rectangle", "is_symmetric", "is_largest", "is_smallest", "shape_is_unique", "color_is_unique"}
MAX_PROGRAMS = 3
COPY_CALLS = 4  # ``copy_scale``: an object against each other colour at each scale, a few calls


def pick_programs(problem: Problem) -> Iterator[Program]:
    """Crop the object that stands out by one feature."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if info.same_shape or any(t.shape[0] > g.shape[0] or t.shape[1] > g.shape[1] for g, t in zip(inputs, targets)):
        return
    made = 0
    for conn, by_color in SEGMENTATIONS:
        for alone in (False, True):
            if budget.exhausted:
                return
            budget.charge(3 * calls(inputs))  # every object cropped and compared (measured)
            objects = _objects(inputs, targets, info.background, conn, by_color, alone)
            if objects is None:
                continue
            for feature in (*OBJECT_FEATURES, *RELATIONAL_FEATURES):
                budget.charge(5 * cells(inputs))  # the feature of every object (measured)
                if feature in RELATIONAL_FEATURES:  # every object against every other colour's drawing
                    budget.charge(COPY_CALLS * sum(len(masks) * calls([g]) for g, (masks, _) in zip(inputs, objects)))
                values = [object_values(g, masks, feature, info.background) for g, (masks, _) in zip(inputs, objects)]
                for pick in ("max", "min", "unique") if feature in ORDERED else ("unique",):
                    if all(pick_index(vs, pick) in right for vs, (_, right) in zip(values, objects)):
                        yield Program("pick-object", (
                            f"grid = crop_by_feature(grid, by={feature!r}, pick={pick!r}, "
                            f"background={info.background!r}, connectivity={conn}, by_color={by_color}"
                            + (", alone=True)" if alone else ")"),))
                        made += 1
                        if made == MAX_PROGRAMS:
                            return


def _objects(inputs, targets, background, conn: int, by_color: bool, alone: bool):
    """Per demonstration the objects and the indices of those whose crop is its output; None where
    some demonstration has none, or only one object (nothing to choose between)."""
    out = []
    for g, t in zip(inputs, targets):
        bg = resolve_background(g, background)
        masks = find_objects(g, bg, conn, by_color)
        if len(masks) < 2 or len(masks) > MAX_OBJECTS:
            return None
        right = set()
        for k, m in enumerate(masks):
            rows, cols = np.nonzero(m)
            box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
            crop = np.where(m[box], g[box], bg) if alone else g[box]
            if crop.shape == t.shape and np.array_equal(crop, t):
                right.add(k)
        if not right:
            return None
        out.append((masks, right))
    return out


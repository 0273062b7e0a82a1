"""Object-wise maps learnt from the demonstrations (same-shape tasks).

The inputs are cut into objects (4- or 8-connected, of one colour or of any colours); each input
object's fate is read off its output (kept, deleted, or recoloured in one colour), the cells no
object covers having to stay as they were. Then one feature of the objects (``OBJECT_FEATURES``:
colour, size, shape, rank, border, holes, symmetry, how many share it, ...) must decide the fate,
as the smallest rule that does: a threshold on a number, one value against the rest, or a table
whose every entry more than one object shows. A rule is tentative where, learnt without one
demonstration, it does not give that demonstration's fates.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dsl.color import resolve_background
from dsl.object_rules import NUMERIC_FEATURES, OBJECT_FEATURES, object_values, rule_key
from dsl.objects import find_objects
from search.budget import calls, cells
from search.problem import Problem
from search.program import Program

SEGMENTATIONS = ((4, True), (8, True), (4, False), (8, False))
MAX_OBJECTS = 40  # more objects than this in a grid: noise, not objects
MAX_ENTRIES = 4  # a table with more entries is a list of the demonstrations' objects


def map_programs(problem: Problem) -> Iterator[Program]:
    """Every object kept, deleted or recoloured by one feature's value, simplest rules first."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or all(np.array_equal(g, t) for g, t in zip(inputs, targets)):
        return
    found: list[tuple[tuple, Program]] = []
    seen: set = set()
    for conn, by_color in SEGMENTATIONS:
        if budget.exhausted:
            break
        budget.charge(calls(inputs))
        fates = _fates(inputs, targets, info.background, conn, by_color)
        if fates is None:
            continue
        objects, actions = fates
        if len(set(a for demo in actions for a in demo)) < 2:
            continue  # one fate for every object: no choice for a feature to make
        for feature in OBJECT_FEATURES:
            if budget.exhausted:
                break
            budget.charge(cells(inputs) + sum(len(m) for _, m in objects) * 50)
            values = [object_values(g, masks, feature, info.background) for g, masks in objects]
            rule = _rule(values, actions, feature in NUMERIC_FEATURES)
            if rule is None:
                continue
            cost, table, default, at_least = rule
            key = (feature, table, default, at_least)
            if (conn, by_color, key) in seen:
                continue
            seen.add((conn, by_color, key))
            tentative = (not _holds_out(values, actions, feature in NUMERIC_FEATURES, rule)
                         or _in_gap(problem, feature, conn, by_color, values, rule))
            call = (f"grid = map_objects(grid, by={feature!r}, table={table!r}, default={default!r}, "
                    + (f"at_least={at_least}, " if at_least is not None else "")
                    + f"background={info.background!r}, connectivity={conn}, by_color={by_color})")
            found.append(((tentative, cost, len(found)), Program("map", (call,), tentative=tentative)))
    for _, program in sorted(found, key=lambda f: f[0]):
        yield program


def _fates(inputs, targets, background, conn: int, by_color: bool):
    """Per demonstration the objects (masks) and each one's fate ("keep", "delete" or a colour);
    None where the cells outside every object change or an object's output is none of these."""
    objects, actions = [], []
    for g, t in zip(inputs, targets):
        bg = resolve_background(g, background)
        masks = find_objects(g, bg, conn, by_color)
        if not masks or len(masks) > MAX_OBJECTS:
            return None
        covered = np.zeros(g.shape, dtype=bool)
        fates = []
        for m in masks:
            covered |= m
            out = t[m]
            if np.array_equal(out, g[m]):
                fates.append("keep")
            elif (out == bg).all():
                fates.append("delete")
            elif (out == out[0]).all():
                fates.append(int(out[0]))
            else:
                return None
        if not np.array_equal(g[~covered], t[~covered]):
            return None
        objects.append((g, masks))
        actions.append(fates)
    return objects, actions


def _rule(values: list[list], actions: list[list], numeric: bool):
    """The simplest rule giving every object's fate from its value: (cost, table, default,
    at_least), or None. A threshold or one value against the others (cost 2) before a table (cost:
    its entries), each entry shown by two objects or more, both sides of a threshold too."""
    pairs = [(v, a) for vs, acts in zip(values, actions) for v, a in zip(vs, acts)]
    if any(v is None for v, _ in pairs):
        return None
    mapping: dict = {}
    support: dict = {}
    for v, a in pairs:
        if mapping.setdefault(v, a) != a:
            return None  # one value, two fates: this feature does not decide
        support[v] = support.get(v, 0) + 1
    fates = sorted(set(mapping.values()), key=repr)
    if len(mapping) < 2:
        return None
    if len(fates) == 2:
        for a, b in (fates, fates[::-1]):
            above = [v for v, f in mapping.items() if f == a]
            below = [v for v, f in mapping.items() if f == b]
            if numeric and min(above) > max(below) and len(above) + len(below) > 2:
                n_above = sum(support[v] for v in above)
                if n_above >= 2 and len(pairs) - n_above >= 2:
                    # the middle of the gap; a value inside it the demonstrations leave open
                    return 2, ((True, a), (False, b)), None, (max(below) + min(above) + 1) // 2
        for a, b in (fates, fates[::-1]):
            one = [v for v, f in mapping.items() if f == a]
            if len(one) == 1 and len(mapping) > 2 and support[one[0]] >= 2:
                return 2, ((one[0], a),), b, None
    if len(mapping) <= MAX_ENTRIES and min(support.values()) >= 2:
        table = tuple(sorted(mapping.items(), key=lambda kv: repr(kv[0])))
        return len(table), table, None, None
    return None


def _in_gap(problem: Problem, feature: str, conn: int, by_color: bool, values: list[list], rule) -> bool:
    """A threshold's test object whose value lies between the largest value below it and the
    smallest above it that the demonstrations show: which side it falls on, they do not say."""
    at_least = rule[3]
    if at_least is None:
        return False
    seen = sorted({v for vs in values for v in vs})
    low = max(v for v in seen if v < at_least)
    high = min(v for v in seen if v >= at_least)
    bg = problem.info.background
    for g in problem.test_in:
        masks = find_objects(g, resolve_background(g, bg), conn, by_color)
        if any(low < v < high for v in object_values(g, masks, feature, bg)):
            return True
    return False


def _holds_out(values: list[list], actions: list[list], numeric: bool, rule) -> bool:
    """Learnt again without each demonstration in turn (the same form of rule), the rule still
    gives that demonstration's fates."""
    if len(values) < 2:
        return False
    _, table, default, at_least = rule
    for j in range(len(values)):
        rest = _rule(values[:j] + values[j + 1:], actions[:j] + actions[j + 1:], numeric)
        if rest is None:
            return False
        _, t, d, k = rest
        lookup = dict(t)
        if any(lookup.get(rule_key(v, k), d) != a for v, a in zip(values[j], actions[j])):
            return False
    return True

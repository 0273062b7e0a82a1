"""Object-wise maps learnt from the demonstrations (same-shape tasks).

The inputs are cut into objects (4- or 8-connected, of one colour or of any colours); each input
object's possible fates are read off its output (kept, deleted, recoloured in one colour, turned in
its box, moved to contact, by its own extent, its count of cells or a number of cells, toward the
nearest object in its way, mirrored across that object's line, away from the object it touches,
to the nearest still object of its colour, to the middle of what stays, into the one notch of what
stays that it completes, in its colours or one colour), a changed cell that no object covers having
to be one that a turn or move reaches; an object the output shows against another or the border moved to
contact (those that do stack), and a kept object already as far as such a move goes makes it too.
Then one feature of the objects (``MAP_FEATURES``: colour, size, shape, rank, border, holes,
symmetry, how many share it, inside another's box, ends and corners, column or row parity, ...) must decide the fate, as the smallest rule that does: one move or
turn for all, a threshold on a number, one value against the rest, or a table whose every entry
more than one object shows (or one object, where the entry moves or turns it). A rule is tentative
where, learnt without one demonstration, it does not give that demonstration's fates, or where a
test object's value falls in a threshold's open gap, or where a parity counted from one edge
could as well be counted from the other and a test grid's side tells them apart.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dsl.color import resolve_background
from dsl.object_rules import (
    MAP_FEATURES,
    NUMERIC_FEATURES,
    PAINTS,
    PARITY_FEATURES,
    RELATIONS,
    SIDES,
    TURNS,
    home_side,
    notch_moves,
    object_action_cells,
    object_values,
    paint_region,
    partner_color,
    rule_key,
)
from dsl.objects import find_objects, find_regions
from search.budget import CALL_COST, WorkBudget, calls, cells
from search.problem import Problem
from search.program import Program

SEGMENTATIONS = ((4, True), (8, True), (4, False), (8, False))
# the map's own: the objects as above, then the background's regions (kept or recoloured)
MAP_SEGMENTATIONS = tuple((conn, by_color, False) for conn, by_color in SEGMENTATIONS) + ((4, True, True), (8, True, True))
MAX_OBJECTS = 40  # more objects than this in a grid: noise, not objects
MAX_ENTRIES = 4  # a table with more entries is a list of the demonstrations' objects
AMOUNTS = ("contact", "own", "size")  # how far a move goes, besides a number of cells (``map_objects``)
RELATIVE = ("toward", "away", "mirror", "home", "centre")  # moves whose way each object's surroundings decide
# units a cell placed where a notch is looked for (``notch_places``); measured, a unit of it takes about
# 1.9 times a unit's mean CPU time, on 0.1% of the CPU (experiments/results/calibrate_arc1_train_notch.json)
NOTCH_COST = 1


def map_programs(problem: Problem) -> Iterator[Program]:
    """Every object kept, deleted, recoloured, turned or moved by one feature's value, simplest rules first."""
    inputs, targets, info, budget = list(problem.train_in), list(problem.targets), problem.info, problem.budget
    if not info.same_shape or all(np.array_equal(g, t) for g, t in zip(inputs, targets)):
        return
    found: list[tuple[tuple, Program]] = []
    seen: set = set()
    for conn, by_color, regions in MAP_SEGMENTATIONS:
        if budget.exhausted:
            break
        budget.charge(calls(inputs))
        fates = _fates(inputs, targets, info.background, conn, by_color, regions, budget)
        if fates is None:
            continue
        objects, actions = fates
        for feature in MAP_FEATURES:
            if budget.exhausted:
                break
            # measured: about five passes over the inputs and 250 units an object per feature
            budget.charge(5 * cells(inputs) + sum(len(m) for _, m in objects) * 250)
            values = [object_values(g, masks, feature, info.background) for g, masks in objects]
            rule = _rule(values, actions, feature in NUMERIC_FEATURES)
            if rule is None:
                continue
            cost, table, default, at_least = rule
            key = (feature if table else None, table, default, at_least)  # a rule for all: any feature
            if (conn, by_color, regions, key) in seen:
                continue
            seen.add((conn, by_color, regions, key))
            tentative = (not _holds_out(values, actions, feature in NUMERIC_FEATURES, rule)
                         or _in_gap(problem, feature, conn, by_color, regions, values, rule)
                         or _edge_open(problem, feature))
            call = (f"grid = map_objects(grid, by={feature!r}, table={table!r}, default={default!r}, "
                    + (f"at_least={at_least}, " if at_least is not None else "")
                    + f"background={info.background!r}, connectivity={conn}, "
                    + ("regions=True)" if regions else f"by_color={by_color})"))
            found.append(((tentative, cost, len(found)), Program("map", (call,), tentative=tentative)))
    for _, program in sorted(found, key=lambda f: f[0]):
        yield program


def _masks(g, bg, conn: int, by_color: bool, regions: bool) -> list[np.ndarray]:
    return find_regions(g, bg, conn) if regions else find_objects(g, bg, conn, by_color)


def _fates(inputs, targets, background, conn: int, by_color: bool, regions: bool, budget: WorkBudget):
    """Per demonstration the objects (masks) and, per object, the set of actions that give its
    output ("keep", "delete", a colour, a turn, a move); None where an object has none, where a
    changed cell is no object's and no move or turn reaches it, or where every object is kept."""
    objects, actions, statics = [], [], []
    for g, t in zip(inputs, targets):
        bg = resolve_background(g, background)
        masks = _masks(g, bg, conn, by_color, regions)
        if not masks or len(masks) > MAX_OBJECTS:
            return None
        # each object's fate in place (``_in_place``): a call over the grid an object
        budget.charge(len(masks) * (CALL_COST + int(g.size)))
        covered = np.zeros(g.shape, dtype=bool)
        for m in masks:
            covered |= m
        options, painted = [], np.zeros(g.shape, dtype=bool)
        for k, m in enumerate(masks):
            o, region = _in_place(g, t, m, bg, paints=not regions)
            colored = [(a, "") for a in o if isinstance(a, int)] + \
                [(int(a.split(":")[1]), a.split(":")[0] + ":") for a in o if _paint(a)]
            if colored and not regions:  # recoloured, or painted, like the objects it corresponds to
                # every other object weighed once a relation: its colour, box or shape read (measured;
                # experiments/calibrate_work.py: charged a quarter of a cell an object alone, the object
                # map took twice the time a unit of a step takes on 100 arc1-train tasks)
                budget.charge(len(masks) * (len(RELATIONS) * CALL_COST // 8 + m.size // 4))
                partners = {r: partner_color(g, masks, k, r, bg) for r in RELATIONS}
                o.update(f"{head}like:{r}" for color, head in colored for r, c in partners.items() if c == color)
            options.append(o)
            painted |= region
        static = np.zeros(g.shape, dtype=bool)
        for m, o in zip(masks, options):
            if "keep" in o or any(_paint(a) for a in o):
                static |= m
        outside = (g != t) & ~covered
        reached = painted.copy()
        # an object looks for a turn or move only where it is neither kept nor painted around,
        # and where it may have gone somewhere no object was (or is neither deleted nor recoloured in place)
        movers = [k for k, o in enumerate(options) if not regions and "keep" not in o
                  and not any(_paint(a) for a in o) and (outside.any() or not o)]
        notched = _notches(g, [masks[k] for k in movers], static, budget) if movers and static.any() else {}
        landed = np.zeros(g.shape, dtype=bool)  # where objects went into notches
        for j, k in enumerate(movers):
            m, o = masks[k], options[k]
            budget.charge(sum(g.shape) * CALL_COST)  # a look at every side and way (measured)
            for action, (rows, cols) in _redraws(g, t, m, static & ~m, bg, notched.get(j)):
                o.add(action)
                reached[rows, cols] = True
                if _notch(action):
                    landed[rows, cols] = True
            if not o:
                return None
        for m, o in zip(masks, options):
            if not o:
                return None
            if landed.any() and any(not (paint_region(g, m, a.split(":")[0], bg) & ~landed).any()
                                    for a in o if _paint(a)):
                o.add("keep")  # what it shows painted around it is what went into its notch: it stays as it is
        if (outside & ~reached).any():
            return None
        if outside.any():  # cells no object had are drawn: an object that can be redrawn is, not deleted
            options = [o - {"delete"} if any(_redraw(a) for a in o) else o for o in options]
        objects.append((g, masks))
        actions.append(options)
        statics.append(static)
    if all("keep" in o for demo in actions for o in demo):
        return None
    _kept_in_place(objects, actions, statics, budget)
    return objects, [[frozenset(o) for o in demo] for demo in actions]


def _kept_in_place(objects, actions, statics, budget: WorkBudget) -> None:
    """A kept object also allows the moves relative to other objects (``RELATIVE`` but "mirror",
    "<side>:contact") that some object of the demonstrations makes, where that move leaves it
    where it is (it is already as far as it can go)."""
    relative = sorted({a for demo in actions for o in demo for a in o
                       if a in RELATIVE and a != "mirror" or isinstance(a, str) and a.endswith(":contact")})
    if not relative:
        return
    for (g, masks), options, static in zip(objects, actions, statics):
        for m, o in zip(masks, options):
            if "keep" not in o:
                continue
            budget.charge(len(relative) * sum(g.shape) * CALL_COST // 4)
            rows, cols = np.nonzero(m)
            for action in relative:
                placed = object_action_cells(g, m, action, static & ~m)
                if placed is not None and np.array_equal(placed[0], rows) and np.array_equal(placed[1], cols):
                    o.add(action)


def _redraw(action) -> bool:
    return (isinstance(action, str) and not _paint(action) and "like:" not in action
            and (":" in action or action in TURNS or action in RELATIVE or _notch(action)))


def _notch(action) -> bool:
    return isinstance(action, str) and action.split(":")[0] == "notch"


def _in_place(g, t, m, bg, paints: bool = True) -> tuple[set, np.ndarray]:
    """The fates that leave ``m`` where it is, and the cells its paints (``PAINTS``) draw. An
    object whose paint the output shows whole, in one new colour, is painted, not kept."""
    out = t[m]
    options = set()
    painted = np.zeros(g.shape, dtype=bool)
    if np.array_equal(out, g[m]):
        options.add("keep")
        for paint in PAINTS if paints else ():
            region = paint_region(g, m, paint, bg)
            if region.any():
                colors = t[region]
                if colors[0] != bg and (colors == colors[0]).all():
                    options.add(f"{paint}:{int(colors[0])}")
                    painted |= region
    if (out == bg).all():
        options.add("delete")
    elif (out == out[0]).all() and not painted.any():  # painted: neither kept nor recoloured in place
        options.add(int(out[0]))
    if painted.any():
        options.discard("keep")
    return options, painted


def _paint(action) -> bool:
    return isinstance(action, str) and action.split(":")[0] in PAINTS


def _notches(g, masks, still, budget: WorkBudget) -> dict[int, tuple[int, int]]:
    """Where the objects that may move go into the notches of the still cells together (``notch_moves``)."""
    budget.charge(CALL_COST + int(g.size))
    return notch_moves(masks, still, lambda placed: budget.charge(NOTCH_COST * placed))


def _redraws(g, t, m, obstacles, bg, notch: tuple[int, int] | None = None):
    """The turns and moves of ``m`` whose cells the output shows in the object's colours, with the
    cells each one draws; a move that lands it against a cell the output shows (or the border) is
    also one "to contact" (the objects that move to contact stack: ``map_objects``)."""
    h, w = g.shape
    actions = [*TURNS, *(f"{side}:{amount}" for side in SIDES for amount in AMOUNTS), *RELATIVE]
    rows, cols = np.nonzero(m)
    r0, c0, first = rows[0], cols[0], g[rows[0], cols[0]]
    home = home_side(g, m, obstacles)
    for side, (dy, dx) in SIDES.items():  # every distance that puts the object where the output shows it
        room = {"up": rows.min(), "down": h - 1 - rows.max(), "left": cols.min(), "right": w - 1 - cols.max()}[side]
        steps = np.arange(1, room + 1)
        steps = steps[t[r0 + dy * steps, c0 + dx * steps] == first]  # where its first cell would land right
        landed = [n for n in steps.tolist() if np.array_equal(t[rows + dy * n, cols + dx * n], g[rows, cols])]
        actions += [f"{side}:{n}" for n in landed]
        for n in landed:
            r, c = rows + dy * n, cols + dx * n
            if _against(t, r, c, dy, dx, bg):
                yield f"{side}:contact", (r, c)
                if side == home:
                    yield "home", (r, c)
    if notch is not None:  # into the notch of what stays that it completes, in its colours or one colour
        r, c = rows + notch[0], cols + notch[1]
        shown = t[r, c]
        if np.array_equal(shown, g[rows, cols]):
            yield "notch", (r, c)
        elif (shown == shown[0]).all() and shown[0] != bg:
            yield f"notch:{int(shown[0])}", (r, c)
    for action in actions:
        placed = object_action_cells(g, m, action, obstacles)
        if placed is None:
            continue
        r, c, colors = placed
        if np.array_equal(t[r, c], colors) and not (np.array_equal(r, rows) and np.array_equal(c, cols)
                                                    and np.array_equal(colors, g[rows, cols])):
            yield action, (r, c)


def _against(t, r, c, dy, dx, bg) -> bool:
    """Cells (r, c) one step short of the border or of a cell of ``t`` they do not cover, that way."""
    h, w = t.shape
    nr, nc = r + dy, c + dx
    if nr.min() < 0 or nc.min() < 0 or nr.max() >= h or nc.max() >= w:
        return True
    mine = np.zeros(t.shape, dtype=bool)
    mine[r, c] = True
    return bool(((t[nr, nc] != bg) & ~mine[nr, nc]).any())


def _preference(action) -> tuple:
    """Simplest first: keep, delete, a colour, a turn, a move to contact, by its own extent, by a number."""
    if action in ("keep", "delete"):
        return (0, action == "delete", 0, "")
    if isinstance(action, int):
        return (1, 0, action, "")
    if "like:" in action:  # a colour read off a corresponding object: after the fixed ones
        head, relation = action.split("like:")
        return (1, 1 + len(PAINTS) + RELATIONS.index(relation), 0, head)
    if _paint(action):
        paint, color = action.split(":")
        return (1, 1 + PAINTS.index(paint), int(color), "")
    if action in TURNS:
        return (2, TURNS.index(action), 0, "")
    if action in RELATIVE:
        return (3, -1, RELATIVE.index(action), "")
    if _notch(action):
        return (3, -1, len(RELATIVE), action)
    side, amount = action.split(":")
    return (3, AMOUNTS.index(amount) if amount in AMOUNTS else len(AMOUNTS),
            int(amount) if amount.isdigit() else 0, side)


def _best(options) -> object:
    return min(options, key=_preference)


def _rule(values: list[list], options: list[list], numeric: bool):
    """The simplest rule giving every object an action it allows from its value: (cost, table,
    default, at_least), or None. The same move or turn for every object (cost 1); a threshold or
    one value against the others (cost 2); a table (cost: its entries), each entry shown by two
    objects or more, both sides of a threshold too, or (cost: one more) an entry one object alone
    shows where that entry moves or turns it."""
    pairs = [(v, o) for vs, os in zip(values, options) for v, o in zip(vs, os)]
    if not pairs or any(v is None for v, _ in pairs):
        return None
    common: dict = {}
    support: dict = {}
    for v, o in pairs:
        common[v] = common[v] & o if v in common else set(o)
        support[v] = support.get(v, 0) + 1
        if not common[v]:
            return None  # one value, two fates: this feature does not decide
    every = set.intersection(*common.values())
    if every:
        # one move or turn for all, where some grid has several objects (one object alone is the
        # whole-grid steps' job); one keep, delete or colour for all is no choice to learn
        redraws = [a for a in every if isinstance(a, str) and a not in ("keep", "delete")]
        return (1, (), _best(redraws), None) if redraws and max(map(len, values)) > 1 else None
    if len(common) < 2:
        return None
    ordered = sorted(common, key=repr)
    if numeric and len(common) > 2:
        vals = sorted(common)
        for cut in range(1, len(vals)):
            below, above = set.intersection(*(common[v] for v in vals[:cut])), set.intersection(*(common[v] for v in vals[cut:]))
            n_above = sum(support[v] for v in vals[cut:])
            if below and above and n_above >= 2 and len(pairs) - n_above >= 2:
                # the middle of the gap; a value inside it the demonstrations leave open
                return 2, ((True, _best(above)), (False, _best(below))), None, (vals[cut - 1] + vals[cut] + 1) // 2
    if len(common) > 2:
        for v in ordered:
            rest = set.intersection(*(common[u] for u in ordered if u != v))
            if support[v] >= 2 and rest:
                return 2, ((v, _best(common[v])),), _best(rest), None
    if len(common) <= MAX_ENTRIES:
        table = tuple((v, _best(common[v])) for v in ordered)
        if min(support.values()) >= 2:
            return len(table), table, None, None
        # an entry one object alone shows, only where it moves or turns that object: always
        # tentative (held out, its demonstration's value is missing from the table)
        if all(support[v] >= 2 or _redraw(a) for v, a in table):
            return len(table) + 1, table, None, None
    return None


def _in_gap(problem: Problem, feature: str, conn: int, by_color: bool, regions: bool, values: list[list], rule) -> bool:
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
        masks = _masks(g, resolve_background(g, bg), conn, by_color, regions)
        if any(low < v < high for v in object_values(g, masks, feature, bg)):
            return True
    return False


def _edge_open(problem: Problem, feature: str) -> bool:
    """A parity counted from one edge (``PARITY_FEATURES``) where every demonstration's input has
    the same parity of that side's length and a test input another: counted from the other edge,
    it would fit them as well and answer otherwise."""
    axis = PARITY_FEATURES.get(feature)
    if axis is None:
        return False
    seen = {g.shape[axis] % 2 for g in problem.train_in}
    return len(seen) == 1 and any(g.shape[axis] % 2 not in seen for g in problem.test_in)


def _holds_out(values: list[list], actions: list[list], numeric: bool, rule) -> bool:
    """Learnt again without each demonstration in turn (the same form of rule), the rule still
    gives that demonstration's fates."""
    if len(values) < 2:
        return False
    for j in range(len(values)):
        rest = _rule(values[:j] + values[j + 1:], actions[:j] + actions[j + 1:], numeric)
        if rest is None:
            return False
        _, t, d, k = rest
        lookup = dict(t)
        if any(lookup.get(rule_key(v, k), d) not in a for v, a in zip(values[j], actions[j])):
            return False
    return True

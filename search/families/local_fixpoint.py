"""Local rules applied until nothing changes: a growth or a flood that spreads cell by cell
(``apply_local_rule(..., until_stable=True)``), learnt from the demonstrations round by round.

The one-shot learner (``local_rules``) needs every changed cell decided by the input's own
features; a flood through a maze, a staircase grown from a seed or a line extended step by step
are decided only by what the previous round painted. Here the table is learnt while it runs:
start from the inputs; in each round, a tuple (the values of a few neighbourhood features,
``FIXPOINT_FEATURES``) whose cells that still differ from their outputs all want one colour, and
whose cells already right all have that colour, is painted that colour from now on; a tuple whose
cells disagree waits (a later round may split them); apply the table to every demonstration and
go on until nothing changes. The rule fits when every demonstration reaches its output; a table
entry that a later round contradicts (a cell already right with another colour) rejects the rule.

It keeps the precision rules of ``local_rules`` (read its docstring): no tuple on a test input,
in any round, that no demonstration showed; no memorising table (``MIN_CHANGED_PER_ENTRY``
changed cells per entry); each entry that changes a test cell backed by ``MIN_SUPPORT`` changed
cells in ``MIN_DEMOS`` demonstrations, and from a colour it was seen changing (unless it changed
several); a test input left as it is refused when every demonstration changes; a rule that does
not hold out a demonstration is ``tentative``. And one of its own: a rule that one round alone
explains is the one-shot learner's, not reported here.
"""

from __future__ import annotations

import itertools

import numpy as np

from arc.grid import from_array
from dsl.color import most_common_color
from dsl.neighbourhood import MAX_ROUNDS, cell_features
from search.budget import calls
from search.families.local_rules import MIN_CHANGED_PER_ENTRY, MIN_DEMOS, MIN_SUPPORT, LocalRule
from search.problem import Problem

# Cheap neighbourhood features, general first: the learner tries one, two, then three of them.
FIXPOINT_FEATURES = ("colour", "up", "down", "left", "right", "up_left", "up_right", "down_left", "down_right",
                     "n4_count", "n8_count", "n4_colours", "n8_colours")
MAX_FEATURES = 3
HOLD_OUT_SHARE = 0.25
# A round costs (features + 2) passes over the grids, in fifths (measured on 100 arc1-train tasks,
# experiments/calibrate_work.py: at five fifths a round took 0.6 times the time a unit of a step
# takes), and each changed cell a few units more (its entry's support counted in Python).
ROUND_PASSES = 3
MOVED_COST = 3
_BASE = 1 << 11  # above every value these features take (a colour bitmask is below 2**10, OUTSIDE is 10)


class _Run:
    """One feature set's rule learnt on some demonstrations: the table (tuple code -> colour),
    the codes any round showed, and per entry the changed cells, demonstrations and colours
    it changed."""

    def __init__(self, subset: tuple[str, ...], background: int):
        self.subset, self.background = subset, background
        self.table: dict[int, int] = {}
        self.seen: set[int] = set()
        self.support: dict[int, int] = {}
        self.demos: dict[int, set[int]] = {}
        self.from_colours: dict[int, set[int]] = {}
        self.rounds = 0

    def codes(self, grid: np.ndarray) -> np.ndarray:
        values = cell_features(grid, self.subset, self.background).reshape(-1, len(self.subset))
        code = np.zeros(len(values), dtype=np.int64)
        for j in range(len(self.subset)):
            code = code * _BASE + values[:, j]
        return code

    def apply_once(self, grid: np.ndarray, code: np.ndarray) -> np.ndarray:
        if not self.table:
            return grid
        keys = np.array(sorted(self.table), dtype=np.int64)
        values = np.array([self.table[k] for k in keys.tolist()], dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, code), len(keys) - 1)
        hit = keys[at] == code
        return np.where(hit, values[at], grid.ravel()).reshape(grid.shape)

    def learn(self, inputs: list[np.ndarray], targets: list[np.ndarray], budget) -> bool:
        """Grow the table round by round on ``inputs``; True when every one reaches its target."""
        keep: dict[int, set[int]] = {}  # code -> colours of the cells already right that show it
        current = list(inputs)
        for _ in range(MAX_ROUNDS):
            if budget.exhausted:
                return False
            budget.charge(ROUND_PASSES * (len(self.subset) + 2) * calls(current) // 5)
            codes = [self.codes(g) for g in current]
            code = np.concatenate(codes)
            colour = np.concatenate([g.ravel() for g in current])
            wanted = np.concatenate([t.ravel() for t in targets])
            demo = np.concatenate([np.full(g.size, i) for i, g in enumerate(current)])
            self.seen.update(np.unique(code).tolist())
            right = colour == wanted
            for pair in np.unique(code[right] * 16 + colour[right]).tolist():
                keep.setdefault(pair // 16, set()).add(pair % 16)
            wrong = ~right
            wants: dict[int, set[int]] = {}
            for pair in np.unique(code[wrong] * 16 + wanted[wrong]).tolist():
                wants.setdefault(pair // 16, set()).add(pair % 16)
            for key, colours in wants.items():
                if key in self.table:
                    if colours != {self.table[key]}:
                        return False  # a cell this entry paints wants another colour
                elif len(colours) == 1 and keep.get(key, set()) <= colours:
                    self.table[key] = next(iter(colours))
            if any(not keep.get(k, set()) <= {c} for k, c in self.table.items()):
                return False  # an entry would repaint a cell already right
            after = [self.apply_once(g, c) for g, c in zip(current, codes)]
            moved = np.concatenate([(a != g).ravel() for a, g in zip(after, current)])
            if not moved.any():
                break
            self.rounds += 1
            budget.charge(MOVED_COST * int(moved.sum()))
            for key, d, c in zip(code[moved].tolist(), demo[moved].tolist(), colour[moved].tolist()):
                self.support[key] = self.support.get(key, 0) + 1
                self.demos.setdefault(key, set()).add(d)
                self.from_colours.setdefault(key, set()).add(c)
            current = after
        return all(np.array_equal(g, t) for g, t in zip(current, targets))

    def run(self, grid: np.ndarray, budget) -> tuple[np.ndarray, set[int]] | None:
        """The rule run on ``grid`` until it is stable, and the entries that changed a cell of
        its colour never seen changed; None on a tuple no demonstration showed or no end."""
        odd: set[int] = set()
        for _ in range(MAX_ROUNDS):
            budget.charge(ROUND_PASSES * (len(self.subset) + 2) * calls([grid]) // 5)
            code = self.codes(grid)
            if not np.isin(code, np.fromiter(self.seen, dtype=np.int64)).all():
                return None
            after = self.apply_once(grid, code)
            if np.array_equal(after, grid):
                return grid, odd
            moved = (after != grid).ravel()
            for key, c in zip(code[moved].tolist(), grid.ravel()[moved].tolist()):
                if c not in self.from_colours.get(key, ()) and len(self.from_colours.get(key, ())) < 2:
                    odd.add(key)
            grid = after
        return None

    def decoded(self) -> tuple[tuple[tuple[int, ...], int], ...]:
        def digits(code: int) -> tuple[int, ...]:
            out = []
            for _ in self.subset:
                code, d = divmod(code, _BASE)
                out.append(d)
            return tuple(reversed(out))
        return tuple(sorted((digits(k), v) for k, v in self.table.items()))


def learn_fixpoint_rules(problem: Problem, max_rules: int = 3) -> list[LocalRule]:
    """Minimal local rules that, applied until nothing changes, take every demonstration input
    of a same-shape task to its output; one per distinct test answer, most agreed-on first.
    [] when none passes the precision rules (module docstring)."""
    # A quarter of the budget is kept for the hold-out checks of the rules found.
    budget = problem.budget.share(1 - HOLD_OUT_SHARE)
    train_in, targets, test_in = list(problem.train_in), list(problem.targets), list(problem.test_in)
    if not train_in or not test_in or any(a.shape != b.shape for a, b in zip(train_in, targets)):
        return []
    if all(np.array_equal(a, b) for a, b in zip(train_in, targets)):
        return []
    background = most_common_color(np.concatenate([g.ravel() for g in train_in]))
    every_changes = all(not np.array_equal(a, b) for a, b in zip(train_in, targets))
    n_changed = sum(int((a != b).sum()) for a, b in zip(train_in, targets))
    found: list[tuple[int, _Run, tuple]] = []
    weak: list[tuple[int, _Run, tuple]] = []
    for k in range(1, MAX_FEATURES + 1):
        for subset in itertools.combinations(FIXPOINT_FEATURES, k):
            if budget.exhausted:
                break
            rule = _Run(subset, background)
            if not rule.learn(train_in, targets, budget) or rule.rounds < 2:
                continue
            if n_changed < MIN_CHANGED_PER_ENTRY * len(rule.table):
                continue  # memorised
            answers = [rule.run(g, budget) for g in test_in]
            if any(a is None or a[1] for a in answers):
                continue
            outputs = [a[0] for a in answers]
            if every_changes and any(np.array_equal(o, g) for o, g in zip(outputs, test_in)):
                continue
            used = set()
            for g in test_in:
                used |= _entries_used(rule, g)
            entry = (len(rule.table), rule, tuple(from_array(o) for o in outputs))
            if any(rule.support.get(e, 0) < MIN_SUPPORT or len(rule.demos.get(e, ())) < MIN_DEMOS for e in used):
                # A test cell changed by an entry the demonstrations do not replicate: the
                # smallest such rules answer only as a last resort, as in local_rules.
                if not weak or len(weak[0][1].subset) == k:
                    weak.append(entry)
                continue
            found.append(entry)
        if found or budget.exhausted:
            break
    return (_ranked(found, problem, background, max_rules)
            or _ranked(weak, problem, background, max_rules, replicated=False))


def _entries_used(rule: _Run, grid: np.ndarray) -> set[int]:
    """The table entries that change some cell when ``rule`` runs on ``grid`` (known to end)."""
    used: set[int] = set()
    for _ in range(MAX_ROUNDS):
        code = rule.codes(grid)
        after = rule.apply_once(grid, code)
        moved = (after != grid).ravel()
        if not moved.any():
            break
        used.update(code[moved].tolist())
        grid = after
    return used


def _holds_out(rule: _Run, problem: Problem) -> bool:
    """Whether the rule's features, learnt on all demonstrations but one, take the one left out
    to its output, for each of them."""
    n = len(problem.train_in)
    if n < 2:
        return False
    for i in range(n):
        keep = [k for k in range(n) if k != i]
        other = _Run(rule.subset, rule.background)
        if not other.learn([problem.train_in[k] for k in keep], [problem.targets[k] for k in keep], problem.budget):
            return False
        answer = other.run(problem.train_in[i], problem.budget)
        if answer is None or not np.array_equal(answer[0], problem.targets[i]):
            return False
    return True


def _ranked(found: list, problem: Problem, background: int, max_rules: int,
            replicated: bool = True) -> list[LocalRule]:
    groups: dict[tuple, list] = {}
    for size, rule, outputs in sorted(found, key=lambda f: f[0]):  # stable: feature order breaks ties
        groups.setdefault(outputs, []).append((size, rule))
    rules = []
    for outputs, members in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:max_rules]:
        size, rule = members[0]
        tentative = not replicated or not _holds_out(rule, problem)
        description = (f"local rule until stable: {', '.join(rule.subset)} ({size} entries, {rule.rounds} rounds"
                       + (f"; {len(members)} minimal rules agree" if len(members) > 1 else "")
                       + ("; tentative: no rule holds out a demonstration" if tentative else "") + ")")
        rules.append(LocalRule(rule.subset, rule.decoded(), background, description, outputs, len(members),
                               tentative, replicated, until_stable=True))
    return rules

"""Local rules for same-shape tasks: each output cell's colour as a function of a few features
of the input cell (``dsl.neighbourhood``), learned from every demonstration cell at once.

A rule is a feature set and a table from feature tuples to actions: keep the colour, paint a
colour, or copy a colour-valued feature (a neighbour, a ray, a mirror partner...). It is
consistent when no tuple seen on the demonstrations needs two actions. The learner looks for the
smallest consistent feature sets (fewest features, then smallest table): one, two, then three at
a time, in the order of ``FEATURES`` (cheap and general first), never a superset of a consistent
set (it could only be larger), within a work budget (``search.budget``). The features of
``SECOND_PASS`` come in a second pass on work of its own (``second_pass``), only where the first
finds no replicated rule: every set holding one of them, those features first. A feature added
there cannot delay or change a rule the first pass finds, whatever the budget; and the search's
later fallbacks run as they would without its rules (``LocalRule.second_pass``).

Precision before recall, because the ensemble trusts a ``unique`` program:
- a test cell whose tuple no demonstration showed makes the rule refuse. No identity default:
  an unseen tuple is exactly where a memorised table knows nothing, and guessing "unchanged"
  there would turn a refusal into a confident answer;
- a table that memorises is refused: the entries that change a colour must each be backed, on
  average, by ``MIN_CHANGED_PER_ENTRY`` changed demonstration cells (feature sets finer than that
  on the changed cells are never tried);
- a test cell may change colour surely only by an entry whose change the demonstrations
  replicate: at least ``MIN_SUPPORT`` changed cells in at least ``MIN_DEMOS`` demonstrations,
  and from the test cell's own colour unless the entry changed cells of several colours. A
  single demonstration cannot decide a test answer, and a rule seen repainting only background
  cells does not repaint an object's cell. Where no rule at all is replicated so, the
  smallest unreplicated rules still answer, as ``tentative`` (below), and the search reports
  them only where it finds no other program;
- when every demonstration changes something, a rule that leaves a test input unchanged has not
  understood it and is refused;
- every minimal rule that passes is kept; when they disagree on the test inputs the task gets
  one program per answer and the search reports ``several``;
- a rule must also hold out: its features, learnt on all demonstrations but one, must answer the
  one left out, for each of them (every tuple there seen on another demonstration, and the action
  learnt there giving its output). A rule that fits only with every demonstration in view is
  kept as an answer but marked ``tentative``, and the search never reports it ``unique``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from arc.grid import Grid, from_array
from arc.task import Task
from dsl.color import most_common_color
from dsl.neighbourhood import COLOUR_FEATURES, FEATURES, OUTSIDE, SECOND_PASS, apply_local_rule, cell_features
from search.budget import CALL_COST, WorkBudget, as_budget, calls
from search.problem import Problem
from search.program import Program

MAX_FEATURES = 3
MIN_CHANGED_PER_ENTRY = 2.0  # changed demonstration cells per colour-changing table entry, on average
MIN_DEMOS = 2  # demonstrations in which each entry that changes a test cell changed some cell
MIN_SUPPORT = 2  # changed demonstration cells behind each entry that changes a test cell
FIRST_PASS = tuple(n for n in FEATURES if n not in SECOND_PASS)


@dataclass(frozen=True)
class LocalRule:
    """A learned table from feature tuples to colours, with its program and test answers."""

    features: tuple[str, ...]
    table: tuple[tuple[tuple[int, ...], int | str], ...]  # sorted (tuple, colour or feature to copy); no keeps
    background: int
    description: str
    test_outputs: tuple[Grid, ...]
    n_agreeing: int  # minimal rules that give these test outputs
    tentative: bool = False  # no agreeing rule holds out (see the module docstring)
    replicated: bool = True  # False: one of the smallest rules where none is replicated (module docstring)
    until_stable: bool = False  # applied again to what it gives until nothing changes (local_fixpoint.py)

    @property
    def source(self) -> str:
        return rule_program(self).source

    @property
    def second_pass(self) -> bool:
        """Found by the second pass (a feature of ``SECOND_PASS`` in it): an answer added where the
        first pass had no replicated rule, which holds back none of the search's later fallbacks."""
        return any(f in SECOND_PASS for f in self.features)


@dataclass
class _Cells:
    """Feature values of every demonstration and test cell, flattened and concatenated."""

    raw: dict[str, np.ndarray]  # feature -> values on train cells then test cells
    codes: dict[str, np.ndarray]  # feature -> dense code 0..k-1 on the same cells
    sizes: dict[str, int]  # feature -> k
    colour_names: tuple[str, ...]  # the colour-valued features among those collected, as in COLOUR_FEATURES
    colours: np.ndarray  # (len(colour_names), cells): the colour-valued features, never deduplicated
    fits: np.ndarray  # per train cell, bit j set when colour_names[j] equals the output colour
    n_train: int
    outputs: np.ndarray  # output colour of each train cell
    demo: np.ndarray  # which demonstration each train cell belongs to
    test_starts: np.ndarray  # where each test grid's cells start (after the train cells)
    every_demo_changes: bool  # no demonstration output equals its input

    @property
    def inputs(self) -> np.ndarray:
        return self.colours[0, : self.n_train]


def _collect(train_in: list[np.ndarray], train_out: list[np.ndarray], test_in: list[np.ndarray],
             background: int, names: tuple[str, ...], onto: _Cells | None = None) -> _Cells:
    """The features ``names`` of every demonstration and test cell; with ``onto``, those cells
    with ``names`` added after theirs (a feature that splits the cells as an earlier one does is
    left out: the earlier one is kept)."""
    per_grid = [cell_features(g, names, background).reshape(-1, len(names)) for g in train_in + test_in]
    values = np.concatenate(per_grid)
    raw, codes, sizes = (dict(onto.raw), dict(onto.codes), dict(onto.sizes)) if onto else ({}, {}, {})
    seen = {_split(code) for code in codes.values()}
    for i, name in enumerate(names):
        column = np.ascontiguousarray(values[:, i])
        uniq, code = np.unique(column, return_inverse=True)
        if len(uniq) < 2:
            continue  # a constant cannot tell cells apart
        key = _split(code)
        if key in seen:
            continue
        seen.add(key)
        raw[name], codes[name], sizes[name] = column, code.astype(np.int64), len(uniq)
    named = tuple(n for n in COLOUR_FEATURES if n in names)
    added = np.stack([values[:, names.index(n)] for n in named]) if named else np.zeros((0, len(values)), np.int64)
    if onto is None:
        n_train = sum(g.size for g in train_in)
        outputs = np.concatenate([g.ravel() for g in train_out]).astype(np.int64)
        fits = np.zeros(n_train, dtype=np.int64)
    else:
        n_train, outputs, fits = onto.n_train, onto.outputs, onto.fits.copy()
    for j, row in enumerate(added, start=len(onto.colour_names) if onto else 0):
        fits |= np.where(row[:n_train] == outputs, 1 << j, 0)
    if onto is not None:
        return replace(onto, raw=raw, codes=codes, sizes=sizes, colour_names=onto.colour_names + named,
                       colours=np.concatenate([onto.colours, added]), fits=fits)
    demo = np.concatenate([np.full(g.size, i) for i, g in enumerate(train_in)])
    test_starts = np.cumsum([0] + [g.size for g in test_in[:-1]])
    every_demo_changes = all(not np.array_equal(a, b) for a, b in zip(train_in, train_out))
    return _Cells(raw, codes, sizes, named, added, fits, n_train, outputs, demo, test_starts, every_demo_changes)


def _split(code: np.ndarray) -> bytes:
    """How ``code`` splits the cells, whatever its values: two features with one split are one feature."""
    _, first = np.unique(code, return_index=True)
    return np.argsort(np.argsort(first))[code].tobytes()


def _joint(cells: _Cells, subset: tuple[str, ...]) -> np.ndarray:
    code = np.zeros(len(cells.codes[subset[0]]), dtype=np.int64)
    for name in subset:
        code = code * cells.sizes[name] + cells.codes[name]
    return code


def _groups(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stable sort order of ``code`` and where each run of equal codes starts in it."""
    order = np.argsort(code, kind="stable")
    c = code[order]
    return order, np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1])))


def _consistent(cells: _Cells, train: np.ndarray) -> bool:
    """Every tuple seen on the demonstrations has one action (a colour, or a colour-valued
    feature to copy) that gives the output colour on all its cells."""
    space = int(train.max()) + 1
    if space * 10 <= 8 * len(train):
        # Without sorting: the tuples that meet two output colours; only their cells need a
        # colour-valued feature that explains all of them.
        seen = np.zeros(space * 10, dtype=bool)
        seen[train * 10 + cells.outputs] = True
        conflict = seen.reshape(space, 10).sum(axis=1) > 1
        if not conflict.any():
            return True
        mixed = conflict[train]
        fits = cells.fits[mixed]
        if not fits.all():
            return False
        order, starts = _groups(train[mixed])
        return bool(np.all(np.bitwise_and.reduceat(fits[order], starts) != 0))
    order, starts = _groups(train)
    o = cells.outputs[order]
    same = np.minimum.reduceat(o, starts) == np.maximum.reduceat(o, starts)
    if same.all():
        return True
    return bool(np.all(same | (np.bitwise_and.reduceat(cells.fits[order], starts) != 0)))


def _table(cells: _Cells, subset: tuple[str, ...], code: np.ndarray):
    """(number of entries, {tuple: action} without the entries that keep the colour, whether
    the demonstrations replicate every change it makes on the test inputs), or None when the
    rule memorises or cannot answer a test cell."""
    train, test = code[: cells.n_train], code[cells.n_train :]
    order, starts, action = _actions(cells, train, np.arange(cells.n_train))
    keys = train[order][starts]
    if not np.isin(test, keys).all():
        return None  # a test cell shows a tuple no demonstration did
    o = cells.outputs[order]
    changed = (cells.inputs != cells.outputs)[order].astype(np.int64)
    changed_per_entry = np.add.reduceat(changed, starts)
    if changed_per_entry.sum() < MIN_CHANGED_PER_ENTRY * np.count_nonzero(changed_per_entry):
        return None  # as many colour-changing entries as changed cells: memorised
    entry = np.searchsorted(keys, test)
    act = action[entry]
    test_colours = cells.colours[:, cells.n_train :]
    predicted = _act(test_colours, act)
    if np.any(predicted >= OUTSIDE):
        return None  # a copied feature has no colour on a test cell
    # A test cell may change colour only by an entry whose changes the demonstrations replicate:
    # at least MIN_SUPPORT changed cells, in at least MIN_DEMOS demonstrations, and from the test
    # cell's own colour unless the entry changed cells of several colours (so a rule seen
    # changing only background cells does not repaint an object's cell).
    move = predicted != test_colours[0]
    if cells.every_demo_changes and not np.all(np.add.reduceat(move, cells.test_starts)):
        return None  # every demonstration changes, yet the rule leaves a test input as it is
    moves = entry[move]
    replicated = True
    if moves.size:
        run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(o))))[changed > 0]
        demos = np.bincount(np.unique(run * 64 + cells.demo[order][changed > 0]) // 64, minlength=len(starts))
        from_colour = np.unique(run * 10 + cells.inputs[order][changed > 0])
        colours_per_entry = np.bincount(from_colour // 10, minlength=len(starts))
        seen = np.isin(moves * 10 + test_colours[0][move], from_colour)
        replicated = not (np.any(changed_per_entry[moves] < MIN_SUPPORT) or np.any(demos[moves] < MIN_DEMOS)
                          or np.any(~seen & (colours_per_entry[moves] < 2)))
    firsts = order[starts]
    table = {}
    for i, a in enumerate(action):
        if a == -1:
            continue
        key = tuple(int(cells.raw[n][firsts[i]]) for n in subset)
        table[key] = int(a) if a >= 0 else cells.colour_names[-2 - int(a)]
    return len(keys), table, replicated


def _actions(cells: _Cells, train: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule's table learnt on the train cells ``rows`` (``train`` holds every train cell's
    tuple): the stable order of ``rows`` by tuple, where each tuple's run starts, and each
    tuple's action. The action keeps the colour (-1) if that fits every cell of the tuple, else
    paints the one output colour, else copies the first colour-valued feature that fits
    (-2 - j for ``cells.colour_names[j]``); the caller has checked that one of them fits."""
    order, starts = _groups(train[rows])
    o = cells.outputs[rows][order]
    refs = np.bitwise_and.reduceat(cells.fits[rows][order], starts)
    literal = np.minimum.reduceat(o, starts) == np.maximum.reduceat(o, starts)
    first_ref = np.array([(int(r) & -int(r)).bit_length() - 1 for r in refs])
    return order, starts, np.where(refs & 1, -1, np.where(literal, o[starts], -2 - first_ref))


def _act(colours: np.ndarray, act: np.ndarray) -> np.ndarray:
    """Each cell's new colour under its action (see ``_actions``); ``colours`` holds the cells'
    colour-valued features, the cell's own colour first."""
    copied = colours[np.maximum(-2 - act, 0), np.arange(len(act))]
    return np.where(act == -1, colours[0], np.where(act >= 0, act, copied))


def _holds_out(cells: _Cells, code: np.ndarray) -> bool:
    """Whether the rule on ``code``, learnt on all demonstrations but one, answers the one left
    out, for each demonstration: each of its tuples seen on another one, and the action learnt
    there giving its output colour (False with a single demonstration: nothing to hold out)."""
    train = code[: cells.n_train]
    n_demos = int(cells.demo.max()) + 1
    if n_demos < 2:
        return False
    for k in range(n_demos):
        mine = np.flatnonzero(cells.demo == k)
        others = np.flatnonzero(cells.demo != k)
        order, starts, action = _actions(cells, train, others)
        keys = train[others][order][starts]
        if not np.isin(train[mine], keys).all():
            return False  # a tuple only this demonstration shows
        entry = np.searchsorted(keys, train[mine])
        if not np.array_equal(_act(cells.colours[:, mine], action[entry]), cells.outputs[mine]):
            return False
    return True


def _table_lines(features: tuple[str, ...], table) -> tuple[str, ...]:
    entries = "".join(f"    {k!r}: {v!r},\n" for k, v in table)
    return (f"features = {features!r}", "table = {\n" + entries + "}")


def rule_program(rule: LocalRule, after: str | None = None) -> Program:
    """The program of ``rule``; with ``after`` (a dsl call on ``grid``, such as
    ``tile(grid, ny=2, nx=2)``), the program that runs that call and then the rule on what it gives."""
    lines: tuple[str, ...] = ()
    checked: tuple[bool, ...] = ()
    if after is not None:
        lines, checked = (f"grid = {after}",), (True,)
        lines += (f"# Then a local rule: each cell's new colour from its {', '.join(rule.features)}.",)
    else:
        lines += (f"# Local rule: each cell's new colour from its {', '.join(rule.features)}, learned from the "
                  "demonstrations;", "# a value naming a feature copies that feature's colour, a tuple not listed "
                  "keeps its colour." + (" Applied again until nothing changes." if rule.until_stable else ""))
    checked += (False,) * (len(lines) - len(checked))
    lines += _table_lines(rule.features, rule.table)
    until = ", until_stable=True" if rule.until_stable else ""
    lines += (f"grid = apply_local_rule(np.array(grid, dtype=int), features, table, background={rule.background}"
              f"{until})",)
    checked += (False, False, False)
    family = "local-rule-after-step" if after is not None else "local-rule-until-stable" if rule.until_stable \
        else "local-rule"
    return Program(family, lines, rule.tentative, checked)


def _subsets(names: list[str], k: int, blocked: set[frozenset], first: tuple[str, ...] = ()):
    """k-feature subsets in order, leaving out those with a blocked part (a consistent subset,
    which could only grow, or one already too fine on the changed cells). With ``first``: only
    the subsets holding one of those features, the subsets with those features tried first."""
    if first:
        names = [n for n in names if n in first] + [n for n in names if n not in first]
    for subset in itertools.combinations(names, k):
        if first and subset[0] not in first:
            break  # ordered so: every later subset is made of the other features alone
        if not any(frozenset(part) in blocked
                   for j in range(1, k) for part in itertools.combinations(subset, j)):
            yield subset


def learn_local_rules(task: Task | Problem, *, budget: int | WorkBudget = 3_000_000,
                      max_features: int = MAX_FEATURES, max_rules: int = 5,
                      second_pass: int | WorkBudget | None = None) -> list[LocalRule]:
    """Minimal local rules explaining every demonstration of a same-shape ``task``, one per
    distinct test answer, most agreed-on first; [] when no rule passes (deterministic: the
    ``budget`` counts cells, a call over every grid for each feature computed and a few passes
    over every cell for each feature set tried). Given a ``Problem``, its arrays and its budget.
    With ``second_pass`` (work of its own), where the first pass finds no replicated rule, the
    sets holding a ``SECOND_PASS`` feature are tried too; their replicated rules, where there
    are any, answer instead of the first pass's tentative ones."""
    problem = task if isinstance(task, Problem) else Problem.of(task, as_budget(budget))
    train_in, train_out, test_in = list(problem.train_in), list(problem.targets), list(problem.test_in)
    if not train_in or not test_in or any(a.shape != b.shape for a, b in zip(train_in, train_out)):
        return []
    if all(np.array_equal(a, b) for a, b in zip(train_in, train_out)):
        return []  # nothing changes: not a local rule's business
    background = most_common_color(np.concatenate([g.ravel() for g in train_in]))
    grids = train_in + test_in
    problem.budget.charge(len(FIRST_PASS) * calls(grids))
    cells = _collect(train_in, train_out, test_in, background, FIRST_PASS)
    blocked: set[frozenset] = set()
    found, weak = _search(cells, (), problem.budget, max_features, blocked)
    extra, cost = None if second_pass is None else as_budget(second_pass), len(SECOND_PASS) * calls(grids)
    if not found and extra is not None and extra.left > cost:
        extra.charge(cost)  # never past its work: too little for its features, no pass
        cells = _collect(train_in, train_out, test_in, background, SECOND_PASS, onto=cells)
        more, more_weak = _search(cells, SECOND_PASS, extra, max_features, blocked)
        found, weak = more, weak or more_weak
    return _rules(found, background, test_in, max_rules) or _rules(weak, background, test_in, max_rules, False)


def _search(cells: _Cells, first: tuple[str, ...], budget: WorkBudget, max_features: int,
            blocked: set[frozenset]) -> tuple[list, list]:
    """One pass of the learner over the features of ``cells`` (with ``first``: only the sets
    holding one of those): the consistent minimal rules whose changes the demonstrations
    replicate, and the smallest ones whose changes they do not. ``blocked`` gathers the sets no
    superset of which needs trying, across passes."""
    changed = np.flatnonzero(cells.inputs != cells.outputs)
    max_changing = len(changed) / MIN_CHANGED_PER_ENTRY if MIN_CHANGED_PER_ENTRY > 0 else np.inf

    def too_fine(code: np.ndarray) -> bool:
        # The changed cells alone would need more table entries than the memorisation guard
        # allows; any finer split (a superset) needs at least as many.
        return len(np.unique(code[changed])) > max_changing

    names = [n for n in cells.codes if not too_fine(cells.codes[n])]
    found: list[tuple[int, tuple[str, ...], dict, bool]] = []
    weak: list[tuple[int, tuple[str, ...], dict, bool]] = []  # the smallest rules whose changes no
    # two demonstrations replicate: tentative answers, only where no rule is replicated
    for k in range(1, max_features + 1):
        for subset in _subsets(names, k, blocked, first):
            if budget.exhausted:
                break
            # The joint code, then its table: a few vectorised passes, about a twenty-fourth of a unit
            # a cell (a third of the CPU time a unit stands for elsewhere, measured on 40 arc1-train tasks).
            budget.charge((k + 2) * (CALL_COST + len(cells.outputs) // 8) // 3)
            code = _joint(cells, subset)
            if too_fine(code):
                blocked.add(frozenset(subset))
                continue
            if not _consistent(cells, code[: cells.n_train]):
                continue
            blocked.add(frozenset(subset))
            learned = _table(cells, subset, code)
            if learned is None:
                continue
            size, table, replicated = learned
            if replicated:
                found.append((size, subset, table, _holds_out(cells, code)))
            elif not weak or len(weak[0][1]) == k:
                weak.append((size, subset, table, False))
        if found or budget.exhausted:
            break
    return found, weak


def _rules(found: list, background: int, test_in: list[np.ndarray], max_rules: int,
           replicated: bool = True) -> list[LocalRule]:
    groups: dict[tuple[Grid, ...], list] = {}
    for size, subset, table, holds in sorted(found, key=lambda f: f[0]):  # stable: feature order breaks ties
        outputs = tuple(from_array(apply_local_rule(g, subset, table, background)) for g in test_in)
        groups.setdefault(outputs, []).append((size, subset, table, holds))
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    rules = []
    for outputs, members in ranked[:max_rules]:
        size, subset, table, _ = members[0]
        tentative = not any(m[3] for m in members)
        description = (f"local rule: {', '.join(subset)} ({size} entries, {len(table)} not keeping the colour"
                       + (f"; {len(members)} minimal rules agree" if len(members) > 1 else "")
                       + ("; tentative: no rule holds out a demonstration" if tentative else "") + ")")
        rules.append(LocalRule(subset, tuple(sorted(table.items())), background, description, outputs,
                               len(members), tentative, replicated))
    return rules

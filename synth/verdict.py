"""The verdict: whether the demonstrations single one answer out, not merely whether every program
found agrees.

Verification (``synth.verify``) groups the train-consistent programs by their answers; one group of
deterministic programs, one of them not tentative, is where ``unique`` starts. The verdict then
weighs what stands behind that group, and reports ``several`` where the evidence is too thin:

- **Evidence against description length (an Occam check).** A demonstration tells as many bits as
  its output holds beyond its input (``demonstration_bits``): where the shape stays, which cells
  change (the change mask's binary entropy over the grid) and to what (the changed cells' colour
  entropy); where the shape changes, the output's cells (their colour entropy) and its shape; each
  colour the input lacks, named. A program costs as many bits as it has syntax nodes once the
  boilerplate every program shares is left out (``description_bits``: every call, name, literal
  and table entry), ``BITS_PER_NODE`` each, and ``PIECE_BITS`` per layer an assembly overlays beyond
  its first (each one a choice among the search's many candidate images). A program that fits by coincidence is one of about
  ``2**cost`` programs of its size, each fitting with a chance of about ``2**-evidence``: the answer
  is singled out only when the demonstrations' bits exceed the simplest supporting program's by
  ``MARGIN_BITS``. (A demonstration whose output is its input tells 0 bits here: an undercount, as
  it does rule out programs that change it, but it never vetoes an answer.)
- **Holding a demonstration out (``hold_out``).** For a proposer that can be asked again (the
  search), it is re-run with demonstration j withheld, on a small share of the budget
  (``HOLD_OUT_SHARE``, split among the demonstrations), with demonstration j's input as its test
  input. The answer stands only if no demonstration j is missed: one of the answers learnt
  without j is the output of j, or the programs found without j are all costlier than the answer's
  (a smaller budget may stop short of its program, and a costlier miss is no evidence against a
  cheaper fit). Tentative programs found without j count as costly: they did not hold out
  themselves. This treats the proposer as a black box, so it covers every family: a table
  learnt from one demonstration, a count or a colour choice that two demonstrations happen to share,
  a symmetry that a symmetric input cannot tell apart.

The attempts and their order never change here: the verdict moves an answer between ``unique`` and
``several`` only, so what a solver scores at pass@2 is the same.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from arc.grid import Grid
from arc.task import Example, Task
# A program's description length has its home in the search, which ranks its answers by it.
from search.description import (BITS_PER_NODE, PIECE_BITS, description_bits, description_nodes,  # noqa: F401
                                extra_pieces)

MARGIN_BITS = 0.0  # demonstrations' bits beyond the program's, for a fit not to be a coincidence
HOLD_OUT_SHARE = 1.0  # of the search's budget, for all held-out re-runs of one task together
COLOUR_BITS = math.log2(10)
SIDE_BITS = math.log2(30)


def _entropy(counts: Sequence[int]) -> float:
    """Shannon entropy in bits per item of a histogram."""
    n = sum(counts)
    return -sum(c / n * math.log2(c / n) for c in counts if c) if n else 0.0


def _binary_entropy(p: float) -> float:
    return 0.0 if p <= 0.0 or p >= 1.0 else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def demonstration_bits(example: Example) -> float:
    """Bits of a demonstration's output that its input does not give (module docstring)."""
    grid_in, grid_out = example.input, example.output
    if grid_out is None:
        raise ValueError("a demonstration needs its output")
    new_colours = {c for row in grid_out for c in row} - {c for row in grid_in for c in row}
    named = len(new_colours) * COLOUR_BITS
    if len(grid_in) == len(grid_out) and len(grid_in[0]) == len(grid_out[0]):
        changed = [b for ra, rb in zip(grid_in, grid_out) for a, b in zip(ra, rb) if a != b]
        area = len(grid_out) * len(grid_out[0])
        if not changed:
            return 0.0
        return area * _binary_entropy(len(changed) / area) + len(changed) * _entropy(list(Counter(changed).values())) \
            + named
    cells = [c for row in grid_out for c in row]
    return len(cells) * _entropy(list(Counter(cells).values())) + 2 * SIDE_BITS + named


@dataclass(frozen=True)
class Weighing:
    """The Occam check of one answer: the demonstrations' bits against its simplest program's."""

    demo_bits: tuple[float, ...]  # per demonstration
    program_bits: float  # the simplest program that gives the answer
    convincing: bool

    @property
    def margin(self) -> float:
        return sum(self.demo_bits) - self.program_bits


def cheapest_bits(sources: Sequence[str]) -> float:
    """The description bits of the cheapest of ``sources`` (``math.inf`` for none)."""
    return min((description_bits(s) for s in sources), default=math.inf)


def weigh(demonstrations: Sequence[Example], sources: Sequence[str]) -> Weighing:
    """Whether the demonstrations outweigh the simplest of ``sources`` (the programs behind one
    answer) by ``MARGIN_BITS``."""
    bits = tuple(demonstration_bits(ex) for ex in demonstrations)
    cost = cheapest_bits(sources)
    ok = sum(bits) - cost >= MARGIN_BITS
    return Weighing(bits, cost, ok)


Answer = tuple[tuple[Grid, ...], float]  # a proposer's answers to a task's test inputs, and its cheapest program's bits
Answers = Callable[[Task, int], list[Answer]]  # a proposer asked again: its ranked answers within a work budget


def search_answers(task: Task, budget: int) -> list[Answer]:
    """The search's answers on ``task`` within ``budget`` (work, ``search.budget``), ranked as it ranks them, each with the
    description bits of its cheapest program that is not tentative (``math.inf`` for an answer only
    tentative programs give: one that did not hold out itself is no evidence). Its one call site here."""
    from search import group_hits, search_programs

    hits = search_programs(task, budget=budget)
    cost: dict[tuple, float] = {}
    for h in hits:
        bits = math.inf if h.tentative else description_bits(h.source)
        cost[h.test_outputs] = min(cost.get(h.test_outputs, math.inf), bits)
    return [(outputs, cost[outputs]) for outputs in group_hits(hits, task)[1]]


@dataclass(frozen=True)
class HoldOut:
    """What the proposer learnt with each demonstration withheld: per demonstration, True when one
    of its answers to that demonstration's input was the demonstration's output, False when none
    was and a program no costlier than the answer's gave a wrong one, None when it found nothing
    (or only costlier programs: a smaller budget may stop short of the answer's program, and a
    costlier program that misses is no evidence against a cheaper one)."""

    predicted: tuple[bool | None, ...]

    @property
    def confirms(self) -> bool:
        return all(p is not False for p in self.predicted)


def hold_out(task: Task, propose: Answers = search_answers, *, budget: int, cost: float = math.inf) -> HoldOut:
    """Re-run ``propose`` once per demonstration j with j withheld and its input as the test input,
    each on an equal share of ``budget``; record whether it gives j's output (``HoldOut``), where
    ``cost`` is the bits of the answer's cheapest program. A task of one demonstration has nothing
    to hold out (and confirms nothing against)."""
    n = len(task.train)
    if n < 2:
        return HoldOut(())
    predicted = []
    for j, held in enumerate(task.train):
        rest = tuple(ex for k, ex in enumerate(task.train) if k != j)
        ranked = propose(Task(task.id, rest, (Example(held.input),)), budget // n)
        if any(outputs[0] == held.output for outputs, _ in ranked):
            predicted.append(True)
        elif any(bits <= cost for _, bits in ranked):
            predicted.append(False)
        else:
            predicted.append(None)
    return HoldOut(tuple(predicted))


@dataclass(frozen=True)
class Judgement:
    """The verdict on a proposer's hits for a whole task, with what it weighed."""

    status: str  # "unique" | "several" | "none"
    before: str  # the status from grouping alone
    weighing: Weighing | None = None  # where a single answer was weighed
    held_out: HoldOut | None = None  # where it passed the Occam check and was held out


def judge_hits(task: Task, hits: Sequence, *, budget: int, propose: Answers = search_answers) -> Judgement:
    """The verdict on in-process hits (anything with ``source``, ``test_outputs``, ``tentative``),
    as the synthesizer reaches it for a search proposer after verification: one answer tuple with a
    hit not tentative is weighed, then held out on ``HOLD_OUT_SHARE`` of ``budget``."""
    answers = {h.test_outputs for h in hits}
    if not answers:
        return Judgement("none", "none")
    sure = [h.source for h in hits if not h.tentative]
    if len(answers) > 1 or not sure:
        return Judgement("several", "several")
    weighing = weigh(task.train, sure)
    if not weighing.convincing:
        return Judgement("several", "unique", weighing)
    held = hold_out(task, propose, budget=int(HOLD_OUT_SHARE * budget), cost=weighing.program_bits)
    return Judgement("unique" if held.confirms else "several", "unique", weighing, held)

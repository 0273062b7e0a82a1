"""Greedy assembly over the enumeration's states (search.assemble): real ARC-AGI-1 training tasks
whose output is several simple transforms of the input layered, each emitted program re-run in the
sandbox; a task with no cover yields nothing; the cover's order; the verdict's price per piece."""

import numpy as np
import pytest

from search import WorkBudget
from search.assemble import CandidatePool, assemble, cover, holds_out
from search.enumerate import enumerate_programs
from search.problem import Problem
from synth.verdict import PIECE_BITS, description_bits, extra_pieces
from tests.search_checks import assert_reruns

ENUMERATION = 4_000_000  # work for the enumeration that fills the pool
ASSEMBLY = 3_000_000


def assembled(task):
    """The enumeration's programs and the assembly over the states it made (the orchestrator's
    order, without the families that run before it)."""
    problem = Problem.of(task, WorkBudget(ENUMERATION))
    pool = CandidatePool(problem.targets)
    hits = enumerate_programs(problem, max_programs=50, max_depth=3, pool=pool)
    return hits, pool, assemble(problem.with_budget(WorkBudget(ASSEMBLY)), pool)


@pytest.mark.parametrize("task_id,pieces", [
    ("178fcbfb", 3),  # rows of two colours over columns of a third: three line drawings layered
    ("54d82841", 2),  # the input over the gap under each cup joined in yellow, dropped to the bottom row, yellow only
    ("b60334d2", 2),  # two pieces of two steps each: a ring of one colour over the hollowed ring of another
])
def test_assembly_solves_task_no_composition_solves(arc1_train, task_id, pieces):
    task = arc1_train[task_id]
    hits, pool, found = assembled(task)
    assert not hits, [h.description for h in hits]  # no composition of up to three steps fits
    assert len(pool.items) > 1 and found, f"no assembly for {task_id}"
    hit = found[0]
    assert hit.family == "assembly" and extra_pieces(hit.source) == pieces - 1, hit.description
    expected = tuple(ex.output for ex in task.test)
    assert hit.test_outputs == expected, hit.description
    assert_reruns(hit.source, task, expected)


def test_no_cover_yields_nothing(arc1_train):
    # 0a938d79: two dots drawn into alternating bands to the edge; no candidate paints the bands right.
    # (228f6490, once here, is covered by a per-object piece now: tests/test_search_pieces.py.)
    hits, pool, found = assembled(arc1_train["0a938d79"])
    assert not hits and len(pool.items) > 1
    assert found == []


def test_cover_order():
    # One demonstration of 6 cells, background 0.
    target = np.array([1, 1, 2, 2, 3, 0])
    wide = np.array([1, 1, 0, 0, 0, 0])  # right on two cells
    tie = np.array([0, 0, 2, 2, 0, 0])  # right on two cells too: found later, chosen later
    wrong = np.array([1, 1, 2, 2, 3, 3])  # paints the last cell wrong: never a layer
    low = np.array([4, 4, 4, 4, 3, 0])  # wrong wherever a higher layer paints, right on the rest: the bottom
    flats = np.array([tie, wide, wrong, low])
    assert cover(flats, target, 0) == [0, 1, 3]  # the first of two equal gains goes on top, the bottom last
    assert cover(flats[[1, 0, 2, 3]], target, 0) == [0, 1, 3]
    assert cover(flats, target, 0, max_pieces=2) is None  # three layers needed
    # The most cells explained first: a layer of three right cells goes above the two-cell ones.
    three = np.array([0, 0, 2, 2, 3, 0])
    assert cover(np.array([wide, three]), target, 0) == [1, 0]
    # Where every cell left is background, no bottom layer is needed.
    assert cover(np.array([three, np.array([1, 1, 0, 0, 0, 0])]), np.array([1, 1, 2, 2, 3, 0]), 0) == [0, 1]
    assert cover(np.array([wide, tie, np.array([1, 1, 0, 0, 3, 3])]), np.array([1, 1, 2, 2, 0, 0]), 0) == [0, 1]


def test_hold_out_needs_each_demonstration_rebuilt():
    # Two demonstrations of 3 cells: a layer right in both holds out; a cell only a patch explains does not.
    demo = np.array([0, 0, 0, 1, 1, 1])
    layer = np.array([5, 0, 0, 5, 0, 0])
    target = np.array([5, 0, 0, 5, 0, 0])
    assert holds_out(np.array([layer, np.zeros(6, dtype=int)]), target, 0, demo)
    patch = np.array([0, 0, 0, 0, 7, 0])
    target2 = np.array([5, 0, 0, 5, 7, 0])
    bottom = np.array([0, 0, 0, 0, 7, 0]) + np.array([0, 0, 0, 5, 0, 0])
    assert not holds_out(np.array([layer, patch, bottom]), target2, 0, demo)


def test_verdict_prices_each_piece():
    one = "from common import *\n\ndef transform(input_grid):\n    grid = flip_lr(input_grid)\n    return grid\n"
    layered = ("from common import *\n\ndef transform(input_grid):\n    a = flip_lr(input_grid)\n"
               "    b = flip_ud(input_grid)\n    grid = overlay_parts([a, b, input_grid], background=0)\n    return grid\n")
    assert extra_pieces(one) == 0 and extra_pieces(layered) == 2
    plain = layered.replace("[a, b, input_grid]", "parts")
    assert description_bits(layered) >= description_bits(plain) + 2 * PIECE_BITS

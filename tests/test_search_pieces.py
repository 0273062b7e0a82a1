"""Per-object pieces of the greedy assembly (search.assemble.object_pieces): the input's objects,
selected by a feature, kept, recoloured, turned, painted around or fitted into the hole of their
shape, offered to the cover beside the enumeration's states. A real ARC-AGI-1 training task the
assembly newly solves, its program re-run in the sandbox; a placement the input does not determine
is never a piece; no cover where the pieces do not explain the outputs."""

import numpy as np

from arc.grid import as_grid
from arc.task import Example, Task
from dsl.object_rules import fit_moves, map_objects, wall_holes
from search import WorkBudget
from search.assemble import CandidatePool, assemble, object_pieces
from search.enumerate import enumerate_programs
from search.problem import Problem
from tests.search_checks import assert_reruns

ENUMERATION = 4_000_000  # work for the enumeration that fills the pool
ASSEMBLY = 3_000_000


def assembled(task):
    problem = Problem.of(task, WorkBudget(ENUMERATION))
    pool = CandidatePool(problem.targets)
    hits = enumerate_programs(problem, max_programs=50, max_depth=3, pool=pool)
    return hits, pool, assemble(problem.with_budget(WorkBudget(ASSEMBLY)), pool)


def test_fit_piece_solves_228f6490(arc1_train):
    # Shapes moved into the holes of grey boxes that have exactly their shape; where two shapes fit
    # one hole (the first demonstration), the nearer one goes. No composition and, before the
    # per-object pieces, no cover of the enumeration's states explained it.
    task = arc1_train["228f6490"]
    hits, pool, found = assembled(task)
    assert not hits and found, [h.description for h in hits]
    hit = found[0]
    assert hit.family == "assembly" and "default='fit'" in hit.source and not hit.tentative, hit.description
    expected = tuple(ex.output for ex in task.test)
    assert hit.test_outputs == expected, hit.description
    assert_reruns(hit.source, task, expected, label="228f6490")


def test_fit_reads_its_place_from_the_input():
    grid = np.array([[0, 0, 0, 0, 0, 0, 0],
                     [0, 5, 5, 5, 5, 0, 0],
                     [0, 5, 0, 0, 5, 0, 0],
                     [0, 5, 5, 5, 5, 0, 0],
                     [0, 0, 0, 0, 0, 0, 0],
                     [0, 3, 3, 0, 0, 4, 4]])
    holes = wall_holes(grid != 0)
    assert [(r, c) for _, r, c in holes] == [(2, 2)]
    out = map_objects(grid, by="color", table=(), default="fit", background=0)
    assert out[2, 2] == out[2, 3] == 3 and (out[5] == [0, 0, 0, 0, 0, 4, 4]).all()  # the nearer bar goes in
    # two bars as near as each other: the hole takes neither, both stay
    tie = grid.copy()
    tie[5] = [0, 0, 0, 0, 0, 0, 0]
    tie[4, 0:2] = 3
    tie[4, 4:6] = 4
    masks = [tie == 3, tie == 4]
    assert fit_moves(masks, wall_holes(tie != 0)) == {}
    assert np.array_equal(map_objects(tie, by="color", table=(), default="fit", background=0), tie)


def _task(pairs, tests):
    return Task("hand", tuple(Example(as_grid(i), as_grid(o)) for i, o in pairs),
                tuple(Example(as_grid(i), as_grid(o)) for i, o in tests))


def _bar(shape, at, color=3, length=2):
    g = np.zeros(shape, dtype=int)
    g[at[0], at[1]:at[1] + length] = color
    return g


def test_a_move_only_the_output_shows_is_no_piece():
    # A bar moved by a different offset in each demonstration, to nowhere the input marks: no
    # piece places it there, so the assembly answers nothing.
    pairs = [(_bar((6, 6), (1, 1)) + _bar((6, 6), (4, 0), 2, 1), _bar((6, 6), (3, 4)) + _bar((6, 6), (4, 0), 2, 1)),
             (_bar((6, 6), (0, 3)) + _bar((6, 6), (5, 5), 2, 1), _bar((6, 6), (5, 0)) + _bar((6, 6), (5, 5), 2, 1)),
             (_bar((6, 6), (2, 2)) + _bar((6, 6), (0, 0), 2, 1), _bar((6, 6), (4, 1)) + _bar((6, 6), (0, 0), 2, 1))]
    task = _task(pairs, [(_bar((6, 6), (3, 3)), _bar((6, 6), (0, 0)))])
    hits, pool, found = assembled(task)
    problem = Problem.of(task, WorkBudget(ASSEMBLY))
    assert object_pieces(problem)  # pieces there are (the dot kept where it is) ...
    assert not hits and found == []  # ... but none puts the bar where the outputs have it


def test_no_pieces_for_other_shapes_and_no_cover_where_they_do_not_fit(arc1_train):
    # 3befdf3e: squares grown outward with their colours swapped; per-object pieces are offered
    # (kept, recoloured, painted around) but no layering of them explains the outputs
    task = arc1_train["3befdf3e"]
    assert object_pieces(Problem.of(task, WorkBudget(ASSEMBLY)))
    hits, pool, found = assembled(task)
    assert not hits and found == []
    # 0b148d64: the output is a crop; per-object pieces keep the input's shape, so none are offered
    assert object_pieces(Problem.of(arc1_train["0b148d64"], WorkBudget(ASSEMBLY))) == []

"""Symmetric in-painting where a mask covers a cell and its mirror image both (issue 30, round 39):
``complete_symmetry`` carries a run along a line parallel to a confirmed mirror's axis on under the
mask (its nearest known cells on both sides agree), alternating with the symmetries until nothing
changes, in both its "mirrors" form (an enumeration step) and its "all" form (the ``inpaint``
family), for cells whose mirror image lies in the grid and is masked too. It solves 73251a56 (a picture symmetric about its diagonal, holes on the diagonal: no
image restores the cells next to it) with a small work budget, its program run in the sandbox as
it ran in-process; the lines never decide a cell where they disagree, and never without a mirror."""

import numpy as np

import arc
from dsl.completion import complete_symmetry
from search import WorkBudget, search_programs
from search.families import object_programs
from tests.search_checks import assert_reruns, first_hit

BUDGET = 300_000


def _diagonal_picture(n: int = 9) -> np.ndarray:
    """A picture symmetric about its main diagonal only: the diagonal 1, the band next to it 6,
    the rest a staircase of colours by row and column (no other mirror, turn or lattice)."""
    rows, cols = np.indices((n, n))
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    g = 2 + (hi // (lo + 2)) % 4
    g[hi - lo == 1] = 6
    g[rows == cols] = 1
    return g


def test_inpaint_restores_cells_next_to_the_diagonal():
    task, (program, outputs) = first_hit("arc1-train", "73251a56", ("inpaint",),
                                         'complete_symmetry(grid, mask_color=0, symmetries="all")', BUDGET)
    assert outputs == tuple(ex.output for ex in task.test), program.description
    assert_reruns(program.source, task, outputs, label="73251a56")


def test_enumeration_finds_the_mirrors_form_at_depth_one():
    task = arc.load_dataset("arc1-train")["73251a56"]
    expected = tuple(ex.output for ex in task.test)
    hits = search_programs(task, budget=WorkBudget(1_000_000), max_depth=1, lift=False)
    right = [h for h in hits if h.test_outputs == expected]
    assert right and "complete_symmetry(grid, mask_color=0)" in right[0].source, [h.description for h in hits]
    assert_reruns(right[0].source, task, expected, label="73251a56 enumerated")


def test_a_mask_across_the_axis_is_restored_along_it():
    g = _diagonal_picture()
    hidden = g.copy()
    hidden[3:6, 3:6] = 0  # the diagonal and both sides of it: no cell here has a known mirror image
    for form in ("mirrors", "all"):
        assert complete_symmetry(hidden, 0, form).tolist() == g.tolist(), form


def test_lines_that_disagree_or_have_no_mirror_decide_nothing():
    g = _diagonal_picture()
    hidden = g.copy()
    hidden[3:6, 3:6] = 0
    hidden[2, 3] = hidden[3, 2] = 7  # the band's run broken on one side: its two ends now disagree
    for form in ("mirrors", "all"):
        assert complete_symmetry(hidden, 0, form) is None, form
    # A mirror of columns (c <-> 3 - c) leaves columns 4 and 5 without an image: a cell there is not
    # the gap the lines close, even where its column's run (7 above and below) would agree.
    off = np.array([[1, 2, 2, 1, 3, 7], [4, 5, 5, 4, 6, 7], [2, 8, 8, 2, 9, 7], [3, 1, 1, 3, 4, 5],
                    [6, 4, 4, 6, 2, 3]])
    off[1, 5] = 0
    for form in ("mirrors", "all"):
        assert complete_symmetry(off, 0, form) is None, form
    # Runs along rows under a mask, but the picture has no mirror: nothing restores the mask.
    stripes = np.array([[1, 1, 1, 1, 1], [2, 3, 4, 5, 6], [7, 7, 7, 7, 7], [3, 5, 2, 4, 6]])
    masked = stripes.copy()
    masked[0, 2] = masked[2, 2] = 0
    for form in ("mirrors", "all"):
        assert complete_symmetry(masked, 0, form) is None, form


def test_inpaint_does_not_fire_without_its_rule():
    # e509e548 (shapes recoloured by kind), bd4472b8 (a row's colours repeated down), f8c80d96 (a
    # spiral carried on): a colour that every demonstration changes, but no symmetry restores it
    for task_id in ("e509e548", "bd4472b8", "f8c80d96"):
        task = arc.load_dataset("arc1-train")[task_id]
        found = object_programs(task, families=("inpaint",), budget=BUDGET)
        assert found == [], (task_id, [p.description for p, _ in found])

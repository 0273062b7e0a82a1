"""Parts gathered onto one canvas (issue 30, round 44): the objects or colours a grid is cut into,
laid over each other with their boxes' centres on one cell, or with each one's single cell of one
colour on one cell (``overlay_parts(..., align=)``). It solves real ARC-AGI-1 training tasks of
different look, its programs run in the sandbox as they ran in-process, and it refuses where the
parts cannot be aligned so."""

import numpy as np
import pytest

from dsl.partition import overlay_parts
from tests.search_checks import assert_reruns, first_hit

# (task id, text its program must hold): each checked against the known test output.
CASES = [
    # three small shapes, each holding one grey cell: stacked on their grey cells into a 3x3
    ("137eaa0f", "align=5"),
    # each colour's scattered cells (a square's corners, a diamond, a cross...) centred in one square
    ("c8cbb738", "align='centre'"),
    # four L-shaped corners, each put at the corner of a square its cells point to
    ("a61ba2ce", "align='jigsaw'"),
]

PARTS = ("parts",)
BUDGET = 1_000_000


@pytest.mark.parametrize("task_id,text", CASES)
def test_gather_solves_task(task_id, text):
    task, (program, outputs) = first_hit("arc1-train", task_id, PARTS, text, BUDGET)
    assert outputs == tuple(ex.output for ex in task.test), program.description


def test_gather_programs_through_sandbox():
    for task_id, text in CASES:
        task, (program, outputs) = first_hit("arc1-train", task_id, PARTS, text, BUDGET)
        assert_reruns(program.source, task, outputs, label=task_id)


def test_parts_centred_on_one_canvas():
    ring = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]])
    dot = np.array([[2]])
    bar = np.array([[3, 3, 3, 3, 3]])
    out = overlay_parts([ring, dot, bar], background=0, align="centre")
    assert out.tolist() == [[0, 1, 1, 1, 0], [3, 3, 3, 3, 3], [0, 1, 1, 1, 0]]  # the smallest canvas holding all
    # a 2-wide part cannot be centred on a 3-wide one
    assert overlay_parts([ring, np.array([[4, 4]])], background=0, align="centre") is None


def test_parts_stacked_on_their_cell_of_one_colour():
    a = np.array([[6, 6], [0, 5]])
    b = np.array([[5, 7]])
    out = overlay_parts([a, b], background=0, align=5)
    assert out.tolist() == [[6, 6, 0], [0, 5, 7]]
    # a part without the colour, or with two cells of it, cannot be placed
    assert overlay_parts([a, np.array([[7, 7]])], background=0, align=5) is None
    assert overlay_parts([a, np.array([[5, 5]])], background=0, align=5) is None


def test_jigsaw_pieces_go_where_their_marks_point():
    grey = np.full((2, 2), 5)
    corner = {"tl": [[1, 5], [5, 5]], "tr": [[5, 2], [5, 5]], "bl": [[5, 5], [3, 5]], "br": [[5, 5], [5, 4]]}
    parts = [np.array(corner[k]) for k in ("br", "tl", "bl", "tr")]
    out = overlay_parts(parts, background=0, align="jigsaw")
    # grey is in every piece: the marks are the other colours
    assert out.tolist() == [[1, 5, 5, 2], [5, 5, 5, 5], [5, 5, 5, 5], [3, 5, 5, 4]]
    # two pieces pointing the same way, or a piece pointing nowhere in a two-by-two, cannot be laid
    assert overlay_parts([parts[0], *parts[:3]], background=0, align="jigsaw") is None
    assert overlay_parts([grey, *parts[1:]], background=0, align="jigsaw") is None
    # nine pieces: the one without marks is the middle
    sides = []
    for r, c in [(r, c) for r in (-1, 0, 1) for c in (-1, 0, 1) if (r, c) != (0, 0)]:
        sides.append(np.full((3, 3), 5))
        sides[-1][1 + r, 1 + c] = 7
    out = overlay_parts([*sides, np.full((3, 3), 5)], background=0, align="jigsaw")
    assert out is not None and out[4, 4] == 5 and out[0, 0] == 7 and out[8, 8] == 7 and out[0, 4] == 7


def test_without_align_shapes_must_agree():
    assert overlay_parts([np.array([[1]]), np.array([[2, 2]])], background=0) is None


def test_an_unknown_alignment_is_an_error_not_a_refusal():
    with pytest.raises(ValueError, match="unknown align"):
        overlay_parts([np.array([[1]])], background=0, align="center")

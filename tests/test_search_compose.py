"""Generic steps of the breadth-first composition from the comparison with icecuber's vocabulary
(issue 30, round 40; experiments/results/compose_study_search-compose.md): one colour cleared
(``remove_color``, ``keep_color``'s complement), the box of one colour or what it frames cut out
(``crop_to_color``), and a block of the outputs' one shape cut from a corner of a larger state
(``crop_corner``). Each is reached by the composition on real training tasks at a small work
budget, its program run through the sandbox as it ran in-process, and none fires where its rule
does not fit. They are the enumeration's last steps at every state, and the other users of the
steps (the local rules after a step, the assembly) never see them, so they take no place and no
work from the steps before them there (round 40 lost an arc1-eval task to that)."""

import numpy as np
import pytest

from arc import load_dataset
from dsl.partition import crop_corner, crop_to_color, remove_color
from search import WorkBudget, search_programs
from search.steps import fitted_steps, late_steps, static_steps, task_info
from tests.search_checks import assert_reruns

BUDGET = 3_000_000

# (dataset, task id, text the compose program must hold): each checked against the known test output.
CASES = [
    # the smallest of several one-colour blocks cut out by its colour's box
    ("arc1-train", "0b148d64", "crop_to_color(grid, by='least_common'"),
    # the drawing cropped, then its top-left quarter (the outputs' one shape)
    ("arc1-train", "2013d3e2", "crop_corner(grid, rows=3, cols=3, corner='top_left')"),
    # the repeating picture's top-left block
    ("arc1-train", "d10ecb37", "crop_corner(grid, rows=2, cols=2, corner='top_left')"),
]


@pytest.mark.parametrize("dataset,task_id,text", CASES)
def test_composition_reaches_task_and_runs_in_the_sandbox(dataset, task_id, text):
    task = load_dataset(dataset)[task_id]
    hits = [h for h in search_programs(task, budget=WorkBudget(BUDGET))
            if h.family == "compose" and text in h.source]
    assert hits, f"no compose program with {text} for {task_id}"
    hit = hits[0]
    assert not hit.tentative
    assert hit.test_outputs == tuple(ex.output for ex in task.test), hit.source
    assert_reruns(hit.source, task, hit.test_outputs, label=task_id)


def test_remove_color_clears_one_colour_and_refuses_ties_and_the_background():
    grid = np.array([[0, 1, 1], [2, 1, 0], [0, 0, 3]])
    assert remove_color(grid, by="most_common", background=0).tolist() == [[0, 0, 0], [2, 0, 0], [0, 0, 3]]
    assert remove_color(grid, by=2, background=0).tolist() == [[0, 1, 1], [0, 1, 0], [0, 0, 3]]
    assert remove_color(grid, by="least_common", background=0) is None  # 2 and 3 tie
    assert remove_color(grid, by=0, background=0) is None  # the background is not a colour to clear
    assert remove_color(grid, by=5, background=0) is None  # a colour the grid lacks


def test_crop_to_color_cuts_the_box_or_what_it_frames():
    grid = np.zeros((6, 6), dtype=int)
    grid[1:5, 1:5] = 4
    grid[2:4, 2:4] = 0
    grid[2, 2] = 7
    assert crop_to_color(grid, by=4, background=0).shape == (4, 4)
    assert crop_to_color(grid, by=4, background=0, inner=True).tolist() == [[7, 0], [0, 0]]
    assert crop_to_color(grid, by="least_common", background=0).tolist() == [[7]]
    assert crop_to_color(grid, by=7, background=0, inner=True) is None  # nothing inside one cell
    assert crop_to_color(grid, by=0, background=0) is None


def test_crop_corner_takes_each_corner_and_refuses_a_smaller_grid():
    grid = np.arange(12).reshape(3, 4)
    assert crop_corner(grid, rows=2, cols=2, corner="top_left").tolist() == [[0, 1], [4, 5]]
    assert crop_corner(grid, rows=2, cols=2, corner="bottom_right").tolist() == [[6, 7], [10, 11]]
    assert crop_corner(grid, rows=1, cols=3, corner="top_right").tolist() == [[1, 2, 3]]
    assert crop_corner(grid, rows=4, cols=1, corner="top_left") is None


def test_new_steps_do_not_fire_without_their_rule():
    # 5ad4f10b: a 3x3 answer drawn from the big blocks of noise (no corner of any state, no colour's
    # box); 137eaa0f: pieces gathered around grey centres into one 3x3 (no single colour frames it)
    tasks = load_dataset("arc1-train")
    for task_id in ("5ad4f10b", "137eaa0f"):
        hits = search_programs(tasks[task_id], budget=WorkBudget(BUDGET))
        assert not [h.source for h in hits
                    if any(op in h.source for op in ("remove_color", "crop_to_color", "crop_corner"))]


@pytest.mark.parametrize("task_id", ["2013d3e2", "0b148d64", "d10ecb37", "00d62c1b"])
def test_late_steps_stay_out_of_the_other_learners(task_id):
    task = load_dataset("arc1-train")[task_id]
    grids = [np.array(ex.input) for ex in task.train]
    targets = [np.array(ex.output) for ex in task.train]
    info = task_info(list(zip(grids, targets)))
    late = {s.op for s in late_steps(grids, targets, info)}
    assert late
    assert not late & {s.op for s in static_steps(info) + fitted_steps(grids, targets, info)}

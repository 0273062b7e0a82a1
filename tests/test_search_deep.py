"""Deeper composition made cheap: the enumeration applies a step to a grid once however many
states share that grid, expands a level in chunks whose children it searches for programs
before expanding more (so a budget too small for a whole level still searches the most promising
part of the next one), and the helpers it calls most remember their answers per grid."""

import numpy as np
import pytest

import dsl.partition as partition
import search.enumerate as enumeration
import search.steps as steps_module
from search import WorkBudget
from search.enumerate import EnumerationStats, enumerate_programs
from search.problem import Problem
from search.steps import fit_object_recolors, task_info
from tests.search_checks import assert_reruns


@pytest.mark.parametrize("task_id", ["48d8fb45", "80af3007"])
def test_a_step_is_applied_to_a_grid_once(arc1_train, task_id, monkeypatch):
    applied = []
    real = enumeration.apply_step

    def counted(s, grid):
        applied.append((s, grid.shape, grid.tobytes()))
        return real(s, grid)

    monkeypatch.setattr(enumeration, "apply_step", counted)
    stats = EnumerationStats()
    enumerate_programs(Problem.of(arc1_train[task_id], WorkBudget(2_500_000)), max_programs=50, max_depth=3,
                       stats=stats)
    assert stats.depth >= 2 and len(applied) > 1000
    assert len(set(applied)) == len(applied)  # states sharing a grid share the step's result on it


# (694f12f3 took three steps until hollow_objects could paint the insides: two now.)
@pytest.mark.parametrize("task_id,budget,depth", [("80af3007", 14_000_000, 3)])
def test_chunked_expansion_reaches_deeper_programs_on_a_small_budget(arc1_train, task_id, budget, depth):
    # Expanding the whole previous level before searching this one for programs spent these
    # budgets before any of the program's level was searched.
    task = arc1_train[task_id]
    stats = EnumerationStats()
    hits = enumerate_programs(Problem.of(task, WorkBudget(budget)), max_programs=50, max_depth=3, stats=stats)
    assert hits and len(hits[0].steps) == depth
    truth = tuple(ex.output for ex in task.test)
    assert hits[0].test_outputs == truth
    assert_reruns(hits[0].source, task, truth)
    assert stats.by_steps.get(depth - 1, 0) > 0


def test_a_level_too_large_to_expand_still_has_part_of_the_next_searched(arc1_train):
    # A task no composition solves: the budget ends mid-level, after the deepest level begun has
    # had states searched for programs.
    stats = EnumerationStats()
    hits = enumerate_programs(Problem.of(arc1_train["150deff5"], WorkBudget(3_000_000)), max_programs=50,
                              max_depth=3, stats=stats)
    assert not hits
    assert stats.depth == 3 and stats.by_steps.get(2, 0) > 0


def test_object_recolouring_is_fitted_only_where_the_background_stays(arc1_train, monkeypatch):
    task = arc1_train["08ed6ac7"]  # bars recoloured by their size rank
    problem = Problem.of(task, WorkBudget(1))
    grids, targets = list(problem.train_in), list(problem.targets)
    assert fit_object_recolors(grids, targets, problem.info)
    looked = []
    real = steps_module.find_objects
    monkeypatch.setattr(steps_module, "find_objects", lambda *a, **k: looked.append(1) or real(*a, **k))
    # Painting a background cell is no recolouring of objects: ruled out before any object is found.
    painted = [t.copy() for t in targets]
    for t, g in zip(painted, grids):
        t[tuple(np.argwhere(g == 0)[0])] = 5
    assert fit_object_recolors(grids, painted, task_info(list(zip(grids, painted)))) == []
    assert fit_object_recolors(grids, grids, problem.info) == []
    assert not looked


def test_object_parts_are_found_once_per_grid_and_handed_out_as_copies(monkeypatch):
    grid = np.array([[1, 1, 0, 2], [0, 0, 0, 2], [3, 0, 0, 0]])
    first = partition.object_parts(grid, 0, 4, True, isolate=True)
    found = []
    real = partition.find_objects
    monkeypatch.setattr(partition, "find_objects", lambda *a, **k: found.append(1) or real(*a, **k))
    first[0][:] = 9  # a caller changing its parts changes no later answer
    again = partition.object_parts(grid, 0, 4, True, isolate=True)
    assert not found
    assert [p.tolist() for p in again] == [[[1, 1]], [[2], [2]], [[3]]]


def test_last_step_rules_out_painting_removing_and_moving_by_the_cells_that_change():
    from search.invariants import LastStep, palette
    from search.steps import step

    grid = np.array([[0, 2, 0], [0, 3, 0], [0, 0, 0]])
    painted = np.array([[0, 2, 0], [4, 3, 4], [0, 0, 0]])  # only background cells change
    removed = np.array([[0, 2, 0], [0, 0, 0], [0, 0, 0]])  # a cell becomes background
    moved = np.array([[0, 0, 0], [0, 2, 0], [0, 3, 0]])  # the same counts of every colour
    lines = step("extend_lines", color=4, direction="h", background=0)
    keep = step("keep_color", by=2, background=0)
    fall = step("gravity", direction="down", background=0)
    charged = []

    def can(target):
        return LastStep([grid], [target], [palette(target) | palette(grid)], charge=charged.append)

    assert can(painted).possible(lines) and not can(painted).possible(keep) and not can(painted).possible(fall)
    assert can(removed).possible(keep) and not can(removed).possible(lines) and not can(removed).possible(fall)
    assert can(moved).possible(fall) and not can(moved).possible(lines) and not can(moved).possible(keep)
    # connect_pairs(clear=True) clears the other cells: not one of the steps that only paint
    assert can(removed).possible(step("connect_pairs", direction="hv", background=0, ends="border", clear=True))
    assert len(charged) == 9  # each answer computed is charged
    charged.clear()
    both = can(painted)
    both.possible(lines), both.possible(step("extend_lines", color=4, direction="v", background=0))
    assert len(charged) == 1 and charged[0] > 0  # each kind's answer computed once a state


@pytest.mark.parametrize("task_id", ["178fcbfb", "cbded52d"])
def test_cell_invariants_let_the_enumeration_reach_deeper_on_the_same_budget(arc1_train, task_id, monkeypatch):
    # Steps that only paint background, only remove or only move cells are ruled out where the
    # outputs cannot come of a state that way: the work goes to more states, and on these tasks
    # the same budget now reaches compositions of three steps.
    import search.invariants as invariants

    runs = {}
    for cells in (True, False):
        if not cells:
            monkeypatch.setattr(invariants.LastStep, "_cells_allow", lambda self, kind, background: True)
        stats = EnumerationStats()
        enumerate_programs(Problem.of(arc1_train[task_id], WorkBudget(12_000_000)), max_programs=50, max_depth=3,
                           stats=stats)
        runs[cells] = stats
    assert runs[True].skipped > runs[False].skipped and runs[True].states > runs[False].states
    assert runs[True].by_steps.get(2, 0) > 0 == runs[False].by_steps.get(2, 0)


def test_a_crop_is_no_last_step_where_the_state_has_the_outputs_shape_already():
    from search.invariants import LastStep, palette
    from search.steps import step

    grid = np.array([[0, 2, 0], [0, 3, 0], [0, 0, 0]])
    crop = step("crop_object", by="max_cells", background=0, connectivity=4, by_color=True)
    same = np.array([[0, 0, 0], [0, 3, 2], [0, 0, 0]])
    assert not LastStep([grid], [same], [palette(same)]).possible(crop)  # a crop to all of it is the grid
    assert not LastStep([grid], [np.zeros((4, 1), int)], [1]).possible(crop)  # taller than the grid
    assert LastStep([grid], [np.array([[2], [3]])], [palette(grid)]).possible(crop)


def test_80af3007_is_found_at_the_default_budget(arc1_train):
    # crop, shrink the blocks, tile by itself: the third step past the enumeration's share of the
    # default budget (after the families') until crops and cell changes ruled last steps out.
    from search.orchestrate import search_programs
    from synth.config import SynthConfig

    task = arc1_train["80af3007"]
    hits = search_programs(task, budget=WorkBudget(SynthConfig().search_budget))
    assert hits and len(hits[0].steps) == 3 and hits[0].steps[1].op == "shrink_blocks"
    truth = tuple(ex.output for ex in task.test)
    assert hits[0].test_outputs == truth
    assert_reruns(hits[0].source, task, truth)

"""Hand-written BARC-style programs (tests/programs/<task_id>.py) run in-process against real
ARC-AGI-1 training tasks: correct ones reproduce every train and test output, deliberately
wrong ones (tests/programs/wrong/) miss at least one train pair."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

import arc
from arc.grid import is_grid
import dsl.common

PROGRAMS = Path(__file__).parent / "programs"
CORRECT = sorted(PROGRAMS.glob("*.py"))
WRONG = sorted((PROGRAMS / "wrong").glob("*.py"))


@pytest.fixture
def tasks(arc1_train):
    return arc1_train


def load_transform(path: Path, monkeypatch):
    """Exec a program file the way the sandbox will: ``common`` resolves to dsl.common."""
    monkeypatch.setitem(sys.modules, "common", dsl.common)
    namespace: dict = {"__name__": f"program_{path.stem}"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["transform"]


def run(transform, grid) -> arc.Grid | None:
    """The program's output as a validated Grid, None if it is not a grid. Exceptions propagate
    so a broken correct program shows its traceback."""
    random.seed(0)
    np.random.seed(0)
    out = transform(np.array(grid, dtype=int))
    return arc.as_grid(out) if is_grid(out) else None


def run_or_none(transform, grid) -> arc.Grid | None:
    try:
        return run(transform, grid)
    except Exception:  # a crash is one way for a wrong program to fail
        return None


def test_enough_programs():
    assert len(CORRECT) >= 12
    assert len(WRONG) >= 3


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_program_solves_task(path, tasks, monkeypatch):
    task = tasks[path.stem]
    transform = load_transform(path, monkeypatch)
    for i, ex in enumerate(task.train):
        assert run(transform, ex.input) == ex.output, f"train pair {i}"
    for i, ex in enumerate(task.test):
        assert ex.output is not None
        assert run(transform, ex.input) == ex.output, f"test pair {i}"


@pytest.mark.parametrize("path", WRONG, ids=lambda p: p.stem)
def test_wrong_program_fails_a_train_pair(path, tasks, monkeypatch):
    task = tasks[path.stem]
    transform = load_transform(path, monkeypatch)
    results = [run_or_none(transform, ex.input) == ex.output for ex in task.train]
    assert not all(results)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_program_does_not_mutate_its_input(path, tasks, monkeypatch):
    # The verifier reuses input arrays across programs; a helper that wrote through a view
    # (crop returns one) would corrupt them.
    transform = load_transform(path, monkeypatch)
    grid = np.array(tasks[path.stem].train[0].input, dtype=int)
    before = grid.copy()
    transform(grid)
    assert np.array_equal(grid, before)

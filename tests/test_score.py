import json

import numpy as np
import pytest

from arc import Example, Task, score
from arc.score import read_submission, to_submission

A, B, C, D = ((1,),), ((2,),), ((3, 3),), ((4,), (4,))
TASKS = {
    "one": Task("one", (Example(A, B),), (Example(A, B),)),
    "two": Task("two", (Example(A, B),), (Example(A, C), Example(B, D))),
    "open": Task("open", (Example(A, B),), (Example(A, None),)),
}


@pytest.mark.parametrize(
    "predictions, task_acc, test_acc, n",
    [
        ({"one": [[B]]}, 1.0, 1.0, 1),
        ({"one": [[A, B]]}, 1.0, 1.0, 1),  # right on the second attempt
        ({"one": [[A, C]]}, 0.0, 0.0, 1),
        ({"one": [[]]}, 0.0, 0.0, 1),  # empty attempts
        ({"one": []}, 0.0, 0.0, 1),  # no entry for the test input
        ({"two": [[C], [D]]}, 1.0, 1.0, 1),  # multi-test, both right
        ({"two": [[C], [A, B]]}, 0.0, 0.5, 1),  # wrong second test
        ({"two": [[C]]}, 0.0, 0.5, 1),  # second test missing
        ({"one": [[B]], "two": [[C], [A]]}, 0.5, 0.75, 2),
        ({"one": [[np.array([[2]])]]}, 1.0, 1.0, 1),  # numpy attempt
        ({"one": [[[[2]]]]}, 1.0, 1.0, 1),  # list attempt
        ({"one": [[[[2, 2], [2]]]]}, 0.0, 0.0, 1),  # ragged attempt is just wrong
        ({}, 0.0, 0.0, 0),
    ],
)
def test_score_table(predictions, task_acc, test_acc, n):
    result = score(predictions, TASKS)
    assert result["task_accuracy"] == pytest.approx(task_acc)
    assert result["test_accuracy"] == pytest.approx(test_acc)
    assert result["n_tasks"] == n


def test_denominator_is_attempted_tasks_only():
    # two tasks in the dataset have solutions, only one is attempted
    assert score({"one": [[B]]}, TASKS)["n_tasks"] == 1


@pytest.mark.parametrize(
    "predictions, message",
    [
        ({"one": [[A, C, B]]}, "3 attempts, at most 2"),
        ({"nope": [[A]]}, "not in the dataset"),
        ({"open": [[A]]}, "unknown test outputs"),
        ({"one": [[B], [B]]}, "2 predictions for 1 test inputs"),
    ],
)
def test_score_errors(predictions, message):
    with pytest.raises(ValueError, match=message):
        score(predictions, TASKS)


def test_submission_round_trip(tmp_path):
    preds = {"two": [[C, A], [D]], "one": [[]]}
    sub = to_submission(preds)
    assert sub["two"][1] == {"attempt_1": [[4], [4]], "attempt_2": [[0]]}
    path = tmp_path / "submission.json"
    path.write_text(json.dumps(sub))
    back = read_submission(path)
    assert back["two"][0] == [C, A]
    assert score(back, TASKS)["task_accuracy"] == pytest.approx(0.5)

"""The ARC Prize submission validator (``arc.submission``): every malformed case is one line naming
the task and test index; a submission the run writes passes."""

import copy
import json

import pytest

from arc.score import to_submission
from arc.submission import SubmissionError, check_submission, validate_file
from arc.task import Example, Task

G = ((1, 2), (3, 4))
CHALLENGES = {
    "aaa": Task("aaa", (Example(G, G),), (Example(G), Example(G))),
    "bbb": Task("bbb", (Example(G, G),), (Example(G),)),
}
VALID = {
    "aaa": [{"attempt_1": [[1, 2], [3, 4]], "attempt_2": [[0]]}, {"attempt_1": [[5]], "attempt_2": [[6]]}],
    "bbb": [{"attempt_1": [[0]], "attempt_2": [[7, 7, 7]]}],
}


def edited(edit):
    data = copy.deepcopy(VALID)
    edit(data)
    return data


def setitem(path, value):
    def edit(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


MALFORMED = [
    ("not an object", lambda d: None, r"a submission is a JSON object"),
    ("task missing", lambda d: d.pop("bbb"), r"^task bbb: missing from the submission$"),
    ("extra task", setitem(["zzz"], []), r"^task zzz: not in the challenges$"),
    ("entries not a list", setitem(["bbb"], {"attempt_1": [[0]]}), r"^task bbb: expected a list"),
    ("too few entries", lambda d: d["aaa"].pop(), r"^task aaa: 1 entries for 2 test inputs$"),
    ("too many entries", lambda d: d["bbb"].append(d["bbb"][0]), r"^task bbb: 2 entries for 1 test inputs$"),
    ("entry not an object", setitem(["aaa", 1], [[1]]), r"^task aaa test 1: expected an object"),
    ("attempt_2 missing", lambda d: d["aaa"][1].pop("attempt_2"), r"^task aaa test 1: missing attempt_2"),
    ("both missing", setitem(["bbb", 0], {}), r"^task bbb test 0: missing attempt_1, attempt_2"),
    ("extra key", setitem(["aaa", 0, "attempt_3"], [[1]]), r"^task aaa test 0: unexpected keys attempt_3"),
    ("empty grid", setitem(["aaa", 0, "attempt_1"], []), r"^task aaa test 0: attempt_1 must be a non-empty list"),
    ("grid not a list", setitem(["aaa", 0, "attempt_2"], None), r"^task aaa test 0: attempt_2 must be a non-empty list"),
    ("flat list", setitem(["aaa", 0, "attempt_1"], [1, 2]), r"^task aaa test 0: attempt_1 row 0 must be"),
    ("empty row", setitem(["bbb", 0, "attempt_1"], [[]]), r"^task bbb test 0: attempt_1 row 0 must be"),
    ("ragged", setitem(["bbb", 0, "attempt_2"], [[1, 2], [3]]), r"^task bbb test 0: attempt_2 is not rectangular"),
    ("colour 10", setitem(["aaa", 1, "attempt_1"], [[10]]), r"^task aaa test 1: attempt_1 cell \(0, 0\) is 10"),
    ("negative", setitem(["aaa", 1, "attempt_1"], [[0, -1]]), r"cell \(0, 1\) is -1"),
    ("float", setitem(["aaa", 1, "attempt_2"], [[1.0]]), r"^task aaa test 1: attempt_2 cell \(0, 0\) is 1.0"),
    ("string", setitem(["aaa", 1, "attempt_2"], [["1"]]), r"cell \(0, 0\) is \"1\""),
    ("bool", setitem(["aaa", 1, "attempt_2"], [[True]]), r"cell \(0, 0\) is true"),
    ("31 rows", setitem(["bbb", 0, "attempt_1"], [[0]] * 31), r"^task bbb test 0: attempt_1 has 31 rows"),
    ("31 columns", setitem(["bbb", 0, "attempt_1"], [[0] * 31]), r"^task bbb test 0: attempt_1 row 0 has 31 cells"),
]


@pytest.mark.parametrize("name,edit,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_every_malformed_case_is_one_line(name, edit, message):
    data = edited(edit) if name != "not an object" else [VALID]
    with pytest.raises(SubmissionError, match=message) as err:
        check_submission(data, CHALLENGES)
    assert "\n" not in str(err.value)


def test_a_valid_submission_passes_and_the_file_check_names_the_file(tmp_path):
    check_submission(VALID, CHALLENGES)
    path = tmp_path / "submission.json"
    path.write_text(json.dumps(VALID))
    assert validate_file(path, CHALLENGES).endswith("valid ARC Prize submission (2 tasks, 3 test inputs, 2 attempts each)")
    path.write_text(json.dumps(edited(setitem(["aaa", 0, "attempt_1"], [[1], [2, 3]]))))
    with pytest.raises(SubmissionError, match=r"submission.json: task aaa test 0: attempt_1 is not rectangular"):
        validate_file(path, CHALLENGES)
    path.write_text("{not json")
    with pytest.raises(SubmissionError, match=r"submission.json: not a readable JSON file"):
        validate_file(path, CHALLENGES)


def test_what_the_run_writes_is_valid_even_with_nothing_to_say():
    predictions = {"aaa": [[G], []], "bbb": [[]]}
    check_submission(to_submission(predictions), CHALLENGES)

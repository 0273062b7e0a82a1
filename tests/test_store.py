"""The program store: JSONL per task under RUN_DIR/programs, written by the run directory and read back."""

from __future__ import annotations

import pytest

import arc
from ensemble.run import RunDir
from synth.store import load_programs, programs_path, stored_tasks
from synth.verify import ProgramResult, verify_programs


def write(run_dir, task_id, programs):
    RunDir(run_dir).write_programs(task_id, programs)
    return programs_path(run_dir, task_id)

FLIP = "import numpy as np\ndef transform(g):\n    return np.flipud(g)\n"


def _prog(index, consistent, outputs=(((1, 2), (3, 4)),)):
    return ProgramResult(index, f"def transform(g):\n    return g  # {index}\n", ("ok", "error"),
                         (((0,),), None), ("ok",), outputs, consistent, True if consistent else None, "msg")


def test_round_trip_and_replace(tmp_path):
    progs = [_prog(0, True), _prog(1, False)]
    path = write(tmp_path, "abc123", progs)
    assert path == tmp_path / "programs" / "abc123.jsonl"
    assert load_programs(tmp_path, "abc123") == progs
    assert [p.index for p in load_programs(tmp_path, "abc123", passing_only=True)] == [0]
    write(tmp_path, "abc123", [_prog(2, True)])  # a task redone replaces its file whole
    assert [p.index for p in load_programs(tmp_path, "abc123")] == [2]
    assert stored_tasks(tmp_path) == ["abc123"]
    assert load_programs(tmp_path, "other") == []


def test_torn_and_corrupt_lines_are_skipped(tmp_path):
    path = write(tmp_path, "t1", [_prog(0, True)])
    with open(path, "a") as f:
        f.write('{"index": 1, "source": "x", "train_status": ["ok"], "train_outputs": [[[12]]], '
                '"test_status": [], "test_outputs": [], "train_consistent": true, "deterministic": true}\n')
        f.write('{"index": 2, "sour')
    assert [p.index for p in load_programs(tmp_path, "t1")] == [0]


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden"])
def test_task_ids_must_be_file_names(tmp_path, bad):
    with pytest.raises(ValueError):
        programs_path(tmp_path, bad)


def test_verified_programs_are_stored(tmp_path):
    task = arc.load_dataset("arc1-train")["68b16354"]
    v = verify_programs(task, [FLIP, "def transform(g):\n    return g\n"])
    write(tmp_path, task.id, v.programs)
    loaded = load_programs(tmp_path, task.id, passing_only=True)
    assert loaded == [v.programs[0]] and loaded[0].test_outputs == (task.test[0].output,)


def test_the_synthesizer_s_answer_ranks_every_distinct_output_with_its_programs():
    from synth.solver import SynthResult
    from synth.verify import summarise

    a, b, c = ((1,),), ((2,),), ((3,),)
    progs = [_prog(0, True, (a,)), _prog(1, True, (b,)), _prog(2, True, (b,)), _prog(3, True, (c,)), _prog(4, False, (a,))]
    v = summarise("t", progs, n_test=1)
    answer = SynthResult("t", v).answer("synth:search")
    (test,) = answer.tests
    assert test.status == "several" and test.attempts[:2] == v.outcomes[0].attempts  # the outcome's attempts first
    assert test.attempts == (b, a, c) and [x.score for x in test.ranked] == [2.0, 1.0, 1.0]
    assert {x.source for x in test.ranked} == {"synth:search"} and answer.programs == tuple(progs)

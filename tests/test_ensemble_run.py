import json

import pytest

from arc import Example, Task
from ensemble.config import RunConfig
from ensemble.run import RunDir, TaskRecord, run_tasks
from synth.config import SynthConfig
from arc.answer import TestAnswer

A, B = ((1,),), ((2,),)


def make_tasks(n):
    return {f"t{i}": Task(f"t{i}", (Example(A, B),), (Example(A, B),)) for i in range(n)}


def echo_solver(calls):
    def solve(task):
        calls.append(task.id)
        if task.id == "t2":
            raise RuntimeError("boom in t2")
        return TaskRecord(task.id, "ok", ((B, A),), rules=("ttt",), timings={"total": 0.0})

    return solve


def test_failing_task_is_recorded_and_run_goes_on(tmp_path):
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="synth", synth=SynthConfig()))
    calls, seen = [], []
    tasks = make_tasks(4)
    records = run_tasks(tasks, echo_solver(calls), run, progress=lambda r, i, n: seen.append((r.task_id, i, n)))
    assert calls == ["t0", "t1", "t2", "t3"]
    assert records["t2"].status == "error" and "boom in t2" in records["t2"].error
    assert seen[-1] == ("t3", 4, 4)
    scores = run.finish(tasks)
    assert scores["n_tasks"] == 4 and scores["task_accuracy"] == 0.75
    sub = json.loads((run.path / "submission.json").read_text())
    assert sub["t2"] == [{"attempt_1": [[0]], "attempt_2": [[0]]}]
    assert sub["t0"] == [{"attempt_1": [[2]], "attempt_2": [[1]]}]


def test_resume_skips_finished_and_survives_a_torn_line(tmp_path):
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="synth", synth=SynthConfig()))
    tasks = make_tasks(4)
    calls = []
    run_tasks({k: tasks[k] for k in ("t0", "t1")}, echo_solver(calls), run)
    with open(run.results_path, "a") as f:
        f.write('{"task_id": "t3", "status": "ok", "attem')  # killed mid-write
    assert set(run.records()) == {"t0", "t1"}
    calls.clear()
    run_tasks(tasks, echo_solver(calls), run)
    assert calls == ["t2", "t3"]
    lines = run.results_path.read_text().splitlines()
    assert [json.loads(l)["task_id"] for l in lines] == ["t0", "t1", "t2", "t3"]


def test_create_refuses_an_existing_run(tmp_path):
    config = RunConfig(mode="synth", dataset="arc1-train", task_ids=("t0",), synth=SynthConfig())
    run = RunDir(tmp_path)
    run.create(config)
    with pytest.raises(FileExistsError, match="--resume"):
        run.create(config)
    assert run.config() == config


def test_record_json_round_trip():
    rec = TaskRecord("x", "ok", ((A, B), (B,)), rules=("agree", "ttt"),
                     ttt=(TestAnswer.of("predicted", [A], [3.0], "ttt:vote"), TestAnswer("skipped")),
                     synth=(TestAnswer.of("unique", [A], [2.0], "synth:search"), TestAnswer("none")),
                     timings={"ttt": 1.5}, info={"n": 3})
    assert TaskRecord.from_json(json.loads(json.dumps(rec.to_json()))) == rec

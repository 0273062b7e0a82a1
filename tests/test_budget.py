"""The whole-run time budget (``ensemble.budget``): the plan (synthesizer first, then TTT by expected
gain per second, skipping what cannot finish), and a submission that is always there and valid,
whatever stops the run. Planning tests run on a fake clock that the stand-in solvers advance, so
nothing here depends on the machine's speed."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arc.answer import TaskAnswer, TestAnswer
from arc.submission import check_submission
from ensemble.budget import GAIN, margin_for, parse_duration, run_budgeted
from ensemble.build import build_task_solver, new_run, select_tasks
from ensemble.config import RunConfig
from ensemble.distributed import task_cells
from ensemble.pipeline import make_task_solver
from ensemble.run import RunDir
from synth.config import SynthConfig
from ttt.config import InferConfig, TTTConfig

QUICK = "007bbfb7,0d3d703e,3c9b0459,6150a2bd,67a3c6ac,68b16354,74dd1130,9dfd6313"


@pytest.mark.parametrize("text,seconds", [("11h30m", 41400), ("5m", 300), ("90s", 90), ("3600", 3600), ("1.5h", 5400),
                                          ("2h", 7200), ("1m30s", 90), (" 45 ", 45), (12.5, 12.5)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_the_budget_counts_from_the_start_of_the_process():
    from ensemble.budget import process_age_s

    age = process_age_s()
    assert age > 0  # this test runs some way into the process's life
    fresh = subprocess.run([sys.executable, "-c", "import time; time.sleep(0.5); from ensemble.budget import process_age_s; "
                            "print(process_age_s())"], capture_output=True, text=True, env=dict(os.environ))
    assert 0.5 <= float(fresh.stdout) < age + 600  # at least the sleep before it, nothing like the boot time


@pytest.mark.parametrize("text", ["", "abc", "5x", "m5", "-5m", "0", "0s", "1h-30m"])
def test_bad_durations_say_what_is_accepted(text):
    with pytest.raises(ValueError, match=r"duration|more than 0"):
        parse_duration(text)


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class StandIns:
    """A synthesizer with a fixed status per task and a TTT that costs 0.01 fake seconds per cell."""

    def __init__(self, tasks, statuses, clock):
        self.tasks, self.statuses, self.clock, self.ttt_calls = tasks, statuses, clock, []

    def synth(self, task):
        status = self.statuses[task.id]
        grids = [] if status == "none" else [((1,),)]
        return TaskAnswer(task.id, tuple(TestAnswer.of(status, grids, source="synth") for _ in task.test))

    def ttt(self, task):
        self.ttt_calls.append(task.id)
        self.clock.t += 0.01 * task_cells(task)
        return TaskAnswer(task.id, tuple(TestAnswer.of("predicted", [((2,),)], source="ttt") for _ in task.test))


def ensemble_run(tmp_path, tasks, policy="paper"):
    config = RunConfig(mode="ensemble", dataset="arc1-train", task_ids=tuple(tasks), policy=policy,
                       model="stand-in", ttt=TTTConfig(), infer=InferConfig(), synth=SynthConfig())
    return new_run(config, tmp_path / "run")


def budgeted(tasks, stand_ins, run, budget_s, clock, policy="paper"):
    from ensemble.budget import BudgetedRun

    solver = make_task_solver("ensemble", stand_ins.ttt, stand_ins.synth, policy)
    return BudgetedRun(tasks, solver, run, budget_s, clock=clock).run()


def statuses_of(tasks):
    cycle = ("none", "several", "unique")
    return {tid: cycle[k % 3] for k, tid in enumerate(tasks)}


def test_ttt_goes_to_the_largest_expected_gain_per_cell_first(tmp_path, arc1_train):
    tasks = dict(list(arc1_train.items())[:12])
    clock = FakeClock()
    stand_ins = StandIns(tasks, statuses_of(tasks), clock)
    run = ensemble_run(tmp_path, tasks)
    records = budgeted(tasks, stand_ins, run, 1e6, clock)
    assert len(stand_ins.ttt_calls) == 12  # time enough: under the paper's rule TTT can change every task
    per_cell = [GAIN[stand_ins.statuses[tid]] / task_cells(tasks[tid]) for tid in stand_ins.ttt_calls]
    assert per_cell == sorted(per_cell, reverse=True)
    assert all(r.status == "ok" for r in records.values()) and set(records) == set(tasks)
    check_submission(json.loads((run.path / "submission.json").read_text()), tasks)
    [entry] = run.budget()
    assert entry["ended"] == "done" and entry["synth"]["tasks"] == 12 and len(entry["ttt"]["ran"]) == 12


def test_unique_answers_are_final_under_unique_final_and_skip_ttt(tmp_path, arc1_train):
    tasks = dict(list(arc1_train.items())[:9])
    clock = FakeClock()
    stand_ins = StandIns(tasks, statuses_of(tasks), clock)
    run = ensemble_run(tmp_path, tasks, "unique-final")
    budgeted(tasks, stand_ins, run, 1e6, clock, "unique-final")
    assert sorted(stand_ins.ttt_calls) == sorted(t for t, s in stand_ins.statuses.items() if s != "unique")


def test_what_cannot_finish_is_skipped_for_time_and_smaller_tasks_still_run(tmp_path, arc1_train):
    tasks = dict(list(arc1_train.items())[:30])
    clock = FakeClock()
    statuses = {tid: "none" for tid in tasks}  # equal gain: the order is smallest first
    stand_ins = StandIns(tasks, statuses, clock)
    run = ensemble_run(tmp_path, tasks)
    total = sum(0.01 * task_cells(t) for t in tasks.values())
    budget = total / 2 / (1 - 0.05)  # about half of TTT's work fits (margin: 5% of the budget)
    assert margin_for(budget) == pytest.approx(0.05 * budget)
    records = budgeted(tasks, stand_ins, run, budget, clock)
    [entry] = run.budget()
    ran, skipped = entry["ttt"]["ran"], entry["ttt"]["skipped_for_time"]
    assert entry["ended"] == "budget"
    assert ran == stand_ins.ttt_calls and sorted(ran + skipped) == sorted(tasks) and ran and skipped
    assert clock.t - 1000.0 <= budget  # the plan never overran the (fake) clock
    cells = [task_cells(tasks[t]) for t in ran]
    assert cells == sorted(cells)
    # skipping is per task: after the first skip, smaller tasks than it still ran
    first_skip = min(task_cells(tasks[t]) for t in skipped)
    assert any(task_cells(tasks[t]) < first_skip for t in ran[-3:]) or max(cells) <= first_skip
    for tid in skipped:  # recorded, without TTT, the synthesizer's answer standing alone
        assert records[tid].status == "ok" and records[tid].info["ttt"]["skipped_for_time"] is True
    assert set(entry["without_ttt"]) == set(skipped)
    check_submission(json.loads((run.path / "submission.json").read_text()), tasks)


def test_a_task_running_at_the_deadline_is_cut_there(tmp_path, arc1_train):
    tasks = dict(list(arc1_train.items())[:4])
    stand_ins = StandIns(tasks, {tid: "none" for tid in tasks}, FakeClock())

    def endless_ttt(task):
        stand_ins.ttt_calls.append(task.id)
        time.sleep(600)  # the deadline's timer ends it

    run = ensemble_run(tmp_path, tasks)
    solver = make_task_solver("ensemble", endless_ttt, stand_ins.synth)
    records = run_budgeted(tasks, solver, run, 3.0, started=time.monotonic())
    [entry] = run.budget()
    assert entry["ended"] == "budget" and entry["ttt"]["cut_at_deadline"] == stand_ins.ttt_calls[0]
    assert len(stand_ins.ttt_calls) == 1 and entry["ttt"]["ran"] == []
    assert all(r.info["ttt"]["skipped_for_time"] for r in records.values())
    check_submission(json.loads((run.path / "submission.json").read_text()), tasks)


def synth_config(ids, budget_s):
    return RunConfig(mode="synth", dataset="arc1-train", task_ids=tuple(ids), time_budget_s=budget_s,
                     synth=SynthConfig(search_budget=2_000_000))


def test_a_budget_of_seconds_over_30_tasks_leaves_a_valid_submission(tmp_path, arc1_train, propose_fails_on):
    ids = list(arc1_train)[:30]
    propose_fails_on(ids[0])  # a solver raising on a task
    tasks = select_tasks("arc1-train", ids, None)
    run = new_run(synth_config(ids, 3.0), tmp_path / "run")
    solver = build_task_solver(run.config(), run.path, tasks)
    (tmp_path / "kaggle").mkdir()
    try:
        records = run_budgeted(tasks, solver, run, 3.0, submission=tmp_path / "kaggle" / "submission.json",
                               started=time.monotonic())
    finally:
        solver.close()
    submission = json.loads((run.path / "submission.json").read_text())
    check_submission(submission, tasks)
    assert json.loads((tmp_path / "kaggle" / "submission.json").read_text()) == submission
    [entry] = run.budget()
    assert entry["synth"]["tasks"] + len(entry["synth"]["unreached"]) == 30
    if ids[0] in records:
        assert records[ids[0]].status == "error" and submission[ids[0]] == [{"attempt_1": [[0]], "attempt_2": [[0]]}]


SNIPPET = """
import sys
from ensemble.budget import Terminated, run_budgeted
from ensemble.build import build_task_solver, new_run, resume_run, select_tasks
from ensemble.config import RunConfig
from synth.config import SynthConfig
out, budget, ids = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if ids == "resume":
    run, config, tasks = resume_run(out)
else:
    tasks = select_tasks("arc1-train", ids, None)
    config = RunConfig(mode="synth", dataset="arc1-train", task_ids=tuple(tasks), time_budget_s=budget,
                       synth=SynthConfig(search_budget=2_000_000))
    run = new_run(config, out)
solve = build_task_solver(config, run.path, tasks)
try:
    run_budgeted(tasks, solve, run, budget)
except Terminated:
    sys.exit(143)
finally:
    solve.close()
    run.unlock()
"""


def start(out: Path, budget: float, ids: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SNIPPET, str(out), str(budget), ids], env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def submission_of(run: Path) -> dict:
    return json.loads((run / "submission.json").read_text())


def test_killed_at_a_random_point_and_resumed_it_still_gives_a_valid_and_equal_submission(tmp_path, arc1_train):
    tasks = {tid: arc1_train[tid] for tid in QUICK.split(",")}
    ref = tmp_path / "ref"
    assert start(ref, 3600, QUICK).wait(timeout=600) == 0
    seed = random.Random().randrange(10**6)  # a different point each time the suite runs; the seed is in the message
    delay = random.Random(seed).uniform(0.0, 4.0)
    run = tmp_path / "killed"
    proc = start(run, 3600, QUICK)
    deadline = time.time() + 300
    while time.time() < deadline and not (run / "submission.json").exists():
        time.sleep(0.005)
    time.sleep(delay)  # somewhere after the placeholder submission: mid-task, mid-write or after the end
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    check_submission(submission_of(run), tasks)  # valid at once
    assert start(run, 3600, "resume").wait(timeout=600) == 0, f"resume failed (kill after {delay:.2f} s, seed {seed})"
    check_submission(submission_of(run), tasks)
    assert submission_of(run) == submission_of(ref), f"kill after {delay:.2f} s (seed {seed})"


def test_sigterm_writes_the_submission_and_says_so(tmp_path, arc1_train):
    ids = ",".join(list(arc1_train)[:30])
    run = tmp_path / "run"
    proc = start(run, 3600, ids)
    deadline = time.time() + 300
    while time.time() < deadline and not ((run / "results.jsonl").exists() and (run / "results.jsonl").read_text().count("\n") >= 1):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143, proc.stderr.read().decode()[-2000:]
    check_submission(submission_of(run), select_tasks("arc1-train", ids, None))
    assert RunDir(run).budget()[-1]["ended"] == "terminated"


def test_with_time_enough_a_budgeted_ensemble_gives_the_ordinary_runs_answers(small_ensemble_runs):
    plain, budget = small_ensemble_runs["plain"], small_ensemble_runs["budgeted"]
    assert (plain / "submission.json").read_bytes() == (budget / "submission.json").read_bytes()
    mine, theirs = RunDir(budget).records(), RunDir(plain).records()
    for tid, r in theirs.items():
        assert (mine[tid].attempts, mine[tid].rules, mine[tid].ttt, mine[tid].synth) == (r.attempts, r.rules, r.ttt, r.synth)
        assert mine[tid].info["synth"]["kept"] is True  # made in the first phase, taken at the task's turn
    [entry] = RunDir(budget).budget()
    assert entry["ended"] == "done" and sorted(entry["ttt"]["ran"]) == ["0d3d703e", "3c9b0459", "6150a2bd", "67a3c6ac"]


def test_stopped_after_the_first_phase_the_submission_holds_the_kept_answers_and_a_resume_takes_them(tmp_path, arc1_train):
    from ensemble.budget import BudgetedRun, Terminated

    tasks = dict(list(arc1_train.items())[:6])
    clock = FakeClock()
    stand_ins = StandIns(tasks, {tid: "several" for tid in tasks}, clock)

    def stopped(task):
        raise Terminated("terminated (SIGTERM)")  # as the SIGTERM handler raises it, at TTT's first task

    run = ensemble_run(tmp_path, tasks)
    with pytest.raises(Terminated):
        BudgetedRun(tasks, make_task_solver("ensemble", stopped, stand_ins.synth), run, 1e6, clock=clock).run()
    assert run.records() == {} and run.budget()[-1]["ended"] == "terminated"
    submission = json.loads((run.path / "submission.json").read_text())
    check_submission(submission, tasks)
    assert all(e == {"attempt_1": [[1]], "attempt_2": [[0]]} for entries in submission.values() for e in entries)

    synth_calls = []

    def counted_synth(task):
        synth_calls.append(task.id)
        return stand_ins.synth(task)

    records = BudgetedRun(tasks, make_task_solver("ensemble", stand_ins.ttt, counted_synth), run, 1e6, clock=clock).run()
    assert synth_calls == [] and sorted(stand_ins.ttt_calls) == sorted(tasks)
    assert all(r.info["synth"]["kept"] and r.rules == ("ttt",) * len(r.rules) for r in records.values())


def test_retry_failed_redoes_a_failed_task_under_a_budget(tmp_path, arc1_train):
    from ensemble.budget import BudgetedRun

    tasks = dict(list(arc1_train.items())[:3])
    bad = list(tasks)[1]
    clock = FakeClock()
    stand_ins = StandIns(tasks, {tid: "none" for tid in tasks}, clock)

    def ttt_out_of_memory_on_one(task):
        if task.id == bad:
            raise MemoryError("no room")
        return stand_ins.ttt(task)

    run = ensemble_run(tmp_path, tasks)
    first = BudgetedRun(tasks, make_task_solver("ensemble", ttt_out_of_memory_on_one, stand_ins.synth), run, 1e6,
                        clock=clock).run()
    assert first[bad].status == "error" and first[bad].error_kind == "memory"
    stand_ins.ttt_calls.clear()
    again = BudgetedRun(tasks, make_task_solver("ensemble", stand_ins.ttt, stand_ins.synth), run, 1e6,
                        clock=clock).run(retry_failed=True)
    assert stand_ins.ttt_calls == [bad] and again[bad].status == "ok"

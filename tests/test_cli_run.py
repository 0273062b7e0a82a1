"""End-to-end runs of arc-solve on real tasks (CPU, no model needed for the synthesizer)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

# Real ARC-AGI-1 training tasks the search solves within a fraction of a second each.
QUICK = "007bbfb7,0d3d703e,3c9b0459,6150a2bd,67a3c6ac,68b16354,74dd1130,9dfd6313"


def results_ids(run: Path) -> list[str]:
    return [json.loads(l)["task_id"] for l in (run / "results.jsonl").read_text().splitlines() if l.strip()]


def solve_args(out: Path, tasks: str = QUICK) -> list[str]:
    return ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", tasks,
            "--search-budget", "2000000", "--out", str(out)]


def test_synth_run_writes_everything(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, solve_args(out))
    assert result.exit_code == 0, result.output
    assert set(results_ids(out)) == set(QUICK.split(","))
    config = json.loads((out / "config.json").read_text())
    assert config["mode"] == "synth" and config["synth"]["sampler"] == "search"
    sub = json.loads((out / "submission.json").read_text())
    assert set(sub) == set(QUICK.split(",")) and "attempt_1" in sub["007bbfb7"][0]
    scores = json.loads((out / "scores.json").read_text())
    assert scores["n_tasks"] == 8 and scores["tasks_correct"] >= 6  # the search solves these
    # the program store, the programs command and the report read it back
    shown = CliRunner().invoke(main, ["programs", "007bbfb7", "--run", str(out), "--passing", "--no-color"])
    assert shown.exit_code == 0 and "def transform" in shown.output and "PASSES" in shown.output
    report = CliRunner().invoke(main, ["report", str(out), "--json", "--html", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    summary = json.loads(report.stdout)
    assert summary["solvers"]["synth"]["tasks_correct"] == scores["tasks_correct"]
    page = (tmp_path / "r.html").read_text()
    assert "007bbfb7" in page and "attempt 1" in page and "passing program" in page
    compared = CliRunner().invoke(main, ["compare", str(out), str(out)])
    assert compared.exit_code == 0 and "only" in compared.output


def test_existing_run_dir_is_refused_and_resume_needs_a_run(tmp_path):
    out = tmp_path / "run"
    assert CliRunner().invoke(main, solve_args(out, "007bbfb7")).exit_code == 0
    again = CliRunner().invoke(main, solve_args(out, "007bbfb7"))
    assert again.exit_code == 1 and "--resume" in again.output
    (tmp_path / "empty").mkdir()
    assert CliRunner().invoke(main, ["--resume", str(tmp_path / "empty")]).exit_code == 1


def test_unknown_task_and_bad_flags(tmp_path):
    bad = CliRunner().invoke(main, solve_args(tmp_path / "r", "nope1234"))
    assert bad.exit_code == 1 and "no task nope1234" in bad.output
    assert CliRunner().invoke(main, ["--mode", "magic"]).exit_code == 2
    assert CliRunner().invoke(main, ["--mode", "synth", "--sampler", "gpt"]).exit_code == 2


def test_a_raising_task_is_recorded_and_counted(tmp_path, propose_fails_on):
    propose_fails_on("0d3d703e")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, solve_args(out, "007bbfb7,0d3d703e,3c9b0459"))
    assert result.exit_code == 0, result.output
    assert results_ids(out) == ["007bbfb7", "0d3d703e", "3c9b0459"]
    report = json.loads(CliRunner().invoke(main, ["report", str(out), "--json"]).stdout)
    assert report["failures"] == {"error": 1}
    assert "sampler blew up" in report["failed_tasks"]["0d3d703e"]
    sub = json.loads((out / "submission.json").read_text())
    assert sub["0d3d703e"] == [{"attempt_1": [[0]], "attempt_2": [[0]]}]


def test_sigkill_then_resume_gives_the_same_submission(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-c", "import cli; cli.main()"]
    ref = tmp_path / "ref"
    subprocess.run(cli + solve_args(ref), check=True, env=env, capture_output=True, timeout=600)

    run = tmp_path / "killed"
    proc = subprocess.Popen(cli + solve_args(run), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if (run / "results.jsonl").exists() and len(results_ids(run)) >= 2:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = results_ids(run)
    assert 2 <= len(done_before) < 8, "the kill should land part-way through the run"
    assert not (run / "submission.json").exists()

    resumed = subprocess.run(cli + ["--resume", str(run)], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done_before)} already done" in resumed.stderr
    ids = results_ids(run)
    assert len(ids) == len(set(ids)) == 8, "no task is done twice"
    assert ids[: len(done_before)] == done_before
    assert json.loads((run / "submission.json").read_text()) == json.loads((ref / "submission.json").read_text())


def test_ray_flags_need_ray_and_a_missing_ray_is_one_line(tmp_path, monkeypatch):
    bad = CliRunner().invoke(main, solve_args(tmp_path / "a", "007bbfb7") + ["--ray-workers", "2"])
    assert bad.exit_code == 2 and "need --ray" in bad.output
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the [ray] extra were not installed
    result = CliRunner().invoke(main, solve_args(tmp_path / "b", "007bbfb7") + ["--ray"])
    assert result.exit_code == 1 and "pip install 'arc-solve[ray]'" in result.output
    assert not (tmp_path / "b" / "results.jsonl").exists()

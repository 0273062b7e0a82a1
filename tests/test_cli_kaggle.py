"""The Kaggle mode from the command line: ``--time-budget``, ``--submission``, ``submission validate``,
SIGTERM, and ``kaggle/run.py`` driving the real ``arc-solve`` (only the install step is skipped)."""

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from arc.data import load_dataset
from arc.submission import check_submission
from cli import main
from tests.test_kaggle_entry import Recorder, kaggle_input, load  # noqa: F401 - kaggle_input is a fixture

def thirty(arc1_train) -> str:
    return ",".join(list(arc1_train)[:30])


def budget_args(out, ids, budget="4s"):
    return ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", ids,
            "--search-budget", "2000000", "--time-budget", budget, "--out", str(out)]


def test_a_few_seconds_over_30_tasks_give_a_valid_submission_here_and_where_asked(tmp_path, arc1_train):
    ids = thirty(arc1_train)
    out, copy = tmp_path / "run", tmp_path / "kaggle" / "submission.json"
    copy.parent.mkdir()
    result = CliRunner().invoke(main, budget_args(out, ids) + ["--submission", str(copy)])
    assert result.exit_code == 0, result.output
    assert "time budget 4 s" in result.output
    tasks = load_dataset("arc1-train")
    check_submission(json.loads(copy.read_text()), {tid: tasks[tid] for tid in ids.split(",")})
    assert copy.read_bytes() == (out / "submission.json").read_bytes()
    assert json.loads((out / "config.json").read_text())["time_budget_s"] == 4.0
    checked = CliRunner().invoke(main, ["submission", "validate", str(copy), "--challenges", str(out / "fake.json")])
    assert checked.exit_code == 1 and "no such file" in checked.output  # one line, no traceback
    challenges = tmp_path / "arc-agi_test_challenges.json"
    challenges.write_text(json.dumps({tid: tasks[tid].to_json() for tid in ids.split(",")}))
    checked = CliRunner().invoke(main, ["submission", "validate", str(copy), "--challenges", str(challenges)])
    assert checked.exit_code == 0 and checked.output.count("\n") == 1 and "valid ARC Prize submission (30 tasks" in checked.output


def test_bad_budgets_name_the_flag():
    result = CliRunner().invoke(main, ["--mode", "synth", "--time-budget", "soon"])
    assert result.exit_code == 2 and "--time-budget" in result.output and "11h30m" in result.output


def test_validate_rejects_a_malformed_submission_in_one_line(tmp_path, arc1_train):
    tid = next(iter(arc1_train))
    challenges = tmp_path / "c_challenges.json"
    challenges.write_text(json.dumps({tid: arc1_train[tid].to_json()}))
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({tid: [{"attempt_1": [[1]]}] * len(arc1_train[tid].test)}))
    result = CliRunner().invoke(main, ["submission", "validate", str(bad), "--challenges", str(challenges)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and f"task {tid} test 0: missing attempt_2" in result.output


def test_sigterm_leaves_a_valid_submission_and_says_how_to_resume(tmp_path, arc1_train):
    ids = thirty(arc1_train)
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *budget_args(out, ids, "1h")],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not ((out / "results.jsonl").exists() and (out / "results.jsonl").read_text().strip()):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert f"--resume {out}" in err and "Traceback" not in err
    tasks = load_dataset("arc1-train")
    check_submission(json.loads((out / "submission.json").read_text()), {tid: tasks[tid] for tid in ids.split(",")})


def test_the_kaggle_entry_runs_arc_solve_on_the_attached_challenges(kaggle_input, tmp_path):
    entry = load("run")
    install_skipped = Recorder()

    def run(command, env=None, check=False, **kw):
        if "--no-index" in command:  # nothing is installed here: arc-solve is already importable
            return install_skipped(command, env=env)
        return subprocess.run(command, env={**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}, check=check,
                              capture_output=True, text=True, timeout=600)

    working = tmp_path / "working"
    code = entry.main(["--input", str(kaggle_input), "--working", str(working), "--time-budget", "30s",
                       "--mode", "synth", "--", "--search-budget", "2000000"], run=run, gpus=0)
    assert code == 0
    challenges = kaggle_input / "arc-prize-2025" / "arc-agi_test_challenges.json"
    check_submission(json.loads((working / "submission.json").read_text()), load_dataset(challenges))
    assert (working / "run" / "budget.jsonl").exists()

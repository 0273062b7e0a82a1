import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from arc.data import load_dataset
from cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_tasks_list_and_show(runner, tmp_path):
    result = runner.invoke(main, ["tasks", "list", "arc1-eval"])
    assert result.exit_code == 0
    assert len([l for l in result.output.splitlines() if "train" in l]) == 400
    png = tmp_path / "task.png"
    result = runner.invoke(main, ["tasks", "show", "007bbfb7", "--no-color", "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "0 7 7" in result.output and png.read_bytes()[:4] == b"\x89PNG"


def test_malformed_file_is_one_line_exit_1(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": [{"input": [[1]]}]}))
    result = runner.invoke(main, ["tasks", "list", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "bad.json: task bad: train pair 0: input: row 1" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [["tasks", "list"], ["tasks", "frobnicate"], ["score"], ["tasks", "show", "x", "--color", "maybe"], ["--nope"]],
)
def test_bad_usage_exits_2(runner, args):
    assert runner.invoke(main, args).exit_code == 2


def test_unknown_task_exits_1(runner):
    result = runner.invoke(main, ["tasks", "show", "zzzzzzzz", "--dataset", "arc1-train"])
    assert result.exit_code == 1 and "not found" in result.output


def test_score_submission(runner, tmp_path):
    tasks = load_dataset("arc1-train")
    ids = list(tasks)[:3]
    sub = {
        ids[0]: [{"attempt_1": [[0]], "attempt_2": [list(r) for r in tasks[ids[0]].test[0].output]}],
        ids[1]: [{"attempt_1": [[0]], "attempt_2": [[0]]}],
    }
    path = tmp_path / "submission.json"
    path.write_text(json.dumps(sub))
    result = runner.invoke(main, ["score", str(path), "--dataset", "arc1-train", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["n_tasks"] == 2 and scores["task_accuracy"] == 0.5
    path.write_text("{not json")
    result = runner.invoke(main, ["score", str(path), "--dataset", "arc1-train"])
    assert result.exit_code == 1 and "cannot read submission" in result.output


def test_console_script_starts_without_heavy_imports():
    code = "import sys, cli; cli.main.main(['--help'], standalone_mode=False); print(sorted(m for m in ('torch','transformers','vllm','peft') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")

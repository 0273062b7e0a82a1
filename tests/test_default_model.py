"""The bundled default model: small enough to ship, loads offline, and solves a task end to end
with TTT on CPU through the CLI (right or wrong)."""

import json

from click.testing import CliRunner

from cli import main
from ensemble.build import bundled_model_dir


def test_bundled_model_is_small_and_complete():
    path = bundled_model_dir()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "holdout.txt"):
        assert (path / name).is_file(), name
    assert sum(f.stat().st_size for f in path.iterdir()) < 25 * 2**20
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "llama" and config["vocab_size"] == 17


def test_bundled_model_loads_offline_and_solves_a_task_with_ttt(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "run"
    args = ["--mode", "ttt", "--preset", "quick", "--dataset", "arc1-eval", "--tasks", "00576224",
            "--ttt-max-tasks", "6", "--views", "identity,transpose", "--max-new-tokens", "40",
            "--device", "cpu", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "results.jsonl").read_text())
    assert record["status"] == "ok", record["error"]
    assert record["info"]["ttt"]["n_pseudo_tasks"] == 6 and record["info"]["ttt"]["n_candidates"] == 2
    assert (out / "ttt" / "adapters" / "00576224" / "adapter_model.safetensors").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == str(bundled_model_dir()) and config["ttt"]["format"] == "compact"

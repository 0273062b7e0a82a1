"""The ensemble end to end on real tasks, on CPU, with the smallest settings: a tiny randomly
initialised model saved to disk stands in for a checkpoint (no download)."""

import json

import pytest
from click.testing import CliRunner

from cli import main


TTT_SMALL = ["--preset", "paper", "--ttt-max-tasks", "4", "--ttt-epochs", "1", "--lora-rank", "4", "--views", "identity,transpose",
             "--n-orders", "1", "--max-new-tokens", "48", "--device", "cpu"]
SMALL = [*TTT_SMALL, "--search-budget", "2000000"]


def test_ensemble_run_on_real_tasks(tmp_path, tiny_model_dir):
    out = tmp_path / "run"
    args = ["--mode", "ensemble", "--dataset", "arc1-train", "--tasks", "0d3d703e,3c9b0459", "--model",
            str(tiny_model_dir), "--out", str(out), *SMALL]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(l) for l in (out / "results.jsonl").read_text().splitlines()]
    assert [r["task_id"] for r in records] == ["0d3d703e", "3c9b0459"]
    for r in records:
        assert r["status"] == "ok", r["error"]
        assert r["ttt"] is not None and r["synth"] is not None, r["error"]  # both solvers ran
        assert all(len(a) <= 2 for a in r["attempts"])
        assert r["rules"][0] in ("agree", "unique-program", "ttt", "synth-fallback", "none")
        assert r["info"]["ttt"]["n_pseudo_tasks"] >= 1
    # the search solves both tasks uniquely, so the paper's rule trusts the programs
    assert records[0]["rules"] == ["unique-program"] or records[0]["rules"] == ["agree"]
    assert json.loads((out / "scores.json").read_text())["tasks_correct"] == 2
    assert (out / "ttt" / "adapters" / "0d3d703e" / "adapter_config.json").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["ttt"]["format"] == "compact" and config["ttt"]["data"]["max_tasks"] == 4
    report = CliRunner().invoke(main, ["report", str(out), "--json"])
    summary = json.loads(report.stdout)
    assert set(summary["solvers"]) == {"ensemble", "ttt", "synth"}


def test_ttt_mode_alone(tmp_path, tiny_model_dir):
    out = tmp_path / "run"
    args = ["--mode", "ttt", "--dataset", "arc1-train", "--tasks", "0d3d703e", "--model", str(tiny_model_dir),
            "--out", str(out), *TTT_SMALL]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "results.jsonl").read_text())
    assert record["status"] == "ok" and record["synth"] is None and record["rules"][0] in ("ttt-only", "none")


def test_missing_model_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["--mode", "ttt", "--model", str(tmp_path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "not a model directory" in result.output


def test_quick_preset_fills_only_what_was_not_given(tiny_model_dir):
    from cli import main
    from ensemble.options import run_config

    def config(*flags):
        ctx = main.make_context("arc-solve", ["--mode", "ensemble", "--model", str(tiny_model_dir), "--lora-rank", "8",
                                              "--device", "cpu", "--api-key-env", "K", *flags])
        return run_config(ctx.params, ("x",))

    paper, quick = config("--preset", "paper"), config("--preset", "quick")
    assert paper.ttt.data.max_tasks == 250 and paper.ttt.epochs == 2
    assert paper.infer.n_orders == 2 and len(paper.infer.symmetries) == 7
    assert quick.ttt.data.max_tasks == 24 and quick.ttt.epochs == 1
    assert quick.ttt.max_tokens == 2048 and paper.ttt.max_tokens == 8192
    assert quick.ttt.lora_rank == 8  # the explicit flag wins over the preset
    assert quick.infer.symmetries == ("identity", "transpose", "flip_lr", "flip_ud")
    assert quick.preset == "quick"
    assert quick.infer.max_tokens == 3072 and paper.infer.max_tokens == 8192
    assert paper.infer.trim_demonstrations is True
    own = config("--preset", "quick", "--infer-max-tokens", "4096", "--no-trim-demonstrations")
    assert own.infer.max_tokens == 4096 and own.infer.trim_demonstrations is False

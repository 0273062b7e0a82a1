"""A sampler or model that fails to start fails every task with that one error, once: it is not
built again for each task, and the run records the failure in its shared-work file."""

import json

from click.testing import CliRunner

from cli import main
from synth.samplers import SAMPLERS

QUICK = "007bbfb7,0d3d703e,3c9b0459"


def test_a_sampler_that_fails_to_start_is_tried_once(tmp_path, monkeypatch):
    starts = []

    class Broken:
        @classmethod
        def from_config(cls, config):
            starts.append(config.model)
            raise RuntimeError("Engine core initialization failed")

    monkeypatch.setitem(SAMPLERS, "vllm", Broken)
    out, model = tmp_path / "run", tmp_path / "model"
    model.mkdir()  # a local folder: a hub id would be refused before the run (nothing is downloaded)
    result = CliRunner().invoke(main, ["--mode", "synth", "--sampler", "vllm", "--synth-model", str(model),
                                       "--dataset", "arc1-train", "--tasks", QUICK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert starts == [str(model)]
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 3
    assert all(r["status"] == "error" and "failed to start" in r["error"] and "Engine core" in r["error"] for r in records)
    (shared,) = [json.loads(line) for line in (out / "shared.jsonl").read_text().splitlines()]
    assert "Engine core" in shared["synth_sampler_error"] and shared["n_tasks"] == 3


def test_the_sampler_is_started_before_the_first_task_and_not_charged_to_it(tmp_path, monkeypatch):
    import time
    import types

    import ensemble.build
    import ensemble.pipeline

    # A slow start-up, told by a clock rather than waited for: the run's clock jumps 1000 s while the
    # sampler starts, so a start charged to a task shows in its timings whatever the machine's load.
    jump = [0.0]
    clock = types.SimpleNamespace(**{name: getattr(time, name) for name in ("monotonic", "sleep", "time")},
                                  perf_counter=lambda: time.perf_counter() + jump[0])
    monkeypatch.setattr(ensemble.build, "time", clock)
    monkeypatch.setattr(ensemble.pipeline, "time", clock)

    class SlowStart:
        closed = False

        @classmethod
        def from_config(cls, config):
            assert not (out / "results.jsonl").exists() or not (out / "results.jsonl").read_text().strip()
            jump[0] += 1000.0
            return cls()

        def sample(self, messages, n, *, seed):
            return ["```python\ndef transform(grid):\n    return grid\n```"] * n

        def close(self):
            SlowStart.closed = True

    monkeypatch.setitem(SAMPLERS, "vllm", SlowStart)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["--mode", "synth", "--sampler", "vllm", "--synth-model", "m", "--samples", "2",
                                       "--dataset", "arc1-train", "--tasks", QUICK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["ok"] * 3
    assert all(r["timings"]["total"] < 1000 for r in records)  # the start-up is in no task's time
    (shared,) = [json.loads(line) for line in (out / "shared.jsonl").read_text().splitlines()]
    assert shared["synth_sampler_start_s"] >= 1000  # but in the shared work's
    assert SlowStart.closed  # the CLI frees the engine at the end of the run


def test_the_report_shows_the_shared_work(tmp_path, monkeypatch):
    class Broken:
        @classmethod
        def from_config(cls, config):
            raise RuntimeError("no [device] here")

    monkeypatch.setitem(SAMPLERS, "vllm", Broken)
    out = tmp_path / "run"
    CliRunner().invoke(main, ["--mode", "synth", "--sampler", "vllm", "--synth-model", "m", "--dataset", "arc1-train",
                              "--tasks", "007bbfb7", "--out", str(out)])
    report = CliRunner().invoke(main, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert "shared work before 1 tasks" in report.output and "no [device] here" in report.output
    summary = json.loads(CliRunner().invoke(main, ["report", str(out), "--json"]).stdout)
    assert summary["shared"][0]["synth_sampler_error"].endswith("no [device] here")


def test_batched_ttt_times_out_only_the_slow_task_and_charges_no_task_for_the_engine(tmp_path, monkeypatch, stand_in_engine):
    """--backend vllm with --task-timeout: each task's training runs under its own budget, the
    engine's start-up under none (a stand-in engine: slow to start, answers one grid)."""
    import time

    import pytest

    pytest.importorskip("peft")
    from ttt.model import save_base, tiny_llama
    from ttt.solve import _Solver
    from ttt.tokenizer import build_compact_tokenizer

    stand_in_engine(start_s=3.0)
    train = _Solver.train

    def slow_train(self, name, pts):
        if name == "0d3d703e":
            time.sleep(5.0)
        return train(self, name, pts)

    monkeypatch.setattr(_Solver, "train", slow_train)
    tok = build_compact_tokenizer()
    model = save_base(tiny_llama(tok, hidden=32, layers=1, heads=2), tok, tmp_path / "model")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["--mode", "ttt", "--backend", "vllm", "--model", str(model), "--dataset", "arc1-train",
                                       "--tasks", QUICK, "--out", str(out), "--task-timeout", "2.5", "--ttt-max-tasks", "2",
                                       "--ttt-steps", "1", "--lora-rank", "4", "--views", "identity", "--n-orders", "1",
                                       "--max-new-tokens", "8", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    records = {r["task_id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert records["0d3d703e"]["status"] == "timeout"
    assert 2.5 <= records["0d3d703e"]["timings"]["total"] < 4.5  # stopped at its budget, not at 5 s
    for tid in ("007bbfb7", "3c9b0459"):
        assert records[tid]["status"] == "ok", records[tid]["error"]
        timings = records[tid]["timings"]
        assert timings["total"] < 2.5 and timings["ttt_infer"] < 1.0  # the engine's 3 s are in no task
        assert timings["ttt"] >= timings["ttt_train"] + timings["ttt_infer"]
    (shared,) = [json.loads(line) for line in (out / "shared.jsonl").read_text().splitlines()]
    assert shared["ttt_engine_start_s"] >= 3.0 and shared["ttt_n_tasks"] == 2

"""RunConfig: JSON round-trips for random valid configs, field-naming errors for invalid ones, and
run directories written before RunConfig existed."""

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from arc.views import SYMMETRY_NAMES
from cli import main
from ensemble.combine import POLICIES
from ensemble.config import MODES, PRESETS, RunConfig
from synth.config import SynthConfig
from ttt.config import ADAPTER_MODES, InferConfig, TTTConfig
from ttt.data import TTTDataConfig

finite = dict(allow_nan=False, allow_infinity=False)
data_configs = st.builds(TTTDataConfig, max_tasks=st.integers(1, 1000), use_transforms=st.booleans(),
                         permuted_copy=st.booleans(), keep_background=st.booleans())
ttt_configs = st.builds(
    TTTConfig, format=st.sampled_from(["compact", "plain", "marc", "barc"]), lora_rank=st.integers(1, 256),
    learning_rate=st.floats(1e-7, 1.0, **finite), epochs=st.integers(1, 5), max_steps=st.none() | st.integers(1, 100),
    target_modules=st.lists(st.sampled_from(["q_proj", "k_proj", "v_proj", "o_proj"]), min_size=1, max_size=4).map(tuple),
    adapter_mode=st.sampled_from(ADAPTER_MODES), data=data_configs)
infer_configs = st.builds(
    InferConfig, backend=st.sampled_from(["hf", "vllm"]), n_orders=st.integers(1, 4),
    symmetries=st.lists(st.sampled_from(SYMMETRY_NAMES), min_size=1, max_size=8, unique=True).map(tuple),
    max_new_tokens=st.none() | st.integers(1, 4096), trim_demonstrations=st.booleans(),
    gpu_memory_utilization=st.none() | st.floats(0.01, 1.0, **finite))
synth_configs = st.builds(SynthConfig, sampler=st.just("search"), samples=st.integers(1, 1000),
                          temperature=st.floats(0, 2, **finite), search_budget=st.integers(1, 10**9), search_cap_s=st.floats(0.1, 100, **finite))


@st.composite
def run_configs(draw):
    mode = draw(st.sampled_from(MODES))
    ttt = mode in ("ensemble", "ttt")
    synth = mode in ("ensemble", "synth")
    config = RunConfig(
        mode=mode, dataset=draw(st.sampled_from(["arc1-train", "arc1-eval", "some/dir"])),
        task_ids=tuple(draw(st.lists(st.text("0123456789abcdef", min_size=8, max_size=8), max_size=5))),
        policy=draw(st.sampled_from(list(POLICIES))), seed=draw(st.integers(0, 2**31)),
        task_timeout_s=draw(st.none() | st.floats(0.5, 1e4, **finite)), preset=draw(st.sampled_from(list(PRESETS))),
        model="/models/m" if ttt else None, ttt=draw(ttt_configs) if ttt else None,
        infer=draw(infer_configs) if ttt else None, synth=draw(synth_configs) if synth else None)
    return config.override(PRESETS[config.preset])


@settings(max_examples=200, deadline=None)
@given(run_configs())
def test_run_config_round_trips_through_json(config):
    assert RunConfig.from_json(json.loads(json.dumps(config.to_json()))) == config


@pytest.mark.parametrize("kwargs, field", [
    ({"mode": "tt"}, "mode"),
    ({"mode": "synth", "synth": SynthConfig(), "policy": "vote"}, "policy"),
    ({"mode": "synth", "synth": SynthConfig(), "task_timeout_s": 0.0}, "task_timeout_s"),
    ({"mode": "synth"}, "synth"),
    ({"mode": "synth", "synth": SynthConfig(), "ttt": TTTConfig()}, "ttt"),
    ({"mode": "ttt", "ttt": TTTConfig(), "infer": InferConfig()}, "model"),
    ({"mode": "ttt", "model": "m", "ttt": TTTConfig()}, "infer"),
    ({"mode": "synth", "synth": SynthConfig(), "preset": "fast"}, "preset"),
])
def test_invalid_combinations_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field} must"):
        RunConfig(**kwargs)


def test_nested_errors_name_the_path():
    good = RunConfig(mode="ttt", model="m", ttt=TTTConfig(), infer=InferConfig()).to_json()
    good["ttt"]["data"]["max_tokens"] = 3
    with pytest.raises(ValueError, match=r"RunConfig\.ttt: TTTConfig\.data: TTTDataConfig: unknown field\(s\) max_tokens"):
        RunConfig.from_json(good)
    with pytest.raises(ValueError, match="lora_rank must be >= 1"):
        RunConfig(mode="ttt", model="m", ttt=TTTConfig(), infer=InferConfig()).override({"ttt": {"lora_rank": 0}})


# config.json exactly as arc-solve wrote it before RunConfig (a synth run of one task)
OLD_CONFIG = {
    "mode": "synth", "dataset": "arc1-train", "task_ids": ["007bbfb7"], "policy": "paper", "seed": 0,
    "task_timeout_s": None, "preset": "paper", "created": "2026-11-30 08:50:01",
    "synth": {"sampler": "search", "model": "", "base_url": None, "api_key_env": "OPENAI_API_KEY", "samples": 64,
              "temperature": 0.8, "top_p": 1.0, "max_new_tokens": 1536, "batch_size": 8, "concurrency": 4,
              "request_timeout_s": 300.0, "max_retries": 5, "timeout_s": 2.0, "memory_mb": 512, "seed": 0,
              "dtype": "auto", "gpu_memory_utilization": None, "max_model_len": 8192, "max_num_batched_tokens": None,
              "include_api_section": False, "search_budget_s": 20.0, "search_max_programs": 50},
}
OLD_RECORD = {"task_id": "007bbfb7", "status": "ok", "attempts": [[[[0]]]], "rules": ["none"], "ttt": None,
              "synth": [{"status": "none", "attempts": []}], "timings": {"total": 0.1}, "error": None,
              "error_kind": None, "info": {}}


def test_a_run_written_before_run_config_resumes(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(OLD_CONFIG))
    (run / "results.jsonl").write_text(json.dumps(OLD_RECORD) + "\n")
    result = CliRunner().invoke(main, ["--resume", str(run)])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "submission.json").read_text()) == {"007bbfb7": [{"attempt_1": [[0]], "attempt_2": [[0]]}]}


def test_a_config_this_version_cannot_read_is_one_line(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({**OLD_CONFIG, "synth": {**OLD_CONFIG["synth"], "programs": 3}}))
    result = CliRunner().invoke(main, ["--resume", str(run)])
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and "older version of arc-solve" in line and "programs" in line

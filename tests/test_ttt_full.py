"""TTT for small models: per-task full fine-tuning (``adapter='full'``), the step and token
budgets, trimmed pseudo-tasks for tasks whose pseudo-tasks are all over the budget, the candidates
a result keeps, and ``--preset auto``. Tiny in-process model, real ARC tasks, CPU."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

import numpy as np  # noqa: E402

from arc.seeds import task_rng  # noqa: E402
from ttt.config import InferConfig, TTTConfig  # noqa: E402
from ttt.data import TTTDataConfig, trim_to_fit, ttt_pseudo_tasks  # noqa: E402
from ttt.full import weights_complete  # noqa: E402
from ttt.lora import attached_adapter  # noqa: E402
from ttt.model import save_base, tiny_llama  # noqa: E402
from ttt.solve import solve_ttt  # noqa: E402
from ttt.tokens import collate, encode_pseudo_tasks  # noqa: E402
from ttt.train import saved_complete, schedule, train_adapter  # noqa: E402

TASK = "6150a2bd"  # a real ARC-AGI-1 training task with 3x3 grids


def cfg_of(**kw):
    base = dict(adapter="full", learning_rate=3e-3, steps=4, batch_size=2, max_tokens=1024, lora_rank=8,
                data=TTTDataConfig(max_tasks=6))
    return TTTConfig(**{**base, **kw})


def pseudo(task, cfg):
    return ttt_pseudo_tasks(task, cfg.data, task_rng(cfg.seed, task.id))


def mean_loss(model, tok, fmt, pts, adapter=None):
    data, _ = encode_pseudo_tasks(tok, fmt, pts, "demo", 1024)
    with attached_adapter(model, adapter) as m, torch.no_grad():
        return sum(float(m(**collate([d], tok.pad_token_id)).loss) for d in data) / len(data)


def test_full_fine_tuning_lowers_the_loss_saves_a_model_folder_and_restores_the_base(tok, fmt, arc1_train, tmp_path):
    model = tiny_llama(tok, hidden=32, layers=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = cfg_of(steps=24)
    pts = pseudo(arc1_train[TASK], cfg)
    stats = train_adapter(model, tok, fmt, pts, cfg, tmp_path / "t")
    assert stats.n_steps == 24 == len(stats.losses)  # 6 pseudo-tasks, batch 2: cycled 8 times for the budget
    assert weights_complete(tmp_path / "t") and not (tmp_path / "t" / "adapter_config.json").exists()
    assert json.loads((tmp_path / "t" / "config.json").read_text())["hidden_size"] == 32
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the base is put back
    assert not model.training and model.lm_head.weight.grad is None
    base_loss = mean_loss(model, tok, fmt, pts)
    tuned_loss = mean_loss(model, tok, fmt, pts, stats.adapter_dir)
    assert tuned_loss < base_loss - 0.3, (base_loss, tuned_loss)
    assert all(torch.equal(before[k], model.state_dict()[k]) for k in before)  # inference put it back too


@pytest.mark.parametrize("adapter", ["full", "lora"])
def test_a_saved_adapter_reloaded_on_a_fresh_base_gives_identical_logits(tok, fmt, arc1_train, tmp_path, adapter):
    cfg = cfg_of(adapter=adapter, learning_rate=1e-2)
    task = arc1_train[TASK]
    model = tiny_llama(tok, hidden=32, layers=2, seed=3)
    stats = train_adapter(model, tok, fmt, pseudo(task, cfg), cfg, tmp_path / "t")
    ids = torch.tensor([tok(fmt.render_prompt(task.train, task.test[0].input))["input_ids"]])
    with attached_adapter(model, stats.adapter_dir) as m, torch.no_grad():
        here = m(ids).logits
    fresh = tiny_llama(tok, hidden=32, layers=2, seed=3)
    with attached_adapter(fresh, stats.adapter_dir) as m, torch.no_grad():
        there = m(ids).logits
    with torch.no_grad():
        bare = fresh(ids).logits
    assert torch.equal(here, there)
    assert not torch.allclose(here, bare)


def test_full_weights_folder_loads_as_a_standard_model(tok, fmt, arc1_train, tmp_path):
    from transformers import AutoModelForCausalLM

    cfg = cfg_of(learning_rate=1e-2)
    task = arc1_train[TASK]
    model = tiny_llama(tok, hidden=32, layers=2, seed=3)
    stats = train_adapter(model, tok, fmt, pseudo(task, cfg), cfg, tmp_path / "t")
    loaded = AutoModelForCausalLM.from_pretrained(stats.adapter_dir, local_files_only=True).eval()
    ids = torch.tensor([tok(fmt.render_prompt(task.train, task.test[0].input))["input_ids"]])
    with attached_adapter(model, stats.adapter_dir) as m, torch.no_grad():
        assert torch.equal(m(ids).logits, loaded(ids).logits)


def test_steps_budget_cycles_the_data_and_token_budget_caps_it():
    rng = np.random.default_rng(0)
    batches, total = schedule(5, TTTConfig(steps=7, batch_size=2), rng)
    assert total == 7 and len(batches) == 7  # 3 micro-batches per pass, cycled
    assert sorted(i for b in batches[:3] for i in b) == [0, 1, 2, 3, 4]  # each pass covers every pseudo-task
    _, by_epochs = schedule(5, TTTConfig(epochs=2, batch_size=2), np.random.default_rng(0))
    assert by_epochs == 6
    lengths = [100] * 5
    batches, total = schedule(5, TTTConfig(steps=7, batch_size=2, token_budget=450), np.random.default_rng(0), lengths)
    assert total == len(batches) and sum(lengths[i] for b in batches for i in b) >= 450
    assert sum(lengths[i] for b in batches[:-1] for i in b) < 450  # stops at the step that reaches the budget


@pytest.mark.parametrize("adapter", ["full", "lora"])
def test_resume_skips_finished_tasks(arc1_train, tok, tmp_path, adapter):
    tasks = [arc1_train[TASK], arc1_train["d631b094"]]
    cfg = cfg_of(adapter=adapter, steps=2)
    icfg = InferConfig(symmetries=("identity",), n_orders=1, max_new_tokens=16)
    model = tiny_llama(tok, hidden=32, layers=2)
    first = solve_ttt(tasks, model, cfg, icfg, tmp_path, tokenizer=tok)
    assert all(r.error is None and r.train.n_steps == 2 for r in first.values())
    assert all(saved_complete(tmp_path / "adapters" / t.id, cfg) for t in tasks)
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "adapters").rglob("*.safetensors")}
    # an answer lost after the adapter was saved: that task's training is skipped, only inference reruns
    again = solve_ttt(tasks[1:], model, cfg, icfg, tmp_path, tokenizer=tok)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "adapters").rglob("*.safetensors")} == stamps
    assert again[tasks[1].id].train.skipped and again[tasks[1].id].attempts == first[tasks[1].id].attempts


def test_pseudo_tasks_all_over_the_budget_are_trimmed_and_trained(arc1_train, tok, fmt, tmp_path):
    task = arc1_train["d631b094"]  # 4 demonstrations
    cfg = cfg_of(steps=2, max_tokens=60)
    pts = pseudo(task, cfg)
    trimmed = trim_to_fit(pts, fmt, tok, 60)
    assert trimmed and all(len(p.examples) < 3 for p in trimmed)
    model = tiny_llama(tok, hidden=32, layers=2)
    icfg = InferConfig(symmetries=("identity",), n_orders=1, max_new_tokens=16)
    r = solve_ttt([task], model, cfg, icfg, tmp_path / "a", tokenizer=tok)[task.id]
    assert r.error is None and r.pseudo_tasks_trimmed and r.n_pseudo_tasks > 0 and r.train.n_steps == 2
    off = solve_ttt([task], model, cfg_of(steps=2, max_tokens=60, trim_pseudo_tasks=False), icfg, tmp_path / "b",
                    tokenizer=tok)[task.id]
    assert off.train is None and off.n_pseudo_tasks == 0  # the old behaviour: no TTT at all


def test_results_keep_every_distinct_candidate(arc1_train, tok, tmp_path):
    task = arc1_train[TASK]
    icfg = InferConfig(symmetries=("identity", "transpose", "flip_lr"), n_orders=1, max_new_tokens=16)
    r = solve_ttt([task], tiny_llama(tok, hidden=32, layers=2), cfg_of(adapter_mode="none"), icfg, tmp_path,
                  tokenizer=tok)[task.id]
    parsed = r.n_candidates - r.n_parse_failures - r.n_too_long
    assert sum(n for _, n in r.candidates[0]) == parsed
    assert len({g for g, _ in r.candidates[0]}) == len(r.candidates[0])
    assert all(a in {g for g, _ in r.candidates[0]} for a in r.attempts[0])
    assert type(r).from_json(json.loads(json.dumps(r.to_json()))).candidates == r.candidates


def test_preset_auto_resolves_by_model_size(tmp_path):
    from transformers import LlamaConfig

    from cli import main
    from ensemble.options import run_config
    from ensemble.build import bundled_model_dir

    big = tmp_path / "big"
    big.mkdir()
    # a 1B-class config alone: no weights exist, so resolving must not instantiate the model
    LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                num_attention_heads=32, num_key_value_heads=8).save_pretrained(big)

    def config(model, *flags):
        ctx = main.make_context("arc-solve", ["--mode", "ttt", "--model", str(model), "--device", "cpu", *flags])
        return run_config(ctx.params, ("x",))

    small, large = config(bundled_model_dir()), config(big)
    assert small.preset == "small" and small.ttt.adapter == "full" and small.ttt.steps is not None
    assert large.preset == "paper" and large.ttt.adapter == "lora" and large.ttt.lora_rank == 128
    assert large.ttt.epochs == 2 and large.ttt.steps is None
    # explicit flags still win over what auto picked
    own = config(bundled_model_dir(), "--adapter", "lora", "--lr", "1e-3", "--ttt-steps", "5")
    assert own.preset == "small" and own.ttt.adapter == "lora" and own.ttt.learning_rate == 1e-3 and own.ttt.steps == 5
    assert config(bundled_model_dir(), "--ttt-epochs", "1").ttt.steps is None  # epochs asked for are run
    assert config(bundled_model_dir(), "--backend", "vllm").ttt.adapter == "lora"  # vllm serves LoRA only


def test_parameter_count_from_config_matches_the_model(tok, tmp_path):
    from ttt.model import config_parameter_count, count_parameters

    model = tiny_llama(tok, hidden=32, layers=2)
    save_base(model, tok, tmp_path / "m")
    assert config_parameter_count(tmp_path / "m") == count_parameters(model)


def test_cli_ttt_run_with_full_adapters_resumes_without_training_again(tok, tmp_path):
    from click.testing import CliRunner

    from cli import main

    model = save_base(tiny_llama(tok, hidden=32, layers=1, heads=2), tok, tmp_path / "m")
    out = tmp_path / "run"
    args = ["--mode", "ttt", "--dataset", "arc1-train", "--tasks", "0d3d703e", "--model", str(model), "--out", str(out),
            "--adapter", "full", "--ttt-steps", "2", "--ttt-max-tasks", "4", "--views", "identity", "--max-new-tokens", "16",
            "--device", "cpu"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "config.json").read_text())
    assert saved["preset"] == "small" and saved["ttt"]["adapter"] == "full" and saved["ttt"]["steps"] == 2
    weights = out / "ttt" / "adapters" / "0d3d703e" / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    (out / "results.jsonl").write_text("")  # the answer lost, the tuned model kept
    again = CliRunner().invoke(main, ["--resume", str(out)])
    assert again.exit_code == 0, again.output
    assert weights.stat().st_mtime_ns == stamp  # not trained again
    record = json.loads((out / "results.jsonl").read_text().splitlines()[-1])
    assert record["status"] == "ok" and record["task_id"] == "0d3d703e"

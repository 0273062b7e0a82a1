import json

import numpy as np
import pytest

from arc.data import load_dataset
from ttt.finetune import (FinetuneConfig, batch_for_step, draw_pseudo_task, finetune, format_check, micro_batches,
                          training_pool, use_bf16)

TINY = dict(hidden=32, layers=1, heads=2, intermediate=64, batch_size=2, max_tokens=600, max_examples=2,
            learning_rate=3e-3, log_every=1, checkpoint_every=2, threads=1, precision="fp32")


def test_pool_never_contains_evaluation_tasks():
    eval_ids = set(load_dataset("arc1-eval"))
    pool, held = training_pool(FinetuneConfig(holdout=40))
    assert len(held) == 40 and len(pool) == 360
    assert not ({t.id for t in pool} | {t.id for t in held}) & eval_ids
    assert not {t.id for t in pool} & {t.id for t in held}
    assert [t.id for t in training_pool(FinetuneConfig(holdout=40))[1]] == [t.id for t in held]


def test_holdout_does_not_move_with_the_data_seed_and_is_inherited(tmp_path):
    held = [t.id for t in training_pool(FinetuneConfig(seed=0))[1]]
    assert [t.id for t in training_pool(FinetuneConfig(seed=3))[1]] == held
    assert [t.id for t in training_pool(FinetuneConfig(holdout_seed=1))[1]] != held
    # the bundled model's list is the default split
    from ensemble.build import bundled_model_dir

    assert (bundled_model_dir() / "holdout.txt").read_text().split() == held
    # a run from a model with a holdout.txt keeps that model's held-out tasks, whatever its seeds
    (tmp_path / "holdout.txt").write_text("007bbfb7\n00d62c1b\n")
    pool, kept = training_pool(FinetuneConfig(init_from=str(tmp_path), seed=5, holdout_seed=9))
    assert [t.id for t in kept] == ["007bbfb7", "00d62c1b"] and len(pool) == 398
    (tmp_path / "holdout.txt").write_text("007bbfb7\n00576224\n")  # an evaluation task: refused
    with pytest.raises(ValueError, match="00576224"):
        training_pool(FinetuneConfig(init_from=str(tmp_path)))


@pytest.mark.slow
def test_arc2_train_is_filtered_of_every_arc1_eval_task():
    eval_tasks = load_dataset("arc1-eval")
    eval_inputs = {ex.input for t in eval_tasks.values() for ex in t.train}
    pool, _ = training_pool(FinetuneConfig(include_arc2_train=True))
    assert not {t.id for t in pool} & set(eval_tasks)
    # the content filter is for the ARC-AGI-2 additions: a few official ARC-AGI-1 training tasks share
    # a small demonstration input with an evaluation task, and they stay (the training set is the training set)
    arc1_train = set(load_dataset("arc1-train"))
    added = [t for t in pool if t.id not in arc1_train]
    assert added and not any(ex.input in eval_inputs for t in added for ex in t.train)
    assert len(pool) > 360


def test_stream_is_a_pure_function_of_seed_and_step():
    from ttt.format import make_formatter
    from ttt.tokenizer import build_compact_tokenizer

    cfg = FinetuneConfig(**{k: v for k, v in TINY.items() if k != "threads"})
    pool, _ = training_pool(cfg)
    tok = build_compact_tokenizer()
    fmt = make_formatter("compact", tok)
    a, _ = batch_for_step(pool, cfg, 7, tok, fmt)
    b, _ = batch_for_step(pool, cfg, 7, tok, fmt)
    c, _ = batch_for_step(pool, cfg, 8, tok, fmt)
    assert a == b and a != c
    assert all(len(e.input_ids) <= cfg.max_tokens and e.n_loss_tokens > 0 for e in a)
    pt = draw_pseudo_task(pool, cfg, np.random.default_rng(0))
    assert 1 <= len(pt.examples) <= cfg.max_examples and pt.query.output is not None


def test_data_workers_give_the_batches_of_the_training_process():
    from ttt.finetune import BatchStream
    from ttt.format import make_formatter
    from ttt.tokenizer import build_compact_tokenizer

    cfg = FinetuneConfig(**{**{k: v for k, v in TINY.items() if k != "threads"}, "steps": 9})
    pool, _ = training_pool(cfg)
    tok = build_compact_tokenizer()
    fmt = make_formatter("compact", tok)
    expected = [batch_for_step(pool, cfg, s, tok, fmt) for s in range(3, 9)]
    with BatchStream(pool, cfg, tok, fmt, start=3, workers=0) as inline:
        assert list(inline) == expected
    with BatchStream(pool, cfg, tok, fmt, start=3, workers=2) as parallel:
        assert list(parallel) == expected
    with pytest.raises(ValueError, match="data_workers"):
        FinetuneConfig(data_workers=-1)


def test_finetune_trains_checkpoints_and_resumes(tmp_path):
    out = tmp_path / "ft"
    finetune(FinetuneConfig(steps=2, holdout=5, **TINY), out)
    log = [json.loads(l) for l in (out / "train_log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == [1, 2]
    assert all(np.isfinite(e["loss"]) and e["tokens_per_s"] > 0 for e in log)
    assert (out / "checkpoint" / "trainer_state.pt").exists() and (out / "model" / "config.json").exists()
    # a longer run in the same folder continues from step 2, it does not start over
    final = finetune(FinetuneConfig(steps=4, holdout=5, **TINY), out)
    log = [json.loads(l) for l in (out / "train_log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == [1, 2, 3, 4]
    from ttt.format import make_formatter
    from ttt.model import load_base

    model, tok = load_base(final, device="cpu")
    tasks = list(load_dataset("arc1-train").values())[:1]
    counts = format_check(model, tok, make_formatter("compact", tok), tasks, max_new_tokens=20)
    assert counts["n"] == len(tasks[0].test) and 0 <= counts["parsed"] <= counts["n"]
    assert counts["trimmed"] == counts["too_long"] == 0
    # under a budget, prompts drop demonstrations the way inference does, or are counted as too long
    fmt = make_formatter("compact", tok)
    task = tasks[0]  # 007bbfb7: five demonstrations of the same size
    one = fmt.render_prompt(task.train[:1], task.test[0].input)
    fits_one = len(tok(one, add_special_tokens=fmt.add_special_tokens)["input_ids"]) + 20
    counts = format_check(model, tok, fmt, tasks, max_new_tokens=20, max_tokens=fits_one)
    assert counts["trimmed"] == counts["n"] and counts["too_long"] == 0
    counts = format_check(model, tok, fmt, tasks, max_new_tokens=20, max_tokens=fits_one - 1)
    assert counts["too_long"] == counts["n"] and counts["parsed"] == 0


def test_a_run_from_a_checkpoint_trains_fp32_weights_where_auto_would_load_bf16(tmp_path, monkeypatch):
    import torch
    from safetensors.torch import load_file

    import ttt.model

    first = finetune(FinetuneConfig(steps=1, holdout=5, **TINY), tmp_path / "a")
    # on a bf16 GPU, dtype 'auto' loads a checkpoint in bf16; AdamW must still update fp32 weights
    real = ttt.model.resolve_dtype
    monkeypatch.setattr(ttt.model, "resolve_dtype",
                        lambda dtype, device: torch.bfloat16 if dtype == "auto" else real(dtype, device))
    second = finetune(FinetuneConfig(steps=1, holdout=5, init_from=str(first), **TINY), tmp_path / "b")
    assert {t.dtype for t in load_file(second / "model.safetensors").values()} == {torch.float32}


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    import torch
    from safetensors.torch import load_file

    finetune(FinetuneConfig(steps=4, holdout=5, **TINY), tmp_path / "straight")
    # max_minutes=0 stops (and checkpoints) right after the first step, as a kill between steps would
    finetune(FinetuneConfig(steps=4, holdout=5, max_minutes=0, **TINY), tmp_path / "split")
    assert len((tmp_path / "split" / "train_log.jsonl").read_text().splitlines()) == 1
    finetune(FinetuneConfig(steps=4, holdout=5, **TINY), tmp_path / "split")
    a = load_file(tmp_path / "straight" / "model" / "model.safetensors")
    b = load_file(tmp_path / "split" / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def _tiny_model_and_batch(batch_size=6):
    from ttt.format import make_formatter
    from ttt.model import tiny_llama
    from ttt.tokenizer import build_compact_tokenizer

    cfg = FinetuneConfig(**{**TINY, "batch_size": batch_size})
    pool, _ = training_pool(cfg)
    tok = build_compact_tokenizer()
    batch, _ = batch_for_step(pool, cfg, 3, tok, make_formatter("compact", tok))
    model = tiny_llama(tok, hidden=32, layers=1, heads=2, intermediate=64, max_positions=1024, seed=0)
    return model, tok, batch


def test_micro_batches_sort_by_length_and_keep_every_item():
    _, _, batch = _tiny_model_and_batch()
    chunks = micro_batches(batch, 4)
    flat = [e for c in chunks for e in c]
    assert len(chunks) == 4 and sorted(map(id, flat)) == sorted(map(id, batch))
    lengths = [len(e.input_ids) for e in flat]
    assert lengths == sorted(lengths)


def test_micro_batches_give_the_same_loss_and_gradient():
    """The step shared by TTT and fine-tuning is token-weighted, whatever the split."""
    import torch

    from ttt.train import train_step

    model, tok, batch = _tiny_model_and_batch()
    grads, losses = [], []
    for n in (1, 3):
        model.zero_grad(set_to_none=True)
        loss, n_tok = train_step(model, micro_batches(batch, n), tok.pad_token_id, torch.device("cpu"))
        losses.append((loss, n_tok))
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert losses[0][1] == losses[1][1] == sum(len(e.input_ids) for e in batch)
    assert abs(losses[0][0] - losses[1][0]) < 1e-5
    assert torch.allclose(grads[0], grads[1], atol=1e-6, rtol=1e-4)


def test_precision_and_micro_batch_settings():
    import torch

    cpu = torch.device("cpu")
    assert use_bf16("bf16", cpu) and not use_bf16("fp32", cpu)
    assert use_bf16("auto", cpu) == bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    with pytest.raises(ValueError, match="precision"):
        FinetuneConfig(precision="fp16")
    with pytest.raises(ValueError, match="micro_batches"):
        FinetuneConfig(batch_size=2, micro_batches=3)


def test_bf16_training_on_cpu_keeps_fp32_weights(tmp_path):
    final = finetune(FinetuneConfig(steps=1, holdout=5, **{**TINY, "precision": "bf16", "micro_batches": 2}),
                     tmp_path / "ft")
    log = [json.loads(l) for l in (tmp_path / "ft" / "train_log.jsonl").read_text().splitlines()]
    assert np.isfinite(log[-1]["loss"])
    assert json.loads((final / "config.json").read_text()).get("torch_dtype", json.loads(
        (final / "config.json").read_text()).get("dtype")) == "float32"


def test_finetune_command_passes_its_options_through(tmp_path):
    from click.testing import CliRunner

    from cli import main

    out = tmp_path / "ft"
    args = ["finetune", "--out", str(out), "--hidden", "32", "--layers", "1", "--heads", "2", "--intermediate", "64",
            "--steps", "1", "--batch-size", "2", "--max-tokens", "600", "--max-examples", "2", "--precision", "fp32",
            "--micro-batches", "2", "--holdout-seed", "1", "--threads", "1", "--data-workers", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "finetune_config.json").read_text())
    assert (config["precision"], config["micro_batches"], config["holdout_seed"], config["data_workers"]) == ("fp32", 2, 1, 1)
    held = [t.id for t in training_pool(FinetuneConfig(holdout_seed=1))[1]]
    assert (out / "holdout.txt").read_text().split() == held
    # the written model carries the list, so the next phase of a chain (--init-from out/model) keeps it
    assert (out / "model" / "holdout.txt").read_text().split() == held
    assert [t.id for t in training_pool(FinetuneConfig(init_from=str(out / "model")))[1]] == held

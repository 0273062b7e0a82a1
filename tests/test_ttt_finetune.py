import json

import numpy as np
import pytest

from arc.data import load_dataset
from ttt.finetune import FinetuneConfig, batch_for_step, draw_pseudo_task, finetune, format_check, training_pool

TINY = dict(hidden=32, layers=1, heads=2, intermediate=64, batch_size=2, max_tokens=600, max_examples=2,
            learning_rate=3e-3, log_every=1, checkpoint_every=2, threads=1)


def test_pool_never_contains_evaluation_tasks():
    eval_ids = set(load_dataset("arc1-eval"))
    pool, held = training_pool(FinetuneConfig(holdout=40))
    assert len(held) == 40 and len(pool) == 360
    assert not ({t.id for t in pool} | {t.id for t in held}) & eval_ids
    assert not {t.id for t in pool} & {t.id for t in held}
    assert [t.id for t in training_pool(FinetuneConfig(holdout=40))[1]] == [t.id for t in held]


@pytest.mark.slow
def test_arc2_train_is_filtered_of_every_arc1_eval_task():
    eval_tasks = load_dataset("arc1-eval")
    eval_inputs = {ex.input for t in eval_tasks.values() for ex in t.train}
    pool, _ = training_pool(FinetuneConfig(include_arc2_train=True))
    assert not {t.id for t in pool} & set(eval_tasks)
    assert not any(ex.input in eval_inputs for t in pool for ex in t.train)
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

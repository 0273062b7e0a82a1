"""Per-task LoRA training: loss masking by offsets, learning, PEFT folders, shared initial adapter,
clean base model, resume and determinism. Tiny in-process model, real ARC tasks, CPU."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from ttt.config import TTTConfig  # noqa: E402
from arc.seeds import task_rng  # noqa: E402
from ttt.data import TTTDataConfig, ttt_pseudo_tasks  # noqa: E402
from ttt.format import make_formatter  # noqa: E402
from ttt.model import tiny_llama  # noqa: E402
from ttt.tokenizer import build_compact_tokenizer  # noqa: E402
from ttt.lora import adapter_complete, adapter_digest, attached_adapter  # noqa: E402
from ttt.tokens import IGNORE, collate, encode_pseudo_tasks, encode_rendered  # noqa: E402
from ttt.train import train_adapter  # noqa: E402

SMALL = ("6150a2bd", "d631b094")  # real ARC-AGI-1 training tasks with 3x3 grids


def char_tokenizer():
    """A character-level fast tokenizer over printable ASCII: 'any tokenizer' for the plain format."""
    from tokenizers import Regex, Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<unk>", "\n"] + [chr(c) for c in range(32, 127)])}
    tk = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tk.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", unk_token="<unk>", eos_token="#")


def small_cfg(**kw):
    base = dict(lora_rank=8, lora_alpha=16, learning_rate=5e-3, epochs=1, batch_size=2, max_steps=3,
                max_tokens=1024, data=TTTDataConfig(max_tasks=6))
    return TTTConfig(**{**base, **kw})


def pseudo(task, cfg):
    return ttt_pseudo_tasks(task, cfg.data, task_rng(cfg.seed, task.id))


@pytest.mark.parametrize("name, tokenizer", [("compact", build_compact_tokenizer), ("plain", char_tokenizer)])
@pytest.mark.parametrize("loss", ["demo", "output"])
def test_labelled_tokens_are_exactly_the_outputs(arc1_train, name, tokenizer, loss):
    tk, f = tokenizer(), make_formatter(name)
    task = arc1_train["d631b094"]
    examples, query = task.train[:3], task.train[3]
    enc = encode_rendered(tk, f.render_train(examples, query, loss=loss))
    labelled = tk.decode([t for t in enc.labels if t != IGNORE])
    outputs = [e.output for e in examples[1:]] + [query.output] if loss == "demo" else [query.output]
    assert labelled == "".join(f.output_text(g) for g in outputs)
    assert all(t in (i, IGNORE) for t, i in zip(enc.labels, enc.input_ids))
    assert enc.labels[0] == IGNORE  # bos (compact) or the first input's text: never predicted


def test_collate_pads_right_and_masks_padding(tok, fmt, arc1_train):
    data, dropped = encode_pseudo_tasks(tok, fmt, pseudo(arc1_train["6150a2bd"], small_cfg())[:2], "demo", 1024)
    batch = collate(data, tok.pad_token_id)
    lengths = [len(d.input_ids) for d in data]
    assert dropped == 0 and batch["input_ids"].shape == (2, max(lengths))
    assert batch["attention_mask"].sum(1).tolist() == lengths
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE).all()


def test_too_long_pseudo_tasks_are_dropped_not_truncated(tok, fmt, arc1_train):
    pts = pseudo(arc1_train["6150a2bd"], small_cfg())
    data, dropped = encode_pseudo_tasks(tok, fmt, pts, "demo", 40)
    assert data == [] and dropped == len(pts)


def mean_loss(model, tok, fmt, pts, adapter):
    data, _ = encode_pseudo_tasks(tok, fmt, pts, "demo", 1024)
    with attached_adapter(model, adapter) as m, torch.no_grad():
        return sum(float(m(**collate([d], tok.pad_token_id)).loss) for d in data) / len(data)


def test_ttt_lowers_loss_saves_peft_folder_and_leaves_base_clean(tok, fmt, arc1_train, tmp_path):
    model = tiny_llama(tok, hidden=32, layers=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = small_cfg(max_steps=8, learning_rate=1e-2)
    pts = pseudo(arc1_train["6150a2bd"], cfg)
    stats = train_adapter(model, tok, fmt, pts, cfg, tmp_path / "a" / "t1")
    assert stats.n_steps == 3 == len(stats.losses)  # 6 pseudo-tasks, batch 2, 1 epoch
    assert adapter_complete(stats.adapter_dir)
    conf = json.loads((tmp_path / "a" / "t1" / "adapter_config.json").read_text())
    assert conf["r"] == 8 and conf["lora_alpha"] == 16 and set(conf["target_modules"]) == set(cfg.target_modules)
    # base weights unchanged and no LoRA modules left behind
    after = model.state_dict()
    assert set(after) == set(before) and all(torch.equal(before[k], after[k]) for k in before)
    assert not any("lora" in n for n, _ in model.named_modules())
    # a longer run over 2 epochs lowers the training loss below the initial adapter's
    cfg2 = small_cfg(max_steps=None, epochs=3, learning_rate=1e-2)
    stats2 = train_adapter(model, tok, fmt, pts, cfg2, tmp_path / "a" / "t2")
    init = mean_loss(model, tok, fmt, pts, tmp_path / "a" / "_initial")
    trained = mean_loss(model, tok, fmt, pts, stats2.adapter_dir)
    assert trained < init - 0.05, (init, trained)


def test_reloaded_adapter_on_fresh_base_gives_identical_logits(tok, fmt, arc1_train, tmp_path):
    model = tiny_llama(tok, hidden=32, layers=2, seed=3)
    cfg = small_cfg(learning_rate=1e-2)
    task = arc1_train["6150a2bd"]
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
    assert not torch.allclose(here, bare)  # the adapter changed something


def test_every_task_starts_from_the_same_initial_adapter(tok, fmt, arc1_train, tmp_path):
    model = tiny_llama(tok, hidden=32, layers=2)
    cfg = small_cfg()
    init = tmp_path / "_initial"
    a = train_adapter(model, tok, fmt, pseudo(arc1_train[SMALL[0]], cfg), cfg, tmp_path / "a", init_dir=init)
    b = train_adapter(model, tok, fmt, pseudo(arc1_train[SMALL[1]], cfg), cfg, tmp_path / "b", init_dir=init)
    assert a.init_digest == b.init_digest == adapter_digest(init)
    assert len({adapter_digest(init), adapter_digest(a.adapter_dir), adapter_digest(b.adapter_dir)}) == 3


def test_resume_skips_finished_adapter_and_redoes_partial_one(tok, fmt, arc1_train, tmp_path):
    model = tiny_llama(tok, hidden=32, layers=2)
    cfg = small_cfg(max_steps=1)
    pts = pseudo(arc1_train["6150a2bd"], cfg)
    first = train_adapter(model, tok, fmt, pts, cfg, tmp_path / "t")
    weights = tmp_path / "t" / "adapter_model.safetensors"
    stamp = weights.stat().st_mtime_ns
    again = train_adapter(model, tok, fmt, pts, cfg, tmp_path / "t")
    assert again.skipped and not first.skipped and weights.stat().st_mtime_ns == stamp
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "adapter_config.json").write_text("{}")  # a crash left config without weights
    redo = train_adapter(model, tok, fmt, pts, cfg, tmp_path / "p")
    assert not redo.skipped and adapter_complete(tmp_path / "p")


def test_training_is_deterministic_for_a_seed(tok, fmt, arc1_train, tmp_path):
    cfg = small_cfg(max_steps=2)
    pts = pseudo(arc1_train["d631b094"], cfg)
    runs = []
    for i in range(2):
        model = tiny_llama(tok, hidden=32, layers=2)
        runs.append(train_adapter(model, tok, fmt, pts, cfg, tmp_path / f"run{i}" / "t"))
    assert runs[0].losses == runs[1].losses
    assert adapter_digest(runs[0].adapter_dir) == adapter_digest(runs[1].adapter_dir)


def test_no_trainable_pseudo_task_raises_and_leaves_no_adapter(tok, fmt, arc1_train, tmp_path):
    pts = pseudo(arc1_train["6150a2bd"], small_cfg())
    with pytest.raises(ValueError, match="no trainable pseudo-tasks"):
        train_adapter(tiny_llama(tok, hidden=32), tok, fmt, pts, small_cfg(max_tokens=16), tmp_path / "t")
    assert not adapter_complete(tmp_path / "t")


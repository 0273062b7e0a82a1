"""Per-task LoRA test-time training.

One base model is loaded once and reused: for each task the same saved initial adapter is loaded
onto it, trained with a fresh optimizer on the task's pseudo-tasks, saved in the standard PEFT folder
format (adapter_config.json + adapter_model.safetensors) and unloaded again, so the base stays clean.

Loss masking is by character offsets: a token carries loss iff its character span overlaps one of
the ``Rendered.loss_spans``; never by hard-coded token ids.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ttt.config import TTTConfig
from ttt.format import token_loss_mask

IGNORE = -100  # label value that transformers' causal-LM loss skips
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Encoded:
    """Token ids of one rendered pseudo-task and its labels (IGNORE where no loss)."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]

    @property
    def n_loss_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


@dataclass(frozen=True)
class TrainStats:
    """What one adapter's training did. ``losses`` has one mean loss per optimizer step."""

    adapter_dir: str
    skipped: bool = False
    n_pseudo_tasks: int = 0
    n_dropped: int = 0
    n_steps: int = 0
    losses: tuple[float, ...] = ()
    seconds: float = 0.0
    init_digest: str = ""

    def to_json(self) -> dict:
        return {
            "adapter_dir": self.adapter_dir,
            "skipped": self.skipped,
            "n_pseudo_tasks": self.n_pseudo_tasks,
            "n_dropped": self.n_dropped,
            "n_steps": self.n_steps,
            "losses": list(self.losses),
            "seconds": self.seconds,
            "init_digest": self.init_digest,
        }


# -- loss masking ---------------------------------------------------------------------------
def encode_rendered(tokenizer: Any, rendered: Any, add_special_tokens: bool = True) -> Encoded:
    """Tokenize ``rendered.text`` and label the tokens that overlap its loss spans (by offsets)."""
    enc = tokenizer(rendered.text, return_offsets_mapping=True, add_special_tokens=add_special_tokens)
    ids = list(enc["input_ids"])
    mask = token_loss_mask(enc["offset_mapping"], rendered.loss_spans)
    return Encoded(tuple(ids), tuple(t if m else IGNORE for t, m in zip(ids, mask)))


def encode_pseudo_tasks(tokenizer: Any, formatter: Any, pseudo_tasks: Sequence[Any], loss: str, max_tokens: int) -> tuple[list[Encoded], int]:
    """Encode pseudo-tasks for training; returns (kept, number dropped as too long or loss-free)."""
    kept, dropped = [], 0
    for pt in pseudo_tasks:
        rendered = formatter.render_train(pt.examples, pt.query, loss=loss)
        enc = encode_rendered(tokenizer, rendered, getattr(formatter, "add_special_tokens", True))
        # Truncating would cut the very output we train on, so an over-long pseudo-task is dropped.
        if len(enc.input_ids) > max_tokens or enc.n_loss_tokens == 0:
            dropped += 1
        else:
            kept.append(enc)
    return kept, dropped


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels (IGNORE on padding)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        labels[i, :n] = torch.tensor(e.labels)
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


# -- adapters on disk -----------------------------------------------------------------------
def adapter_complete(path: str | Path) -> bool:
    """True when ``path`` holds a finished PEFT adapter (config and weights)."""
    path = Path(path)
    return (path / "adapter_config.json").is_file() and any((path / w).is_file() for w in ADAPTER_WEIGHTS)


def lora_config(cfg: TTTConfig) -> Any:
    """The peft ``LoraConfig`` for ``cfg``."""
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora_rank,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=cfg.modules,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _digest(state: dict) -> str:
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].detach().to("cpu").float().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def adapter_digest(model_or_path: Any) -> str:
    """A short hash of an adapter's LoRA weights, from a PeftModel or a saved adapter folder."""
    if isinstance(model_or_path, (str, Path)):
        from safetensors.torch import load_file

        return _digest(load_file(str(Path(model_or_path) / "adapter_model.safetensors")))
    from peft import get_peft_model_state_dict

    return _digest(get_peft_model_state_dict(model_or_path))


def _save_atomic(peft_model: Any, out_dir: Path) -> None:
    # Write beside the target and rename, so a crash never leaves a folder that looks finished.
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(str(tmp), save_embedding_layers=False)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)


@contextmanager
def attached_adapter(base_model: Any, adapter: Any = None, trainable: bool = False) -> Iterator[Any]:
    """The base model with a PEFT adapter attached, removed again on exit so the base stays clean.

    ``adapter`` is a saved adapter folder, a function ``base -> PeftModel``, or None (the bare base).
    """
    if adapter is None:
        yield base_model
        return
    from peft import PeftModel

    flags = {n: p.requires_grad for n, p in base_model.named_parameters()}
    if callable(adapter):
        peft_model = adapter(base_model)
    else:
        peft_model = PeftModel.from_pretrained(base_model, str(adapter), is_trainable=trainable)
    try:
        yield peft_model
    finally:
        restored = peft_model.unload()  # swaps each LoRA layer back to its original module
        if restored is not base_model:
            raise RuntimeError("peft unload returned a different model object than the base")
        for name, p in base_model.named_parameters():
            p.requires_grad_(flags.get(name, p.requires_grad))
        base_model.eval()


def make_initial_adapter(base_model: Any, cfg: TTTConfig, path: str | Path) -> Path:
    """Save the initial adapter every task starts from (seeded from ``cfg.seed``); kept if it exists."""
    import torch
    from peft import get_peft_model

    path = Path(path)
    if adapter_complete(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)

    def make(base: Any) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            return get_peft_model(base, lora_config(cfg))

    with attached_adapter(base_model, make) as peft_model:
        _save_atomic(peft_model, path)
    return path


# -- training -------------------------------------------------------------------------------
def _micro_batches(n: int, batch_size: int, epochs: int, rng: np.random.Generator) -> list[list[int]]:
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out.extend(order[i : i + batch_size].tolist() for i in range(0, n, batch_size))
    return out


def train_adapter(
    base_model: Any,
    tokenizer: Any,
    formatter: Any,
    pseudo_tasks: Sequence[Any],
    cfg: TTTConfig,
    out_dir: str | Path,
    progress: Progress | None = None,
    *,
    init_dir: str | Path | None = None,
    rng: np.random.Generator | None = None,
) -> TrainStats:
    """Train one LoRA adapter on ``pseudo_tasks`` and save it to ``out_dir`` (PEFT folder format).

    Starts from the adapter in ``init_dir`` (made by ``make_initial_adapter``; created beside
    ``out_dir`` when None) with a fresh AdamW and a cosine schedule with warm-up. A finished
    ``out_dir`` is skipped (resume). ``rng`` orders the data (default: seeded from ``cfg.seed``).
    ``progress(step, total)`` is called after each optimizer step. The base model is left unchanged.
    """
    import torch
    from transformers import get_cosine_schedule_with_warmup

    out_dir = Path(out_dir)
    if adapter_complete(out_dir):
        return TrainStats(adapter_dir=str(out_dir), skipped=True)
    start = time.perf_counter()
    init_dir = make_initial_adapter(base_model, cfg, init_dir or out_dir.parent / "_initial")
    rng = rng if rng is not None else np.random.default_rng(cfg.seed)
    data, dropped = encode_pseudo_tasks(tokenizer, formatter, pseudo_tasks, cfg.loss, cfg.max_tokens)
    if not data:
        raise ValueError(f"no trainable pseudo-tasks ({dropped} dropped as longer than {cfg.max_tokens} tokens)")

    batches = _micro_batches(len(data), cfg.batch_size, cfg.epochs, rng)
    total = math.ceil(len(batches) / cfg.grad_accum)
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
        batches = batches[: total * cfg.grad_accum]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(base_model.parameters()).device
    losses: list[float] = []

    with attached_adapter(base_model, init_dir, trainable=True) as model, torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)  # dropout masks, if any, are reproducible
        init_digest = adapter_digest(model)
        if cfg.gradient_checkpointing:
            base_model.gradient_checkpointing_enable()
            base_model.enable_input_require_grads()
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        scheduler = get_cosine_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total), total)
        model.train()
        try:
            for step in range(total):
                group = batches[step * cfg.grad_accum : (step + 1) * cfg.grad_accum]
                step_loss = 0.0
                for idx in group:
                    batch = {k: v.to(device) for k, v in collate([data[i] for i in idx], pad_id).items()}
                    loss = model(**batch).loss / len(group)
                    loss.backward()
                    step_loss += float(loss.detach())
                if cfg.max_grad_norm > 0:
                    torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(step_loss)
                if progress is not None:
                    progress(step + 1, total)
        finally:
            if cfg.gradient_checkpointing:
                base_model.gradient_checkpointing_disable()
        model.eval()
        _save_atomic(model, out_dir)
    return TrainStats(
        adapter_dir=str(out_dir),
        n_pseudo_tasks=len(data),
        n_dropped=dropped,
        n_steps=total,
        losses=tuple(losses),
        seconds=time.perf_counter() - start,
        init_digest=init_digest,
    )

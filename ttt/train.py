"""Per-task LoRA test-time training.

One base model is loaded once and reused: for each task the same saved initial adapter is loaded
onto it, trained with a fresh optimizer on the task's pseudo-tasks, saved in the standard PEFT folder
format (adapter_config.json + adapter_model.safetensors) and unloaded again, so the base stays clean.

Loss masking is by character offsets: a token carries loss iff its character span overlaps one of
the ``Rendered.loss_spans``; never by hard-coded token ids.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ttt.config import TTTConfig
from ttt.lora import adapter_complete, adapter_digest, attached_adapter, make_initial_adapter, save_atomic
from ttt.tokens import IGNORE, Encoded, collate, encode_pseudo_tasks


Progress = Callable[[int, int], None]


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


# -- training -------------------------------------------------------------------------------
def train_step(model: Any, micro_batches: Sequence[Sequence[Encoded]], pad_id: int, device: Any,
               bf16: bool = False) -> tuple[float, int]:
    """Forward and backward over one optimizer step's micro-batches; returns (loss, tokens).

    The loss is the demonstration loss (or output-only: whatever the labels mark) averaged over
    every loss token of the step, whatever the split into micro-batches: each micro-batch's mean
    is weighted by its share of the step's loss tokens. Shared by per-task TTT and initial
    fine-tuning. The caller clips, steps the optimizer and zeroes the gradients."""
    import torch

    chunks = [collate(c, pad_id) for c in micro_batches]
    counts = [int((c["labels"][:, 1:] != IGNORE).sum()) for c in chunks]  # the shifted targets
    total, loss_sum, n_tok = max(sum(counts), 1), 0.0, 0
    for chunk, count in zip(chunks, counts):
        tensors = {k: v.to(device) for k, v in chunk.items()}
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = model(**tensors).loss
        if count:
            (loss * (count / total)).backward()
            loss_sum += float(loss.detach()) * count / total
        n_tok += int(tensors["attention_mask"].sum())
    return loss_sum, n_tok


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
                step_loss, _ = train_step(model, [[data[i] for i in idx] for idx in group], pad_id, device)
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
        save_atomic(model, out_dir)
    return TrainStats(
        adapter_dir=str(out_dir),
        n_pseudo_tasks=len(data),
        n_dropped=dropped,
        n_steps=total,
        losses=tuple(losses),
        seconds=time.perf_counter() - start,
        init_digest=init_digest,
    )

"""Per-task test-time training.

One base model is loaded once and reused. LoRA (the paper): for each task the same saved initial
adapter is loaded onto it, trained with a fresh optimizer on the task's pseudo-tasks, saved in the
standard PEFT folder format (adapter_config.json + adapter_model.safetensors) and unloaded again,
so the base stays clean. Full fine-tuning (small models): every weight is tuned from the base's own
weights with a fresh optimizer, saved as a model folder (``ttt.full``), and the base is put back.

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


def schedule(n: int, cfg: TTTConfig, rng: np.random.Generator,
             lengths: Sequence[int] | None = None) -> tuple[list[list[int]], int]:
    """The micro-batches (indices into the ``n`` pseudo-tasks) and the number of optimizer steps.

    With ``cfg.steps`` the pseudo-tasks are cycled, reshuffled each pass, until that many steps;
    otherwise ``cfg.epochs`` passes. ``cfg.max_steps`` caps either, and so does ``cfg.token_budget``
    (tokens per pseudo-task in ``lengths``): the steps stop once that many tokens were trained on."""
    per_pass = math.ceil(n / cfg.batch_size)
    if cfg.steps is not None:
        epochs = math.ceil(cfg.steps * cfg.grad_accum / per_pass)
        total = cfg.steps
    else:
        epochs = cfg.epochs
        total = math.ceil(per_pass * epochs / cfg.grad_accum)
    batches = _micro_batches(n, cfg.batch_size, epochs, rng)
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    if cfg.token_budget is not None and lengths is not None:
        used = 0
        for step in range(total):
            group = batches[step * cfg.grad_accum : (step + 1) * cfg.grad_accum]
            used += sum(lengths[i] for idx in group for i in idx)
            if used >= cfg.token_budget:
                total = step + 1
                break
    return batches[: total * cfg.grad_accum], total


def saved_complete(path: str | Path, cfg: TTTConfig) -> bool:
    """True when ``path`` holds a finished adapter of ``cfg.adapter``'s kind (resume skips it)."""
    if cfg.adapter == "full":
        from ttt.full import weights_complete

        return weights_complete(path)
    return adapter_complete(path)


def _run_steps(model: Any, params: list, data: Sequence[Encoded], batches: list[list[int]], total: int,
               cfg: TTTConfig, pad_id: int, device: Any, progress: Progress | None) -> list[float]:
    import torch
    from transformers import get_cosine_schedule_with_warmup

    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total), total)
    model.train()
    losses: list[float] = []
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
    model.eval()
    return losses


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
    """Train one task's adapter on ``pseudo_tasks`` and save it to ``out_dir``.

    ``cfg.adapter`` 'lora': a PEFT adapter (PEFT folder format), starting from the adapter in
    ``init_dir`` (made by ``make_initial_adapter``; created beside ``out_dir`` when None).
    'full': every weight of the base, tuned from the base's own weights and saved as a model folder
    (config.json + model.safetensors); the base's weights are put back afterwards.
    Either way a fresh AdamW with a cosine schedule with warm-up, and a finished ``out_dir`` is
    skipped (resume). ``rng`` orders the data (default: seeded from ``cfg.seed``).
    ``progress(step, total)`` is called after each optimizer step. The base model is left unchanged.
    """
    out_dir = Path(out_dir)
    if saved_complete(out_dir, cfg):
        return TrainStats(adapter_dir=str(out_dir), skipped=True)
    start = time.perf_counter()
    rng = rng if rng is not None else np.random.default_rng(cfg.seed)
    data, dropped = encode_pseudo_tasks(tokenizer, formatter, pseudo_tasks, cfg.loss, cfg.max_tokens)
    if not data:
        raise ValueError(f"no trainable pseudo-tasks ({dropped} dropped as longer than {cfg.max_tokens} tokens)")

    batches, total = schedule(len(data), cfg, rng, [len(d.input_ids) for d in data])
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(base_model.parameters()).device
    if cfg.adapter == "full":
        losses, init_digest = _train_full(base_model, data, batches, total, cfg, pad_id, device, progress, out_dir)
    else:
        losses, init_digest = _train_lora(base_model, data, batches, total, cfg, pad_id, device, progress, out_dir,
                                          make_initial_adapter(base_model, cfg, init_dir or out_dir.parent / "_initial"))
    return TrainStats(
        adapter_dir=str(out_dir),
        n_pseudo_tasks=len(data),
        n_dropped=dropped,
        n_steps=total,
        losses=tuple(losses),
        seconds=time.perf_counter() - start,
        init_digest=init_digest,
    )


def _train_lora(base_model, data, batches, total, cfg, pad_id, device, progress, out_dir, init_dir):
    import torch

    with attached_adapter(base_model, init_dir, trainable=True) as model, torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)  # dropout masks, if any, are reproducible
        init_digest = adapter_digest(model)
        if cfg.gradient_checkpointing:
            base_model.gradient_checkpointing_enable()
            base_model.enable_input_require_grads()
        params = [p for p in model.parameters() if p.requires_grad]
        try:
            losses = _run_steps(model, params, data, batches, total, cfg, pad_id, device, progress)
        finally:
            if cfg.gradient_checkpointing:
                base_model.gradient_checkpointing_disable()
        save_atomic(model, out_dir)
    return losses, init_digest


def _train_full(base_model, data, batches, total, cfg, pad_id, device, progress, out_dir):
    import torch

    from ttt.full import restored, save_weights_atomic, weights_digest

    with restored(base_model) as model, torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        init_digest = weights_digest(model)
        for p in model.parameters():
            p.requires_grad_(True)
        if cfg.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        try:
            losses = _run_steps(model, list(model.parameters()), data, batches, total, cfg, pad_id, device, progress)
        finally:
            if cfg.gradient_checkpointing:
                model.gradient_checkpointing_disable()
        save_weights_atomic(model, out_dir)
    return losses, init_digest

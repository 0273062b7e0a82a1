"""Tokenizing rendered text for training and inference: token ids with their loss labels
(masked by character offsets of the loss spans, never by hard-coded token ids) and padding into
tensors. torch is imported only by ``collate``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ttt.format import token_loss_mask

IGNORE = -100  # label value that transformers' causal-LM loss skips


@dataclass(frozen=True)
class Encoded:
    """Token ids of one rendered pseudo-task and its labels (IGNORE where no loss)."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]

    @property
    def n_loss_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


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

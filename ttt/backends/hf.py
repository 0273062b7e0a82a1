"""transformers backend: one base model in memory, PEFT adapters attached and removed per group
of prompts, batched greedy decoding with left padding. Runs on CPU or GPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ttt.backends.base import Generation, cut_at_stop, per_prompt
from ttt.config import InferConfig


class HFBackend:
    """Greedy generation with transformers. ``base`` is a loaded model (with ``tokenizer``) or a
    local model directory, loaded once."""

    name = "hf"

    def __init__(self, base: Any, tokenizer: Any = None, cfg: InferConfig | None = None, **_: Any):
        self.cfg = cfg or InferConfig()
        if isinstance(base, (str, Path)):
            from ttt.model import load_base

            base, loaded_tok = load_base(base, self.cfg.device, self.cfg.dtype)
            tokenizer = tokenizer or loaded_tok
        if tokenizer is None:
            raise ValueError("HFBackend needs the tokenizer that goes with the model")
        self.model, self.tokenizer = base, tokenizer
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def count_tokens(self, text: str, add_special_tokens: bool = True) -> int:
        return len(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    def generate(
        self,
        prompts: Sequence[str],
        adapters: Any = None,
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        add_special_tokens: bool = True,
    ) -> list[Generation]:
        """Greedy continuations of ``prompts``; ``adapters`` is one folder/None or one per prompt."""
        from ttt.lora import attached_adapter

        adapters = per_prompt(adapters, len(prompts))
        out: list[Generation | None] = [None] * len(prompts)
        groups: dict[str | None, list[int]] = {}
        for i, a in enumerate(adapters):
            groups.setdefault(a, []).append(i)
        for adapter, idx in groups.items():
            with attached_adapter(self.model, adapter) as model:
                encoded = {i: self.tokenizer(prompts[i], add_special_tokens=add_special_tokens)["input_ids"] for i in idx}
                # Similar lengths together waste less compute on padding.
                order = sorted(idx, key=lambda i: (len(encoded[i]), i))
                for b in range(0, len(order), self.cfg.batch_size):
                    chunk = order[b : b + self.cfg.batch_size]
                    for i, g in zip(chunk, self._generate_batch(model, [encoded[i] for i in chunk], max_new_tokens, stop)):
                        out[i] = g
        return out  # type: ignore[return-value]

    def _stop_ids(self, stop: Sequence[str]) -> frozenset[int]:
        """eos and every token that contains a stop string (``#\\n`` too, not only ``#``)."""
        from ttt.format import stop_token_ids

        eos = {self.tokenizer.eos_token_id} - {None}
        return stop_token_ids(self.tokenizer, stop) | eos

    def _generate_batch(self, model: Any, batch: list[list[int]], max_new_tokens: int, stop: Sequence[str]) -> list[Generation]:
        import torch

        device = next(model.parameters()).device
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, ids in enumerate(batch):
            input_ids[r, width - len(ids) :] = torch.tensor(ids)
            mask[r, width - len(ids) :] = 1
        stop_ids = self._stop_ids(stop)
        kwargs: dict[str, Any] = {}
        if any(len(s) > 1 for s in stop):  # a longer stop string can be written across tokens
            kwargs = {"stop_strings": list(stop), "tokenizer": self.tokenizer}
        with torch.no_grad():
            seqs = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                num_beams=1,
                eos_token_id=sorted(stop_ids) or None,
                pad_token_id=self.pad_id,
                **kwargs,
            )
        results = []
        for row in seqs[:, width:].tolist():
            n, ended = len(row), False
            for j, t in enumerate(row):
                if t in stop_ids:
                    n, ended = j + 1, True
                    break
            last = self.tokenizer.decode(row[n - 1 : n], skip_special_tokens=False) if ended else ""
            # An eos such as "</s>" is not part of the format's text; a stop token such as "#\n" is.
            keep = n - 1 if ended and not any(s and s in last for s in stop) else n
            text = self.tokenizer.decode(row[:keep], skip_special_tokens=False, clean_up_tokenization_spaces=False)
            text, found = cut_at_stop(text, stop)
            results.append(Generation(text, ended or found, n))
        return results

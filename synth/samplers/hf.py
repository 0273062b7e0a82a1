"""Hugging Face transformers sampler: a local causal LM folder, on CPU or GPU."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from synth.prompt import messages_to_text

if TYPE_CHECKING:
    from synth.config import SynthConfig

log = logging.getLogger(__name__)


class HFSampler:
    """Samples completions from a causal LM with ``model.generate``.

    The prompt goes through the tokenizer's chat template when it has one, else through
    ``messages_to_text``. Sampling is reproducible: a seed fixes torch's RNG for the call (inside
    ``torch.random.fork_rng``, so the caller's RNG state is left untouched) and the same
    (seed, n, batch_size) give the same completions on the same device.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        temperature: float = 0.8,
        top_p: float = 1.0,
        max_new_tokens: int = 1536,
        batch_size: int = 8,
    ) -> None:
        if temperature < 0 or not 0 < top_p <= 1 or max_new_tokens < 1 or batch_size < 1:
            raise ValueError("need temperature >= 0, 0 < top_p <= 1, max_new_tokens >= 1, batch_size >= 1")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size

    @classmethod
    def load(cls, model_dir: str | Path, *, device: str | None = None, dtype: str = "auto", **params: Any) -> "HFSampler":
        """Load a model folder (weights + tokenizer) from disk only; never downloads. ``dtype`` as
        in ``arc.engines.resolve_dtype_name`` ('auto': bf16 on a GPU that has it, fp32 on CPU)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from arc.engines import resolve_dtype_name

        path = Path(model_dir)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a Hugging Face model folder (no config.json)")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = getattr(torch, resolve_dtype_name(dtype, "cuda" if device.startswith("cuda") else "cpu"))
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True).to(device)
        return cls(model, tokenizer, **params)

    @classmethod
    def from_config(cls, config: "SynthConfig") -> "HFSampler":
        return cls.load(
            config.model,
            temperature=config.temperature,
            top_p=config.top_p,
            max_new_tokens=config.max_new_tokens,
            batch_size=config.batch_size,
            dtype=config.dtype,
        )

    def render(self, messages: Sequence[dict[str, str]]) -> str:
        """The exact text the model is conditioned on."""
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        return messages_to_text(messages)

    def sample(self, messages: Sequence[dict[str, str]], n: int, *, seed: int) -> list[str]:
        """``n`` completions of the prompt (new text only, special tokens removed)."""
        import torch

        if n < 1:
            return []
        templated = bool(getattr(self.tokenizer, "chat_template", None))
        # A rendered chat template already carries its BOS token; plain text gets the tokenizer's own.
        enc = self.tokenizer(self.render(messages), return_tensors="pt", add_special_tokens=not templated)
        device = self.model.device
        input_ids = enc["input_ids"].to(device)
        attention_mask = enc["attention_mask"].to(device)
        kwargs = self._generation_kwargs()
        greedy = self.temperature == 0
        texts: list[str] = []
        forked = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=forked), torch.inference_mode():
            torch.manual_seed(seed)
            # Greedy decoding gives one answer however many are asked for: decode once, repeat it.
            todo = 1 if greedy else n
            for start in range(0, todo, self.batch_size):
                k = min(self.batch_size, todo - start)
                out = self.model.generate(
                    input_ids=input_ids, attention_mask=attention_mask, num_return_sequences=k, **kwargs
                )
                new_tokens = out[:, input_ids.shape[1]:]
                texts.extend(self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
        log.debug("hf sampler: %d completions of a %d-token prompt", len(texts), input_ids.shape[1])
        return texts * n if greedy else texts

    def _generation_kwargs(self) -> dict[str, Any]:
        tok = self.tokenizer
        eos = tok.eos_token_id
        pad = tok.pad_token_id if tok.pad_token_id is not None else eos
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "pad_token_id": pad, "eos_token_id": eos}
        if self.temperature == 0:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            # top_k=0 turns off the checkpoint's default top-k (often 50) so sampling matches vLLM's.
            kwargs.update(do_sample=True, temperature=self.temperature, top_p=self.top_p, top_k=0)
        return kwargs

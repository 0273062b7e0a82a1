"""What every backend returns, and the one rule for where a generation ends."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

@dataclass(frozen=True)
class Generation:
    """Generated text after the prompt. ``stopped`` is True when generation ended on a stop string
    or eos (not on the token budget), so a missing end marker is not a cut-off grid."""

    text: str
    stopped: bool
    n_tokens: int = 0
    logprob: float | None = None  # the generation's summed token log-probability, where the backend gives it
    greedy: bool = True  # the greedy path (depth-first exploration marks the other completions False)

def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to and including the earliest stop string, and whether one was found."""
    best = None
    for s in stops:
        if s:
            at = text.find(s)
            if at >= 0 and (best is None or at + len(s) < best):
                best = at + len(s)
    return (text, False) if best is None else (text[:best], True)

def per_prompt(adapters: Any, n: int) -> list[str | None]:
    """One adapter (folder path as a string, or None) per prompt."""
    if adapters is None or isinstance(adapters, (str, Path)):
        return [None if adapters is None else str(adapters)] * n
    adapters = [None if a is None else str(a) for a in adapters]
    if len(adapters) != n:
        raise ValueError(f"{len(adapters)} adapters for {n} prompts")
    return adapters

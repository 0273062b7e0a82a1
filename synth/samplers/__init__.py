"""Samplers: anything that turns chat messages into ``n`` completions.

One interface (``Sampler``), one registry (``SAMPLERS``). Each registered class has a
``from_config(config: SynthConfig)`` constructor; heavy libraries (torch, transformers, vllm)
are imported only when a sampler is constructed, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from synth.samplers.errors import SamplerError, SamplerUnavailable
from synth.samplers.hf import HFSampler
from synth.samplers.openai_api import OpenAISampler
from synth.samplers.vllm_engine import VLLMSampler

if TYPE_CHECKING:
    from synth.config import SynthConfig

Messages = Sequence[dict[str, str]]


class Sampler(Protocol):
    """Turns one chat prompt into ``n`` completions (strings), reproducibly for a given seed."""

    def sample(self, messages: Messages, n: int, *, seed: int) -> list[str]: ...


# Plain dict registry; the "search" proposer (no LLM) is registered by its own module.
SAMPLERS: dict[str, type] = {"hf": HFSampler, "vllm": VLLMSampler, "openai": OpenAISampler}


def make_sampler(config: "SynthConfig") -> Sampler:
    """Construct the sampler that ``config.sampler`` names."""
    try:
        cls = SAMPLERS[config.sampler]
    except KeyError:
        raise ValueError(
            f"no sampler registered under {config.sampler!r} (known: {', '.join(sorted(SAMPLERS))})"
        ) from None
    return cls.from_config(config)


__all__ = [
    "HFSampler",
    "Messages",
    "OpenAISampler",
    "SAMPLERS",
    "Sampler",
    "SamplerError",
    "SamplerUnavailable",
    "VLLMSampler",
    "make_sampler",
]

"""VLLMSampler: without vllm installed, constructing it says so clearly (vLLM itself needs a GPU)."""

import importlib.util

import pytest

from synth.config import SynthConfig
from synth.samplers import SAMPLERS, SamplerUnavailable, VLLMSampler, make_sampler


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_constructing_without_vllm_is_a_clear_error():
    assert SAMPLERS["vllm"] is VLLMSampler
    with pytest.raises(SamplerUnavailable, match="needs the vllm package") as info:
        VLLMSampler("some/model")
    assert isinstance(info.value, ImportError)
    with pytest.raises(SamplerUnavailable, match="'hf' or 'openai'"):
        make_sampler(SynthConfig(sampler="vllm", model="some/model"))

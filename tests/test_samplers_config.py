"""SynthConfig: defaults, help, impossible combinations, dict round trip; the sampler registry."""

import json

import pytest

from synth.config import SAMPLER_NAMES, SynthConfig
from synth.samplers import make_sampler


def test_defaults_are_the_papers():
    c = SynthConfig()
    assert (c.temperature, c.max_new_tokens, c.timeout_s, c.memory_mb, c.seed) == (0.8, 1536, 2.0, 512, 0)
    assert c.include_api_section is False and c.sampler in SAMPLER_NAMES


def test_every_field_has_one_line_help():
    help_ = SynthConfig.help()
    assert set(help_) == set(SynthConfig().to_json())
    assert all(text and "\n" not in text for text in help_.values())


def test_round_trip_through_json():
    c = SynthConfig(sampler="openai", base_url="http://127.0.0.1:8000", model="m", samples=3, temperature=0.0)
    assert SynthConfig.from_json(json.loads(json.dumps(c.to_json()))) == c
    with pytest.raises(ValueError, match=r"SynthConfig: unknown field\(s\) sampels"):
        SynthConfig.from_json({"sampels": 3})


def test_frozen():
    with pytest.raises(AttributeError):
        SynthConfig().samples = 3


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"samples": 0}, "samples must be >= 1"),
        ({"temperature": -0.1}, "temperature must be >= 0"),
        ({"top_p": 0.0}, "top_p must be in (0, 1]"),
        ({"top_p": 1.5}, "top_p must be in (0, 1]"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"batch_size": 0}, "batch_size"),
        ({"concurrency": 0}, "concurrency"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout_s": 0}, "timeout_s must be > 0"),
        ({"request_timeout_s": -1}, "request_timeout_s"),
        ({"memory_mb": 1}, "memory_mb"),
        ({"sampler": "gpt"}, "sampler must be one of"),
        ({"sampler": "openai", "model": "m"}, "needs base_url"),
        ({"sampler": "openai", "base_url": "127.0.0.1:8000", "model": "m"}, "http://"),
        ({"sampler": "openai", "base_url": "http://h"}, "needs model"),
        ({"sampler": "hf"}, "needs model"),
        ({"sampler": "vllm"}, "needs model"),
    ],
)
def test_impossible_combinations_rejected(kwargs, fragment):
    with pytest.raises(ValueError, match="invalid SynthConfig") as info:
        SynthConfig(**kwargs)
    assert fragment in str(info.value)


def test_all_problems_reported_at_once():
    with pytest.raises(ValueError) as info:
        SynthConfig(samples=0, temperature=-1)
    assert "samples" in str(info.value) and "temperature" in str(info.value)


def test_unregistered_sampler_name(monkeypatch):
    # "search" is a valid config value whose proposer registers itself from another module.
    from synth.samplers import SAMPLERS

    monkeypatch.delitem(SAMPLERS, "search", raising=False)
    with pytest.raises(ValueError, match="no sampler registered under 'search'"):
        make_sampler(SynthConfig(sampler="search"))

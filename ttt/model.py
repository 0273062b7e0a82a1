"""Base models: a tiny randomly initialised Llama built in-process (tests, benchmarks, the project's
own small model before training) and loading any local Hugging Face causal LM directory.

Nothing here downloads: ``load_base`` passes ``local_files_only=True``. torch and transformers are
imported inside the functions so that importing ``ttt`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def resolve_device(device: str = "auto") -> str:
    """'cuda' when asked for or available under 'auto', else 'cpu'. Asking for CUDA without one is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but torch sees no CUDA GPU")
    return device


def resolve_dtype(dtype: str, device: str) -> Any:
    """The torch dtype for ``dtype`` on ``device``: 'auto' is bf16 on GPUs that support it, else fp32."""
    import torch

    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def tiny_llama(
    tokenizer: Any,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    intermediate: int | None = None,
    max_positions: int = 8192,
    seed: int = 0,
) -> Any:
    """A small randomly initialised ``LlamaForCausalLM`` for ``tokenizer``'s vocabulary.

    The same arguments and seed give the same weights, and the global torch RNG is left untouched.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if hidden % heads:
        raise ValueError(f"hidden ({hidden}) must be divisible by heads ({heads})")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=intermediate or 4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.eval()


def load_base(path: str | Path, device: str = "auto", dtype: str = "auto", load_in_4bit: bool = False) -> tuple[Any, Any]:
    """Load a local causal LM directory and its tokenizer (never downloads). Returns (model, tokenizer).

    bf16 on GPUs that support it, fp32 on CPU. ``load_in_4bit`` (QLoRA ablation) needs CUDA and
    bitsandbytes and is rejected with a clear message otherwise.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path} is not a model directory (no config.json); models are never downloaded")
    device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, device)
    kwargs: dict[str, Any] = {"local_files_only": True, "dtype": torch_dtype}
    if load_in_4bit:
        if not device.startswith("cuda"):
            raise RuntimeError("load_in_4bit (QLoRA) needs a CUDA GPU; this run has none")
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise RuntimeError("load_in_4bit (QLoRA) needs the bitsandbytes package: pip install bitsandbytes") from None
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch_dtype
        )
        kwargs["device_map"] = {"": 0}
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if not load_in_4bit:
        model = model.to(device)
    if tokenizer.pad_token_id is None:
        # Many base checkpoints ship without a pad token; padding positions are masked anyway.
        tokenizer.pad_token = tokenizer.eos_token
    return model.eval(), tokenizer


def save_base(model: Any, tokenizer: Any, path: str | Path) -> Path:
    """Save a model and its tokenizer as a standard HF directory (loadable by ``load_base`` and vLLM)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def count_parameters(model: Any, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def config_parameter_count(path: str | Path) -> int:
    """Parameters of the causal LM in the local directory ``path``, from its config.json alone: the
    model is built on the meta device, so no weights are read or allocated."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(Path(path), local_files_only=True)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())

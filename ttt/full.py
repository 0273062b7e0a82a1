"""Full fine-tuning adapters: per task, every weight of a small base model is tuned and the tuned
weights are saved as a standard Hugging Face model folder (config.json + model.safetensors), so
any transformers- or safetensors-based tool can load one task's model.

The base model in memory is tuned in place and put back afterwards: ``base_snapshot`` copies its
weights once (a 4.8M-parameter model is 18 MiB), ``restored`` puts them back on exit, and
``attached_weights`` loads a saved folder onto the base for inference and restores the base after.
torch and safetensors are imported inside the functions.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

WEIGHTS = "model.safetensors"


def weights_complete(path: str | Path) -> bool:
    """True when ``path`` holds a finished full-weights folder (config and safetensors weights)."""
    path = Path(path)
    return (path / "config.json").is_file() and (path / WEIGHTS).is_file()


def base_snapshot(model: Any) -> dict[str, Any]:
    """A copy of every parameter and buffer of ``model``, to put back with ``restore``."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def restore(model: Any, snapshot: dict[str, Any]) -> None:
    """Put ``snapshot`` (from ``base_snapshot``) back into ``model``, in place."""
    import torch

    with torch.no_grad():
        for k, v in model.state_dict().items():
            v.copy_(snapshot[k])


@contextmanager
def restored(model: Any) -> Iterator[Any]:
    """``model`` itself; on exit its weights, ``requires_grad`` flags and eval mode are put back."""
    snapshot = base_snapshot(model)
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    try:
        yield model
    finally:
        restore(model, snapshot)
        for name, p in model.named_parameters():
            p.requires_grad_(flags[name])
        model.zero_grad(set_to_none=True)
        model.eval()


def save_weights_atomic(model: Any, out_dir: Path) -> None:
    """Save ``model`` as an HF folder at ``out_dir``; written beside it and renamed, so a crash
    never leaves a folder that looks finished."""
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)


def load_weights(model: Any, path: str | Path) -> None:
    """Load the saved folder ``path`` into ``model`` in place; every tensor must match."""
    import torch
    from safetensors.torch import load_file

    saved = load_file(str(Path(path) / WEIGHTS))
    state = model.state_dict()
    missing = [k for k in state if k not in saved and not _tied_or_buffer(model, k)]
    if missing:
        raise ValueError(f"{path}: the saved weights lack {len(missing)} tensors of the model, e.g. {missing[0]}")
    with torch.no_grad():
        for k, v in saved.items():
            if k not in state:
                raise ValueError(f"{path}: tensor {k} is not the model's")
            state[k].copy_(v.to(state[k].dtype))


def _tied_or_buffer(model: Any, key: str) -> bool:
    # save_pretrained leaves out tied weights and non-persistent buffers (e.g. rotary inv_freq)
    names = {n for n, _ in model.named_parameters()}
    return key not in names or bool(getattr(model, "_tied_weights_keys", None) and key in model._tied_weights_keys)


@contextmanager
def attached_weights(base_model: Any, path: str | Path) -> Iterator[Any]:
    """The base model with the tuned weights in ``path`` loaded; the base weights come back on exit."""
    with restored(base_model) as model:
        load_weights(model, path)
        model.eval()
        yield model


def weights_digest(model: Any) -> str:
    """A short hash of every parameter of ``model`` (which base a full adapter started from)."""
    import hashlib

    h = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(p.detach().to("cpu").float().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]

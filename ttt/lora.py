"""LoRA adapters on disk and on the base model: the peft config, the initial adapter every task
starts from, attaching one to the base and removing it again, digests and atomic saves (standard
PEFT folder format). peft, torch and safetensors are imported inside the functions."""

from __future__ import annotations

import hashlib
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ttt.config import TTTConfig

ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def adapter_complete(path: str | Path) -> bool:
    """True when ``path`` holds a finished PEFT adapter (config and weights)."""
    path = Path(path)
    return (path / "adapter_config.json").is_file() and any((path / w).is_file() for w in ADAPTER_WEIGHTS)


def lora_config(cfg: TTTConfig) -> Any:
    """The peft ``LoraConfig`` for ``cfg``."""
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora_rank,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=cfg.modules,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _digest(state: dict) -> str:
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].detach().to("cpu").float().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def adapter_digest(model_or_path: Any) -> str:
    """A short hash of an adapter's LoRA weights, from a PeftModel or a saved adapter folder."""
    if isinstance(model_or_path, (str, Path)):
        from safetensors.torch import load_file

        return _digest(load_file(str(Path(model_or_path) / "adapter_model.safetensors")))
    from peft import get_peft_model_state_dict

    return _digest(get_peft_model_state_dict(model_or_path))


def save_atomic(peft_model: Any, out_dir: Path) -> None:
    # Write beside the target and rename, so a crash never leaves a folder that looks finished.
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(str(tmp), save_embedding_layers=False)
    _sort_target_modules(tmp / "adapter_config.json")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)


def _sort_target_modules(path: Path) -> None:
    """peft keeps ``target_modules`` as a set and writes it in Python's per-process hash order:
    sort it, so one task's adapter folder is the same bytes in every process."""
    import json

    config = json.loads(path.read_text())
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
        path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


@contextmanager
def attached_adapter(base_model: Any, adapter: Any = None, trainable: bool = False) -> Iterator[Any]:
    """The base model with a PEFT adapter attached, removed again on exit so the base stays clean.

    ``adapter`` is a saved adapter folder, a function ``base -> PeftModel``, or None (the bare base).
    A folder of full tuned weights (``ttt.full``, ``--adapter full``) is loaded onto the base instead
    and the base weights are put back on exit.
    """
    if adapter is None:
        yield base_model
        return
    if not callable(adapter) and not adapter_complete(adapter):
        from ttt.full import attached_weights, weights_complete

        if weights_complete(adapter):
            with attached_weights(base_model, adapter) as model:
                yield model
            return
    from peft import PeftModel

    flags = {n: p.requires_grad for n, p in base_model.named_parameters()}
    if callable(adapter):
        peft_model = adapter(base_model)
    else:
        peft_model = PeftModel.from_pretrained(base_model, str(adapter), is_trainable=trainable)
    try:
        yield peft_model
    finally:
        restored = peft_model.unload()  # swaps each LoRA layer back to its original module
        if restored is not base_model:
            raise RuntimeError("peft unload returned a different model object than the base")
        for name, p in base_model.named_parameters():
            p.requires_grad_(flags.get(name, p.requires_grad))
        base_model.eval()


def make_initial_adapter(base_model: Any, cfg: TTTConfig, path: str | Path) -> Path:
    """Save the initial adapter every task starts from (seeded from ``cfg.seed``); kept if it exists."""
    import torch
    from peft import get_peft_model

    path = Path(path)
    if adapter_complete(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)

    def make(base: Any) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            return get_peft_model(base, lora_config(cfg))

    with attached_adapter(base_model, make) as peft_model:
        save_atomic(peft_model, path)
    return path

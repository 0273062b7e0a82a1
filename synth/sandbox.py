"""The sandbox as the synthesizer uses it: the ``sandbox`` package with ``dsl.common`` preloaded, importable
by programs as ``common`` (BARC's programs start with ``from common import *``). Everything else, and what
is and is not protected, is in ``sandbox`` itself."""

from __future__ import annotations

from typing import Any, Sequence

import sandbox as _sandbox
from sandbox import STATUSES, ExecResult, ProgramRun, SandboxError  # noqa: F401

PRELOAD = (("common", "dsl.common"),)


class Sandbox(_sandbox.Sandbox):
    """A pool of confined workers whose programs can ``import common``."""

    def __init__(self, workers: int = 1, **kwargs):
        kwargs.setdefault("preload", PRELOAD)
        super().__init__(workers, **kwargs)


def default_sandbox() -> _sandbox.Sandbox:
    return _sandbox.default_sandbox(PRELOAD)


def run_program(source: str, inputs: Sequence[Any], *, timeout_s: float = 2.0, memory_mb: int = 512,
                seed: int = 0) -> list[ExecResult]:
    """Run program ``source`` (defining ``transform(input_grid)``) on every input; one result per input."""
    return _sandbox.run_program(source, inputs, timeout_s=timeout_s, memory_mb=memory_mb, seed=seed, preload=PRELOAD)


def sandbox_capabilities() -> dict:
    """Which protections are active on this machine (starts the default sandbox if needed)."""
    return _sandbox.sandbox_capabilities(PRELOAD)

"""Per-task randomness: one derivation from (global seed, task id), the same in every process and
whatever order tasks run in (crc32 of the id, never Python's salted ``hash``)."""

from __future__ import annotations

import zlib

import numpy as np


def task_rng(seed: int, task_id: str) -> np.random.Generator:
    """The generator for one task."""
    return np.random.default_rng([int(seed), zlib.crc32(task_id.encode("utf-8"))])


def task_seed(seed: int, task_id: str) -> int:
    """An integer seed for one task (for samplers that take an int), drawn from ``task_rng``."""
    return int(task_rng(seed, task_id).integers(2**31))

"""``RunConfig``: everything one run needs, built by the CLI from its flags and saved as the run
directory's ``config.json`` (``--resume`` reads it back with ``RunConfig.from_json``).

It nests the stages' own configs: ``TTTConfig`` and ``InferConfig`` (modes ensemble and ttt) and
``SynthConfig`` (modes ensemble and synth); a section a mode does not run is None. Presets are
overrides of these fields (``RunConfig.override``), never of flag names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from arc.config import ConfigMixin, check, option
from ensemble.combine import POLICIES
from synth.config import SynthConfig
from ttt.config import InferConfig, TTTConfig

Mode = Literal["ensemble", "ttt", "synth"]
MODES: tuple[str, ...] = ("ensemble", "ttt", "synth")
# The parts of a run each mode uses: its config sections, and "ensemble" for the arbitration.
MODE_PARTS: dict[str, tuple[str, ...]] = {"ensemble": ("ttt", "infer", "synth", "ensemble"), "ttt": ("ttt", "infer"),
                                          "synth": ("synth",)}
# Top-level fields that only one part reads (the others are read by every mode).
FIELD_PARTS: dict[str, str] = {"model": "ttt", "policy": "ensemble", "eager": "ensemble"}

# Field overrides a preset applies where no flag was given. "paper" keeps every paper default;
# "quick" makes a CPU run of the bundled model take seconds per task instead of an hour; "small"
# is the TTT recipe measured for the bundled 4.8M-parameter model (experiments/ttt_sweep.py): full
# fine-tuning for a fixed number of steps, about a minute a task on a 2-core CPU. The CLI's
# "auto" (its default) resolves to one of these by the model's size: see ``auto_preset``.
AUTO = "auto"
LARGE_MODEL_PARAMS = 1_000_000_000
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    "quick": {
        "ttt": {"data": {"max_tasks": 24}, "max_tokens": 2048, "epochs": 1, "lora_rank": 16, "learning_rate": 1e-3},
        "infer": {"n_orders": 1, "max_tokens": 3072, "symmetries": ("identity", "transpose", "flip_lr", "flip_ud")},
    },
    "small": {
        "ttt": {"adapter": "full", "learning_rate": 3e-4, "steps": 72, "token_budget": 60_000, "batch_size": 2,
                "max_tokens": 2048, "data": {"max_tasks": 48}},
        # all 8 symmetries, one demonstration order: 8 views turned a held-out task right that 4 did not;
        # a second order added nothing there and doubles the cost of inference
        "infer": {"n_orders": 1, "max_tokens": 3072, "symmetries": ("identity", "transpose", "flip_lr", "flip_ud", "rot90",
                                                                   "rot180", "rot270", "anti_transpose")},
    },
}


def auto_preset(n_params: int | None, backend: str = "hf") -> str:
    """The preset ``--preset auto`` picks: the paper's for models of ``LARGE_MODEL_PARAMS`` (1B) and
    more, and the paper's when there is no TTT model; below 1B the measured small-model recipe,
    or 'quick' with the vllm backend, which serves LoRA adapters only."""
    if n_params is None or n_params >= LARGE_MODEL_PARAMS:
        return "paper"
    return "small" if backend == "hf" else "quick"


@dataclass(frozen=True)
class RunConfig(ConfigMixin):
    """One run: what to solve, with which solvers and settings."""

    mode: str = option("ensemble", "solve with the ensemble, TTT alone or the synthesizer alone")
    dataset: str = option("arc1-eval", "bundled name (arc.data.BUNDLED, arc.data.SUBSETS) or a path to task JSON")
    task_ids: tuple[str, ...] = option((), "the run's tasks, in order")
    policy: str = option("paper", "ensemble arbitration rule")
    eager: bool = option(False, "run TTT on every test input, even where its answer cannot change the submission "
                                "under the policy (the order before issue 27, for ablations); by default the "
                                "synthesizer answers first and TTT runs only where it can still matter")
    seed: int = option(0, "global seed")
    task_timeout_s: float | None = option(None, "seconds per task before it is recorded as a timeout")
    time_budget_s: float | None = option(None, "wall-clock seconds for the whole run (the Kaggle mode, "
                                               "ensemble.budget): the synthesizer on every task first, then TTT "
                                               "where it can still change the answer, largest expected gain per "
                                               "second first; a resumed run counts it again from its own start")
    preset: str = option("paper", "'paper': the paper's TTT and search settings; 'quick': small ones for a CPU; "
                                  "'small': the measured recipe for small models (full fine-tuning); 'auto' "
                                  "(the CLI's default) resolves to 'paper' for models of 1B parameters and more, "
                                  "'small' below")
    model: str | None = option(None, "TTT: local Hugging Face causal LM directory")
    ttt: TTTConfig | None = option(None, "TTT: per-task LoRA training (modes ensemble and ttt)")
    infer: InferConfig | None = option(None, "TTT: augmented inference (modes ensemble and ttt)")
    synth: SynthConfig | None = option(None, "the program synthesizer (modes ensemble and synth)")
    created: str = option("", "when the run was started")

    def __post_init__(self) -> None:
        object.__setattr__(self, "task_ids", tuple(self.task_ids))
        check(self.mode in MODES, "mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")
        check(isinstance(self.dataset, str), "dataset", "must be a string")
        check(all(isinstance(t, str) for t in self.task_ids), "task_ids", "must be a list of strings")
        check(self.policy in POLICIES, "policy", f"must be one of {', '.join(POLICIES)}, got {self.policy!r}")
        check(self.preset in PRESETS, "preset", f"must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        check(self.task_timeout_s is None or self.task_timeout_s > 0, "task_timeout_s", f"must be None or > 0, got {self.task_timeout_s}")
        check(self.time_budget_s is None or self.time_budget_s > 0, "time_budget_s", f"must be None or > 0, got {self.time_budget_s}")
        parts = MODE_PARTS.get(self.mode, ())
        runs_ttt, runs_synth = "ttt" in parts, "synth" in parts
        for name, needed in (("ttt", runs_ttt), ("infer", runs_ttt), ("synth", runs_synth)):
            check((getattr(self, name) is not None) == needed, name,
                  f"must be {'given' if needed else 'None'} in mode {self.mode}")
        check(bool(self.model) == runs_ttt, "model", f"must be {'a model directory' if runs_ttt else 'None'} in mode {self.mode}")

    @property
    def solver_policy(self) -> str:
        """The policy the ensemble applies: ttt and synth modes take their solver's answer alone."""
        return {"ttt": "ttt-only", "synth": "synth-only"}.get(self.mode, self.policy)

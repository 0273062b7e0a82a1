"""Building a run from the command line's options: the resolved configuration (saved in the run
directory, so ``--resume`` rebuilds exactly the same run) and the per-task solve function with
the TTT solver and the synthesizer wired in. Heavy parts (torch, models, the sandbox) are
created only when a mode needs them."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from arc.data import load_dataset
from arc.errors import RunFileError, TaskFormatError
from arc.storage import storage_failure
from arc.task import Task
from ensemble.pipeline import SynthPart, TaskSolver, TaskTimeout, TTTPart, make_task_solver
from ensemble.run import RunDir


def bundled_model_dir() -> Path:
    """The project's own small model, shipped inside the ``ttt`` package."""
    import ttt

    return Path(ttt.__file__).resolve().parent / "default_model"


def _detect_format(model_dir: str) -> str:
    # The project's compact tokenizer has 17 tokens; any real LM tokenizer has thousands.
    try:
        vocab = json.loads((Path(model_dir) / "tokenizer.json").read_text())["model"]["vocab"]
        return "compact" if len(vocab) <= 32 else "plain"
    except (OSError, KeyError, ValueError, TypeError):
        return "plain"


# Settings a preset fills in when the flag was not given. "paper" keeps every paper default;
# "quick" makes a CPU run of the bundled model take seconds per task instead of an hour.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    "quick": {"ttt_max_tasks": 24, "ttt_max_tokens": 2048, "ttt_epochs": 1, "lora_rank": 16, "lr": 1e-3, "n_orders": 1,
              "infer_max_tokens": 3072, "views": "identity,transpose,flip_lr,flip_ud", "search_budget": 10.0},
}


def _given(opts: Mapping[str, Any], **fields: str) -> dict[str, Any]:
    """Config field -> value of its option, for the options given (absent or None: the default)."""
    return {name: opts[flag] for name, flag in fields.items() if opts.get(flag) is not None}


def resolve_config(opts: Mapping[str, Any], task_ids: list[str]) -> dict:
    """Everything a run needs, JSON-ready. Unknown combinations fail here, before any work."""
    from synth.config import SynthConfig

    preset = opts.get("preset") or "paper"
    opts = {**opts, **{k: v for k, v in PRESETS[preset].items() if opts.get(k) is None}}
    mode = opts["mode"]
    config: dict[str, Any] = {
        "mode": mode, "dataset": str(opts["dataset"]), "task_ids": task_ids, "policy": opts["policy"],
        "seed": opts["seed"], "task_timeout_s": opts["task_timeout"], "preset": preset, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if mode in ("ensemble", "ttt"):
        from ttt.config import InferConfig, TTTConfig
        from ttt.data import TTTDataConfig

        model = opts["model"] or str(bundled_model_dir())
        if not (Path(model) / "config.json").is_file():
            hint = "" if opts["model"] else " (the bundled model is missing: pass --model or see issue 6)"
            raise TaskFormatError(f"{model}: not a model directory{hint}")
        fmt = _detect_format(model) if opts["ttt_format"] == "auto" else opts["ttt_format"]
        data = TTTDataConfig(**({"max_tasks": opts["ttt_max_tasks"]} if opts["ttt_max_tasks"] else {}))
        overrides = {k: v for k, v in {
            "epochs": opts["ttt_epochs"], "max_steps": opts["ttt_steps"], "lora_rank": opts["lora_rank"],
            "learning_rate": opts["lr"], "max_tokens": opts.get("ttt_max_tokens")}.items() if v is not None}
        ttt_cfg = TTTConfig(format=fmt, adapter_mode=opts["adapter_mode"], seed=opts["seed"], data=data, **overrides)
        infer_over = {k: v for k, v in {"n_orders": opts["n_orders"], "max_new_tokens": opts.get("max_new_tokens"),
                                        "max_tokens": opts.get("infer_max_tokens"),
                                        "trim_demonstrations": opts.get("trim_demonstrations")}.items() if v is not None}
        if opts["views"]:
            infer_over["symmetries"] = tuple(v.strip() for v in opts["views"].split(","))
        infer_over.update(_given(opts, dtype="dtype", gpu_memory_utilization="gpu_memory_utilization",
                                 max_loras="max_loras", max_num_batched_tokens="max_num_batched_tokens"))
        infer = InferConfig(backend=opts["backend"], device=opts["device"], seed=opts["seed"], **infer_over)
        config.update(model=str(Path(model).resolve()), ttt=ttt_cfg.to_json(), infer=infer.to_json())
    if mode in ("ensemble", "synth"):
        over = {k: v for k, v in {"samples": opts["samples"], "temperature": opts["temperature"],
                                  "search_budget_s": opts["search_budget"]}.items() if v is not None}
        over.update(_given(opts, dtype="dtype", gpu_memory_utilization="gpu_memory_utilization",
                           max_num_batched_tokens="max_num_batched_tokens", max_model_len="synth_max_model_len"))
        synth = SynthConfig(sampler=opts["sampler"], model=opts["synth_model"], base_url=opts["base_url"],
                            api_key_env=opts["api_key_env"], seed=opts["seed"], **over)
        config["synth"] = synth.to_dict()
    return config


def select_tasks(dataset: str, task_ids: str | list[str] | None, limit: int | None) -> dict[str, Task]:
    tasks = load_dataset(dataset)
    if task_ids:
        wanted = [t.strip() for t in task_ids.split(",")] if isinstance(task_ids, str) else list(task_ids)
        missing = [t for t in wanted if t not in tasks]
        if missing:
            raise TaskFormatError(f"{dataset}: no task {', '.join(missing)}")
        tasks = {t: tasks[t] for t in wanted}
    if limit:
        tasks = dict(list(tasks.items())[:limit])
    return tasks


def open_run(opts: Mapping[str, Any]) -> tuple[RunDir, dict, dict[str, Task]]:
    """A new run directory from the options, or the stopped run named by ``--resume``.

    The run comes back locked (``RunDir.lock``): the caller is its only writer until it calls
    ``run.unlock()``. Raises RunLockedError when another process is writing it."""
    if opts.get("resume"):
        run = RunDir(opts["resume"])
        run.lock()
        try:
            config = run.config()
            return run, config, select_tasks(config["dataset"], config["task_ids"], None)
        except BaseException:
            run.unlock()
            raise
    tasks = select_tasks(opts["dataset"], opts["task_ids"], opts["limit"])
    config = resolve_config(opts, list(tasks))
    out = opts["out"] or f"runs/{opts['mode']}-{time.strftime('%Y%m%d-%H%M%S')}"
    run = RunDir(out)
    run.lock()  # before create: two runs started on one --out must not both write it
    try:
        run.create(config)
    except BaseException:
        run.unlock()
        raise
    return run, config, tasks


def ttt_configs(config: Mapping[str, Any]):
    from ttt.config import InferConfig, TTTConfig
    from ttt.data import TTTDataConfig

    t = dict(config["ttt"])
    t["data"] = TTTDataConfig(**t["data"])
    t["target_modules"] = tuple(t["target_modules"])
    i = dict(config["infer"])
    i["symmetries"] = tuple(i["symmetries"])
    return TTTConfig(**t), InferConfig(**i)


class _HFTTT:
    """TTT with the hf backend: the base model is loaded once in ``prepare``; each task trains and
    predicts at its turn. A model that fails to load fails every task with that one error."""

    batched = False

    def __init__(self, config: Mapping[str, Any], cfg: Any, infer: Any, ttt_dir: Path):
        self.config, self.cfg, self.infer, self.ttt_dir = config, cfg, infer, ttt_dir
        self.model = self.tok = self.error = None

    def prepare(self, tasks: Sequence[Task] = (), limit: Any = None) -> dict[str, Any]:
        if self.model is not None or self.error is not None:
            return {}
        from ttt.model import load_base

        t0 = time.perf_counter()
        try:
            self.model, self.tok = load_base(self.config["model"], self.infer.device, self.infer.dtype, self.cfg.load_in_4bit)
        except Exception as e:  # noqa: BLE001 - recorded once, reported by every task
            failure = storage_failure(e)
            if failure is not None:
                raise failure from None
            self.error = f"{type(e).__name__}: {e}"
            return {"ttt_model_error": self.error}
        return {"ttt_model_load_s": round(time.perf_counter() - t0, 3)}

    def __call__(self, task: Task) -> TTTPart:
        from ttt.solve import solve_ttt

        self.prepare()
        if self.error is not None:
            raise RuntimeError(f"the TTT model failed to load: {self.error}")
        results = solve_ttt([task], self.model, self.cfg, self.infer, self.ttt_dir, tokenizer=self.tok)
        return _ttt_part(results[task.id])

    def close(self) -> None:
        self.model = self.tok = None


class _BatchedTTT:
    """TTT with the vllm backend: ``prepare`` trains every task's adapter (each under its task's own
    budget), then one engine predicts every task and is freed; each task's turn takes its answer.
    A failed engine fails every task with that one error; it is not started again per task."""

    batched = True

    def __init__(self, config: Mapping[str, Any], cfg: Any, infer: Any, ttt_dir: Path, tasks: Mapping[str, Task]):
        self.config, self.cfg, self.infer, self.ttt_dir, self.tasks = config, cfg, infer, ttt_dir, tasks
        self.results: dict[str, Any] = {}
        self.timed_out: dict[str, tuple[str, float]] = {}  # task id -> (message, seconds it ran)
        self.error: str | None = None

    def prepare(self, tasks: Sequence[Task], limit: Callable[[Task], Any] | None = None) -> dict[str, Any]:
        from ttt.solve import solve_ttt

        @contextmanager
        def task_limit(task: Task) -> Iterator[None]:
            t0 = time.perf_counter()
            try:
                with limit(task) if limit is not None else nullcontext():
                    yield
            except TaskTimeout as e:
                self.timed_out[task.id] = (str(e), time.perf_counter() - t0)
                raise

        batch: dict[str, Any] = {}
        try:
            self.results.update(solve_ttt(list(tasks), self.config["model"], self.cfg, self.infer, self.ttt_dir,
                                          task_limit=task_limit, batch_timings=batch))
        except Exception as e:  # noqa: BLE001 - e.g. the training model failed to load: once, for every task
            failure = storage_failure(e)
            if failure is not None:
                raise failure from None
            self.error = f"{type(e).__name__}: {e}"
            batch["error"] = self.error
        return {f"ttt_{k}": v for k, v in batch.items()}

    def spent_s(self, task_id: str) -> float:
        """Seconds spent on this task in ``prepare``: its data, training and share of the batch."""
        if task_id in self.timed_out:
            return self.timed_out[task_id][1]
        result = self.results.get(task_id)
        return sum(result.timings.values()) if result is not None else 0.0

    def __call__(self, task: Task) -> TTTPart:
        if task.id not in self.results and self.error is None:  # nobody called prepare: do it now, once
            self.prepare([t for t in self.tasks.values() if t.id not in self.results] or [task])
        if task.id in self.timed_out:
            raise TaskTimeout(self.timed_out[task.id][0])
        if self.error is not None:
            raise RuntimeError(f"TTT failed before any task: {self.error}")
        return _ttt_part(self.results[task.id])


def _ttt_part(result: Any) -> TTTPart:
    if result.error:
        raise RuntimeError(result.error)
    info = {"n_candidates": result.n_candidates, "n_parse_failures": result.n_parse_failures,
            "n_too_long": result.n_too_long, "n_pseudo_tasks": result.n_pseudo_tasks}
    if result.train is not None and result.train.losses:
        info["final_loss"] = result.train.losses[-1]
    return TTTPart(result.attempts, result.timings, info)


def build_ttt(config: Mapping[str, Any], run_path: Path, tasks: Mapping[str, Task]) -> "_HFTTT | _BatchedTTT":
    """The TTT solver for one task at a time (hf), or all remaining tasks in one batch (vllm)."""
    cfg, infer = ttt_configs(config)  # before any task: a bad saved config fails the run, not each task
    if infer.backend == "vllm":
        return _BatchedTTT(config, cfg, infer, run_path / "ttt", tasks)
    return _HFTTT(config, cfg, infer, run_path / "ttt")


class _Synth:
    """The synthesizer, its sampler (an engine, a model) built once in ``prepare``. A sampler that
    fails to start fails every task with that one error; it is not built again per task."""

    def __init__(self, cfg: Any, run_path: Path):
        self.cfg, self.run_path = cfg, run_path
        self.synth = self.error = None

    def prepare(self, tasks: Sequence[Task] = (), limit: Any = None) -> dict[str, Any]:
        if self.synth is not None or self.error is not None:
            return {}
        from synth.solver import ProgramSynthesizer

        t0 = time.perf_counter()
        try:
            self.synth = ProgramSynthesizer(self.cfg, run_dir=self.run_path)
        except Exception as e:  # noqa: BLE001 - recorded once, reported by every task
            failure = storage_failure(e)
            if failure is not None:
                raise failure from None
            self.error = f"{type(e).__name__}: {e}"
            return {"synth_sampler_error": self.error}
        return {"synth_sampler_start_s": round(time.perf_counter() - t0, 3)}

    def __call__(self, task: Task) -> SynthPart:
        self.prepare()
        if self.error is not None:
            raise RuntimeError(f"the {self.cfg.sampler} sampler failed to start: {self.error}")
        result = self.synth.solve(task)
        return SynthPart(result.outcomes, result.timings, result.info)

    def close(self) -> None:
        synth, self.synth = self.synth, None
        if synth is not None:
            synth.close()


def build_synth(config: Mapping[str, Any], run_path: Path) -> _Synth:
    from synth.config import SynthConfig

    return _Synth(SynthConfig.from_dict(config["synth"]), run_path)


def build_task_solver(config: Mapping[str, Any], run_path: Path, tasks: Mapping[str, Task] | None = None) -> TaskSolver:
    mode = config["mode"]
    tasks = tasks if tasks is not None else select_tasks(config["dataset"], config["task_ids"], None)
    try:
        ttt = build_ttt(config, run_path, tasks) if mode in ("ensemble", "ttt") else None
        synth = build_synth(config, run_path) if mode in ("ensemble", "synth") else None
    except (KeyError, TypeError, ValueError) as e:  # a saved config edited or written by another version
        raise RunFileError(f"{Path(run_path) / 'config.json'}: unusable settings: {type(e).__name__}: {e}") from None
    return make_task_solver(mode, ttt, synth, config.get("policy", "paper"), config.get("task_timeout_s"))

"""The TTT neural solver end to end: per task, pseudo-tasks -> length filter -> LoRA adapter
(trained, or skipped when already on disk) -> augmented inference -> voted attempts.

The solver writes only its adapters (folders the inference stage reads back):
  adapters/_initial/    the initial adapter every task starts from
  adapters/<task id>/   one PEFT adapter per task (adapters/_shared/ in the shared ablation)
An adapter already on disk is not trained again. Answers are values: ``solve_ttt`` returns them and
hands each to ``on_result`` as it is made; the run directory (``ensemble.run.RunDir``) alone writes
them down, and decides what a resumed run still has to solve.

A task that raises is returned with its error and the loop goes on. A failing disk (full, I/O
error) raises StorageError: the run stops and the task is not finished.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Mapping, Sequence

from arc.answer import TaskAnswer, TestAnswer
from arc.errors import StorageError
from arc.grid import Grid, as_grid
from arc.storage import storage_failure
from arc.task import Task
from ttt.config import InferConfig, TTTConfig
from ttt.train import TrainStats

SOURCE = "ttt:vote"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TaskResult:
    """What the TTT solver produced for one task: attempts (<= 2) per test input, counts, timings.

    ``candidates``: per test input, every distinct grid the views produced with how many views
    produced it, most frequent first; a scorer can tell from it whether the right answer was made
    at all (generation) but not voted into the attempts (voting). ``pseudo_tasks_trimmed``: every
    pseudo-task was over the token budget, so they were cut to fewer demonstrations."""

    task_id: str
    attempts: tuple[tuple[Grid, ...], ...] = ()
    n_candidates: int = 0
    n_parse_failures: int = 0
    n_too_long: int = 0
    n_pseudo_tasks: int = 0
    pseudo_tasks_trimmed: bool = False
    candidates: tuple[tuple[tuple[Grid, int], ...], ...] = ()
    # per test input, where the selection scored the candidates (select 'poe' / 'vote+poe'): each
    # distinct grid with its product-of-experts log-probability (None: no scoring view fitted)
    poe: tuple[tuple[tuple[Grid, float | None], ...], ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    train: TrainStats | None = None
    error: str | None = None

    @property
    def info(self) -> dict[str, Any]:
        """The counts a run record keeps about this answer."""
        info: dict[str, Any] = {"n_candidates": self.n_candidates, "n_parse_failures": self.n_parse_failures,
                                "n_too_long": self.n_too_long, "n_pseudo_tasks": self.n_pseudo_tasks}
        if self.train is not None and self.train.losses:
            info["final_loss"] = self.train.losses[-1]
        return info

    def answer(self) -> TaskAnswer:
        """The answer every solver gives (``arc.answer``): per test input the chosen attempts, each
        scored by its product-of-experts log-probability where the selection scored the candidates
        (source ``ttt:poe``), else by the number of views that produced it (``ttt:vote``); status
        ``predicted``, or ``none`` when no view produced a grid."""
        tests = []
        for i, attempts in enumerate(self.attempts):
            if i < len(self.poe) and self.poe[i]:
                scores, source = dict(self.poe[i]), "ttt:poe"
            else:
                scores = {g: float(n) for g, n in self.candidates[i]} if i < len(self.candidates) else {}
                source = SOURCE
            tests.append(TestAnswer.of("predicted" if attempts else "none", attempts,
                                       [scores.get(g) for g in attempts], source))
        return TaskAnswer(self.task_id, tuple(tests), dict(self.timings), self.info)

    def to_json(self) -> dict:
        return {
            "task_id": self.task_id,
            "attempts": [[[list(r) for r in g] for g in per_test] for per_test in self.attempts],
            "n_candidates": self.n_candidates,
            "n_parse_failures": self.n_parse_failures,
            "n_too_long": self.n_too_long,
            "n_pseudo_tasks": self.n_pseudo_tasks,
            "pseudo_tasks_trimmed": self.pseudo_tasks_trimmed,
            "candidates": [[{"grid": [list(r) for r in g], "n": n} for g, n in per_test] for per_test in self.candidates],
            "poe": [[{"grid": [list(r) for r in g], "logp": lp} for g, lp in per_test] for per_test in self.poe],
            "timings": self.timings,
            "train": None if self.train is None else self.train.to_json(),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, d: dict) -> TaskResult:
        train = d.get("train")
        if train is not None:
            train = TrainStats(**{**train, "losses": tuple(train.get("losses", ()))})
        return cls(
            task_id=d["task_id"],
            attempts=tuple(tuple(as_grid(g) for g in per_test) for per_test in d.get("attempts", [])),
            n_candidates=d.get("n_candidates", 0),
            n_parse_failures=d.get("n_parse_failures", 0),
            n_too_long=d.get("n_too_long", 0),
            n_pseudo_tasks=d.get("n_pseudo_tasks", 0),
            pseudo_tasks_trimmed=bool(d.get("pseudo_tasks_trimmed", False)),
            candidates=tuple(tuple((as_grid(c["grid"]), int(c["n"])) for c in per_test)
                             for per_test in d.get("candidates", [])),
            poe=tuple(tuple((as_grid(c["grid"]), None if c["logp"] is None else float(c["logp"])) for c in per_test)
                      for per_test in d.get("poe", [])),
            timings=dict(d.get("timings", {})),
            train=train,
            error=d.get("error"),
        )


def predictions(results: Mapping[str, TaskResult]) -> dict[str, list[list[Grid]]]:
    """Task id -> attempts per test input, the shape ``arc.score`` takes."""
    return {tid: [list(a) for a in r.attempts] for tid, r in results.items()}


def _error(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


SHARED_ADAPTER = "_shared"  # the one adapter of the shared-adapter ablation


def adapter_dir(ttt_dir: str | Path, task_id: str, adapter_mode: str) -> Path | None:
    """Where the adapter that answers ``task_id`` is kept in a run's TTT folder: its own under
    ``per_task``, the one shared adapter under ``shared``, None where nothing is trained (``none``)."""
    name = {"per_task": task_id, "shared": SHARED_ADAPTER}.get(adapter_mode)
    return None if name is None else Path(ttt_dir) / "adapters" / name


class _Solver:
    """State shared by the stages of one run: base model, tokenizer, formatter, configs, paths."""

    def __init__(self, model: Any, tokenizer: Any, cfg: TTTConfig, infer_cfg: InferConfig, run_dir: Path):
        from ttt.format import make_formatter

        self.model, self.tokenizer, self.cfg, self.infer_cfg = model, tokenizer, cfg, infer_cfg
        self.formatter = make_formatter(cfg.format, tokenizer)
        self.adapters = run_dir / "adapters"
        self.initial = self.adapters / "_initial"

    def pseudo_tasks(self, task: Task) -> tuple[list[Any], bool]:
        """The task's training pseudo-tasks within the token budget, and whether they had to be
        trimmed to fewer demonstrations to fit (``cfg.trim_pseudo_tasks``, when none fit whole)."""
        from arc.seeds import task_rng
        from ttt.data import filter_by_length, trim_to_fit, ttt_pseudo_tasks

        pts = ttt_pseudo_tasks(task, self.cfg.data, task_rng(self.cfg.seed, task.id))
        kept = filter_by_length(pts, self.formatter, self.tokenizer, self.cfg.max_tokens)
        if kept or not pts or not self.cfg.trim_pseudo_tasks:
            return kept, False
        trimmed = trim_to_fit(pts, self.formatter, self.tokenizer, self.cfg.max_tokens)
        return trimmed[: self.cfg.data.max_tasks], bool(trimmed)

    def train(self, name: str, pts: Sequence[Any]) -> TrainStats | None:
        from arc.seeds import task_rng
        from ttt.train import train_adapter

        if self.cfg.adapter_mode == "none" or not pts:
            return None
        return train_adapter(
            self.model, self.tokenizer, self.formatter, pts, self.cfg, self.adapters / name,
            init_dir=self.initial, rng=task_rng(self.cfg.seed, "train:" + name),
        )


def _load(model_path_or_model: Any, tokenizer: Any, cfg: TTTConfig, infer_cfg: InferConfig) -> tuple[Any, Any]:
    if isinstance(model_path_or_model, (str, Path)):
        from ttt.model import load_base

        model, loaded = load_base(model_path_or_model, infer_cfg.device, infer_cfg.dtype, cfg.load_in_4bit)
        return model, tokenizer or loaded
    if tokenizer is None:
        raise ValueError("pass the tokenizer together with an in-memory model")
    return model_path_or_model, tokenizer


def solve_ttt(
    tasks: Mapping[str, Task] | Sequence[Task],
    model_path_or_model: Any,
    cfg: TTTConfig,
    infer_cfg: InferConfig,
    run_dir: str | Path,
    progress: Progress | None = None,
    *,
    tokenizer: Any = None,
    task_limit: Callable[[Task], ContextManager[Any]] | None = None,
    batch_timings: dict[str, Any] | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
) -> dict[str, TaskResult]:
    """Solve ``tasks`` with test-time training; returns task id -> TaskResult, in task order.

    ``model_path_or_model`` is a local model directory or a loaded model (then pass ``tokenizer``).
    Adapters go to ``run_dir/adapters`` (one already there is reused); nothing else is written.
    ``on_result(result)`` gets each task's result as soon as it is made (a run directory records
    it: with vllm every answer is made before the first task's record). ``progress(done, total)``
    after each task. ``task_limit(task)`` wraps each task's own work
    (data and training; with hf also inference), e.g. a timer whose exception fails that task
    only. With vllm, ``batch_timings`` receives what is timed once for the whole batch:
    ``engine_start_s``, ``batch_s`` (one generate call for every task; each task's ``infer_s`` is
    its share, by prompts), ``n_tasks`` and ``engine_error`` when the engine failed.
    """
    from ttt.backends import BACKENDS
    from ttt.infer import predict_task, predict_tasks

    task_list = list(tasks.values()) if isinstance(tasks, Mapping) else list(tasks)
    if infer_cfg.backend == "vllm":
        if not isinstance(model_path_or_model, (str, Path)):
            raise TypeError("the vllm backend needs a model directory, not a model object")
        if cfg.adapter == "full" and cfg.adapter_mode != "none":
            raise ValueError("the vllm backend serves LoRA adapters; use backend 'hf' with adapter 'full'")
        if cfg.lora_lm_head:
            raise ValueError("vLLM does not apply LoRA to the output head; use lora_lm_head=False or backend 'hf'")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, TaskResult] = {}
    todo = task_list
    model, tok = _load(model_path_or_model, tokenizer, cfg, infer_cfg)
    solver = _Solver(model, tok, cfg, infer_cfg, run_dir)
    n_done = 0

    def keep(result: TaskResult) -> None:
        done[result.task_id] = result
        if on_result is not None:
            on_result(result)

    shared: TrainStats | None = None
    if cfg.adapter_mode == "shared" and todo:
        union = [pt for t in todo for pt in solver.pseudo_tasks(t)[0]]
        shared = solver.train(SHARED_ADAPTER, union)

    # Stage 1 and 2 per task with hf (one model in memory); with vllm, all training first, then
    # the training model is freed and one engine predicts every task in one batch.
    interleave = infer_cfg.backend == "hf"
    backend = BACKENDS["hf"](model, tok, infer_cfg) if interleave else None
    pending: list[tuple[Task, dict]] = []
    for task in todo:
        info: dict[str, Any] = {"timings": {}, "train": shared, "adapter": None, "n_pseudo_tasks": 0}
        try:
            with task_limit(task) if task_limit is not None else nullcontext():
                t0 = time.perf_counter()
                if cfg.adapter_mode == "per_task":
                    pts, info["pseudo_tasks_trimmed"] = solver.pseudo_tasks(task)
                    info["n_pseudo_tasks"] = len(pts)
                    info["timings"]["data_s"] = time.perf_counter() - t0
                    t0 = time.perf_counter()
                    info["train"] = solver.train(task.id, pts)
                    info["timings"]["train_s"] = time.perf_counter() - t0
                if info["train"] is not None:
                    info["adapter"] = info["train"].adapter_dir
                pred = None
                if interleave:
                    t0 = time.perf_counter()
                    pred = predict_task(task, backend, solver.formatter, None, infer_cfg, info["adapter"])
                    info["timings"]["infer_s"] = time.perf_counter() - t0
            if interleave:
                keep(_finish(task, info, pred))
                n_done += 1
                if progress is not None:
                    progress(n_done, len(task_list))
            else:
                pending.append((task, info))
        except StorageError:
            raise
        except Exception as e:  # noqa: BLE001 - a failing task is a value; the run goes on
            failure = storage_failure(e)
            if failure is not None:  # a failing disk is not the task's failure
                raise failure from None
            keep(_finish(task, info, None, _error(e)))
            n_done += 1
            if progress is not None:
                progress(n_done, len(task_list))

    if pending:
        model = None  # noqa: F841 - drop this frame's reference too, so the training copy can be freed
        timings = _predict_batched(pending, model_path_or_model, tok, solver, cfg, infer_cfg, keep, predict_tasks)
        if batch_timings is not None:
            batch_timings.update(timings)
        if progress is not None:
            progress(len(task_list), len(task_list))
    return {t.id: done[t.id] for t in task_list if t.id in done}


def _predict_batched(pending, model_path, tok, solver, cfg, infer_cfg, keep, predict_tasks) -> dict[str, Any]:
    """One engine predicts every pending task, then is freed. Engine start-up and the batch are
    timed once; each task's ``infer_s`` is its share of the batch, by the prompts it sent."""
    from ttt.backends import BACKENDS

    solver.model = None  # the training copy must go before vLLM claims the GPU
    _free_gpu()
    timings: dict[str, Any] = {"n_tasks": len(pending)}
    backend = None
    t0 = time.perf_counter()
    try:
        backend = BACKENDS[infer_cfg.backend](model_path, tok, infer_cfg, max_lora_rank=cfg.lora_rank)
        timings["engine_start_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        preds = predict_tasks([t for t, _ in pending], backend, solver.formatter, infer_cfg,
                              {t.id: info["adapter"] for t, info in pending})
        timings["batch_s"] = round(time.perf_counter() - t0, 3)
    except Exception as e:  # noqa: BLE001 - the engine failed once: every pending task records it, the run goes on
        failure = storage_failure(e)
        if failure is not None:
            raise failure from None
        timings["engine_error" if "engine_start_s" not in timings else "batch_error"] = _error(e)
        for task, info in pending:
            keep(_finish(task, info, None, _error(e)))
        return timings
    finally:
        if backend is not None and hasattr(backend, "close"):
            backend.close()  # free the engine: the synthesizer's may need the device next
    sent = {t.id: preds[t.id].n_candidates - preds[t.id].n_too_long for t, _ in pending}
    total = sum(sent.values())
    for task, info in pending:
        share = sent[task.id] / total if total else 1 / len(pending)
        info["timings"]["infer_s"] = timings["batch_s"] * share
        keep(_finish(task, info, preds[task.id]))
    return timings


def _free_gpu() -> None:
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


def _finish(task: Task, info: dict, pred: Any, error: str | None = None) -> TaskResult:
    return TaskResult(
        task_id=task.id,
        attempts=pred.attempts if pred is not None else (),
        n_candidates=pred.n_candidates if pred is not None else 0,
        n_parse_failures=pred.n_parse_failures if pred is not None else 0,
        n_too_long=pred.n_too_long if pred is not None else 0,
        n_pseudo_tasks=info["n_pseudo_tasks"],
        pseudo_tasks_trimmed=bool(info.get("pseudo_tasks_trimmed", False)),
        candidates=_distinct(pred.candidates) if pred is not None else (),
        poe=tuple(tuple((c.grid, c.score) for c in per_test) for per_test in getattr(pred, "scored", ()) or ())
        if pred is not None else (),
        timings={k: round(v, 4) for k, v in info["timings"].items()},
        train=info["train"],
        error=error,
    )


def _distinct(candidates: Sequence[Sequence[Any]]) -> tuple[tuple[tuple[Grid, int], ...], ...]:
    """Per test input, the distinct parsed grids of its candidates with their counts, most first."""
    from collections import Counter

    out = []
    for per_test in candidates:
        counts = Counter(c.grid for c in per_test if c.grid is not None)
        out.append(tuple(sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), len(kv[0][0]), kv[0]))))
    return tuple(out)

"""Building a run from its ``RunConfig`` (made by the CLI, saved in the run directory so that
``--resume`` rebuilds exactly the same run): the run directory and the per-task solve function
with the TTT solver and the synthesizer wired in. Heavy parts (torch, models, the sandbox) are
created only when a mode needs them."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

from arc.data import load_dataset
from arc.errors import TaskFormatError
from arc.storage import storage_failure
from arc.task import Task
from ensemble.config import RunConfig
from ensemble.pipeline import TaskSolver, TaskTimeout, make_task_solver
from ensemble.run import RunDir

if TYPE_CHECKING:
    from arc.answer import TaskAnswer
    from ttt.solve import TaskResult


def bundled_model_dir() -> Path:
    """The project's own small model, shipped inside the ``ttt`` package."""
    import ttt

    return Path(ttt.__file__).resolve().parent / "default_model"


def detect_format(model_dir: str | Path) -> str:
    """The grid text format a model directory was trained with: compact for the project's own
    tokenizer, plain for any other."""
    # The project's compact tokenizer has 17 tokens; any real LM tokenizer has thousands.
    try:
        vocab = json.loads((Path(model_dir) / "tokenizer.json").read_text())["model"]["vocab"]
        return "compact" if len(vocab) <= 32 else "plain"
    except (OSError, KeyError, ValueError, TypeError):
        return "plain"


# At most this many usable CPUs, a process defaults to one torch thread (measured on 2 cores beside a
# busy process: experiments/bench_threads.py, experiments/results/threads.json).
SMALL_MACHINE_CPUS = 4


def default_threads(cpus: int | None = None) -> int | None:
    """torch's CPU threads when ``--threads`` is not given: 1 where the process may use at most
    ``SMALL_MACHINE_CPUS`` CPUs (``os.sched_getaffinity``), else None (torch's own: one per core).
    On a small machine that another process shares, torch's own count makes its threads wait on
    each other while one is descheduled. Derived from the CPUs alone, never from the load, so a run
    gives the same numbers on a quiet machine and on a busy one."""
    import os

    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if cpus <= SMALL_MACHINE_CPUS else None


def set_torch_threads(n: int) -> None:
    """torch's CPU threads for this process (where torch is installed). On CPU, float sums depend on
    the thread count: two runs give the same bytes only with the same number."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)


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


def new_run(config: RunConfig, out: str | Path) -> RunDir:
    """A new run directory at ``out`` holding ``config``, locked (``RunDir.lock``): the caller is
    its only writer until it calls ``run.unlock()``. Raises RunLockedError when another process
    is writing it, FileExistsError when it already holds a run."""
    run = RunDir(out)
    run.lock()  # before create: two runs started on one --out must not both write it
    try:
        run.create(config)
    except BaseException:
        run.unlock()
        raise
    return run


def resume_run(path: str | Path) -> tuple[RunDir, RunConfig, dict[str, Task]]:
    """The stopped run at ``path``, locked, with its saved config and its tasks."""
    run = RunDir(path)
    run.lock()
    try:
        config = run.config()
        return run, config, select_tasks(config.dataset, config.task_ids, None)
    except BaseException:
        run.unlock()
        raise


@contextmanager
def locked_runs(*paths: str | Path) -> Iterator[list[tuple[RunDir, RunConfig, dict[str, Task]]]]:
    """The runs at ``paths``, each with its saved config and tasks, locked (``resume_run``) while the
    caller reads them, so that nobody writes them meanwhile (a run named twice is opened once)."""
    opened: dict[Path, tuple[RunDir, RunConfig, dict[str, Task]]] = {}
    try:
        for path in paths:
            key = Path(path).resolve()
            if key not in opened:
                opened[key] = resume_run(path)
        yield [opened[Path(p).resolve()] for p in paths]
    finally:
        for run, _, _ in opened.values():
            run.unlock()


@contextmanager
def locked_run(path: str | Path) -> Iterator[tuple[RunDir, RunConfig, dict[str, Task]]]:
    """``locked_runs`` of one run."""
    with locked_runs(path) as (opened,):
        yield opened


def _start_once(part: Any, start: Callable[[], None], error_key: str, time_key: str) -> dict[str, Any]:
    """Start a solver's heavy part (a model, a sampler) and time it. A failure is kept on ``part.error``,
    reported by every task without retrying; a full or failing disk stops the run instead."""
    t0 = time.perf_counter()
    try:
        start()
    except Exception as e:  # noqa: BLE001 - recorded once, reported by every task
        failure = storage_failure(e)
        if failure is not None:
            raise failure from None
        part.error = f"{type(e).__name__}: {e}"
        return {error_key: part.error}
    return {time_key: round(time.perf_counter() - t0, 3)}

class _HFTTT:
    """TTT with the hf backend: the base model is loaded once in ``prepare``; each task trains and
    predicts at its turn. A model that fails to load fails every task with that one error."""

    batched = False

    def __init__(self, config: RunConfig, ttt_dir: Path):
        self.config, self.cfg, self.infer, self.ttt_dir = config, config.ttt, config.infer, ttt_dir
        self.model = self.tok = self.error = None

    def prepare(self, tasks: Sequence[Task] = (), limit: Any = None) -> dict[str, Any]:
        if self.model is not None or self.error is not None:
            return {}
        from ttt.model import load_base

        def load() -> None:
            self.model, self.tok = load_base(self.config.model, self.infer.device, self.infer.dtype, self.cfg.load_in_4bit)

        return _start_once(self, load, "ttt_model_error", "ttt_model_load_s")

    def __call__(self, task: Task) -> "TaskAnswer":
        from ttt.solve import solve_ttt

        self.prepare()
        if self.error is not None:
            raise RuntimeError(f"the TTT model failed to load: {self.error}")
        results = solve_ttt([task], self.model, self.cfg, self.infer, self.ttt_dir, tokenizer=self.tok)
        return _answer(results[task.id])

    def score(self, task: Task, test_index: int, grids: Sequence[Any]) -> list[float | None]:
        """The TTT model's product-of-experts score of ``grids`` as answers to test input
        ``test_index`` of ``task`` (``ttt.select.score_candidates``: log-probability summed over the
        scoring views, None where no view fitted), under the adapter the task trained at its turn."""
        from ttt.backends import BACKENDS
        from ttt.format import make_formatter
        from ttt.select import score_candidates
        from ttt.solve import adapter_dir

        self.prepare()
        if self.error is not None:
            raise RuntimeError(f"the TTT model failed to load: {self.error}")
        adapter = adapter_dir(self.ttt_dir, task.id, self.cfg.adapter_mode)
        if adapter is not None and not adapter.is_dir():
            adapter = None  # no adapter was trained (no pseudo-task fitted): the base model scores
        backend = BACKENDS["hf"](self.model, self.tok, self.infer)
        formatter = make_formatter(self.cfg.format, self.tok)
        return [c.score for c in score_candidates(task, test_index, grids, backend, formatter, self.infer, adapter)]

    def close(self) -> None:
        self.model = self.tok = None


class _BatchedTTT:
    """TTT with the vllm backend: ``prepare`` trains every task's adapter (each under its task's own
    budget), then one engine predicts every task and is freed; each task's turn takes its answer.
    A failed engine fails every task with that one error; it is not started again per task."""

    batched = True

    def __init__(self, config: RunConfig, ttt_dir: Path, tasks: Mapping[str, Task]):
        self.config, self.cfg, self.infer, self.ttt_dir, self.tasks = config, config.ttt, config.infer, ttt_dir, tasks
        self.results: dict[str, Any] = {}
        self.timed_out: dict[str, tuple[str, float]] = {}  # task id -> (message, seconds it ran)
        self.error: str | None = None

    def prepare(self, tasks: Sequence[Task], limit: Callable[[Task], Any] | None = None,
                keep: Callable[["TaskAnswer"], None] | None = None) -> dict[str, Any]:
        """Answer ``tasks``; ``keep(answer)`` gets each answer as it is made (the run directory keeps it)."""
        from ttt.solve import solve_ttt

        def made(result: "TaskResult") -> None:
            if keep is not None and not result.error:
                keep(result.answer())

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
            self.results.update(solve_ttt(list(tasks), self.config.model, self.cfg, self.infer, self.ttt_dir,
                                          task_limit=task_limit, batch_timings=batch, on_result=made))
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

    def __call__(self, task: Task) -> "TaskAnswer":
        if task.id not in self.results and self.error is None:  # nobody called prepare: do it now, once
            self.prepare([t for t in self.tasks.values() if t.id not in self.results] or [task])
        if task.id in self.timed_out:
            raise TaskTimeout(self.timed_out[task.id][0])
        if self.error is not None:
            raise RuntimeError(f"TTT failed before any task: {self.error}")
        return _answer(self.results[task.id])


def _answer(result: "TaskResult") -> "TaskAnswer":
    """The task's answer; a task the TTT solver failed raises its error."""
    if result.error:
        raise RuntimeError(result.error)
    return result.answer()


def build_ttt(config: RunConfig, run_path: Path, tasks: Mapping[str, Task]) -> "_HFTTT | _BatchedTTT":
    """The TTT solver for one task at a time (hf), or all remaining tasks in one batch (vllm)."""
    if config.infer.backend == "vllm":
        return _BatchedTTT(config, run_path / "ttt", tasks)
    return _HFTTT(config, run_path / "ttt")


class _Synth:
    """The synthesizer, its sampler (an engine, a model) built once in ``prepare``. A sampler that
    fails to start fails every task with that one error; it is not built again per task."""

    def __init__(self, cfg: Any):
        self.cfg = cfg
        self.synth = self.error = None

    def prepare(self, tasks: Sequence[Task] = (), limit: Any = None) -> dict[str, Any]:
        if self.synth is not None or self.error is not None:
            return {}
        from synth.solver import ProgramSynthesizer

        def start() -> None:
            self.synth = ProgramSynthesizer(self.cfg)

        return _start_once(self, start, "synth_sampler_error", "synth_sampler_start_s")

    def __call__(self, task: Task) -> "TaskAnswer":
        self.prepare()
        if self.error is not None:
            raise RuntimeError(f"the {self.cfg.sampler} sampler failed to start: {self.error}")
        return self.synth.solve(task).answer(f"synth:{self.cfg.sampler}")

    def close(self) -> None:
        synth, self.synth = self.synth, None
        if synth is not None:
            synth.close()


def build_task_solver(config: RunConfig, run_path: Path, tasks: Mapping[str, Task] | None = None) -> TaskSolver:
    """Task -> TaskRecord for ``config.mode``, with the solvers it needs (built lazily)."""
    tasks = tasks if tasks is not None else select_tasks(config.dataset, config.task_ids, None)
    ttt = build_ttt(config, run_path, tasks) if config.ttt is not None else None
    synth = _Synth(config.synth) if config.synth is not None else None
    return make_task_solver(config.mode, ttt, synth, config.policy, config.task_timeout_s, config.eager)

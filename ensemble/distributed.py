"""One run over a Ray cluster: every GPU of a machine, or every node of a cluster.

Workers are Ray actors, one per GPU (or per CPU slot where the cluster has no GPU). Each builds
the same per-task solver as an in-process run (``ensemble.build.build_task_solver``: the base
model loaded once, its own sandbox pool, its own vLLM engine) over a scratch run directory of its
own, and solves whole tasks with ``ensemble.run.solve_one``. Tasks are handed out as workers free
up, the largest first (by cells), and results come back as they finish.

The driver (this process) is the single writer of the run directory: a task's record comes back
as a value holding its answers and the programs tried, and its adapter folder comes back as bytes;
the driver places the folder, then appends the record with ``RunDir.append`` (which stores the
programs), exactly as ``ensemble.run.run_tasks`` does. No file a worker wrote names a path of the
worker's, so nothing is rewritten on the way. Nothing but the model paths has to be shared between
nodes.

Faults: a worker that dies (killed, out of memory, its node lost) is restarted by Ray; the task it
held is tried once more on another worker, then recorded as an error (``worker-died``) with the
reason. A task that raises inside a worker is that task's error record; a failing disk (in a
worker's scratch or the run directory) stops the run, as in one process.

The submission equals the in-process one: every task's randomness comes from (seed, task id)
(``arc.seeds``), never from which worker solved it or when.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from arc.errors import ClusterError, StorageError
from arc.storage import replace_folder, write_bytes_atomic
from arc.task import Task
from ensemble.config import RunConfig
from ensemble.run import RunDir, TaskRecord, failed_record, solve_one

RETRIES = 1  # a task whose worker died runs once more, on another worker
MAX_RESTARTS = 3  # Ray restarts a dead worker this often before giving up on it
LOCAL = "local"  # --ray without an address: start a cluster on this machine
SCRATCH_PREFIX = "arc-solve-worker-"

# What the solvers write under a run directory, and how the driver must place it there (see
# ``_Worker._collect``): each subfolder of these is one unit (a PEFT adapter) written whole; any
# other file is replaced whole.
FOLDER_PARENTS = ("ttt/adapters",)


def task_cells(task: Task) -> int:
    """A task's size: cells of every grid it holds (more cells, more tokens and longer training)."""
    grids = [g for ex in task.train for g in (ex.input, ex.output)] + [ex.input for ex in task.test]
    return sum(len(g) * len(g[0]) for g in grids if g)


@dataclass(frozen=True)
class TaskFiles:
    """The files a worker's solvers wrote for one task, relative to the run directory."""

    folders: tuple[tuple[str, tuple[tuple[str, bytes], ...]], ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()

    @property
    def n_bytes(self) -> int:
        return sum(len(b) for _, fs in self.folders for _, b in fs) + sum(len(b) for _, b in self.files)

    def write(self, run_path: Path) -> None:
        """Place everything in ``run_path``, folders and files each atomically."""
        for rel, files in self.folders:
            replace_folder(_inside(run_path, rel), files)
        for rel, data in self.files:
            path = _inside(run_path, rel)
            _mkdir(path.parent)
            write_bytes_atomic(path, data)


def _inside(run_path: Path, rel: str) -> Path:
    path = (run_path / rel).resolve()
    if run_path.resolve() not in path.parents:
        raise ValueError(f"a worker sent a file outside the run directory: {rel!r}")
    return path


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"{path}: cannot create: {e.strerror or e}") from None


def _digest(files: Sequence[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in files:
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def _remove_stale_scratch() -> None:
    """Scratch folders of workers that were killed (their pid is in the name) go."""
    for path in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        try:
            pid = int(path.name[len(SCRATCH_PREFIX):].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, PermissionError):
            pass  # not ours, or another user's live worker


class _Worker:
    """A Ray actor: the per-task solver of an in-process run, over a scratch run directory."""

    def __init__(self, config: dict, threads: int | None = None, worker_init: Callable[[], None] | None = None):
        from ensemble.build import build_task_solver, set_torch_threads

        if worker_init is not None:
            worker_init()
        if threads is not None:
            set_torch_threads(threads)
        _remove_stale_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        self.solve = build_task_solver(RunConfig.from_json(config), self.scratch, {})
        self.kept: dict[str, str] = {}  # files and folders shipped once and kept (initial adapter, configs)

    def where(self) -> dict[str, Any]:
        import ray

        ctx = ray.get_runtime_context()
        return {"pid": os.getpid(), "node": ctx.get_node_id(), "gpus": [str(g) for g in ctx.get_accelerator_ids().get("GPU", [])]}

    def prepare(self, tasks: Sequence[Task]) -> dict[str, Any]:
        """The solvers' shared work (loading the model; with vLLM, every adapter and answer of ``tasks``)."""
        start = time.perf_counter()
        shared = self.solve.prepare(list(tasks))
        return {**shared, "prepare_s": round(time.perf_counter() - start, 3), **self.where()}

    def solve_task(self, task: Task, synth: Any = None) -> tuple[TaskRecord, TaskFiles, float]:
        """The task's record, the files written for it, and the seconds spent inside this worker.
        ``synth``: the synthesizer's answer made ahead (a budgeted run's first phase), taken as it is."""
        start = time.perf_counter()
        if synth is not None:
            self.solve.kept_synth[task.id] = synth
        record = solve_one(self.solve, task)
        files = self._collect(task.id)
        return record, files, time.perf_counter() - start

    def _collect(self, task_id: str) -> TaskFiles:
        """Everything new under the scratch directory; what belongs to ``task_id`` alone is removed."""
        folders, files = [], []
        root = self.scratch
        for parent in FOLDER_PARENTS:
            base = root / parent
            for folder in sorted(p for p in base.glob("*") if p.is_dir() and not p.name.endswith(".partial")):
                content = tuple((f.name, f.read_bytes()) for f in sorted(folder.iterdir()) if f.is_file())
                rel = folder.relative_to(root).as_posix()
                if self.kept.get(rel) != (digest := _digest(content)):
                    folders.append((rel, content))
                if folder.name == task_id:
                    shutil.rmtree(folder)
                else:
                    self.kept[rel] = digest
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if any(rel.startswith(parent + "/") for parent in FOLDER_PARENTS) or rel.endswith((".tmp", ".partial")):
                continue
            data = path.read_bytes()
            if self.kept.get(rel) != (digest := _digest([("", data)])):
                files.append((rel, data))
            if path.stem == task_id:
                path.unlink()
            else:
                self.kept[rel] = digest
        return TaskFiles(tuple(folders), tuple(files))

    def close(self) -> None:
        try:
            self.solve.close()
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class _Job:
    task: Task
    tries: int = 0
    avoid: set[int] = field(default_factory=set)  # workers it died on
    prefer: int | None = None  # the worker that prepared it (vLLM: its answer is already made there)


@dataclass
class RayStats:
    """What the pool measured: per task, seconds inside the worker and seconds from dispatch to
    the driver holding the result (their difference is Ray's overhead: dispatch and transfer).
    Only tasks sent to a worker whose start-up (``prepare``) had finished are counted."""

    inside_s: list[float] = field(default_factory=list)
    round_trip_s: list[float] = field(default_factory=list)
    bytes_back: int = 0
    restarts: int = 0
    workers: list[dict] = field(default_factory=list)


class RayPool:
    """Solves a run's tasks on Ray actors; ``run_tasks`` is ``ensemble.run.run_tasks`` over them.

    ``address``: None or "local" starts a cluster on this machine, anything else (``auto``,
    ``ray://host:port``) joins one; an already connected Ray (``ray.init`` done by the caller) is
    used as it is and left connected. ``workers``: how many actors (default: one per GPU, or one
    per CPU where the cluster has none, never more than tasks). ``threads``: torch's CPU threads in
    each worker (default: Ray's, the worker's CPUs). ``worker_init``: called in each
    actor before it builds its solver (logging set-up; tests inject faults with it).
    """

    def __init__(self, config: RunConfig, address: str | None = None, workers: int | None = None,
                 gpus_per_worker: float | None = None, cpus_per_worker: float = 1.0, threads: int | None = None,
                 worker_init: Callable[[], None] | None = None, log: Callable[[str], None] | None = None):
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if gpus_per_worker is not None and gpus_per_worker < 0:
            raise ValueError(f"gpus_per_worker must be >= 0, got {gpus_per_worker}")
        self.config, self.address, self.n_workers = config, address, workers
        self.gpus_per_worker, self.cpus_per_worker, self.threads = gpus_per_worker, cpus_per_worker, threads
        self.worker_init, self.log = worker_init, log or (lambda line: None)
        self.actors: list[Any] = []
        self.stats = RayStats()
        self._owned = False  # whether this pool connected Ray (and so disconnects it)
        self._running = False  # inside run_tasks: workers may be mid-task

    # -- cluster and actors ------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            import ray
        except ImportError:
            raise ClusterError("--ray needs Ray: pip install 'arc-solve[ray]'") from None
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "warning"}
            if self.address not in (None, LOCAL):
                kwargs["address"] = self.address
            ray.init(**kwargs)
            self._owned = True
        return ray

    def _start(self, ray: Any, n_tasks: int) -> None:
        if self.actors:
            return  # a second run_tasks on the same pool keeps its workers
        resources = ray.cluster_resources()
        gpus = self.gpus_per_worker
        if gpus is None:
            gpus = 1.0 if resources.get("GPU", 0) > 0 else 0.0
        n = self.n_workers
        if n is None:
            n = int(resources.get("GPU", 0) // gpus) if gpus > 0 else int(resources.get("CPU", 1) // self.cpus_per_worker)
        n = max(1, min(n, n_tasks))
        actor = ray.remote(_Worker).options(num_cpus=self.cpus_per_worker, num_gpus=gpus, max_restarts=MAX_RESTARTS,
                                            max_task_retries=0)
        self.actors = [actor.remote(self.config.to_json(), self.threads, self.worker_init) for _ in range(n)]
        kind = f"{gpus:g} GPU each" if gpus > 0 else f"{self.cpus_per_worker:g} CPU each, no GPU"
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        self.log(f"ray: {n} workers ({kind}) on {nodes} node(s); adapters and programs come back to this "
                 "process, so the run directory need not be shared")

    def close(self) -> None:
        """Stop the workers (their models, engines and sandboxes go with them) and, when this pool
        started Ray, disconnect (a local cluster shuts down). Workers that are idle close their
        solvers first; a run cut short (Ctrl-C, a failing disk) kills them at once, mid-task."""
        ray = sys.modules.get("ray")
        if ray is None or not ray.is_initialized():
            return
        actors, self.actors = self.actors, []
        if actors and not self._running:
            closing = [a.close.remote() for a in actors]
            ray.wait(closing, num_returns=len(closing), timeout=30)
        for a in actors:
            ray.kill(a, no_restart=True)
        if self._owned:
            ray.shutdown()
            self._owned = False

    def sibling(self, config: RunConfig, gpus_per_worker: float | None = None) -> "RayPool":
        """Another pool on this pool's cluster for ``config`` (a budgeted run's synthesizer phase): the
        cluster is connected here first, so closing the sibling stops only its own workers."""
        self._connect()
        return RayPool(config, self.address, self.n_workers, gpus_per_worker, self.cpus_per_worker, self.threads,
                       self.worker_init, self.log)

    # -- the run -------------------------------------------------------------------------------
    def run_tasks(self, tasks: Mapping[str, Task], run_dir: RunDir,
                  progress: Callable[[TaskRecord, int, int], None] | None = None,
                  retry_failed: bool = False, deadline: float | None = None,
                  ahead: Mapping[str, Any] | None = None, keep_order: bool = False,
                  admit: Callable[[Task], bool] | None = None) -> dict[str, TaskRecord]:
        """Solve every task not yet in ``run_dir`` on the workers; same contract as
        ``ensemble.run.run_tasks`` (records appended as tasks finish, in the order they finish).
        ``deadline`` (``time.monotonic()``, a budgeted run's): no task is sent after it, the driver
        stops waiting at it and returns what finished; ``close()`` then stops the workers mid-task
        (their tasks have no record: a resumed run solves them). ``ahead``: task id -> the
        synthesizer's answer made ahead, sent with the task. ``keep_order``: hand tasks out in the
        given order, not the largest first. ``admit(task)``, asked as a task is about to be sent: False
        drops it (a budgeted run's "cannot finish in the time left")."""
        done = run_dir.records()
        todo = [t for tid, t in tasks.items() if tid not in done or (retry_failed and done[tid].status != "ok")]
        n_total, n_done = len(tasks), len(tasks) - len(todo)
        if not todo:
            return done
        ray = self._connect()
        self._running = True  # stays set if the run is cut short: close() then kills the workers mid-task
        done, finished = self._run(ray, todo, done, run_dir, progress, n_total, n_done, deadline, ahead or {},
                                   keep_order, admit)
        self._running = not finished
        return done

    def _run(self, ray: Any, todo: list[Task], done: dict[str, TaskRecord], run_dir: RunDir,
             progress: Callable[[TaskRecord, int, int], None] | None, n_total: int, n_done: int,
             deadline: float | None = None, ahead: Mapping[str, Any] | None = None, keep_order: bool = False,
             admit: Callable[[Task], bool] | None = None) -> tuple[dict[str, TaskRecord], bool]:
        from ray.exceptions import NodeDiedError, OutOfMemoryError, RayActorError, WorkerCrashedError

        lost = (RayActorError, OutOfMemoryError, NodeDiedError, WorkerCrashedError)
        self._start(ray, len(todo))
        n = len(self.actors)
        order = list(todo) if keep_order else sorted(todo, key=task_cells, reverse=True)  # longest first; ties keep the run's order
        batched = self.config.infer is not None and self.config.infer.backend == "vllm"
        queue = [_Job(t) for t in order]
        if batched:  # each worker makes its shard's answers in one batch: balance the shards by cells
            load = [0] * n
            for job in queue:
                job.prefer = load.index(min(load))
                load[job.prefer] += task_cells(job.task)
            shards = [[job.task for job in queue if job.prefer == i] for i in range(n)]
        else:
            shards = [order[:1]] * n  # a non-batched solver only loads its model: any task will do
        state = ["idle"] * n  # idle, busy, restarting, dead
        pending: dict[Any, tuple[str, int, _Job | None, float]] = {}
        prepared: list[dict] = []
        ready_at_dispatch: set[Any] = set()  # solve calls sent to a worker already prepared (for the stats)
        n_prepare = n
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        t_start = time.perf_counter()
        for i, actor in enumerate(self.actors):
            pending[actor.prepare.remote(shards[i])] = ("prepare", i, None, time.perf_counter())

        def pick(i: int) -> _Job | None:
            for job in queue:
                if job.prefer == i:
                    return job
            others = any(s != "dead" for j, s in enumerate(state) if j != i)
            for job in queue:
                if job.prefer is None and (i not in job.avoid or not others):
                    return job
            return None

        def dispatch() -> None:
            if deadline is not None and time.monotonic() >= deadline:
                return
            for i in range(n):
                while state[i] == "idle" and (job := pick(i)) is not None:
                    queue.remove(job)
                    if admit is not None and not admit(job.task):
                        continue
                    state[i] = "busy"
                    ref = self.actors[i].solve_task.remote(job.task, (ahead or {}).get(job.task.id))
                    pending[ref] = ("solve", i, job, time.perf_counter())
                    if any(w.get("index") == i for w in prepared):
                        ready_at_dispatch.add(ref)

        def worker_lost(i: int, reason: str) -> None:
            if state[i] in ("restarting", "dead"):
                return
            state[i] = "restarting"
            self.stats.restarts += 1
            pending[self.actors[i].where.remote()] = ("ready", i, None, time.perf_counter())

        def finish(record: TaskRecord) -> None:
            nonlocal n_done
            run_dir.append(record)
            done[record.task_id] = record
            n_done += 1
            if progress is not None:
                progress(record, n_done, n_total)

        while queue or any(kind == "solve" for kind, *_ in pending.values()):
            dispatch()
            if deadline is not None and time.monotonic() >= deadline and not any(k == "solve" for k, *_ in pending.values()):
                self.log(f"ray: the time budget ran out with {len(queue)} tasks not started")
                return done, False
            if not pending:
                raise ClusterError(f"every Ray worker died; {len(queue)} tasks were not run (--resume to finish them)")
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=timeout)
            if not ready:  # the run's time budget ran out
                self.log(f"ray: the time budget ran out with {len(queue) + sum(k == 'solve' for k, *_ in pending.values())} "
                         "tasks unfinished")
                return done, False
            [ref] = ready
            kind, i, job, sent = pending.pop(ref)
            try:
                value = ray.get(ref)
            except lost as e:
                reason = _reason(e)
                if kind == "ready":  # it could not be restarted: gone for good
                    state[i] = "dead"
                    for other in queue:
                        if other.prefer == i:
                            other.prefer = None
                    continue
                worker_lost(i, reason)
                if kind == "prepare":
                    n_prepare -= 1
                if job is not None:
                    job.tries += 1
                    if job.tries > RETRIES:
                        finish(failed_record(job.task, "worker-died", f"its Ray worker died {job.tries} times: {reason}",
                                             time.perf_counter() - sent))
                    else:
                        job.avoid.add(i)
                        job.prefer = None
                        queue.insert(0, job)
                continue
            except Exception as e:  # noqa: BLE001 - raised inside the worker, past solve_one
                cause = getattr(e, "cause", None) or e
                if isinstance(cause, StorageError):
                    raise StorageError(str(cause)) from None  # the worker's disk failed: stop, as in one process
                if kind != "solve":
                    raise
                state[i] = "idle"
                finish(failed_record(job.task, "error", f"{type(cause).__name__}: {cause}", time.perf_counter() - sent))
                continue
            if kind == "ready":
                state[i] = "idle"
            elif kind == "prepare":
                prepared.append({"index": i, **value})
                if len(prepared) == n_prepare:
                    self._record_shared(run_dir, started, len(todo), t_start, prepared)
            else:
                record, files, inside = value
                files.write(run_dir.path)
                finish(record)
                if ref in ready_at_dispatch:
                    self.stats.inside_s.append(inside)
                    self.stats.round_trip_s.append(time.perf_counter() - sent)
                self.stats.bytes_back += files.n_bytes
                if state[i] == "busy":
                    state[i] = "idle"
        if len(prepared) < n_prepare:
            self._record_shared(run_dir, started, len(todo), t_start, prepared)
        return done, True

    def _record_shared(self, run_dir: RunDir, started: str, n_tasks: int, t_start: float, prepared: list[dict]) -> None:
        """One shared.jsonl entry for this start: each worker's shared work, and the slowest of each timing."""
        self.stats.workers = list(prepared)
        entry: dict[str, Any] = {"started": started, "n_tasks": n_tasks, "prepare_s": round(time.perf_counter() - t_start, 3),
                                 "ray_workers": len(self.actors)}
        for worker in prepared:
            for k, v in worker.items():
                if k.endswith("_s") and k != "prepare_s" and isinstance(v, (int, float)):
                    entry[k] = max(entry.get(k, 0.0), v)
                elif k.endswith("error"):
                    entry.setdefault(k, v)
        entry["workers"] = prepared
        run_dir.append_shared(entry)


def _reason(e: BaseException) -> str:
    """The first line of Ray's explanation of a lost worker."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]

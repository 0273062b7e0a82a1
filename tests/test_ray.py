"""Runs over Ray (the [ray] extra): a local cluster started inside the tests, real ARC tasks, the tiny
in-process model. The submission must equal the in-process run's; dead workers, raising tasks and a
killed driver must cost no answer."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

ray = pytest.importorskip("ray", reason="Ray is not installed (the [ray] extra: pip install -e '.[ray]')")

from cli import main  # noqa: E402
from ensemble.options import run_config  # noqa: E402
from ensemble.build import new_run, select_tasks  # noqa: E402
from ensemble.distributed import RayPool  # noqa: E402

QUICK = "007bbfb7,0d3d703e,3c9b0459,6150a2bd,67a3c6ac,68b16354,74dd1130,9dfd6313"  # the search solves these fast
FOUR = "0d3d703e,3c9b0459,6150a2bd,67a3c6ac"
TTT_SMALL = ["--ttt-max-tasks", "4", "--ttt-epochs", "1", "--lora-rank", "4", "--views", "identity,transpose",
             "--n-orders", "1", "--max-new-tokens", "48", "--device", "cpu"]


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster of 2 CPUs for this module, shut down at its end."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the fault hooks below travel by value
    ray.init(num_cpus=2, object_store_memory=80 * 1024 * 1024, include_dashboard=False, logging_level="warning")
    yield
    ray.shutdown()


def synth_args(out: Path, tasks: str = QUICK) -> list[str]:
    return ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", tasks,
            "--search-budget", "2000000", "--out", str(out)]


def records(run: Path) -> dict[str, dict]:
    return {r["task_id"]: r for r in map(json.loads, (run / "results.jsonl").read_text().splitlines())}


def files_of(run: Path, under: str) -> dict[str, bytes]:
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in sorted((run / under).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synth_reference(tmp_path_factory):
    """The in-process synth run over QUICK."""
    out = tmp_path_factory.mktemp("ref") / "run"
    result = CliRunner().invoke(main, synth_args(out))
    assert result.exit_code == 0, result.output
    return out


def pool_run(out: Path, worker_init, tasks: str = QUICK) -> tuple[RayPool, dict]:
    """A synth run over 2 workers through RayPool, with ``worker_init`` run in each worker."""
    ctx = main.make_context("arc-solve", synth_args(out, tasks))
    tasks_ = select_tasks("arc1-train", tasks, None)
    config = run_config(ctx.params, tuple(tasks_))
    run = new_run(config, out)
    pool = RayPool(config, workers=2, worker_init=worker_init)
    try:
        done = pool.run_tasks(tasks_, run)
        run.finish(tasks_)
    finally:
        pool.close()
        run.unlock()
    return pool, done


def test_ensemble_over_two_workers_equals_the_in_process_run(cluster, tmp_path, small_ensemble_runs):
    # the same command in process, made once per session (conftest), with one thread as in each worker:
    # CPU float sums depend on the thread count
    args, local, over_ray = small_ensemble_runs["args"], small_ensemble_runs["plain"], tmp_path / "ray"
    result = CliRunner().invoke(main, [*args, "--out", str(over_ray), "--ray", "--ray-workers", "2"])
    assert result.exit_code == 0, result.output
    assert "ray: 2 workers" in result.output
    assert (over_ray / "submission.json").read_bytes() == (local / "submission.json").read_bytes()
    assert (over_ray / "scores.json").read_bytes() == (local / "scores.json").read_bytes()
    mine, theirs = records(over_ray), records(local)
    assert set(mine) == set(FOUR.split(","))
    for tid, r in theirs.items():
        assert {k: v for k, v in mine[tid].items() if k != "timings"} == {k: v for k, v in r.items() if k != "timings"}
    # the driver wrote every worker's files: the same adapters (byte for byte) and programs
    assert files_of(over_ray, "ttt/adapters") == files_of(local, "ttt/adapters")
    assert files_of(over_ray, "programs") == files_of(local, "programs")
    # the run directory holds only what RunDir wrote and the adapters: no file names a worker's path
    assert not (over_ray / "ttt" / "ttt_results.jsonl").exists()
    assert "arc-solve-worker-" not in "".join(p.read_text() for p in over_ray.rglob("*.json*"))
    shared = json.loads((over_ray / "shared.jsonl").read_text())
    assert shared["ray_workers"] == 2 and len({w["pid"] for w in shared["workers"]}) == 2
    assert "ttt_model_load_s" in shared
    for w in shared["workers"]:
        assert not list(Path(tempfile.gettempdir()).glob(f"arc-solve-worker-{w['pid']}-*")), "workers remove their scratch"


def exit_on(task_id: str, marker: Path, every_time: bool = False):
    """A worker_init hook: the worker process dies (os._exit) in the middle of solving ``task_id``,
    inside the real synthesizer, the first time (or every time) any worker reaches it."""

    def install():
        from synth.solver import ProgramSynthesizer

        original = ProgramSynthesizer.propose

        def propose(self, task):
            if task.id == task_id and (every_time or not marker.exists()):
                marker.write_text(str(os.getpid()))
                os._exit(3)
            return original(self, task)

        ProgramSynthesizer.propose = propose

    return install


def test_a_worker_that_dies_is_replaced_and_its_task_retried_elsewhere(cluster, tmp_path, synth_reference):
    marker = tmp_path / "died"
    pool, done = pool_run(tmp_path / "run", exit_on("6150a2bd", marker))
    assert marker.exists(), "the worker died on the chosen task"
    assert pool.stats.restarts == 1
    assert set(done) == set(QUICK.split(",")) and all(r.status == "ok" for r in done.values())
    assert (tmp_path / "run" / "submission.json").read_bytes() == (synth_reference / "submission.json").read_bytes()


def test_a_task_whose_worker_dies_twice_is_an_error_with_the_reason(cluster, tmp_path, synth_reference):
    pool, done = pool_run(tmp_path / "run", exit_on("6150a2bd", tmp_path / "died", every_time=True))
    failed = {tid: r for tid, r in done.items() if r.status != "ok"}
    assert list(failed) == ["6150a2bd"]
    assert failed["6150a2bd"].error_kind == "worker-died" and "died 2 times" in failed["6150a2bd"].error
    assert pool.stats.restarts == 2
    ref = json.loads((synth_reference / "submission.json").read_text())
    sub = json.loads((tmp_path / "run" / "submission.json").read_text())
    assert {k: v for k, v in sub.items() if k != "6150a2bd"} == {k: v for k, v in ref.items() if k != "6150a2bd"}


def raise_on(task_id: str):
    def install():
        from synth.solver import ProgramSynthesizer

        original = ProgramSynthesizer.propose

        def propose(self, task):
            if task.id == task_id:
                raise RuntimeError("sampler blew up on this task")
            return original(self, task)

        ProgramSynthesizer.propose = propose

    return install


def test_a_task_raising_in_a_worker_is_one_error_record(cluster, tmp_path):
    pool, done = pool_run(tmp_path / "run", raise_on("0d3d703e"), tasks="007bbfb7,0d3d703e,3c9b0459")
    assert [r for r in records(tmp_path / "run")] == sorted(done, key=list(done).index)
    assert {tid: r.status for tid, r in done.items()} == {"007bbfb7": "ok", "0d3d703e": "error", "3c9b0459": "ok"}
    assert "sampler blew up" in done["0d3d703e"].error
    assert pool.stats.restarts == 0
    assert len((tmp_path / "run" / "results.jsonl").read_text().splitlines()) == 3


def hang_on(task_id: str):
    """A worker_init hook: the worker never finishes ``task_id`` (an hour's sleep inside the synthesizer)."""

    def install():
        from synth.solver import ProgramSynthesizer

        original = ProgramSynthesizer.propose

        def propose(self, task):
            if task.id == task_id:
                time.sleep(3600)
            return original(self, task)

        ProgramSynthesizer.propose = propose

    return install


def test_the_time_budget_holds_over_ray(cluster, tmp_path):
    from arc.submission import check_submission
    from ensemble.budget import run_budgeted

    out = tmp_path / "run"
    ctx = main.make_context("arc-solve", synth_args(out))
    tasks_ = select_tasks("arc1-train", QUICK, None)
    run = new_run(run_config(ctx.params, tuple(tasks_)), out)
    pool = RayPool(run.config(), workers=2, worker_init=hang_on("007bbfb7"))
    # The hanging task keeps the run going until the deadline whatever its length; no assertion needs the
    # other tasks done by then (they are counted either way), so the budget is short: the test lasts as long.
    try:
        done = run_budgeted(tasks_, pool, run, 10.0, submission=tmp_path / "submission.json", started=time.monotonic())
    finally:
        pool.close()  # the hanging worker is killed mid-task
        run.unlock()
    assert "007bbfb7" not in done  # cut at the deadline: no record, --resume solves it
    check_submission(json.loads((tmp_path / "submission.json").read_text()), tasks_)
    [entry] = run.budget()
    assert entry["ended"] == "budget" and "007bbfb7" in entry["synth"]["unreached"]
    assert entry["synth"]["tasks"] + len(entry["synth"]["unreached"]) == 8


def test_a_budgeted_ensemble_over_ray_plans_both_phases_and_gives_the_in_process_answers(cluster, tmp_path,
                                                                                         small_ensemble_runs):
    from ensemble.run import RunDir

    args = [*small_ensemble_runs["args"], "--time-budget", "1h"]
    local, over_ray = small_ensemble_runs["budgeted"], tmp_path / "ray"  # the same command, in process
    result = CliRunner().invoke(main, [*args, "--out", str(over_ray), "--ray", "--ray-workers", "2"])
    assert result.exit_code == 0, result.output
    assert (over_ray / "submission.json").read_bytes() == (local / "submission.json").read_bytes()
    mine, theirs = records(over_ray), records(local)
    for tid, r in theirs.items():
        assert {k: mine[tid][k] for k in ("attempts", "rules", "ttt", "synth")} == {k: r[k] for k in ("attempts", "rules", "ttt", "synth")}
    assert files_of(over_ray, "programs") == files_of(local, "programs")
    [entry] = RunDir(over_ray).budget()
    assert entry["synth"]["tasks"] == 4 and sorted(entry["ttt"]["ran"]) == sorted(FOUR.split(","))
    phases = [json.loads(line).get("phase") for line in (over_ray / "shared.jsonl").read_text().splitlines()]
    assert phases == ["synth", None]  # the synthesizer's pool, then the run's


def ray_processes(temp_root: str) -> list[int]:
    """Pids of the processes of clusters started with RAY_TMPDIR=``temp_root``: its servers name it
    on their command line, its workers (``ray::...``) carry it in their environment."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if temp_root.encode() in (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass  # gone meanwhile, or not ours to read
    return pids


def left_behind(temp_root: str, grace_s: float = 30.0) -> list[int]:
    """The cluster's processes still alive after ``grace_s`` (workers notice a dead raylet in a moment)."""
    deadline = time.time() + grace_s
    while (pids := ray_processes(temp_root)) and time.time() < deadline:
        time.sleep(0.2)
    return pids


def test_driver_sigkilled_then_resume_over_ray_gives_the_same_submission(tmp_path, synth_reference):
    temp_root = tempfile.mkdtemp(prefix="arcray")  # short: Ray's socket paths must fit in 107 bytes
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_TMPDIR": temp_root}
    cli = [sys.executable, "-c", "import cli; cli.main()"]
    run = tmp_path / "killed"
    try:
        proc = subprocess.Popen(cli + synth_args(run) + ["--ray"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if (run / "results.jsonl").exists() and len(records(run)) >= 2:
                break
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert left_behind(temp_root) == [], "the killed driver's cluster goes with it"
        done_before = list(records(run))
        assert 2 <= len(done_before) < 8, "the kill should land part-way through the run"
        assert not (run / "submission.json").exists()

        resumed = subprocess.run(cli + ["--resume", str(run), "--ray"], env=env, capture_output=True, text=True,
                                 timeout=600)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{len(done_before)} already done" in resumed.stderr
        ids = [json.loads(l)["task_id"] for l in (run / "results.jsonl").read_text().splitlines()]
        assert len(ids) == len(set(ids)) == 8, "no task is done twice"
        assert ids[: len(done_before)] == done_before
        assert (run / "submission.json").read_bytes() == (synth_reference / "submission.json").read_bytes()
        assert left_behind(temp_root) == [], "a finished run shuts its cluster down"
    finally:
        left = ray_processes(temp_root)
        for pid in left:  # the killed driver's cluster, if any of it outlived the kill
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(temp_root, ignore_errors=True)


def stand_in_engine(starts: Path):
    """A worker_init hook: the vllm backend is a stand-in engine (answers one small grid per prompt)
    that leaves one file in ``starts`` per engine start, named by the worker's pid."""

    def install():
        from ttt.backends import BACKENDS, Generation

        class Engine:
            def __init__(self, base, tok, cfg, max_lora_rank=128):
                (starts / f"{os.getpid()}-{time.time_ns()}").write_text("")
                self.tokenizer = tok

            def count_tokens(self, text, add_special_tokens=True):
                return len(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

            def generate(self, prompts, adapters=None, *, max_new_tokens, stop=(), add_special_tokens=True):
                return [Generation("1\n#", True) for _ in prompts]

            def close(self):
                pass

        BACKENDS["vllm"] = Engine

    return install


def test_batched_ttt_makes_each_workers_share_in_one_engine_start(cluster, tmp_path, tiny_model_dir, monkeypatch):
    """--backend vllm over Ray: each worker trains its share of the tasks and starts its engine
    once for all of them; the answers are those of the same run in one process."""
    starts = tmp_path / "starts"
    starts.mkdir()
    args = ["--mode", "ttt", "--backend", "vllm", "--dataset", "arc1-train", "--tasks", FOUR, "--model",
            str(tiny_model_dir), "--ttt-steps", "1", *TTT_SMALL]
    from ttt.backends import BACKENDS

    # Save the real entry first, so monkeypatch puts it back after the stand-in replaces it.
    monkeypatch.setitem(BACKENDS, "vllm", BACKENDS["vllm"])
    stand_in_engine(starts)()  # in this process too
    local = tmp_path / "local"
    assert CliRunner().invoke(main, [*args, "--out", str(local)]).exit_code == 0
    assert len(list(starts.iterdir())) == 1
    for f in starts.iterdir():
        f.unlink()

    ctx = main.make_context("arc-solve", [*args, "--out", str(tmp_path / "ray")])
    tasks_ = select_tasks("arc1-train", FOUR, None)
    run = new_run(run_config(ctx.params, tuple(tasks_)), tmp_path / "ray")
    pool = RayPool(run.config(), workers=2, threads=1, worker_init=stand_in_engine(starts))
    try:
        done = pool.run_tasks(tasks_, run)
        run.finish(tasks_)
    finally:
        pool.close()
        run.unlock()
    assert all(r.status == "ok" for r in done.values()) and set(done) == set(tasks_)
    pids = sorted(f.name.split("-")[0] for f in starts.iterdir())
    assert len(pids) == 2 and len(set(pids)) == 2, "one engine start in each worker, for its whole share"
    assert (tmp_path / "ray" / "submission.json").read_bytes() == (local / "submission.json").read_bytes()
    shared = json.loads((tmp_path / "ray" / "shared.jsonl").read_text())
    # shares balanced by cells: 67a3c6ac (211 cells) alone, 0d3d703e, 3c9b0459 (81 each) and 6150a2bd (45) together
    assert sorted(w["ttt_n_tasks"] for w in shared["workers"]) == [1, 3]

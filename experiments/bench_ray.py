"""Ray scale-out on CPU: tasks per minute in one process and over 1 and 2 Ray workers, for the program
search (synth mode, search proposer) and for TTT with the bundled model (quick preset), and Ray's
overhead per task (dispatch plus the result's transfer: the round trip seen by the driver minus the
time spent inside the worker). Writes experiments/results/ray_cpu.json.

    .venv/bin/python experiments/bench_ray.py                          # the recorded run (quiet machine)
    .venv/bin/python experiments/bench_ray.py --search-tasks 4 --ttt-tasks 2 --out /tmp/ray.json  # a look

Every run solves the same real ARC-AGI-1 training tasks through the same code as `arc-solve`
(`run_tasks` in one process, `RayPool.run_tasks` over Ray), each in a fresh run directory; the
submissions of all layouts are compared. Times include each solver's start (loading the model in
every worker), not the cluster's start (one `ray.init(num_cpus=2)` for the whole benchmark);
``tasks_per_min_after_start`` leaves out that start-up (``start_s``: until the last worker is ready),
which a long run pays once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def options(mode: str, search_budget: int) -> dict:
    """The run's options, as `arc-solve` takes them (``ensemble.options``)."""
    if mode == "search":
        return {"mode": "synth", "sampler": "search", "search_budget": search_budget, "dataset": "arc1-train"}
    return {"mode": "ttt", "preset": "quick", "device": "cpu", "dataset": "arc1-train"}


def run_once(mode: str, tasks: list[str], search_budget: int, workers: int | None, threads: int | None) -> dict:
    """One run in a fresh run directory: in this process (``workers`` None) or over that many Ray workers."""
    from ensemble.build import build_task_solver, new_run, select_tasks, set_torch_threads
    from ensemble.options import run_config
    from ensemble.run import run_tasks

    tasks_ = select_tasks("arc1-train", ",".join(tasks), None)
    config = run_config(options(mode, search_budget), tuple(tasks_))
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        run = new_run(config, Path(tmp) / "run")
        pool = solve = None
        start = time.perf_counter()
        try:
            if workers is None:
                if threads is not None and config.ttt is not None:
                    set_torch_threads(threads)
                solve = build_task_solver(config, run.path, tasks_)
                done = run_tasks(tasks_, solve, run)
            else:
                from ensemble.distributed import RayPool

                pool = RayPool(config, workers=workers, threads=threads)
                done = pool.run_tasks(tasks_, run)
            seconds = time.perf_counter() - start
            run.finish(tasks_)
            submission = (run.path / "submission.json").read_text()
            start_s = run.shared()[-1]["prepare_s"]  # loading the model, in every worker: until all are ready
        finally:
            if solve is not None:
                solve.close()
            if pool is not None:
                pool.close()
            run.unlock()
    out: dict = {"workers": workers or 0, "seconds": round(seconds, 2), "start_s": start_s,
                 "tasks_per_min": round(60 * len(tasks) / seconds, 2),
                 "tasks_per_min_after_start": round(60 * len(tasks) / max(seconds - start_s, 1e-9), 2),
                 "n_ok": sum(r.status == "ok" for r in done.values()),
                 "task_s_mean": round(statistics.mean(r.timings.get("total", 0.0) for r in done.values()), 3)}
    if pool is not None and pool.stats.inside_s:
        st = pool.stats
        overhead = [rt - inside for rt, inside in zip(st.round_trip_s, st.inside_s)]
        out["ray"] = {"n_measured": len(overhead), "overhead_s_mean": round(statistics.mean(overhead), 4),
                      "overhead_s_median": round(statistics.median(overhead), 4),
                      "inside_s_mean": round(statistics.mean(st.inside_s), 3),
                      "overhead_share": round(sum(overhead) / sum(st.round_trip_s), 4),
                      "bytes_back_per_task": st.bytes_back // len(done)}
    out["_submission"] = submission
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--search-tasks", type=int, default=24, help="ARC-AGI-1 training tasks for the search")
    p.add_argument("--ttt-tasks", type=int, default=8, help="ARC-AGI-1 training tasks for TTT (quick preset)")
    p.add_argument("--search-budget", type=int, default=8_000_000, help="search work per task, in cells")
    p.add_argument("--workers", default="1,2", help="Ray worker counts to measure")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads in this process (the in-process TTT run) and in each worker; 0: torch's default")
    p.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "ray_cpu.json")
    args = p.parse_args()

    import ray

    from arc.data import load_dataset
    from ensemble.distributed import task_cells

    train = load_dataset("arc1-train")
    # the smallest tasks first (by cells): the quick preset keeps them within its token budgets
    by_size = sorted(train.values(), key=lambda t: (task_cells(t), t.id))
    picks = {"search": [t.id for t in by_size[: args.search_tasks]], "ttt": [t.id for t in by_size[: args.ttt_tasks]]}
    worker_counts = [int(w) for w in args.workers.split(",")]
    threads = args.threads or None

    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    results: dict = {}
    try:
        for mode in ("search", "ttt"):
            if not picks[mode]:
                continue
            runs = [run_once(mode, picks[mode], args.search_budget, None, threads)]
            for w in worker_counts:
                runs.append(run_once(mode, picks[mode], args.search_budget, w, threads))
            same = len({r.pop("_submission") for r in runs}) == 1
            by_workers = {r["workers"]: r for r in runs}
            entry = {"tasks": picks[mode], "runs": runs, "same_submission": same}
            for key in ("tasks_per_min", "tasks_per_min_after_start"):
                if 1 in by_workers and 2 in by_workers:
                    entry[f"speedup_2_over_1_workers ({key})"] = round(by_workers[2][key] / by_workers[1][key], 3)
                entry[f"speedup_2_workers_over_in_process ({key})"] = round(by_workers.get(2, runs[-1])[key] / runs[0][key], 3)
            results[mode] = entry
            print(json.dumps({mode: {k: v for k, v in entry.items() if k != "tasks"}}, indent=1), flush=True)
    finally:
        ray.shutdown()

    import torch

    report = {
        "what": "tasks per minute in one process and over 1 and 2 Ray workers (CPU), and Ray's overhead per task",
        "command": "python experiments/bench_ray.py " + " ".join(sys.argv[1:]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "ray": ray.__version__,
                    "torch": torch.__version__, "load_avg_at_end": os.getloadavg()},
        "settings": {"search_budget": args.search_budget, "threads": args.threads, "ttt": "--preset quick, bundled model"},
        "aims": {"speedup_2_over_1_workers": ">= 1.7", "overhead_share": "< 0.05"},
        **results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

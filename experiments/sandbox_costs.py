"""Where a sandbox run's CPU and page faults go: the worker proper, its forker, the program processes.

One worker runs the benchmark's program (experiments/bench_sandbox.py: a real task's 4 inputs) ``--runs``
times; the CPU seconds and minor page faults of the worker proper and of its forker (if it has one), and
of the program processes (which the worker proper reaps: its cutime/cstime/cminflt), are read from
/proc/PID/stat before and after, and divided by the number of runs. CPU figures rise with the machine's
load (caches, the hypervisor); the page faults do not.

Usage: python experiments/sandbox_costs.py [--runs 3000] [--out experiments/results/sandbox_costs.json]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import arc  # noqa: E402
from synth.sandbox import Sandbox  # noqa: E402
from experiments.bench_sandbox import PROGRAM, TASK_ID, _children, write_results  # noqa: E402


def _stat(pid: int) -> dict[str, float]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    # (fields from the state on: minflt 7, cminflt 8, utime 11, stime 12, cutime 13, cstime 14)
    return {"cpu_s": (int(fields[11]) + int(fields[12])) / tick, "faults": int(fields[7]),
            "children_cpu_s": (int(fields[13]) + int(fields[14])) / tick, "children_faults": int(fields[8])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sandbox_costs.json"))
    args = parser.parse_args()
    inputs = [ex.input for ex in arc.load_dataset("arc1-train")[TASK_ID].train]
    with Sandbox(workers=1) as box:
        box.run_many([(PROGRAM, inputs, k) for k in range(8)])
        proper = _children(box._all[0].proc.pid)[0]
        own_ns = os.readlink(f"/proc/{proper}/ns/pid")
        forker = [pid for pid in _children(proper) if os.readlink(f"/proc/{pid}/ns/pid") == own_ns]
        before = [_stat(pid) for pid in [proper] + forker]
        start = time.perf_counter()
        runs = box.run_many([(PROGRAM, inputs, k) for k in range(args.runs)])
        elapsed = time.perf_counter() - start
        after = [_stat(pid) for pid in [proper] + forker]
    assert all(r.status == "ok" for run in runs for r in run.results), "benchmark program failed"
    per = lambda i, key: round((after[i][key] - before[i][key]) / args.runs * (1e3 if "cpu" in key else 1), 3)  # noqa: E731
    results = {
        "runs": args.runs, "runs_per_s_1_worker": round(args.runs / elapsed),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "cpu_ms_per_run": {"worker_proper": per(0, "cpu_s"), "forker": per(1, "cpu_s") if forker else 0.0,
                           "program_processes": per(0, "children_cpu_s")},
        "page_faults_per_run": {"worker_proper": per(0, "faults"), "forker": per(1, "faults") if forker else 0.0,
                                "program_processes": per(0, "children_faults")},
    }
    for key in ("cpu_ms_per_run", "page_faults_per_run"):
        results[key]["total"] = round(sum(results[key].values()), 3)
    results["command"] = f"python experiments/sandbox_costs.py --runs {args.runs}"
    write_results(results, args.out)


if __name__ == "__main__":
    main()

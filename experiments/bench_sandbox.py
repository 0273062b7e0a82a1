"""Benchmark the sandbox: throughput (every program in a fresh process), the cost of a timeout, and memory.

Throughput is program runs per second, each run one program on the 4 demonstration inputs of a real task,
in a process forked for it and confined before it runs (with a tmpfs scratch mounted for it alone), set
beside the floor of any fork-per-program design on the same machine in the same run: a process holding
the worker's imports forking children that exit at once, one such process per core. Worker RSS is the worker's processes
between programs (the one that entered the namespaces, the worker proper, pid 1 of its PID namespace, and the worker proper's
children: its forker, which makes each program's process, and the process kept confined and waiting for the next program),
summed as the kernel counts each (pages they share are counted once per process).

On a shared machine, run it as ``chrt -r 1 python experiments/bench_sandbox.py`` (as root): SCHED_RR, which the
workers and their programs inherit, approximates a quiet machine (the floor then reads as on a quiet day). Under
``nice -n -10`` alone it does not: Linux schedules each session (the benchmark's, each sandbox worker's) as one
group and nice orders processes only within a group, so the benchmark gives its own session's group and each
worker's the nice it was started with (``/proc/PID/autogroup``, as root), which helps but is not enough.

Usage: python experiments/bench_sandbox.py [--runs 3000] [--out experiments/results/sandbox.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import arc  # noqa: E402
from synth.sandbox import Sandbox  # noqa: E402 (the sandbox with dsl.common preloaded as common)

TASK_ID = "3c9b0459"  # 4 demonstrations; output = input rotated by 180 degrees
PROGRAM = """from common import *
import numpy as np

def transform(input_grid):
    # rotate by 180 degrees, then keep the colours
    output_grid = np.rot90(input_grid, 2).copy()
    return output_grid
"""
LOOP = "def transform(g):\n    while True:\n        pass\n"
# The floor under any fork-per-program design here: a process with the worker's imports forks a child that
# exits at once, and reaps it, in a loop; one such process per core.
FORK_EXIT = """
import gc, os, sys, time
sys.path.insert(0, sys.argv[1])
import numpy, numpy.random, numpy.linalg, dsl.common
gc.collect(); gc.freeze()
n = int(sys.argv[2]); start = time.perf_counter()
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
print(time.perf_counter() - start)
"""


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _children(*pids: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) in pids:
                out.append(int(name))
    return out


def fork_exit_ceiling(processes: int, n: int) -> float:
    """Forks (with exit and reap) per second over ``processes`` processes holding the worker's imports."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    root = str(Path(__file__).resolve().parents[1])
    procs = [subprocess.Popen([sys.executable, "-c", FORK_EXIT, root, str(n)], stdout=subprocess.PIPE, env=env)
             for _ in range(processes)]
    seconds = [float(p.communicate()[0]) for p in procs]
    return processes * n / max(seconds)


def group_nice(pid: int) -> None:
    """Give the scheduler's group of ``pid``'s session (its autogroup) this process's nice, if lower."""
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    if nice < 0:
        try:
            with open(f"/proc/{pid}/autogroup", "w") as f:
                f.write(str(nice))
        except OSError:
            pass  # no autogroups, or not allowed: nice alone then


def throughput(box: Sandbox, inputs, n: int) -> float:
    box.run_many([(PROGRAM, inputs, k) for k in range(4 * box.workers)])  # start and warm every worker
    for worker in box._all:
        group_nice(worker.proc.pid)
    start = time.perf_counter()
    runs = box.run_many([(PROGRAM, inputs, k) for k in range(n)])
    elapsed = time.perf_counter() - start
    assert all(r.status == "ok" for run in runs for r in run.results), "benchmark program failed"
    return n / elapsed


def write_results(results: dict, out: str | Path) -> None:
    """``results`` as indented JSON into ``out`` (its folder made if need be), and on stdout."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sandbox.json"))
    args = parser.parse_args()
    group_nice(os.getpid())
    task = arc.load_dataset("arc1-train")[TASK_ID]
    inputs = [ex.input for ex in task.train]
    assert len(inputs) == 4
    cpus = os.cpu_count() or 1
    results: dict = {"machine": f"{platform.machine()}, {cpus} cores, Linux {platform.release()}",
                     "python": platform.python_version(), "task": TASK_ID, "inputs_per_run": len(inputs),
                     "runs": args.runs,
                     "nice": os.getpriority(os.PRIO_PROCESS, 0),
                     "load_average_1min_at_start": round(os.getloadavg()[0], 2)}  # machines here are shared

    t0 = time.perf_counter()
    with Sandbox(workers=1) as box:
        box.capabilities()
        results["worker_start_s"] = round(time.perf_counter() - t0, 3)
        results["capabilities"] = box.capabilities()
        results["runs_per_s_1_worker"] = round(throughput(box, inputs, args.runs))
        outer = box._all[0].proc.pid  # enters the namespaces, then waits for the worker proper (pid 1 there)
        inner = _children(outer)
        results["rss_mb_worker"] = round(_rss_mb(outer) + sum(_rss_mb(p) for p in inner + _children(*inner)), 1)
        cost = []
        for _ in range(3):
            start = time.perf_counter()
            status = box.run(LOOP, inputs, timeout_s=2.0).results[0].status
            cost.append(time.perf_counter() - start)
            assert status == "timeout"
        results["timeout_cost_s_at_2s_limit"] = round(sum(cost) / len(cost), 3)
    # The floor is measured right before and right after the pool with one worker per core, and the ratio
    # taken against their mean: the machines here are shared, and the load moves within a minute.
    floor_before = fork_exit_ceiling(cpus, 2000)
    with Sandbox(workers=cpus) as box:
        results[f"runs_per_s_{cpus}_workers"] = round(throughput(box, inputs, args.runs))
    floor_after = fork_exit_ceiling(cpus, 2000)
    floor = (floor_before + floor_after) / 2
    results[f"fork_exit_only_per_s_{cpus}_processes"] = round(floor)
    results["fork_exit_floor_before_after"] = [round(floor_before), round(floor_after)]
    results[f"ratio_{cpus}_workers_to_floor"] = round(results[f"runs_per_s_{cpus}_workers"] / floor, 3)
    with Sandbox(workers=cpus + 1) as box:  # one more worker than cores hides the hand-offs between processes
        results[f"runs_per_s_{cpus + 1}_workers"] = round(throughput(box, inputs, args.runs))
    results["rss_mb_parent"] = round(_rss_mb(os.getpid()), 1)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)

    write_results(results, args.out)


if __name__ == "__main__":
    main()

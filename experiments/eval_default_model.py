"""Measure the bundled default model (ttt/default_model) for its model card.

Two parts, each written to experiments/results/default_model.json:

1. held-out format check: greedy answers without TTT, identity view, on the ARC-AGI-1 training
   tasks held out of fine-tuning (holdout.txt beside the model): how many parse as grids, how many
   have the expected shape, how many are right;
2. the 80-task dev subset (arc1-eval-dev80): pass@2 without TTT (``--adapter-mode none``) and with
   TTT, both with ``--preset quick``, run through the real CLI in child processes; seconds per task
   and peak memory (max RSS of the child) from the runs.

    .venv/bin/python experiments/eval_default_model.py               # everything
    .venv/bin/python experiments/eval_default_model.py --part format # only the held-out check

Runs are resumable: re-running continues the run directories under runs/eval-default/.

The measurement of TTT with the recipe ``--preset auto`` picks for this model (dev80 and the
held-out tasks, with the right-answer-among-candidates check) is experiments/eval_ttt.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results" / "default_model.json"


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def save(results: dict) -> None:
    # merge with what is on disk: the parts may run as separate processes at the same time
    merged = {**load_results(), **results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=1))


def unseen_arc2_tasks(n: int = 40, seed: int = 0) -> list:
    """``n`` ARC-AGI-2 training tasks that are not ARC-AGI-1 tasks (by id or by any demonstration
    input), chosen with a seeded rule: tasks no fine-tuning run saw without --include-arc2-train."""
    import numpy as np

    from arc.data import load_dataset

    arc1 = {**load_dataset("arc1-train"), **load_dataset("arc1-eval")}
    arc1_inputs = {ex.input for t in arc1.values() for ex in t.train}
    arc2 = load_dataset("arc2-train")
    fresh = sorted(tid for tid, t in arc2.items()
                   if tid not in arc1 and not any(ex.input in arc1_inputs for ex in t.train))
    picked = np.random.default_rng(seed).choice(len(fresh), size=min(n, len(fresh)), replace=False)
    return [arc2[fresh[i]] for i in sorted(picked.tolist())]


def format_part(model_dir: Path, threads: int) -> dict:
    import torch

    from arc.data import load_dataset
    from ensemble.config import PRESETS
    from ttt.finetune import format_check, read_holdout
    from ttt.format import make_formatter
    from ttt.model import load_base

    quick_budget = PRESETS["quick"]["infer"]["max_tokens"]
    torch.set_num_threads(threads)
    held_ids = read_holdout(model_dir / "holdout.txt")
    arc1 = load_dataset("arc1-train")
    sets = {"arc1_train_holdout_txt": [arc1[t] for t in held_ids], "arc2_train_unseen": unseen_arc2_tasks()}
    model, tok = load_base(model_dir, device="cpu")
    out = {}
    for set_name, tasks in sets.items():
        # full prompts, and prompts fitted to the quick preset's inference budget the way inference does
        for name, budget in (("full_prompts", None), (f"budget_{quick_budget}", quick_budget)):
            t0 = time.perf_counter()
            counts = format_check(model, tok, make_formatter("compact", tok), tasks, max_tokens=budget)
            counts["seconds"] = time.perf_counter() - t0
            counts["tasks"] = len(tasks)
            out[f"{set_name}/{name}"] = counts
    out["arc2_train_unseen_ids"] = [t.id for t in sets["arc2_train_unseen"]]
    return out


def candidate_stats(run_dir: Path, tasks: dict) -> dict:
    """From a finished run: TTT candidates (parsed, failed, too long) and, per test input, whether the
    first attempt has the expected shape."""
    from ensemble.run import RunDir

    stats = {"candidates": 0, "parse_failures": 0, "too_long": 0, "tests": 0, "first_attempt_right_shape": 0,
             "tests_without_attempt": 0}
    for tid, rec in RunDir(run_dir).records().items():
        info = (rec.info or {}).get("ttt", {})
        stats["candidates"] += info.get("n_candidates", 0)
        stats["parse_failures"] += info.get("n_parse_failures", 0)
        stats["too_long"] += info.get("n_too_long", 0)
        for test, attempts in zip(tasks[tid].test, rec.attempts or []):
            stats["tests"] += 1
            if not attempts:
                stats["tests_without_attempt"] += 1
                continue
            first, exp = attempts[0], test.output
            stats["first_attempt_right_shape"] += int((len(first), len(first[0])) == (len(exp), len(exp[0])))
    return stats


def run_cli(args: list[str], threads: int) -> tuple[int, float, float]:
    """Run arc-solve in a child; returns (exit code, wall seconds, peak RSS MiB of the child)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *args], cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - t0, usage.ru_maxrss / 1024


def dev_part(name: str, extra: list[str], threads: int, limit: int | None) -> dict:
    from ensemble.report import summarize
    from ensemble.run import RunDir
    from arc.data import load_dataset

    rel = Path("runs") / "eval-default" / name  # relative: the command is recorded in the results
    out = ROOT / rel
    args = ["--resume", str(rel)] if (out / "config.json").exists() else [
        "--mode", "ttt", "--preset", "quick", "--dataset", "arc1-eval-dev80", "--out", str(rel), *extra]
    if limit and not (out / "config.json").exists():
        args += ["--limit", str(limit)]
    code, wall, rss = run_cli(args, threads)
    run = RunDir(out)
    tasks = load_dataset("arc1-eval-dev80")
    summary = summarize(run, tasks).to_json()
    totals = [r.timings.get("total", 0.0) for r in run.records().values()]
    ens = summary["solvers"].get("ensemble", {})
    return {"exit_code": code, "command": "arc-solve " + " ".join(args), "tasks_done": summary["n_records"],
            "tasks_correct": ens.get("tasks_correct"), "task_accuracy": ens.get("task_accuracy"),
            "test_accuracy": ens.get("test_accuracy"), "seconds_per_task_mean": statistics.fmean(totals) if totals else None,
            "seconds_per_task_median": statistics.median(totals) if totals else None,
            "peak_rss_mib_this_session": rss, "wall_s_this_session": wall, "failures": summary["failures"],
            "stages": summary["stages"], "candidate_stats": candidate_stats(out, tasks)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["all", "format", "no-ttt", "ttt", "stats"], default="all",
                   help="'stats' recomputes the candidate statistics of finished dev80 runs")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="only the first N dev tasks (for a quick look)")
    p.add_argument("--model", type=Path, default=None,
                   help="format-check this model folder instead of the bundled one (printed, not saved)")
    a = p.parse_args()
    from ensemble.build import bundled_model_dir

    if a.model is not None:
        # a candidate model before it is bundled: the format check only, and the results file is left alone
        if a.part != "format":
            p.error("--model works with --part format only")
        print(json.dumps(format_part(a.model, a.threads), indent=1))
        return
    model_dir = bundled_model_dir()
    results: dict = {}
    if a.part in ("all", "format"):
        results["heldout_format_check"] = format_part(model_dir, a.threads)
        save(results)
    if a.part in ("all", "no-ttt"):
        results["dev80_no_ttt"] = dev_part("no-ttt", ["--adapter-mode", "none"], a.threads, a.limit)
        save(results)
    if a.part in ("all", "ttt"):
        results["dev80_ttt"] = dev_part("ttt", [], a.threads, a.limit)
        save(results)
    if a.part == "stats":
        from arc.data import load_dataset

        tasks = load_dataset("arc1-eval-dev80")
        merged = load_results()
        for name, key in (("no-ttt", "dev80_no_ttt"), ("ttt", "dev80_ttt")):
            if key in merged:
                results[key] = {**merged[key], "candidate_stats": candidate_stats(ROOT / "runs" / "eval-default" / name, tasks)}
        save(results)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

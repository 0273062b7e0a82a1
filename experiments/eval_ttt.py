"""Evaluate the TTT solver with the bundled model on CPU, without and with test-time training, on
the 80 dev tasks (arc1-eval-dev80) and on the 40 ARC-AGI-1 training tasks held out of the model's
training (ttt/default_model/holdout.txt).

Per (task set, mode) it reports: tasks solved (pass@2), per-test accuracy, test inputs whose
candidates contain the right answer at all (so a reader sees whether generation or voting is the
limit), cell accuracy of the first attempt, tasks that got no TTT, seconds per task (mean, median)
and peak RSS. One process, the model loaded once, one task at a time.

Each finished task is appended to runs/eval-ttt/<set>-<mode>/tasks.jsonl at once, and a rerun of
the same command skips the tasks already there, so a stopped evaluation is continued by running
the command again (by anyone). The summary goes to experiments/results/ttt_eval.json.

    .venv/bin/python experiments/eval_ttt.py                              # everything, the 'auto' recipe
    .venv/bin/python experiments/eval_ttt.py --sets holdout --modes ttt --limit 5
    setsid nohup nice -n 10 .venv/bin/python experiments/eval_ttt.py > runs/eval-ttt.log 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results" / "ttt_eval.json"
SETS = ("dev80", "holdout")
MODES = ("no-ttt", "ttt")


# -- metrics (shared with experiments/ttt_sweep.py) -----------------------------------------
def cell_accuracy(attempt: Any, expected: Any) -> float:
    """Share of cells right; 0 when the shape is wrong or there is no attempt."""
    if not attempt or len(attempt) != len(expected) or len(attempt[0]) != len(expected[0]):
        return 0.0
    cells = len(expected) * len(expected[0])
    return sum(a == b for ra, rb in zip(attempt, expected) for a, b in zip(ra, rb)) / cells


def task_metrics(result: Any, task: Any) -> dict:
    """Scores of one ``ttt.solve.TaskResult`` against the task's known test outputs."""
    tests = []
    for t, test in enumerate(task.test):
        attempts = result.attempts[t] if t < len(result.attempts) else ()
        cands = result.candidates[t] if t < len(result.candidates) else ()
        exp = test.output
        tests.append({
            "right": any(a == exp for a in attempts[:2]),
            "in_candidates": any(g == exp for g, _ in cands),
            "votes_for_right": sum(n for g, n in cands if g == exp),
            "n_distinct": len(cands),
            "first_cell_acc": cell_accuracy(attempts[0] if attempts else None, exp),
            "first_right_shape": bool(attempts) and (len(attempts[0]), len(attempts[0][0])) == (len(exp), len(exp[0])),
        })
    train = result.train
    return {
        "task_id": task.id,
        "solved": bool(tests) and all(t["right"] for t in tests),
        "tests": tests,
        "error": result.error,
        "got_ttt": train is not None and train.n_steps > 0 or bool(train and train.skipped),
        "n_pseudo_tasks": result.n_pseudo_tasks,
        "pseudo_tasks_trimmed": result.pseudo_tasks_trimmed,
        "loss_first_last": [train.losses[0], train.losses[-1]] if train is not None and train.losses else None,
        "n_candidates": result.n_candidates,
        "n_parse_failures": result.n_parse_failures,
        "n_too_long": result.n_too_long,
        "train_s": result.timings.get("train_s", 0.0) + result.timings.get("data_s", 0.0),
        "infer_s": result.timings.get("infer_s", 0.0),
    }


def summarize(rows: list[dict]) -> dict:
    tests = [t for r in rows for t in r["tests"]]
    secs = [r["seconds"] for r in rows if "seconds" in r]
    return {
        "tasks": len(rows),
        "solved_pass2": sum(r["solved"] for r in rows),
        "tests": len(tests),
        "tests_right": sum(t["right"] for t in tests),
        "test_accuracy": sum(t["right"] for t in tests) / len(tests) if tests else None,
        "tests_right_in_candidates": sum(t["in_candidates"] for t in tests),
        "tests_right_shape_first": sum(t["first_right_shape"] for t in tests),
        "first_attempt_cell_accuracy": statistics.fmean(t["first_cell_acc"] for t in tests) if tests else None,
        "tasks_without_ttt": sum(not r["got_ttt"] for r in rows),
        "tasks_with_trimmed_pseudo_tasks": sum(r["pseudo_tasks_trimmed"] for r in rows),
        "errors": sum(r["error"] is not None for r in rows),
        "candidates": sum(r["n_candidates"] for r in rows),
        "parse_failures": sum(r["n_parse_failures"] for r in rows),
        "too_long": sum(r["n_too_long"] for r in rows),
        "seconds_per_task_mean": statistics.fmean(secs) if secs else None,
        "seconds_per_task_median": statistics.median(secs) if secs else None,
        "train_s_mean": statistics.fmean(r["train_s"] for r in rows) if rows else None,
        "infer_s_mean": statistics.fmean(r["infer_s"] for r in rows) if rows else None,
        "peak_rss_mib": max((r.get("rss_mib", 0) for r in rows), default=None),
        "solved_ids": sorted(r["task_id"] for r in rows if r["solved"]),
    }


# -- configs and task sets ------------------------------------------------------------------
def configs(preset: str, model_dir: Path, overrides: dict | None = None) -> tuple[Any, Any]:
    """The TTTConfig and InferConfig of ``preset`` ('auto': by the model's size) for the CPU,
    with ``overrides`` (nested field overrides, as a preset's) on top."""
    from ensemble.config import AUTO, PRESETS, RunConfig, auto_preset
    from ttt.config import InferConfig, TTTConfig
    from ttt.model import config_parameter_count

    if preset == AUTO:
        preset = auto_preset(config_parameter_count(model_dir))
    base = RunConfig(mode="ttt", dataset="arc1-eval-dev80", preset=preset, model=str(model_dir),
                     ttt=TTTConfig(format="compact"), infer=InferConfig(device="cpu"))
    cfg = base.override(PRESETS[preset])
    if overrides:
        cfg = cfg.override(overrides)
    return cfg.ttt, cfg.infer


def task_set(name: str, model_dir: Path) -> list:
    from arc.data import load_dataset
    from ttt.finetune import read_holdout

    if name == "dev80":
        return list(load_dataset("arc1-eval-dev80").values())
    train = load_dataset("arc1-train")
    return [train[t] for t in read_holdout(model_dir / "holdout.txt")]


def read_rows(path: Path) -> dict[str, dict]:
    """The rows already in ``path`` by task id (a torn last line is ignored: that task runs again)."""
    from arc.storage import read_jsonl

    return {row["task_id"]: row for _, row in read_jsonl(path)}


def run_part(model: Any, tok: Any, tasks: list, ttt_cfg: Any, infer_cfg: Any, run_dir: Path, log: Any = None) -> list[dict]:
    """Solve ``tasks`` one at a time into ``run_dir``, appending one scored row per task to its
    tasks.jsonl; tasks already there are skipped. Returns every row, in task order."""
    from arc.storage import append_jsonl
    from ttt.solve import solve_ttt

    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "tasks.jsonl"
    rows = read_rows(path)
    for i, task in enumerate(tasks):
        if task.id in rows:
            continue
        t0 = time.perf_counter()
        result = solve_ttt([task], model, ttt_cfg, infer_cfg, run_dir / "solver", tokenizer=tok)[task.id]
        row = {**task_metrics(result, task), "seconds": time.perf_counter() - t0,
               "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        append_jsonl(path, [row])  # fsync'ed: a killed evaluation loses no finished task
        rows[task.id] = row
        if log is not None:
            done = sum(t.id in rows for t in tasks)
            solved = sum(rows[t.id]["solved"] for t in tasks if t.id in rows)
            print(f"{run_dir.name} [{done}/{len(tasks)}] {task.id} solved={row['solved']} "
                  f"in_cands={[t['in_candidates'] for t in row['tests']]} {row['seconds']:.1f}s  total solved {solved}",
                  file=log, flush=True)
    return [rows[t.id] for t in tasks if t.id in rows]


def save(key: str, value: dict, path: Path = RESULTS) -> None:
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=1))
    os.replace(tmp, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default="dev80,holdout", help="comma-separated: dev80, holdout")
    p.add_argument("--modes", default="no-ttt,ttt", help="comma-separated: no-ttt, ttt")
    p.add_argument("--preset", default="auto", help="the TTT recipe: auto (by model size), small, quick, paper")
    p.add_argument("--threads", type=int, default=1, help="torch threads; on a loaded machine 1 is several times faster than 2")
    p.add_argument("--limit", type=int, default=None, help="only the first N tasks of each set (a quick look)")
    p.add_argument("--runs", type=Path, default=Path("runs") / "eval-ttt", help="where the per-task rows go")
    p.add_argument("--results", type=Path, default=RESULTS)
    a = p.parse_args()

    import torch

    from ensemble.build import bundled_model_dir
    from ttt.model import load_base

    torch.set_num_threads(a.threads)
    model_dir = bundled_model_dir()
    model, tok = load_base(model_dir, device="cpu")
    ttt_cfg, infer_cfg = configs(a.preset, model_dir)
    command = "python experiments/eval_ttt.py " + " ".join(sys.argv[1:])
    for set_name in a.sets.split(","):
        tasks = task_set(set_name, model_dir)[: a.limit]
        for mode in a.modes.split(","):
            cfg = ttt_cfg if mode == "ttt" else replace(ttt_cfg, adapter_mode="none")
            run_dir = ROOT / a.runs / f"{set_name}-{mode}"
            rows = run_part(model, tok, tasks, cfg, infer_cfg, run_dir, log=sys.stdout)
            summary = {**summarize(rows), "of_tasks": len(tasks), "preset": a.preset, "command": command,
                       "threads": a.threads, "ttt": cfg.to_json(), "infer": infer_cfg.to_json(),
                       "rows": str((a.runs / f"{set_name}-{mode}" / "tasks.jsonl"))}
            save(f"{set_name}/{mode}", summary, a.results)
            print(json.dumps({k: v for k, v in summary.items() if k not in ("ttt", "infer")}), flush=True)


if __name__ == "__main__":
    main()

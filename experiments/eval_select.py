"""TTT selection and sampling on dev80 with the bundled model: vote, product of experts (PoE) and
vote+PoE, over greedy candidates and over depth-first (DFS) candidates, from ONE run per task.

Per task: the task's model is tuned once (``solve_ttt``, greedy decoding and the vote: exactly the
product's path, timed as ``greedy_s``); the same tuned model then samples depth-first under the same
views (``dfs_s``: every completion above ``--threshold``, the greedy one always kept), and every
distinct grid of either pool is scored under the scoring views (``score_s``). The six arms are read
off these candidates and scores, so they differ only in what they select from and how.

Rows (every candidate grid with its count, greedy flag and per-view scores) are appended to
runs/eval-select/<set>/tasks.jsonl as each task finishes; a rerun skips the tasks already there.
The summary goes to experiments/results/ttt_select.json.

    nice -n 5 python experiments/eval_select.py --threads 1 --first 3194b014,66e6c45b
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from experiments.eval_ttt import configs, read_rows, save, task_set  # noqa: E402

RESULTS = ROOT / "experiments" / "results" / "ttt_select.json"
ARMS = tuple(f"{pool}/{method}" for pool in ("greedy", "dfs") for method in ("vote", "poe", "vote+poe"))


def _grid(g: Any) -> list:
    return [list(r) for r in g]


def evaluate_task(task: Any, model: Any, tok: Any, ttt_cfg: Any, infer_cfg: Any, run_dir: Path) -> dict:
    """One task: tune, greedy + vote (the product), DFS, PoE scores; the arms' choices and the facts."""
    from ttt.backends import HFBackend
    from ttt.format import make_formatter
    from ttt.infer import distinct_grids, predict_task
    from ttt.select import choose, score_candidates
    from ttt.solve import solve_ttt

    fmt = make_formatter(ttt_cfg.format, tok)
    t0 = time.perf_counter()
    result = solve_ttt([task], model, ttt_cfg, replace(infer_cfg, sampling="greedy", select="vote"), run_dir,
                       tokenizer=tok)[task.id]
    solve_s = time.perf_counter() - t0
    adapter_dir = run_dir / "adapters" / task.id
    adapter = adapter_dir if result.train is not None and adapter_dir.exists() else None
    backend = HFBackend(model, tok, infer_cfg)
    t0 = time.perf_counter()
    dfs = predict_task(task, backend, fmt, None, replace(infer_cfg, sampling="dfs", select="vote"), adapter)
    dfs_s = time.perf_counter() - t0
    tests, score_s = [], 0.0
    for t, test in enumerate(task.test):
        greedy_pool = dict(result.candidates[t]) if t < len(result.candidates) else {}
        dfs_grids, dfs_counts = distinct_grids(dfs.candidates[t])
        dfs_pool = dict(zip(dfs_grids, dfs_counts))
        grids = list(dict.fromkeys([*greedy_pool, *dfs_pool]))
        t0 = time.perf_counter()
        scored = score_candidates(task, t, grids, backend, fmt, infer_cfg, adapter) if grids else ()
        score_s += time.perf_counter() - t0
        by_grid = {s.grid: s for s in scored}
        pools = {
            "greedy": ([replace(by_grid[g], n=n) for g, n in greedy_pool.items()],
                       result.attempts[t] if t < len(result.attempts) else ()),
            "dfs": ([replace(by_grid[g], n=n) for g, n in dfs_pool.items()], dfs.attempts[t]),
        }
        exp = test.output
        row: dict[str, Any] = {"n_greedy": len(greedy_pool), "n_dfs": len(dfs_pool), "arms": {}}
        for pool, (cands, voted) in pools.items():
            in_pool = any(c.grid == exp for c in cands)
            for method in ("vote", "poe", "vote+poe"):
                chosen = choose(method, voted, cands)
                row["arms"][f"{pool}/{method}"] = {"right": exp in chosen[:2], "in_candidates": in_pool}
        right = by_grid.get(exp)
        best = max((s.score for s in scored if s.score is not None), default=None)
        row["right_score"] = None if right is None else right.score
        row["best_score"] = best
        row["candidates"] = [{"grid": _grid(s.grid), "score": s.score, "views": [list(v) for v in s.views],
                              "n_greedy": greedy_pool.get(s.grid, 0), "n_dfs": dfs_pool.get(s.grid, 0),
                              "right": s.grid == exp} for s in scored]
        tests.append(row)
    timings = result.timings
    return {
        "task_id": task.id,
        "error": result.error,
        "tests": tests,
        "solved": {arm: bool(tests) and all(r["arms"][arm]["right"] for r in tests) for arm in ARMS},
        "train_s": timings.get("train_s", 0.0) + timings.get("data_s", 0.0),
        "greedy_s": timings.get("infer_s", 0.0),
        "dfs_s": dfs_s,
        "score_s": score_s,
        "solve_s": solve_s,
        "dfs_generations": sum(len(cs) for cs in dfs.candidates),
    }


def summarize(rows: list[dict]) -> dict:
    tests = [t for r in rows for t in r["tests"]]
    out: dict[str, Any] = {"tasks": len(rows), "tests": len(tests), "errors": sum(r["error"] is not None for r in rows)}
    mean = lambda key: statistics.fmean(r[key] for r in rows) if rows else 0.0  # noqa: E731
    for arm in ARMS:
        # A pool's own decoding, plus the scoring passes for the arms that use scores.
        seconds = mean("train_s") + mean("greedy_s" if arm.startswith("greedy") else "dfs_s")
        seconds += mean("score_s") if arm.endswith("poe") else 0.0
        out[arm] = {
            "solved": sum(r["solved"][arm] for r in rows),
            "tests_right": sum(t["arms"][arm]["right"] for t in tests),
            "tests_right_in_candidates": sum(t["arms"][arm]["in_candidates"] for t in tests),
            "tests_right_chosen_when_in_candidates": sum(t["arms"][arm]["right"] and t["arms"][arm]["in_candidates"]
                                                         for t in tests),
            "seconds_per_task": seconds if rows else None,
            "solved_ids": sorted(r["task_id"] for r in rows if r["solved"][arm]),
        }
    base = set(out["greedy/vote"]["solved_ids"])
    for arm in ARMS:
        out[arm]["lost_against_greedy_vote"] = sorted(base - set(out[arm]["solved_ids"]))
    out["train_s_mean"] = statistics.fmean(r["train_s"] for r in rows) if rows else None
    out["greedy_s_mean"] = statistics.fmean(r["greedy_s"] for r in rows) if rows else None
    out["dfs_s_mean"] = statistics.fmean(r["dfs_s"] for r in rows) if rows else None
    out["score_s_mean"] = statistics.fmean(r["score_s"] for r in rows) if rows else None
    out["distinct_greedy"] = sum(t["n_greedy"] for t in tests)
    out["distinct_dfs"] = sum(t["n_dfs"] for t in tests)
    out["task_ids"] = [r["task_id"] for r in rows]
    return out


def main() -> None:
    from arc.storage import append_jsonl

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", default="dev80", help="dev80 or holdout")
    p.add_argument("--preset", default="small", help="the TTT recipe (the bundled model's: small)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--first", default="", help="comma-separated task ids to run before the rest (in set order)")
    p.add_argument("--limit", type=int, default=None, help="only the first N tasks (after --first)")
    p.add_argument("--threshold", type=float, default=0.1, help="DFS: lowest cumulative probability of a completion")
    p.add_argument("--max-candidates", type=int, default=8, help="DFS: completions per view at most")
    p.add_argument("--runs", type=Path, default=Path("runs") / "eval-select")
    p.add_argument("--results", type=Path, default=RESULTS)
    a = p.parse_args()

    import torch

    from ensemble.build import bundled_model_dir
    from ttt.model import load_base

    torch.set_num_threads(a.threads)
    model_dir = bundled_model_dir()
    model, tok = load_base(model_dir, device="cpu")
    ttt_cfg, infer_cfg = configs(a.preset, model_dir)
    infer_cfg = replace(infer_cfg, dfs_threshold=a.threshold, dfs_max_candidates=a.max_candidates)
    tasks = task_set(a.set, model_dir)
    first = [t for t in a.first.split(",") if t]
    tasks = [t for f in first for t in tasks if t.id == f] + [t for t in tasks if t.id not in first]
    tasks = tasks[: a.limit]
    run_dir = ROOT / a.runs / a.set
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "tasks.jsonl"
    rows = read_rows(path)
    command = "python experiments/eval_select.py " + " ".join(sys.argv[1:])
    for i, task in enumerate(tasks):
        if task.id not in rows:
            row = evaluate_task(task, model, tok, ttt_cfg, infer_cfg, run_dir / "solver")
            append_jsonl(path, [row])
            rows[task.id] = row
            print(f"[{i + 1}/{len(tasks)}] {task.id} " + " ".join(f"{arm}={int(row['solved'][arm])}" for arm in ARMS)
                  + f" train {row['train_s']:.0f}s greedy {row['greedy_s']:.0f}s dfs {row['dfs_s']:.0f}s "
                  f"score {row['score_s']:.0f}s", flush=True)
        done = [rows[t.id] for t in tasks if t.id in rows]
        summary = {**summarize(done), "of_tasks": len(tasks), "order": "the --first tasks, then the set in order",
                   "command": command, "threads": a.threads, "ttt": ttt_cfg.to_json(), "infer": infer_cfg.to_json(),
                   "rows": str(a.runs / a.set / "tasks.jsonl")}
        save(a.set, summary, a.results)
    print(json.dumps({k: v for k, v in summary.items() if k not in ("ttt", "infer")}, indent=1), flush=True)


if __name__ == "__main__":
    main()

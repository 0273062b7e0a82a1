"""CPU benchmark of the TTT solver: seconds per task for LoRA training and for augmented inference,
and peak memory, with a small randomly initialised Llama (compact tokenizer) on real ARC-AGI-1
evaluation tasks with small grids. Writes experiments/results/ttt_cpu.json.

    .venv/bin/python experiments/bench_ttt.py            # the recorded run
    .venv/bin/python experiments/bench_ttt.py --tasks 2 --max-pseudo 8   # a quick look

The model is untrained, so accuracy is not the point (it is reported, and is 0): the figures are
the cost of the pipeline on CPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def task_cells(task) -> int:
    return sum(len(g) * len(g[0]) for e in task.train + task.test for g in (e.input, e.output) if g is not None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=5, help="smallest-grid ARC-AGI-1 evaluation tasks to run")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--rank", type=int, default=128, help="LoRA rank (paper: 128)")
    p.add_argument("--max-pseudo", type=int, default=32, help="pseudo-tasks per task (paper: 250)")
    p.add_argument("--epochs", type=int, default=1, help="TTT epochs (paper: 2)")
    p.add_argument("--max-new-tokens", type=int, default=64, help="generation cap (an untrained model never stops)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "ttt_cpu.json")
    args = p.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    import arc
    from ttt.config import InferConfig, TTTConfig
    from ttt.data import TTTDataConfig
    from ttt.model import count_parameters, tiny_llama
    from ttt.solve import predictions, solve_ttt
    from ttt.tokenizer import build_compact_tokenizer

    tasks = arc.load_dataset("arc1-eval")
    chosen = sorted(tasks.values(), key=lambda t: (task_cells(t), t.id))[: args.tasks]
    tok = build_compact_tokenizer()
    model = tiny_llama(tok, hidden=args.hidden, layers=args.layers, heads=args.heads, seed=0)
    cfg = TTTConfig(lora_rank=args.rank, epochs=args.epochs, data=TTTDataConfig(max_tasks=args.max_pseudo))
    icfg = InferConfig(max_new_tokens=args.max_new_tokens)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:
        results = solve_ttt(chosen, model, cfg, icfg, run_dir, tokenizer=tok,
                            progress=lambda d, n: print(f"{d}/{n} tasks, {time.perf_counter() - start:.0f}s", flush=True))
    wall = time.perf_counter() - start
    per_task = [
        {
            "task_id": r.task_id,
            "cells": task_cells(tasks[r.task_id]),
            "pseudo_tasks": r.n_pseudo_tasks,
            "train_steps": r.train.n_steps if r.train else 0,
            "train_s": r.timings.get("train_s"),
            "infer_s": r.timings.get("infer_s"),
            "candidates": r.n_candidates,
            "parse_failures": r.n_parse_failures,
            "error": r.error,
        }
        for r in results.values()
    ]
    mean = lambda key: round(sum(t[key] or 0 for t in per_task) / len(per_task), 2)  # noqa: E731
    report = {
        "what": "TTT solver on CPU: seconds per task for LoRA training and augmented inference, peak RSS",
        "command": "python experiments/bench_ttt.py " + " ".join(sys.argv[1:]),
        "machine": {"platform": platform.platform(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "model": {"hidden": args.hidden, "layers": args.layers, "heads": args.heads, "vocab": len(tok),
                  "parameters": count_parameters(model)},
        "ttt": {"lora_rank": cfg.lora_rank, "lora_alpha": cfg.lora_alpha, "pseudo_tasks_cap": args.max_pseudo,
                "epochs": cfg.epochs, "batch_size": cfg.batch_size, "learning_rate": cfg.learning_rate},
        "inference": {"views": f"{len(icfg.symmetries)} symmetries x {icfg.n_orders} orders",
                      "max_new_tokens": icfg.max_new_tokens, "batch_size": icfg.batch_size},
        "tasks": per_task,
        "mean_train_s_per_task": mean("train_s"),
        "mean_infer_s_per_task": mean("infer_s"),
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_run_mib": round(rss_before / 1024, 1),
        "score": arc.score(predictions(results), {t.id: t for t in chosen}) if all(t.has_solutions for t in chosen) else None,
    }
    report["score"] = report["score"] and {k: report["score"][k] for k in ("task_accuracy", "test_accuracy", "n_tasks")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("mean_train_s_per_task", "mean_infer_s_per_task", "wall_s", "peak_rss_mib")}))


if __name__ == "__main__":
    main()

"""A small sweep of TTT recipes for the bundled 4.8M-parameter model on CPU, on ARC-AGI-1
*training* tasks held out of the model's training (ttt/default_model/holdout.txt) only: never on
the dev or evaluation tasks.

Each configuration is a set of field overrides on top of the 'small' preset (learning rate, steps,
adapter mode and LoRA rank, pseudo-tasks, inference views). Per configuration it reports tasks
solved (pass@2), per-test accuracy, test inputs whose candidates contain the right answer, cell
accuracy of the first attempt, the TTT loss before and after, and seconds per task. The tasks are
the N held-out tasks with the fewest cells, so that a sweep fits a 2-core CPU.

Resumable: each configuration appends its scored tasks to runs/ttt-sweep/<name>/tasks.jsonl;
a rerun skips what is there. Results: experiments/results/ttt_sweep.json.

    .venv/bin/python experiments/ttt_sweep.py --tasks 10 --configs none,full-3e-4-72,lora32-3e-3-72
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))
RESULTS = ROOT / "experiments" / "results" / "ttt_sweep.json"

SYMS4 = ("identity", "transpose", "flip_lr", "flip_ud")
SYMS8 = ("identity", "rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose")
# name -> overrides on top of the 'small' preset ("none": no TTT at all)
CONFIGS: dict[str, dict] = {
    "none": {"ttt": {"adapter_mode": "none"}},
    "none-views8x2": {"ttt": {"adapter_mode": "none"}, "infer": {"symmetries": SYMS8, "n_orders": 2}},
    "quick-lora16": {"ttt": {"adapter": "lora", "lora_rank": 16, "learning_rate": 1e-3, "steps": 12,
                             "data": {"max_tasks": 24}}},
    "lora32-3e-3-72": {"ttt": {"adapter": "lora", "lora_rank": 32, "learning_rate": 3e-3}},
    "full-1e-4-72": {"ttt": {"learning_rate": 1e-4}},
    "full-3e-4-72": {},
    "full-1e-3-72": {"ttt": {"learning_rate": 1e-3}},
    "full-3e-4-36": {"ttt": {"steps": 36}},
    "full-3e-4-144": {"ttt": {"steps": 144}},
    "full-3e-4-72-pt16": {"ttt": {"data": {"max_tasks": 16}}},
    "full-3e-4-72-pt96": {"ttt": {"data": {"max_tasks": 96}}},
    "full-3e-4-72-views8": {"infer": {"symmetries": SYMS8}},
    "full-3e-4-72-views8x2": {"infer": {"symmetries": SYMS8, "n_orders": 2}},
    "full-3e-4-72-views8x4": {"infer": {"symmetries": SYMS8, "n_orders": 4}},
    "full-1e-4-72-views8x2": {"ttt": {"learning_rate": 1e-4}, "infer": {"symmetries": SYMS8, "n_orders": 2}},
    "full-1e-3-72-views8x2": {"ttt": {"learning_rate": 1e-3}, "infer": {"symmetries": SYMS8, "n_orders": 2}},
    "full-1e-3-72-views8": {"ttt": {"learning_rate": 1e-3}, "infer": {"symmetries": SYMS8}},
    "full-3e-4-144-views8": {"ttt": {"steps": 144}, "infer": {"symmetries": SYMS8}},
}


def reusable_adapters(name: str, runs: Path, ttt_cfg) -> Path | None:
    """The adapters folder of an earlier configuration with the same TTT settings (only the
    inference differs): training is deterministic, so its adapters are the ones this one would train."""
    for other in CONFIGS:
        saved = runs / other / "solver" / "ttt_config.json"
        if other != name and saved.exists() and json.loads(saved.read_text())["ttt"] == ttt_cfg.to_json():
            return runs / other / "solver" / "adapters"
    return None


def task_cells(task) -> int:
    return sum(len(g) * len(g[0]) for e in (*task.train, *task.test) for g in (e.input, e.output) if g is not None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=10, help="held-out tasks with the fewest cells")
    p.add_argument("--configs", default="none,full-3e-4-72", help=f"comma-separated, from {', '.join(CONFIGS)}")
    p.add_argument("--threads", type=int, default=1, help="torch threads; on a loaded machine 1 is several times faster than 2")
    p.add_argument("--runs", type=Path, default=Path("runs") / "ttt-sweep")
    p.add_argument("--results", type=Path, default=RESULTS)
    a = p.parse_args()

    import torch

    from arc.data import load_dataset
    from ensemble.build import bundled_model_dir
    from eval_ttt import configs, run_part, summarize
    from ttt.finetune import read_holdout
    from ttt.model import load_base

    torch.set_num_threads(a.threads)
    model_dir = bundled_model_dir()
    train = load_dataset("arc1-train")
    held = [train[t] for t in read_holdout(model_dir / "holdout.txt")]
    tasks = sorted(held, key=lambda t: (task_cells(t), t.id))[: a.tasks]
    model, tok = load_base(model_dir, device="cpu")
    out = json.loads(a.results.read_text()) if a.results.exists() else {}
    out["tasks"] = [t.id for t in tasks]
    out["note"] = ("held-out ARC-AGI-1 training tasks (holdout.txt), the fewest cells first; 2-core CPU shared "
                   "with other jobs, so seconds are noisy")
    out.setdefault("configs", {})
    for name in a.configs.split(","):
        overrides = CONFIGS[name]
        # the sweep's tasks are the smallest; it runs without the preset's token cap, which binds on larger
        # ones, and with 4 views of one order unless a configuration says otherwise
        uncapped = {**overrides, "ttt": {"token_budget": None, **overrides.get("ttt", {})},
                    "infer": {"symmetries": SYMS4, "n_orders": 1, **overrides.get("infer", {})}}
        ttt_cfg, infer_cfg = configs("small", model_dir, uncapped)
        reuse = reusable_adapters(name, ROOT / a.runs, ttt_cfg) if ttt_cfg.adapter_mode != "none" else None
        mine = ROOT / a.runs / name / "solver" / "adapters"
        if reuse is not None and reuse.exists() and not mine.exists():
            import shutil

            shutil.copytree(reuse, mine)  # the same training: only inference runs (seconds_per_task counts no training)
        else:
            reuse = (out["configs"].get(name) or {}).get("training_reused_from")  # as recorded when it ran
            reuse = None if reuse is None else ROOT / a.runs / reuse / "solver" / "adapters"
        rows = run_part(model, tok, tasks, ttt_cfg, infer_cfg, ROOT / a.runs / name, log=sys.stdout)
        s = summarize(rows)
        losses = [r["loss_first_last"] for r in rows if r["loss_first_last"]]
        out["configs"][name] = {
            "overrides": overrides,
            "ttt": ttt_cfg.to_json(), "infer": infer_cfg.to_json(),
            "training_reused_from": None if reuse is None else reuse.parent.parent.name,
            **{k: s[k] for k in ("tasks", "solved_pass2", "tests", "tests_right", "tests_right_in_candidates",
                                 "tests_right_shape_first", "first_attempt_cell_accuracy", "tasks_without_ttt",
                                 "seconds_per_task_mean", "seconds_per_task_median", "train_s_mean", "infer_s_mean",
                                 "solved_ids")},
            "loss_first_mean": statistics.fmean(l[0] for l in losses) if losses else None,
            "loss_last_mean": statistics.fmean(l[1] for l in losses) if losses else None,
            "command": f"python experiments/ttt_sweep.py --tasks {a.tasks} --configs {name} --threads {a.threads}",
        }
        a.results.parent.mkdir(parents=True, exist_ok=True)
        a.results.write_text(json.dumps(out, indent=1))
        print(name, json.dumps({k: v for k, v in out["configs"][name].items() if k != "overrides"}), flush=True)


if __name__ == "__main__":
    main()

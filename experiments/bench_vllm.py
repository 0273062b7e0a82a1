"""GPU benchmark of the TTT solver with the vLLM backend (cannot run without a CUDA GPU and vllm).

Saves a small randomly initialised Llama and the compact tokenizer to a model directory, runs the
whole TTT solver on it (tiny per-task LoRA adapters trained with transformers on the GPU, then one
vLLM engine serving every task's adapter in shared batches) and reports tasks per minute.
Writes experiments/results/ttt_vllm.json.

    python experiments/bench_vllm.py --tasks 20
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=20, help="smallest-grid ARC-AGI-1 evaluation tasks")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4, help="hidden/heads = 64, a head size vLLM's kernels support")
    p.add_argument("--rank", type=int, default=128, help="LoRA rank; vLLM's max_lora_rank is set from it")
    p.add_argument("--max-pseudo", type=int, default=16)
    p.add_argument("--max-steps", type=int, default=4, help="optimizer steps per adapter (tiny on purpose)")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--model-dir", type=Path, default=None, help="where to save the model (default: a temp dir)")
    p.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "ttt_vllm.json")
    args = p.parse_args()

    import torch

    if not torch.cuda.is_available():
        sys.exit("bench_vllm needs a CUDA GPU (and the vllm package)")
    import arc
    from ttt.config import InferConfig, TTTConfig
    from ttt.data import TTTDataConfig
    from ttt.model import save_base, tiny_llama
    from ttt.solve import predictions, solve_ttt
    from ttt.tokenizer import build_compact_tokenizer

    tasks = arc.load_dataset("arc1-eval")
    cells = lambda t: sum(len(g) * len(g[0]) for e in t.train + t.test for g in (e.input, e.output) if g is not None)  # noqa: E731
    chosen = sorted(tasks.values(), key=lambda t: (cells(t), t.id))[: args.tasks]

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model_dir or Path(tmp) / "model"
        tok = build_compact_tokenizer()
        # Positions: the largest compact pseudo-task is a few thousand tokens; 8192 covers the default budget.
        save_base(tiny_llama(tok, hidden=args.hidden, layers=args.layers, heads=args.heads, max_positions=8192), tok, model_dir)
        cfg = TTTConfig(lora_rank=args.rank, max_steps=args.max_steps, data=TTTDataConfig(max_tasks=args.max_pseudo))
        icfg = InferConfig(backend="vllm", max_new_tokens=args.max_new_tokens, max_loras=8)
        start = time.perf_counter()
        results = solve_ttt(chosen, model_dir, cfg, icfg, Path(tmp) / "run")
        wall = time.perf_counter() - start

    infer_s = sum(r.timings.get("infer_s", 0.0) for r in results.values())
    train_s = sum(r.timings.get("train_s", 0.0) for r in results.values())
    errors = {t: r.error for t, r in results.items() if r.error}
    report = {
        "what": "TTT solver, vLLM backend: per-task LoRA adapters served by one engine",
        "command": "python experiments/bench_vllm.py " + " ".join(sys.argv[1:]),
        "gpu": torch.cuda.get_device_name(0),
        "n_tasks": len(chosen),
        "train_s_total": round(train_s, 1),
        "infer_s_total": round(infer_s, 1),
        "inference_tasks_per_minute": round(60 * len(chosen) / infer_s, 1) if infer_s else None,
        "end_to_end_tasks_per_minute": round(60 * len(chosen) / wall, 1),
        "candidates": sum(r.n_candidates for r in results.values()),
        "parse_failures": sum(r.n_parse_failures for r in results.values()),
        "errors": errors,
        "score": arc.score(predictions(results), {t.id: t for t in chosen}),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("inference_tasks_per_minute", "end_to_end_tasks_per_minute", "errors")}))


if __name__ == "__main__":
    main()

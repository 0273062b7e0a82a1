"""GPU check owed by issue 27: seconds per task of greedy decoding, depth-first sampling and
product-of-experts scoring with a 1B Llama configuration (random weights, the compact tokenizer),
on the hf backend and on vLLM, one GPU. No adapter: the passes are the same with one.

Per task (the first ``--tasks`` dev80 tasks, the 'small' preset's 8 views): greedy candidates, DFS
candidates (``--threshold``), and the PoE scores of every distinct candidate under the 8 views.
Writes experiments/results/select_gpu.json.

    python experiments/bench_select_gpu.py --tasks 5 --backends hf,vllm
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results" / "select_gpu.json"


def write_model(path: Path) -> None:
    """A randomly initialised Llama with Llama-3.2-1B's body (hidden 2048, 16 layers, GQA 32/8)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from ttt.tokenizer import build_compact_tokenizer

    tok = build_compact_tokenizer()
    config = LlamaConfig(vocab_size=len(tok), hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                         num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
                         pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         torch_dtype="bfloat16")
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(path)
    tok.save_pretrained(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=5)
    p.add_argument("--backends", default="hf,vllm")
    p.add_argument("--threshold", type=float, default=0.1)
    p.add_argument("--results", type=Path, default=RESULTS)
    a = p.parse_args()

    from arc.data import load_dataset
    from experiments.eval_ttt import configs
    from ttt.backends import BACKENDS
    from ttt.format import make_formatter
    from ttt.infer import distinct_grids, predict_task
    from ttt.select import score_candidates

    tasks = list(load_dataset("arc1-eval-dev80").values())[: a.tasks]
    out = {"tasks": [t.id for t in tasks], "command": "python experiments/bench_select_gpu.py " + " ".join(sys.argv[1:])}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "llama-1b-random"
        write_model(model_dir)
        _, infer = configs("small", ROOT / "ttt" / "default_model")
        infer = replace(infer, device="cuda", dtype="bfloat16", dfs_threshold=a.threshold, gpu_memory_utilization=0.8)
        for name in a.backends.split(","):
            backend = BACKENDS[name](str(model_dir), None, infer, max_lora_rank=8)
            fmt = make_formatter("compact", backend.tokenizer)
            rows = []
            for task in tasks:
                row = {"task_id": task.id}
                for sampling in ("greedy", "dfs"):
                    t0 = time.perf_counter()
                    pred = predict_task(task, backend, fmt, None, replace(infer, sampling=sampling))
                    row[f"{sampling}_s"] = time.perf_counter() - t0
                    row[f"{sampling}_candidates"] = pred.n_candidates
                t0 = time.perf_counter()
                for t, cands in enumerate(pred.candidates):
                    grids, _ = distinct_grids(cands)
                    if grids:
                        score_candidates(task, t, grids, backend, fmt, infer)
                row["score_s"] = time.perf_counter() - t0
                rows.append(row)
                print(name, row, flush=True)
            if hasattr(backend, "close"):
                backend.close()
            out[name] = {"rows": rows, **{f"{k}_mean": sum(r[k] for r in rows) / len(rows)
                                          for k in ("greedy_s", "dfs_s", "score_s")}}
    a.results.parent.mkdir(parents=True, exist_ok=True)
    a.results.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

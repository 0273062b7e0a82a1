"""CPU throughput of `arc-solve finetune`: tokens per second (real tokens, padding not counted) for
fp32 against bf16 autocast, and one batch against length-sorted micro-batches, on the bundled
default model's architecture with the real data stream. Writes experiments/results/finetune_cpu.json.

    .venv/bin/python experiments/bench_finetune.py              # the recorded run
    .venv/bin/python experiments/bench_finetune.py --steps 4    # a quick look

Each setting runs the same steps (same seed, so the same batches) through ``ttt.finetune.finetune``
in a fresh output folder; the first step is warm-up and is not timed.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-tokens", type=int, default=1024)
    p.add_argument("--max-examples", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    import torch

    from ensemble.build import bundled_model_dir
    from ttt.finetune import FinetuneConfig, finetune

    settings = [("fp32", 1), ("fp32", 4), ("bf16", 1), ("bf16", 4)]
    rows = []
    for precision, micro in settings:
        entries: list[dict] = []
        cfg = FinetuneConfig(init_from=str(bundled_model_dir()), steps=a.steps, batch_size=a.batch_size,
                             max_tokens=a.max_tokens, max_examples=a.max_examples, precision=precision,
                             micro_batches=micro, threads=a.threads, log_every=1, checkpoint_every=10**6,
                             device="cpu", seed=11)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            finetune(cfg, tmp, log=entries.append)
            wall = time.perf_counter() - t0
        timed = entries[1:]  # step 1 is warm-up
        tokens = timed[-1]["tokens"] - entries[0]["tokens"]
        seconds = timed[-1]["elapsed_s"] - entries[0]["elapsed_s"]
        row = {"precision": precision, "micro_batches": micro, "tokens_per_s": tokens / seconds,
               "seconds_per_step": seconds / len(timed), "final_loss": timed[-1]["loss"], "wall_s": wall}
        rows.append(row)
        print(json.dumps(row))
    result = {"steps": a.steps, "batch_size": a.batch_size, "max_tokens": a.max_tokens,
              "max_examples": a.max_examples, "threads": a.threads, "torch": torch.__version__,
              "cpu_bf16_kernels": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
              "machine": platform.processor() or platform.machine(), "rows": rows,
              "command": "python experiments/bench_finetune.py " + " ".join(sys.argv[1:])}
    out = ROOT / "experiments" / "results" / "finetune_cpu.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

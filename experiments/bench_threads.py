"""TTT inference seconds by torch thread count, for choosing the default on a shared machine.

The bundled model (no TTT: the inference path is the same with an adapter) predicts the first
``--tasks`` dev80 tasks under the 'small' preset's 8 views, greedy, with ``--threads`` torch threads
('torch': torch's own default). Run it once per thread count while another process keeps the cores
busy, and alternate the arms (A B A) so that a drift in load shows. Appends one entry per run to
experiments/results/threads.json.

    nice -n 5 python experiments/bench_threads.py --threads torch --label busy
    nice -n 5 python experiments/bench_threads.py --threads 1 --label busy
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results" / "threads.json"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", default="1", help="torch threads, or 'torch' for torch's own default")
    p.add_argument("--tasks", type=int, default=3, help="the first N dev80 tasks")
    p.add_argument("--label", default="", help="what else ran meanwhile (kept in the entry)")
    p.add_argument("--results", type=Path, default=RESULTS)
    a = p.parse_args()

    import torch

    from arc.data import load_dataset
    from ensemble.build import bundled_model_dir
    from experiments.eval_ttt import configs
    from ttt.backends import HFBackend
    from ttt.format import make_formatter
    from ttt.infer import predict_task
    from ttt.model import load_base

    if a.threads != "torch":
        torch.set_num_threads(int(a.threads))
    model_dir = bundled_model_dir()
    model, tok = load_base(model_dir, device="cpu")
    _, infer_cfg = configs("small", model_dir)
    fmt = make_formatter("compact", tok)
    backend = HFBackend(model, tok, infer_cfg)
    tasks = list(load_dataset("arc1-eval-dev80").values())[: a.tasks]
    seconds = {}
    for task in tasks:
        t0 = time.perf_counter()
        predict_task(task, backend, fmt, None, infer_cfg)
        seconds[task.id] = round(time.perf_counter() - t0, 2)
    entry = {"threads": a.threads, "torch_threads": torch.get_num_threads(), "cpus": len(os.sched_getaffinity(0)),
             "label": a.label, "load_before_1min": os.getloadavg()[0], "seconds": seconds,
             "total_s": round(sum(seconds.values()), 2), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
             "command": "python experiments/bench_threads.py " + " ".join(sys.argv[1:])}
    old = json.loads(a.results.read_text()) if a.results.exists() else []
    a.results.parent.mkdir(parents=True, exist_ok=True)
    a.results.write_text(json.dumps(old + [entry], indent=1))
    print(json.dumps(entry), flush=True)


if __name__ == "__main__":
    main()

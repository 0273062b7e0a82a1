"""Seconds per stage of two runs over the tasks both finished: e.g. the same `arc-solve` command
on a GPU and on the CPU. Writes one JSON file.

    python experiments/compare_stage_times.py runs/gpu-ttt runs/eval-default/ttt \\
        --labels h100 cpu --out experiments/results/default_model_gpu.json

A run's first task also pays for loading the model (and, on a GPU, for starting CUDA): its
``total`` holds that, its stages do not. ``--skip-first`` leaves each run's first task out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ensemble.report import stage_stats  # noqa: E402
from ensemble.run import RunDir, TaskRecord  # noqa: E402


def finished(run: Path) -> dict[str, TaskRecord]:
    """task id -> the record of each task that finished without error, in file order."""
    return {t: r for t, r in RunDir(run).records().items() if r.status == "ok"}


def read_config(run: Path) -> dict | None:
    """The run's config.json, with paths inside this repository made relative to its root."""
    path = run / "config.json"
    if not path.exists():
        return None
    return json.loads(path.read_text().replace(json.dumps(str(ROOT) + "/")[1:-1], ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs=2, type=Path)
    ap.add_argument("--labels", nargs=2, default=None)
    ap.add_argument("--skip-first", action="store_true", help="leave out each run's first task (start-up)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    labels = args.labels or [str(r) for r in args.runs]
    done = [finished(r) for r in args.runs]
    firsts = {next(iter(d)) for d in done if d} if args.skip_first else set()
    common = [t for t in done[0] if t in done[1] and t not in firsts]
    if not common:
        raise SystemExit("the two runs have no finished task in common")
    result = {"tasks": common, "skip_first": args.skip_first,
              "runs": {label: {"run": str(run), "config": read_config(run),
                               "stages": stage_stats([d[t] for t in common])}
                       for label, run, d in zip(labels, args.runs, done)}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    for label in labels:
        stages = result["runs"][label]["stages"]
        print(label, {s: round(v["mean_s"], 2) for s, v in stages.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

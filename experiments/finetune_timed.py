"""Fit a fine-tuning run to a wall-clock budget, for a GPU lease of fixed length.

``arc-solve finetune`` decays its learning rate over ``--steps``; a run cut short by
``--max-minutes`` ends mid-schedule. This script first runs a short probe with the same options,
measures seconds per step from its log (the steps after the first half, so start-up and warm-up
are left out), then runs the real command with the number of steps that fills ``--minutes`` and a
``--max-minutes`` guard 15% above it. The probe figures and both commands go to
``OUT/timing.json``.

    python experiments/finetune_timed.py --out runs/gpu-a --minutes 7.5 -- \\
        --device cuda --batch-size 64 --micro-batches 2 --lr 1.5e-3 --max-tokens 2048 --data-workers 12
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINETUNE = [sys.executable, "-c", "import sys; sys.path.insert(0, %r); from cli import main; main()" % str(ROOT),
            "finetune"]


def seconds_per_step(log_path: Path) -> float:
    """Mean seconds per step over the second half of a finetune log (start-up excluded)."""
    rows = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    if len(rows) < 2:
        raise RuntimeError(f"{log_path}: the probe logged {len(rows)} lines; give it more --probe-steps")
    first, last = rows[len(rows) // 2 - 1], rows[-1]
    return (last["elapsed_s"] - first["elapsed_s"]) / (last["step"] - first["step"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run folder of the real run")
    ap.add_argument("--minutes", type=float, required=True, help="training time to fill")
    ap.add_argument("--probe-steps", type=int, default=60)
    ap.add_argument("--total-minutes", type=float, default=None,
                    help="hard budget for probe and run together (a lease's command limit): the run is "
                         "shortened to end a minute inside it")
    ap.add_argument("finetune_args", nargs=argparse.REMAINDER, help="-- then the options of arc-solve finetune")
    args = ap.parse_args(argv)
    rest = [a for a in args.finetune_args if a != "--"]
    if any(a in ("--steps", "--out", "--max-minutes") for a in rest):
        ap.error("--steps, --out and --max-minutes are set by this script")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    probe = out / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    probe_cmd = [*FINETUNE, "--out", str(probe), "--steps", str(args.probe_steps), *rest]
    t0 = time.perf_counter()
    subprocess.run(probe_cmd, check=True)
    probe_wall = time.perf_counter() - t0
    sps = seconds_per_step(probe / "train_log.jsonl")
    minutes = args.minutes
    if args.total_minutes is not None:
        # one minute for start-up and the final save; the guard below may add 15%
        minutes = min(minutes, (args.total_minutes - 1 - probe_wall / 60) / 1.15)
        if minutes <= 0:
            raise SystemExit(f"the probe took {probe_wall:.0f} s: no time is left of --total-minutes")
    steps = max(1, int(minutes * 60 / sps))
    probe_log = (probe / "train_log.jsonl").read_text()
    shutil.rmtree(probe)
    cmd = [*FINETUNE, "--out", str(out), "--steps", str(steps), "--max-minutes", f"{minutes * 1.15:.2f}", *rest]
    record = {"probe_steps": args.probe_steps, "probe_wall_s": round(probe_wall, 1),
              "probe_seconds_per_step": sps, "steps": steps, "minutes": minutes,
              "command": ["arc-solve", *cmd[3:]], "probe_log": probe_log.splitlines()}
    (out / "timing.json").write_text(json.dumps(record, indent=1))
    t0 = time.perf_counter()
    done = subprocess.run(cmd)
    record["wall_s"] = round(time.perf_counter() - t0, 1)
    record["returncode"] = done.returncode
    (out / "timing.json").write_text(json.dumps(record, indent=1))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())

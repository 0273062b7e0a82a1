"""Kaggle entry: install arc-solve offline from the attached wheelhouse and solve the attached
challenges under a time budget, writing ``/kaggle/working/submission.json``.

In a notebook (internet off) with two datasets attached, the competition's and the wheelhouse
(built by ``kaggle/wheelhouse.py``, which copies this file into it)::

    !python /kaggle/input/arc-solve-wheelhouse/run.py --time-budget 11h30m

What it does, in order:
1. writes a placeholder submission (every task id, both attempts 1x1) with the standard library
   alone, so a valid file exists even if the install fails;
2. ``pip install --no-index --find-links WHEELHOUSE arc-solve[ttt,ray]`` (nothing from the network);
3. ``arc-solve --mode ensemble --dataset CHALLENGES --time-budget B --out /kaggle/working/run
   --submission /kaggle/working/submission.json`` with the Hugging Face libraries told to stay offline;
   on a machine with several GPUs (Kaggle's 4 L4) it adds ``--ray --ray-gpus-per-worker 1``: one
   worker per GPU, each with its own model, through ``ensemble.distributed``; ``--model DIR`` passes a
   model from another attached dataset;
4. ``arc-solve submission validate``: the file handed in is checked (its line is printed).

``--dry-run`` prints the commands without running them. Only the standard library: it runs before
arc-solve is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence

INPUT = Path("/kaggle/input")
WORKING = Path("/kaggle/working")
CHALLENGES = "arc-agi_test_challenges.json"
DEFAULT_BUDGET = "11h30m"  # Kaggle allows 12 hours; the rest covers start-up and the install


def find_challenges(input_dir: Path) -> Path:
    """The competition's test challenges among the attached datasets."""
    found = sorted(input_dir.glob(f"*/{CHALLENGES}")) + sorted(input_dir.glob(f"*/*/{CHALLENGES}"))
    if not found:
        found = sorted(input_dir.glob("*/*test_challenges.json")) + sorted(input_dir.glob("*/*/*test_challenges.json"))
    if not found:
        raise FileNotFoundError(f"no {CHALLENGES} under {input_dir}: attach the competition's dataset")
    return found[0]


def find_wheelhouse(input_dir: Path) -> Path:
    """The attached dataset holding the arc-solve wheel."""
    found = sorted(input_dir.glob("*/arc_solve-*.whl")) + sorted(input_dir.glob("*/*/arc_solve-*.whl"))
    if not found:
        raise FileNotFoundError(f"no arc_solve-*.whl under {input_dir}: attach the wheelhouse dataset "
                                "(python kaggle/wheelhouse.py)")
    return found[0].parent


def write_placeholder(challenges: Path, out: Path) -> int:
    """A valid submission with 1x1 attempts for every test input of every task; returns the task count."""
    data = json.loads(challenges.read_text())
    placeholder = {tid: [{"attempt_1": [[0]], "attempt_2": [[0]]} for _ in task["test"]] for tid, task in data.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(placeholder))
    os.replace(tmp, out)
    return len(placeholder)


def gpu_count(which: Callable[[str], str | None] = shutil.which,
              run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> int:
    if which("nvidia-smi") is None:
        return 0
    listed = run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return sum(1 for line in listed.stdout.splitlines() if line.startswith("GPU "))


def arc_solve(python: str = sys.executable) -> list[str]:
    """The installed ``arc-solve`` script beside ``python``, or the module it runs."""
    script = Path(python).parent / "arc-solve"
    return [str(script)] if script.is_file() else [python, "-m", "cli"]


def install_command(wheelhouse: Path, python: str = sys.executable) -> list[str]:
    return [python, "-m", "pip", "install", "--no-index", "--find-links", str(wheelhouse), "arc-solve[ttt,ray]"]


def solve_command(challenges: Path, working: Path, budget: str, gpus: int, mode: str = "ensemble",
                  model: str | None = None, python: str = sys.executable, extra: Sequence[str] = ()) -> list[str]:
    command = [*arc_solve(python), "--mode", mode, "--dataset", str(challenges), "--time-budget", budget,
               "--out", str(working / "run"), "--submission", str(working / "submission.json")]
    if model:
        command += ["--model", model]
    if gpus > 1:
        command += ["--ray", "--ray-gpus-per-worker", "1"]
    return command + list(extra)


def validate_command(challenges: Path, working: Path, python: str = sys.executable) -> list[str]:
    return [*arc_solve(python), "submission", "validate", str(working / "submission.json"), "--challenges", str(challenges)]


OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def main(argv: Sequence[str] | None = None, run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
         gpus: int | None = None) -> int:
    parser = argparse.ArgumentParser(description="arc-solve on Kaggle, offline")
    parser.add_argument("--input", type=Path, default=INPUT, help="where Kaggle mounts the attached datasets")
    parser.add_argument("--working", type=Path, default=WORKING, help="where the submission and the run go")
    parser.add_argument("--challenges", type=Path, default=None, help="default: found under --input")
    parser.add_argument("--wheelhouse", type=Path, default=None, help="default: found under --input")
    parser.add_argument("--time-budget", default=DEFAULT_BUDGET)
    parser.add_argument("--mode", default="ensemble", choices=("ensemble", "ttt", "synth"))
    parser.add_argument("--model", default=None, help="a model folder from an attached dataset (default: the bundled model)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    parser.add_argument("extra", nargs="*", help="more arc-solve options (after --)")
    args = parser.parse_args(argv)

    challenges = args.challenges or find_challenges(args.input)
    n = write_placeholder(challenges, args.working / "submission.json")
    print(f"placeholder submission for {n} tasks in {args.working / 'submission.json'}", flush=True)
    wheelhouse = args.wheelhouse or find_wheelhouse(args.input)
    n_gpus = gpu_count() if gpus is None else gpus
    env = {**os.environ, **OFFLINE_ENV}
    steps = [("install", install_command(wheelhouse)),
             ("solve", solve_command(challenges, args.working, args.time_budget, n_gpus, args.mode, args.model,
                                     extra=args.extra)),
             ("validate", validate_command(challenges, args.working))]
    status = 0
    for name, command in steps:
        print(f"[{name}] " + " ".join(command), flush=True)
        if args.dry_run:
            continue
        code = run(command, env=env, check=False).returncode
        if code != 0:
            print(f"[{name}] exit code {code}; the submission on disk is the last valid one", flush=True)
            status = status or code
            if name == "install":
                return code  # the placeholder stays
    return status


if __name__ == "__main__":
    sys.exit(main())

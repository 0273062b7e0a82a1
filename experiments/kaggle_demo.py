"""The Kaggle mode, timed: ``arc-solve --time-budget`` over N tasks of a bundled dataset, as a Kaggle
notebook would run it (a challenges file without solutions, ``--submission`` beside the run), then
``arc-solve submission validate``, then how the time was spent, from what the run recorded
(``budget.jsonl``, each record's timings, ``shared.jsonl``). Scores come from the bundled solutions,
which the run itself never sees. Writes one JSON file.

    python experiments/kaggle_demo.py --budget 5m --limit 100 --out experiments/results/kaggle_demo_5m.json

The run's own options (mode, threads) follow ``--``; the default is the ensemble with one torch thread.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arc.data import load_dataset  # noqa: E402
from arc.score import read_submission, score  # noqa: E402
from ensemble.run import RunDir  # noqa: E402


def challenges_file(dataset: str, limit: int, folder: Path) -> tuple[Path, dict]:
    """The first ``limit`` tasks of ``dataset`` as a Kaggle challenges file, test outputs left out."""
    tasks = dict(list(load_dataset(dataset).items())[:limit])
    data = {tid: {"train": t.to_json()["train"], "test": [{"input": e["input"]} for e in t.to_json()["test"]]}
            for tid, t in tasks.items()}
    path = folder / "arc-agi_test_challenges.json"
    path.write_text(json.dumps(data))
    return path, tasks


def spent(run: RunDir) -> dict:
    """How the time went: the budget entry, and the seconds the records hold per stage."""
    records = run.records()
    stages: dict[str, list[float]] = {}
    for r in records.values():
        for k in ("synth", "ttt", "total"):
            if k in r.timings:
                stages.setdefault(k, []).append(r.timings[k])
    with_ttt = [tid for tid, r in records.items() if r.ttt and any(a.status != "skipped" for a in r.ttt)]
    return {
        "budget": run.budget(),
        "shared": run.shared(),
        "records": len(records),
        "records_with_ttt": len(with_ttt),
        "records_skipped_for_time": sum(1 for r in records.values() if (r.info.get("ttt") or {}).get("skipped_for_time")),
        "failed": {tid: r.error for tid, r in records.items() if r.status != "ok"},
        "stage_seconds": {k: {"n": len(v), "total": round(sum(v), 1), "median": round(statistics.median(v), 2)}
                          for k, v in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="arc1-eval")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--budget", default="5m")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=None, help="where the run goes (default: a temporary folder)")
    parser.add_argument("run_options", nargs="*", default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="kaggle-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    challenges, tasks = challenges_file(args.dataset, args.limit, work)
    options = args.run_options or ["--mode", "ensemble", "--threads", "1"]
    cli = [sys.executable, "-c", "from cli import main; main()"]
    command = cli + ["--dataset", str(challenges), "--time-budget", args.budget, "--out", str(work / "run"),
                     "--submission", str(work / "submission.json"), *options]
    t0 = time.monotonic()
    solved = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - t0
    checked = subprocess.run(cli + ["submission", "validate", str(work / "submission.json"), "--challenges", str(challenges)],
                             capture_output=True, text=True)
    predictions = read_submission(work / "submission.json")
    result = {
        "command": " ".join(["arc-solve", *command[len(cli):]]).replace(str(work), "WORK"),
        "dataset": args.dataset, "n_tasks": len(tasks), "budget": args.budget,
        "exit_code": solved.returncode, "wall_s": round(wall, 1),
        "validate": (checked.stdout or checked.stderr).strip().replace(str(work), "WORK"),
        "validate_exit_code": checked.returncode,
        "scores": {k: v for k, v in score(predictions, tasks).items() if k != "per_task"},
        **spent(RunDir(work / "run")),
        "stderr_tail": [line.replace(str(work), "WORK") for line in solved.stderr.splitlines()
                        if "time budget" in line or "TTT on" in line or "wrote" in line],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("exit_code", "wall_s", "validate", "scores", "records_with_ttt")}, indent=1))


if __name__ == "__main__":
    main()

"""The lazy ensemble against the eager one (issue 27): solved tasks and seconds per task for the
search alone, TTT alone, the eager ensemble and the lazy ensemble, in one table. Writes one JSON file.

Make the runs first with the same tasks, settings and one thread, one after the other, e.g.

    arc-solve --mode ensemble --dataset arc1-eval-dev80 --limit 20 --threads 1 --eager --out runs/eager
    arc-solve --mode ensemble --dataset arc1-eval-dev80 --limit 20 --threads 1 --policy unique-final --out runs/lazy-uf
    python experiments/bench_lazy.py runs/eager runs/lazy-uf --out experiments/results/lazy_ensemble_dev80.json

Rows: for each run its ensemble (task accuracy over its tasks, mean seconds per task: the record's
``total``, which holds both solvers' time; the model's loading is shared work, charged to no task).
From the first (eager) run also "search alone" and "TTT alone": in an eager run each solver answers
every task on its own, so its answers and its own seconds (``synth`` / ``ttt`` timings) are what it
gives alone. Under ``paper`` the lazy ensemble does exactly the eager work (see
``ensemble.combine.ttt_can_change``), so a paper run made lazily is a row of its own only if given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arc.data import load_dataset  # noqa: E402
from ensemble.report import task_correct  # noqa: E402
from ensemble.run import RunDir  # noqa: E402


def _row(label: str, records: dict, tasks: dict, solver: str, seconds_key: str) -> dict:
    """One table row; ``ttt_s`` and ``ttt_skipped_tasks`` (TTT's seconds and the tasks it skipped)
    only for ensemble rows."""
    solved = [tid for tid, r in records.items() if r.status == "ok" and all(task_correct(r, tasks[tid], solver))]
    seconds = [r.timings.get(seconds_key, 0.0) for r in records.values()]
    ensemble = solver == "ensemble"
    skipped = sum(1 for r in records.values() if r.ttt and all(a.status == "skipped" for a in r.ttt)) if ensemble else None
    ttt_s = sum(r.timings.get("ttt", 0.0) for r in records.values()) if ensemble else None
    return {"row": label, "n_tasks": len(records), "solved": len(solved), "solved_ids": sorted(solved),
            "s_per_task": round(statistics.fmean(seconds), 2) if seconds else None,
            "total_s": round(sum(seconds), 1), "ttt_s": None if ttt_s is None else round(ttt_s, 1),
            "ttt_skipped_tasks": skipped}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="the eager run first, then lazy ones")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    loaded = []
    for path in args.runs:
        run = RunDir(path)
        config = run.config()
        loaded.append((path, config, run.records()))
    tasks = load_dataset(loaded[0][1].dataset)
    common = [t for t in loaded[0][2] if all(t in recs for _, _, recs in loaded)]
    eager_path, eager_config, eager_records = loaded[0]
    first = {t: eager_records[t] for t in common}
    rows = [_row("search alone", first, tasks, "synth", "synth"), _row("TTT alone", first, tasks, "ttt", "ttt")]
    for path, config, records in loaded:
        kind = "eager" if config.eager else "lazy"
        rows.append(_row(f"{kind} ensemble ({config.policy})", {t: records[t] for t in common}, tasks, "ensemble", "total"))
    result = {"tasks": common, "dataset": eager_config.dataset, "preset": eager_config.preset,
              "runs": [{"run": path.name, "policy": c.policy, "eager": c.eager} for path, c, _ in loaded], "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"{len(common)} tasks of {eager_config.dataset}, preset {eager_config.preset}")
    print(f"{'':32} {'solved':>7} {'s/task':>8} {'TTT s':>8} {'TTT skipped':>12}")
    for r in rows:
        extra = "" if r["ttt_s"] is None else f" {r['ttt_s']:>8} {r['ttt_skipped_tasks']:>12}"
        print(f"{r['row']:32} {r['solved']:>3}/{r['n_tasks']:<3} {r['s_per_task']:>8}{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

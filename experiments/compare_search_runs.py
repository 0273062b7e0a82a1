"""Whether two runs of experiments/bench_search.py (e.g. before and after a refactoring) found the
same thing on the tasks both finished: status, number of hits and groups, the first programs
found, and the test outputs (attempts). Under a budget in seconds, tasks that came near it in
either run are reported apart: a loaded machine can cut such a search at a different point. Runs
whose records hold ``work`` ran under a work budget, which cuts every search at the same point
on any machine: no task is near it, every difference counts.

    python experiments/bench_search.py --dataset arc1-train --limit 60 --budget 20 --workers 1 \\
        --jsonl before.jsonl --out before.json      # at the old commit, then again at the new one
    python experiments/compare_search_runs.py before.jsonl after.jsonl --budget 20 \\
        --out experiments/results/search_invariance.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arc.storage import read_jsonl  # noqa: E402

FIELDS = ("status", "n_hits", "n_groups", "programs", "attempts")


def compare(before: dict[str, dict], after: dict[str, dict], budget: float, margin: float = 0.5) -> dict:
    """Per-field differences over the common tasks; a task whose search took more than
    ``margin`` of the budget in either run counts as near the budget."""
    common = sorted(set(before) & set(after))
    by_work = all("work" in before[t] and "work" in after[t] for t in common)
    near = [] if by_work else [t for t in common if max(before[t]["seconds"], after[t]["seconds"]) > margin * budget]
    differ = {t: [f for f in FIELDS if before[t].get(f) != after[t].get(f)] for t in common}
    differ = {t: fs for t, fs in differ.items() if fs}
    return {
        "n_common": len(common),
        "n_near_budget": len(near),
        "near_budget": near,
        "identical": len(common) - len(differ),
        "differ_within_budget": {t: fs for t, fs in differ.items() if t not in near},
        "differ_near_budget": {t: fs for t, fs in differ.items() if t in near},
        "seconds_before": round(sum(before[t]["seconds"] for t in common), 1),
        "seconds_after": round(sum(after[t]["seconds"] for t in common), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs=2, type=Path, help="two bench_search.py JSONL files: before, after")
    ap.add_argument("--budget", type=float, default=0.0,
                    help="the search budget both runs used, in seconds (runs under a work budget need none)")
    ap.add_argument("--out", type=Path, default=None, help="write the comparison as JSON here")
    args = ap.parse_args(argv)
    before, after = ({rec["task_id"]: rec for _, rec in read_jsonl(p)} for p in args.runs)
    result = compare(before, after, args.budget)
    result["budget_s"] = args.budget
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0 if not result["differ_within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

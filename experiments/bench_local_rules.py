"""Benchmark the local-rule learner alone (issue 17) over a dataset, CPU only.

For every task: the learner's answers (pass@2 against the known test outputs), its status
(``unique`` = one distinct answer, ``several``, ``none``) and seconds. For the tasks it answers,
the enumerative search without local rules is run too (``--compare-budget`` cells of work), and
icecuber's per-task pass@2 is read from a reference file when given, so the summary says what
the learner adds. Writes a per-task JSONL (resumable) and a summary JSON.

    nice -n 10 python experiments/bench_local_rules.py --dataset arc1-train --workers 2 \
        --icecuber ../shared/reference/icecuber_arc1_train.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import arc  # noqa: E402
from _resumable import run_resumable  # noqa: E402
from search.budget import WorkBudget  # noqa: E402
from search.enumerate import enumerate_programs  # noqa: E402
from search.hits import group_hits  # noqa: E402
from search.problem import Problem  # noqa: E402
from search.families.local_rules import learn_local_rules  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
_TASKS: dict[str, arc.Task] = {}


def _init(dataset: str) -> None:
    _TASKS.update(arc.load_dataset(dataset))


def _same_shape(task: arc.Task) -> bool:
    return all(len(e.input) == len(e.output) and len(e.input[0]) == len(e.output[0]) for e in task.train)


def _run_one(args: tuple[str, float, float]) -> dict:
    task_id, budget, compare_budget = args
    task = _TASKS[task_id]
    expected = tuple(ex.output for ex in task.test)
    start = time.perf_counter()
    rules = learn_local_rules(task, budget=budget)
    seconds = time.perf_counter() - start
    answers = [r.test_outputs for r in rules]
    status = "none" if not rules else "unique" if len(rules) == 1 else "several"
    rec = {
        "task_id": task_id,
        "same_shape": _same_shape(task),
        "status": status,
        "correct": expected in answers[:2],
        "rules": [r.description for r in rules],
        "seconds": round(seconds, 3),
    }
    if rules and compare_budget > 0:
        hits = enumerate_programs(Problem.of(task, WorkBudget(compare_budget)), max_programs=50, max_depth=3)
        search_status, ranked = group_hits(hits)
        rec["search_status"] = search_status
        rec["search_correct"] = expected in ranked[:2]
    return rec


def summarize(records: list[dict], icecuber: dict[str, bool]) -> dict:
    seconds = np.array([r["seconds"] for r in records])
    same = [r for r in records if r["same_shape"]]
    same_seconds = np.array([r["seconds"] for r in same]) if same else np.zeros(1)
    solved = sorted(r["task_id"] for r in records if r["correct"])
    unique = [r for r in records if r["status"] == "unique"]
    unique_wrong = sorted(r["task_id"] for r in unique if not r["correct"])
    answered = [r for r in records if r["status"] != "none"]
    out = {
        "n_tasks": len(records),
        "n_same_shape": len(same),
        "tasks_answered": len(answered),
        "tasks_correct": len(solved),
        "task_accuracy": len(solved) / len(records) if records else 0.0,
        "unique": len(unique),
        "unique_wrong": len(unique_wrong),
        "unique_wrong_share_of_tasks": len(unique_wrong) / len(records) if records else 0.0,
        "unique_wrong_share_of_unique": len(unique_wrong) / len(unique) if unique else 0.0,
        "several": sum(r["status"] == "several" for r in records),
        "seconds_median": float(np.median(seconds)),
        "seconds_mean": float(np.mean(seconds)),
        "seconds_p95": float(np.percentile(seconds, 95)),
        "same_shape_seconds_median": float(np.median(same_seconds)),
        "same_shape_seconds_mean": float(np.mean(same_seconds)),
        "same_shape_seconds_p95": float(np.percentile(same_seconds, 95)),
        "solved": solved,
        "unique_wrong_ids": unique_wrong,
    }
    compared = [r for r in answered if "search_correct" in r]
    if compared:
        out["search_solves_of_solved"] = sorted(r["task_id"] for r in compared if r["correct"] and r["search_correct"])
        out["new_over_search"] = sorted(r["task_id"] for r in compared if r["correct"] and not r["search_correct"])
    if icecuber:
        out["icecuber_solves_of_solved"] = sorted(t for t in solved if icecuber.get(t))
        out["new_over_icecuber"] = sorted(t for t in solved if not icecuber.get(t))
    return out


@click.command()
@click.option("--dataset", default="arc1-train", show_default=True, help="dataset name or path")
@click.option("--budget", default=3_000_000, show_default=True, help="learner work per task, in cells")
@click.option("--compare-budget", default=8_000_000, show_default=True,
              help="work (cells) for the search without local rules on each task the learner answers; 0 = skip")
@click.option("--workers", default=2, show_default=True, help="worker processes")
@click.option("--icecuber", type=click.Path(path_type=Path), default=None,
              help="icecuber per-task results (JSON with per_task.{id}.pass2) to compare against")
@click.option("--jsonl", type=click.Path(path_type=Path), default=None, help="per-task results (resumable)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="summary JSON")
def main(dataset: str, budget: int, compare_budget: int, workers: int, icecuber: Path | None,
         jsonl: Path | None, out: Path | None) -> None:
    tasks = arc.load_dataset(dataset)
    ids = sorted(tasks)
    stem = f"local_rules_{dataset.replace('-', '_')}" if "/" not in dataset else "local_rules_custom"
    jsonl = jsonl or RESULTS / f"{stem}.jsonl"
    out = out or RESULTS / f"{stem}.json"
    done = run_resumable(ids, jsonl, _run_one, (budget, compare_budget), workers, _init, (dataset,),
                         f"budget {budget} cells")
    ice = {}
    if icecuber:
        ice = {t: bool(v["pass2"]) for t, v in json.loads(icecuber.read_text())["per_task"].items()}
    summary = summarize([done[t] for t in ids], ice)
    summary.update({"dataset": dataset, "budget": budget, "compare_budget": compare_budget, "workers": workers,
                    "command": "python experiments/bench_local_rules.py " + " ".join(sys.argv[1:])})
    out.write_text(json.dumps(summary, indent=1) + "\n")
    click.echo(
        f"local rules alone: pass@2 {summary['tasks_correct']}/{summary['n_tasks']} "
        f"({summary['n_same_shape']} same-shape), answered {summary['tasks_answered']}, unique {summary['unique']}, "
        f"unique & wrong {summary['unique_wrong']}; seconds/task median {summary['seconds_median']:.2f}, "
        f"mean {summary['seconds_mean']:.2f}, p95 {summary['seconds_p95']:.2f}"
    )


if __name__ == "__main__":
    main()

"""Benchmark the program-search proposer over a dataset (no LLM, CPU only).

Each task's result is appended to a JSONL file as it finishes, so a stopped run resumes where it
left off. The summary (pass@2 task and per-test accuracy via ``arc.score``, seconds per task,
how often a ``unique`` answer was wrong) is printed and written as JSON.

    python experiments/bench_search.py --dataset arc1-eval --workers 2
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import arc  # noqa: E402
from _resumable import run_resumable  # noqa: E402
from synth.config import SynthConfig  # noqa: E402
from search import WorkBudget, group_hits, search_programs  # noqa: E402
from synth.verdict import judge_hits, search_answers  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
_TASKS: dict[str, arc.Task] = {}


def _init(dataset: str, max_train: int = 0) -> None:
    _TASKS.update(cut_tasks(arc.load_dataset(dataset), max_train))


def cut_tasks(tasks: dict[str, arc.Task], max_train: int) -> dict[str, arc.Task]:
    """Every task cut to its first ``max_train`` demonstrations (0: as they are); the test inputs
    stay, so what the withheld demonstrations would have ruled out shows on the test."""
    if not max_train:
        return tasks
    return {t: arc.Task(task.id, task.train[:max_train], task.test) for t, task in tasks.items()}


def exclude_tasks(tasks: dict[str, arc.Task], others: tuple[str, ...]) -> dict[str, arc.Task]:
    """``tasks`` without those whose ids the datasets ``others`` hold (only their ids are read)."""
    dropped = {t for other in others for t in arc.load_dataset(other)}
    return {t: task for t, task in tasks.items() if t not in dropped}


def _run_one(args: tuple[str, int, float, int]) -> dict:
    task_id, work, cap_s, max_depth = args
    task = _TASKS[task_id]
    start, cpu = time.perf_counter(), time.process_time()
    error = None
    budget = WorkBudget(work, cap_s=cap_s)
    try:
        hits = search_programs(task, budget=budget, max_depth=max_depth)
    except Exception as exc:  # a task that breaks the search is recorded, and the run goes on
        hits, error = [], f"{type(exc).__name__}: {exc}"
    searched = time.perf_counter() - start
    cpu_searched = time.process_time() - cpu
    status, ranked = group_hits(hits, task)
    before = "error" if error else status
    # The synthesizer's verdict (synth.verdict): a single answer weighed, then held out; its work counts.
    held_out: list[WorkBudget] = []  # the budgets of the verdict's held-out searches, to count their work

    def counted(t: arc.Task, units: int) -> list:
        held_out.append(WorkBudget(units, cap_s=cap_s))
        return search_answers(t, held_out[-1])

    judged = None
    if not error:
        try:
            judged = judge_hits(task, hits, budget=work, propose=counted)
        except Exception as exc:  # the verdict's held-out searches run the search again: recorded the same way
            hits, ranked, error = [], [], f"{type(exc).__name__}: {exc}"
    status = judged.status if judged else "error"
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    truth = tuple(e.output for e in task.test)
    families = sorted({h.family for h in hits})
    right = sorted({h.family for h in hits if h.test_outputs == truth})
    attempts = [[[list(row) for row in group[i]] for group in ranked[:2]] for i in range(len(task.test))]
    return {
        "task_id": task_id,
        "status": status,
        "status_before": before,  # from grouping alone, before the verdict weighed it
        "held_out": list(judged.held_out.predicted) if judged and judged.held_out else None,
        "seconds_search": round(searched, 3),
        "n_hits": len(hits),
        "n_groups": len(ranked),
        "programs": [h.description for h in hits[:5]],
        "attempts": attempts,  # per test input, up to 2 grids
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),  # this process's CPU time: what the machine's load does not inflate
        "cpu_seconds_search": round(cpu_searched, 3),  # of which the search's (``work_search``), the verdict's left out
        "work": budget.spent + sum(b.spent for b in held_out),  # cells of work (search.budget), the verdict's too
        "work_search": budget.spent,  # of which the search's own
        "capped": budget.capped,  # stopped at the wall-clock safety cap: its answer may vary from run to run
        "families": families,  # families with a train-consistent program
        "families_right": right,  # families with a program whose test answers are right
        "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # this worker's peak so far
        **({"error": error} if error else {}),
    }


def summarize(records: list[dict], tasks: dict[str, arc.Task]) -> dict:
    """pass@2 figures, timing and false confidence over the finished records."""
    preds = {r["task_id"]: r["attempts"] for r in records}
    scored = arc.score(preds, tasks)
    seconds = np.array([r["seconds"] for r in records]) if records else np.zeros(1)
    unique = [r for r in records if r["status"] == "unique"]
    unique_wrong = [r for r in unique if not all(scored["per_task"][r["task_id"]])]
    before = [r for r in records if r.get("status_before", r["status"]) == "unique"]
    before_wrong = [r for r in before if not all(scored["per_task"][r["task_id"]])]
    n = len(records)
    return {
        "n_tasks": n,
        "task_accuracy": scored["task_accuracy"],
        "test_accuracy": scored["test_accuracy"],
        "tasks_correct": scored["tasks_correct"],
        "tasks_with_hits": sum(r["status"] not in ("none", "error") for r in records),
        "errors": sorted(r["task_id"] for r in records if r["status"] == "error"),
        "capped": sorted(r["task_id"] for r in records if r.get("capped")),
        "unique": len(unique),
        "unique_wrong": len(unique_wrong),
        "unique_wrong_share_of_tasks": len(unique_wrong) / n if n else 0.0,
        "unique_wrong_share_of_unique": len(unique_wrong) / len(unique) if unique else 0.0,
        "unique_before_verdict": len(before),
        "unique_wrong_before_verdict": len(before_wrong),
        "seconds_median": float(np.median(seconds)),
        "seconds_mean": float(seconds.mean()),
        "seconds_p95": float(np.percentile(seconds, 95)),
        "cpu_seconds_median": float(np.median([r.get("cpu_seconds", 0.0) for r in records])) if records else 0.0,
        "cpu_seconds_mean": float(np.mean([r.get("cpu_seconds", 0.0) for r in records])) if records else 0.0,
        "work_median": float(np.median([r.get("work", 0) for r in records])) if records else 0.0,
        # How closely work tracks CPU time across tasks (the unit's calibration): Pearson r.
        "work_cpu_correlation": _correlation([r.get("work", 0) for r in records],
                                             [r.get("cpu_seconds", 0.0) for r in records]),
        # The same for the search alone (``work_search`` against the search's own CPU time, the
        # verdict's held-out searches left out of both).
        "work_cpu_search_correlation": _correlation([r.get("work_search", r.get("work", 0))
                                                     for r in records if "cpu_seconds_search" in r],
                                                    [r["cpu_seconds_search"] for r in records if "cpu_seconds_search" in r]),
        "cpu_seconds_search_mean": float(np.mean([r.get("cpu_seconds_search", 0.0) for r in records])) if records else 0.0,
        "peak_rss_mib_worker": max((r.get("rss_mib", 0.0) for r in records), default=0.0),
        "per_family_right": _per_family(records),
        "solved": sorted(t for t, right in scored["per_task"].items() if all(right)),
        "unique_wrong_ids": sorted(r["task_id"] for r in unique_wrong),
        "unique_wrong_before_verdict_ids": sorted(r["task_id"] for r in before_wrong),
    }


def _correlation(xs: list, ys: list) -> float | None:
    if len(xs) < 3 or np.std(xs) == 0 or np.std(ys) == 0:
        return None
    return float(np.corrcoef(xs, ys)[0, 1])


def _per_family(records: list[dict]) -> dict[str, dict[str, int]]:
    """Per family: tasks where it found a program, where one of its programs is right on every test
    input (what it solves alone), and where it is the only family that is right."""
    out: dict[str, dict[str, int]] = {}
    for r in records:
        for f in r.get("families", []):
            out.setdefault(f, {"tasks_with_programs": 0, "right_alone": 0, "only_one_right": 0})["tasks_with_programs"] += 1
        right = r.get("families_right", [])
        for f in right:
            out[f]["right_alone"] += 1
            if len(right) == 1:
                out[f]["only_one_right"] += 1
    return dict(sorted(out.items()))


@click.command()
@click.option("--dataset", default="arc1-eval", show_default=True, help="dataset name or path")
@click.option("--budget", default=SynthConfig().search_budget, show_default=True,
              help="search work per task, in cells (one grid cell read by one candidate operation; default: "
                   "the solver's own, SynthConfig.search_budget)")
@click.option("--cap-s", default=SynthConfig().search_cap_s, show_default=True,
              help="wall-clock safety cap per task, seconds; a task that reaches it is recorded as capped")
@click.option("--workers", default=2, show_default=True, help="worker processes")
@click.option("--max-depth", default=3, show_default=True, help="most steps in a program")
@click.option("--limit", default=0, help="only the first N tasks (sorted by id); 0 = all")
@click.option("--offset", default=0, help="skip the first N tasks (sorted by id)")
@click.option("--max-train", default=0, help="cut every task to its first N demonstrations; 0 = all")
@click.option("--exclude-dataset", "exclude", multiple=True,
              help="drop the tasks of this dataset (repeatable), e.g. arc2-train without arc1-eval's tasks")
@click.option("--ids", default="", help="only these tasks (comma-separated ids)")
@click.option("--jsonl", type=click.Path(path_type=Path), default=None, help="per-task results (resumable)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="summary JSON")
def main(dataset: str, budget: int, cap_s: float, workers: int, max_depth: int, limit: int, offset: int, max_train: int,
         exclude: tuple[str, ...], ids: str, jsonl: Path | None, out: Path | None) -> None:
    tasks = cut_tasks(arc.load_dataset(dataset), max_train)
    tasks = exclude_tasks(tasks, exclude)
    if ids:
        wanted = set(ids.split(","))
        tasks = {t: task for t, task in tasks.items() if t in wanted}
    ids = sorted(tasks)[offset:]
    ids = ids[:limit] if limit else ids
    stem = f"search_{dataset.replace('-', '_')}" if "/" not in dataset else "search_custom"
    stem += f"_train{max_train}" if max_train else ""
    stem += "".join(f"_less_{other.replace('-', '_')}" for other in exclude)
    jsonl = jsonl or RESULTS / f"{stem}.jsonl"
    out = out or RESULTS / f"{stem}.json"
    done = run_resumable(ids, jsonl, _run_one, (budget, cap_s, max_depth), workers, _init, (dataset, max_train),
                         f"budget {budget} cells (cap {cap_s:g} s)")
    records = [done[t] for t in ids]
    summary = summarize(records, tasks)
    summary.update({"dataset": dataset, "budget": budget, "cap_s": cap_s, "workers": workers, "max_depth": max_depth,
                    "max_train": max_train, "excluded": list(exclude),
                    "command": "python experiments/bench_search.py " + " ".join(sys.argv[1:])})
    out.write_text(json.dumps(summary, indent=1) + "\n")
    click.echo(
        f"pass@2 task {summary['task_accuracy']:.1%} ({summary['tasks_correct']}/{summary['n_tasks']}), "
        f"per-test {summary['test_accuracy']:.1%}; unique {summary['unique']}, unique & wrong "
        f"{summary['unique_wrong']} ({summary['unique_wrong_share_of_tasks']:.1%} of tasks, "
        f"{summary['unique_wrong_share_of_unique']:.1%} of unique; before the verdict "
        f"{summary['unique_wrong_before_verdict']} of {summary['unique_before_verdict']}); "
        f"seconds/task median {summary['seconds_median']:.2f}, mean {summary['seconds_mean']:.2f}, "
        f"p95 {summary['seconds_p95']:.1f}; capped {len(summary['capped'])}"
    )
    for record in records:
        if record["status"] == "error":
            click.echo(f"{record['task_id']}: the search failed: {record['error']}", err=True)


if __name__ == "__main__":
    main()

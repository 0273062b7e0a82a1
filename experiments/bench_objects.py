"""Per-family figures for the object- and part-level families and greedy assembly
(search/families/objects.py, search/families/assembly.py) on a dataset whose test outputs are known.

For every task all families run once; each family's programs are then grouped by their test
outputs as ``group_hits`` groups a search's hits, and scored pass@2 alone. With ``--baseline``
(a ``bench_search.py`` JSONL of the search without the families) it counts which solved tasks are
new; with ``--combined`` (a ``bench_search.py`` JSONL of the search with them) it sets the two
searches side by side.

    nice -n 10 python experiments/bench_objects.py --dataset arc1-train \\
        --baseline experiments/results/search_arc1_train_main.jsonl \\
        --combined experiments/results/search_arc1_train.jsonl
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import arc  # noqa: E402
from arc.storage import read_jsonl  # noqa: E402
from search.families.objects import object_programs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
_TASKS: dict[str, arc.Task] = {}


def _init(dataset: str) -> None:
    _TASKS.update(arc.load_dataset(dataset))


def _run_one(args: tuple[str, float]) -> dict:
    task_id, budget = args
    start = time.perf_counter()
    found = object_programs(_TASKS[task_id], budget=budget, max_programs=100)
    return {
        "task_id": task_id,
        "seconds": round(time.perf_counter() - start, 3),
        "programs": [{"family": p.family, "description": p.description,
                      "outputs": [[list(r) for r in g] for g in outs]} for p, outs in found],
    }


def _ranked(programs: list[dict]) -> list[list]:
    """Test-output tuples ranked by how many programs give them, ties in order found."""
    groups: dict[str, list] = {}
    counts: dict[str, int] = {}
    for p in programs:
        key = json.dumps(p["outputs"])
        groups.setdefault(key, p["outputs"])
        counts[key] = counts.get(key, 0) + 1
    return [groups[k] for k in sorted(groups, key=lambda k: -counts[k])]


def _score(records: list[dict], tasks: dict, family: str | None) -> dict:
    solved, unique, unique_wrong, hit = [], 0, [], 0
    for r in records:
        programs = [p for p in r["programs"] if family is None or p["family"] == family]
        ranked = _ranked(programs)
        if not ranked:
            continue
        hit += 1
        task = tasks[r["task_id"]]
        right = all(any(g[i] == [list(row) for row in ex.output] for g in ranked[:2]) for i, ex in enumerate(task.test))
        if right:
            solved.append(r["task_id"])
        if len(ranked) == 1:
            unique += 1
            if not right:
                unique_wrong.append(r["task_id"])
    return {"tasks_with_programs": hit, "pass2_tasks": len(solved), "unique": unique,
            "unique_wrong": len(unique_wrong), "unique_wrong_ids": unique_wrong, "solved": solved}


def _search_summary(path: Path, tasks: dict) -> dict:
    from experiments.bench_search import summarize

    records = {rec["task_id"]: rec for _, rec in read_jsonl(path)}
    summary = summarize([records[t] for t in sorted(records)], tasks)
    seconds = np.array([records[t]["seconds"] for t in records])
    summary["seconds_mean"] = float(seconds.mean())
    return summary


@click.command()
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--budget", default=2_000_000, show_default=True, help="work per task for all families together, in cells")
@click.option("--workers", default=1, show_default=True)
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="bench_search.py JSONL of the search without the families")
@click.option("--combined", type=click.Path(path_type=Path), default=None,
              help="bench_search.py JSONL of the search with the families")
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="another solver's per-task JSON ({'per_task': {id: {'pass2': bool}}}) to compare with")
@click.option("--out", type=click.Path(path_type=Path), default=None)
def main(dataset: str, budget: int, workers: int, baseline: Path | None, combined: Path | None,
         reference: Path | None, out: Path | None) -> None:
    tasks = arc.load_dataset(dataset)
    ids = sorted(tasks)
    with mp.get_context("fork").Pool(workers, _init, (dataset,)) as pool:
        records = list(pool.imap(_run_one, [(t, budget) for t in ids]))
    seconds = np.array([r["seconds"] for r in records])
    result: dict = {
        "dataset": dataset,
        "n_tasks": len(ids),
        "budget": budget,
        "command": "python experiments/bench_objects.py " + " ".join(sys.argv[1:]),
        "families_seconds_per_task": {"median": float(np.median(seconds)), "mean": float(seconds.mean()),
                                      "p95": float(np.percentile(seconds, 95)), "max": float(seconds.max())},
        "all_families": _score(records, tasks, None),
        "per_family": {},
    }
    for name in dict.fromkeys(n for r in records for p in r["programs"] for n in [p["family"]]):
        result["per_family"][name] = _score(records, tasks, name)
    if baseline is not None:
        base = _search_summary(baseline, tasks)
        result["search_without_families"] = {k: v for k, v in base.items() if k != "solved"}
        base_solved = set(base["solved"])
        result["all_families"]["new_vs_search_without"] = sorted(set(result["all_families"]["solved"]) - base_solved)
        for fam in result["per_family"].values():
            fam["new_vs_search_without"] = len(set(fam["solved"]) - base_solved)
    if combined is not None:
        both = _search_summary(combined, tasks)
        result["search_with_families"] = {k: v for k, v in both.items() if k != "solved"}
        if baseline is not None:
            result["search_with_families"]["gained"] = sorted(set(both["solved"]) - base_solved)
            result["search_with_families"]["lost"] = sorted(base_solved - set(both["solved"]))
    if reference is not None and combined is not None:
        theirs = {t for t, v in json.loads(reference.read_text())["per_task"].items() if v["pass2"] and t in tasks}
        ours = set(both["solved"])
        result["reference"] = {"file": reference.name, "pass2_tasks": len(theirs), "both": len(theirs & ours),
                               "only_reference": len(theirs - ours), "only_search_with_families": len(ours - theirs)}
    out = out or RESULTS / f"objects_{dataset.replace('-', '_')}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    fams = result["all_families"]
    click.echo(f"families: {fams['pass2_tasks']}/{len(ids)} pass@2, unique {fams['unique']}, unique & wrong "
               f"{fams['unique_wrong']}; seconds/task median {np.median(seconds):.2f} mean {seconds.mean():.2f}")
    for name, fam in result["per_family"].items():
        click.echo(f"  {name:11s} {fam['pass2_tasks']:3d} solved, {fam.get('new_vs_search_without', '-')} new, "
                   f"unique & wrong {fam['unique_wrong']}")


if __name__ == "__main__":
    main()

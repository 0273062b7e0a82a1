"""What some object families find on their own over a dataset: per task, whether they fit the
demonstrations, how many distinct test answers their programs give, whether one is right, and
whether the first program is tentative. CPU only, in-process (no verdict, no enumeration).

    python experiments/bench_object_families.py --families map,pick-object,rays --dataset arc1-train --max-train 2
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import arc  # noqa: E402
from bench_search import cut_tasks, exclude_tasks  # noqa: E402
from search.families import object_programs  # noqa: E402


@click.command()
@click.option("--families", default="map,pick-object,rays", show_default=True, help="comma-separated FAMILIES names")
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--exclude-dataset", "exclude", multiple=True, help="drop the tasks of this dataset (repeatable)")
@click.option("--max-train", default=0, help="cut every task to its first N demonstrations; 0 = all")
@click.option("--budget", default=2_000_000, show_default=True, help="work per task for the families, in cells")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="results JSON")
def main(families: str, dataset: str, exclude: tuple[str, ...], max_train: int, budget: int, out: Path | None) -> None:
    tasks = exclude_tasks(cut_tasks(arc.load_dataset(dataset), max_train), exclude)
    names = tuple(families.split(","))
    records = []
    cpu = time.process_time()
    for task_id in sorted(tasks):
        task = tasks[task_id]
        found = object_programs(task, families=names, budget=budget)
        if not found:
            continue
        truth = tuple(e.output for e in task.test)
        answers = list(dict.fromkeys(outs for _, outs in found))
        records.append({"task_id": task_id, "right": truth in answers, "first_right": answers[0] == truth,
                        "answers": len(answers), "first_tentative": found[0][0].tentative,
                        "program": found[0][0].description})
    summary = {
        "dataset": dataset, "excluded": list(exclude), "max_train": max_train, "families": list(names),
        "n_tasks": len(tasks), "fired": len(records), "right": sum(r["right"] for r in records),
        "first_right": sum(r["first_right"] for r in records),
        # a wrong answer from a single, non-tentative program: what could become unique and wrong
        "sure_and_wrong": sorted(r["task_id"] for r in records
                                 if not r["right"] and r["answers"] == 1 and not r["first_tentative"]),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "command": "python experiments/bench_object_families.py " + " ".join(sys.argv[1:]),
        "tasks": records,
    }
    if out:
        out.write_text(json.dumps(summary, indent=1) + "\n")
    click.echo(f"{summary['fired']} of {summary['n_tasks']} tasks fired, {summary['right']} right "
               f"({summary['first_right']} first), sure and wrong {summary['sure_and_wrong']}; "
               f"{summary['cpu_seconds']} s CPU")


if __name__ == "__main__":
    main()

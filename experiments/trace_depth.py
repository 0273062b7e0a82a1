"""Where the states that lead to a program sat in the enumeration's order.

For each task the enumeration alone runs on a (large) work budget; every state the finishing
pass goes through is recorded in order with the work spent when its turn came. For each
program found, its prefix (the state its last step finished) is looked up: its position among
the states of its number of steps, and the work spent before it was reached. Alternative
orderings are judged on the same states: the rank the prefix would have among its level's
states under each score (``closeness``, and ``promise`` where the module has it).

    python experiments/trace_depth.py --dataset arc1-train --ids 3de23699,80af3007 --budget 40000000
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import arc  # noqa: E402
import search.enumerate as enumeration  # noqa: E402
from search import WorkBudget  # noqa: E402
from search.problem import Problem  # noqa: E402


EXTRA: dict = {}  # more scores to rank by, by name (a script importing this one adds them)


def _scores() -> dict:
    """The orders to compare: the found order's score where the module has one (``promise``),
    and the older ``closeness`` (right shapes, then shapes a scaling or tiling away)."""
    found = {"closeness": enumeration.closeness}
    if hasattr(enumeration, "promise"):
        found["promise"] = enumeration.promise
    return found


def trace(task: arc.Task, budget: int, max_depth: int) -> dict:
    problem = Problem.of(task, WorkBudget(budget))
    steps_of: dict[int, tuple] = {}
    order: list[tuple[tuple, int, list]] = []  # (steps, work spent, train grids) per state finished
    original_state, fitted = enumeration._State, enumeration.fitted_steps

    class Recorded(original_state):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            steps_of[id(self.train)] = self.steps

    def recording_fitted(grids, targets, info):
        order.append((steps_of.get(id(grids), ()), problem.budget.spent, grids))
        return fitted(grids, targets, info)

    enumeration._State, enumeration.fitted_steps = Recorded, recording_fitted
    try:
        start = time.process_time()
        hits = enumeration.enumerate_programs(problem, max_programs=50, max_depth=max_depth)
        cpu = time.process_time() - start
    finally:
        enumeration._State, enumeration.fitted_steps = original_state, fitted
    truth = tuple(e.output for e in task.test)
    targets = list(problem.targets)
    by_depth: dict[int, list] = {}
    for steps, spent, grids in order:
        by_depth.setdefault(len(steps), []).append((steps, spent, grids))
    scores = dict(_scores(), **EXTRA)
    found = []
    for h in hits:
        prefix = h.steps[:-1]
        level = by_depth.get(len(prefix), [])
        pos = next((k for k, (s, _, _) in enumerate(level) if s == prefix), None)
        ranks = {}
        if pos is not None:
            for name, score in scores.items():
                values = [score(g, targets) for _, _, g in level]
                mine = values[pos]
                ranks[name] = sum(v > mine for v in values) + sum(v == mine for v in values[:pos])
        found.append({
            "steps": " | ".join(s.label for s in h.steps), "right": h.test_outputs == truth,
            "family": h.family, "prefix_position": pos, "level_states": len(level),
            "work_before_prefix": None if pos is None else level[pos][1], "ranks": ranks,
            "parent_ranks": _ranks(by_depth.get(len(prefix) - 1, []), prefix[:-1], scores, targets) if prefix else {},
        })
    return {"task": task.id, "cpu_s": round(cpu, 2), "work": problem.budget.spent,
            "states_by_depth": {k: len(v) for k, v in sorted(by_depth.items())}, "hits": found}


def _ranks(level, prefix, scores, targets) -> dict:
    pos = next((k for k, (s, _, _) in enumerate(level) if s == prefix), None)
    if pos is None:
        return {}
    ranks = {"found": pos}
    for name, score in scores.items():
        values = [score(g, targets) for _, _, g in level]
        mine = values[pos]
        ranks[name] = sum(v > mine for v in values) + sum(v == mine for v in values[:pos])
    return ranks


@click.command()
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--ids", default="", help="comma-separated task ids (default: all)")
@click.option("--budget", default=40_000_000, show_default=True)
@click.option("--max-depth", default=3, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="JSONL, one line a task")
def main(dataset: str, ids: str, budget: int, max_depth: int, out: Path) -> None:
    tasks = arc.load_dataset(dataset)
    chosen = [t for t in ids.split(",") if t] or sorted(tasks)
    with out.open("w") as f:
        for task_id in chosen:
            r = trace(tasks[task_id], budget, max_depth)
            f.write(json.dumps(r) + "\n")
            f.flush()
            right = [h for h in r["hits"] if h["right"]]
            click.echo(f"{task_id} {r['cpu_s']}s work {r['work']:,} states {r['states_by_depth']} "
                       f"hits {len(r['hits'])} right {len(right)} "
                       + (f"first right: {right[0]['steps']} pos {right[0]['prefix_position']}/"
                          f"{right[0]['level_states']} work {right[0]['work_before_prefix']:,} {right[0]['ranks']}"
                          if right and right[0]['prefix_position'] is not None else ""))


if __name__ == "__main__":
    main()

"""Benchmark the breadth-first enumeration alone: states searched and steps applied per second
of CPU, the deepest level reached, and tasks solved.

Each task's enumeration runs on its own work budget (``--budget``, cells). States and steps are
counted by wrapping the module's own ``fitted_steps`` (read once per state) and ``apply_step``,
so the same script measures an older ``search/enumerate.py`` too (run it from that checkout).
``--no-prune`` turns off the invariants' pruning where the enumeration has it.

    python experiments/bench_enumeration.py --dataset arc1-train --limit 100 --budget 3000000
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


class _Counted:
    """``enumeration``'s per-state and per-step functions wrapped to count their calls, with the
    number of steps each state had (the states' depth is the length of the first state seen)."""

    def __init__(self) -> None:
        self.states = self.applied = 0
        self.depths: dict[int, int] = {}
        fitted, apply = enumeration.fitted_steps, enumeration.apply_step

        def counted_fitted(grids, targets, info):
            self.states += 1
            return fitted(grids, targets, info)

        def counted_apply(s, grid):
            self.applied += 1
            return apply(s, grid)

        enumeration.fitted_steps, enumeration.apply_step = counted_fitted, counted_apply


def run(tasks: dict[str, arc.Task], budget: int, max_depth: int, prune: bool) -> dict:
    counted = _Counted()
    cpu = 0.0
    solved, found, deepest = [], 0, {}
    by_steps: dict[int, int] = {}  # states searched for programs, by their number of steps
    reached: dict[int, int] = {}  # tasks by the deepest level begun
    for task_id, task in tasks.items():
        problem = Problem.of(task, WorkBudget(budget))
        stats = enumeration.EnumerationStats()
        kwargs = {"stats": stats} if prune else {"stats": stats, "prune": False}
        start = time.process_time()
        hits = enumeration.enumerate_programs(problem, max_programs=50, max_depth=max_depth, **kwargs)
        cpu += time.process_time() - start
        for k, n in getattr(stats, "by_steps", {}).items():  # an older enumerate.py does not count them
            by_steps[k] = by_steps.get(k, 0) + n
        reached[stats.depth] = reached.get(stats.depth, 0) + 1
        found += bool(hits)
        if hits:
            depth = len(hits[0].steps)
            deepest[depth] = deepest.get(depth, 0) + 1
        truth = tuple(e.output for e in task.test)
        if hits and hits[0].test_outputs == truth:
            solved.append(task_id)
    return {
        "prune": prune,
        "tasks_with_hits": found,
        "first_hit_right": len(solved),
        "hits_by_depth": {str(k): v for k, v in sorted(deepest.items())},
        "states": counted.states,
        "states_by_steps": {str(k): v for k, v in sorted(by_steps.items())},
        "tasks_by_depth_begun": {str(k): v for k, v in sorted(reached.items())},
        "steps_applied": counted.applied,  # single-grid applications
        "cpu_s": round(cpu, 2),
        "states_per_cpu_s": round(counted.states / cpu, 1),
        "applied_per_cpu_s": round(counted.applied / cpu, 1),
        "solved": solved,
    }


@click.command()
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--budget", default=3_000_000, show_default=True, help="work per task for the enumeration, in cells")
@click.option("--max-depth", default=3, show_default=True)
@click.option("--limit", default=100, show_default=True, help="the first N tasks (sorted by id); 0 = all")
@click.option("--offset", default=0, show_default=True)
@click.option("--prune/--no-prune", default=True, show_default=True, help="the invariants' pruning, where there is one")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="summary JSON")
def main(dataset: str, budget: int, max_depth: int, limit: int, offset: int, prune: bool, out: Path | None) -> None:
    tasks = arc.load_dataset(dataset)
    ids = sorted(tasks)[offset:offset + limit if limit else None]
    chosen = {t: tasks[t] for t in ids}
    r = run(chosen, budget, max_depth, prune)
    summary = {"dataset": dataset, "budget": budget, "max_depth": max_depth, "n_tasks": len(chosen),
               "offset": offset, **r, "command": "python experiments/bench_enumeration.py " + " ".join(sys.argv[1:])}
    click.echo(f"{r['tasks_with_hits']} with hits ({r['hits_by_depth']} by depth), {r['first_hit_right']} right, "
               f"states by steps {r['states_by_steps']}, tasks by depth begun {r['tasks_by_depth_begun']}, "
               f"{r['states']} states ({r['states_per_cpu_s']}/s), {r['steps_applied']} applied "
               f"({r['applied_per_cpu_s']}/s), {r['cpu_s']} s CPU")
    if out:
        out.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()

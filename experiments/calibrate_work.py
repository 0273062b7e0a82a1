"""Where the search's CPU time goes against the work it charges, per phase.

Runs the search and the verdict on each task as ``experiments/bench_search.py`` does (one process,
one task at a time), with every phase timed by ``time.process_time_ns`` (this process's CPU
time, which the machine's load does not inflate) and every ``WorkBudget.charge`` counted to the
phase that made it. A phase's time excludes the phases it calls (a stack: the enumeration's
sub-phases, a family inside the object loop, the search a lift runs again). The verdict's
held-out searches are counted apart (``holdout:`` before the phase's name).

Phases: ``enumerate`` (the enumeration's own loop: states, memo, keys) with ``enum.apply`` (steps
applied, charged in its ``result``), ``enum.fit`` (fitted steps, ``FIT_PASSES``), ``enum.rules``
(the invariants, ``RULE_COST``/``SKIP_COST`` and the cell checks), ``enum.promise``
(``promise``/``promise_cost``), ``enum.finish`` (a candidate's check on every demonstration);
``local_rules``, ``after_step``, ``local_fixpoint``; ``objects`` (the family loop, its program
runs) and ``family:<name>``, the object map's ``notch`` (its look for notches, inside
``family:map``); ``object_pieces``, ``assemble``; ``lifts``; ``verdict``; ``other``.

    python experiments/calibrate_work.py --dataset arc1-train --every 4 --out experiments/results/calibrate_arc1_train.json

What counts: ns of CPU per unit charged in each phase, against the whole's; the tasks with the
largest CPU per unit. Compare ratios within one run (the wrappers add a little time per call).
"""

from __future__ import annotations

import functools
import inspect
import json
import linecache
import sys
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import arc  # noqa: E402
import bench_search  # noqa: E402
import search.enumerate as enum_mod  # noqa: E402
import search.orchestrate as orch  # noqa: E402
import search.assemble as assemble_mod  # noqa: E402
import search.families as families_mod  # noqa: E402
import search.families.object_map as object_map_mod  # noqa: E402
import search.invariants as inv_mod  # noqa: E402
import synth.verdict as verdict_mod  # noqa: E402
from search.budget import WorkBudget  # noqa: E402
from synth.config import SynthConfig  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


class Ledger:
    """CPU ns and units charged per phase, the running phase on top of a stack."""

    def __init__(self) -> None:
        self.cpu: dict[str, int] = {}
        self.work: dict[str, int] = {}
        self.stack: list[str] = ["other"]
        self.holdout = 0
        self.mark = time.process_time_ns()

    def _flush(self) -> None:
        now = time.process_time_ns()
        top = self.stack[-1]
        self.cpu[top] = self.cpu.get(top, 0) + now - self.mark
        self.mark = now

    def name(self, phase: str) -> str:
        return f"holdout:{phase}" if self.holdout else phase

    def push(self, phase: str) -> None:
        self._flush()
        self.stack.append(self.name(phase))

    def pop(self) -> None:
        self._flush()
        self.stack.pop()

    def charge(self, units: int, phase: str | None) -> None:
        key = self.name(phase) if phase else self.stack[-1]
        self.work[key] = self.work.get(key, 0) + int(units)

    def reset(self) -> None:
        self.cpu, self.work, self.stack = {}, {}, ["other"]
        self.mark = time.process_time_ns()

    def in_enumeration(self) -> bool:
        top = self.stack[-1].removeprefix("holdout:")
        return top == "enumerate" or top.startswith("enum.")


LEDGER = Ledger()


def timed(phase: str, fn, *, inside_enumeration: bool = False):
    """``fn`` counted as ``phase`` (only within the enumeration, for its sub-phases)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if inside_enumeration and not LEDGER.in_enumeration():
            return fn(*args, **kwargs)
        LEDGER.push(phase)
        try:
            out = fn(*args, **kwargs)
        finally:
            LEDGER.pop()
        return _timed_iteration(phase, out) if inspect.isgenerator(out) else out

    return wrapper


def _timed_iteration(phase: str, gen):
    """A generator's items, each one's making counted as ``phase`` (a family yields its programs)."""
    while True:
        LEDGER.push(phase)
        try:
            item = next(gen)
        except StopIteration:
            return
        finally:
            LEDGER.pop()
        yield item


_SITES: dict[tuple[str, int], str | None] = {}


def _site_phase(frame) -> str | None:
    """The enumeration's sub-phase a charge made at ``frame`` belongs to (None: the running phase)."""
    code = frame.f_code
    key = (code.co_filename, frame.f_lineno)
    if key not in _SITES:
        phase = None
        if code.co_filename.endswith("search/enumerate.py"):
            line = linecache.getline(code.co_filename, frame.f_lineno)
            if code.co_name == "result":  # a memo hit's charge: the enumeration's own bookkeeping
                phase = "enumerate" if "grid.size" in line else "enum.apply"
            elif "CHECK_COST" in line:
                phase = "enumerate"
            elif code.co_name == "expand":
                phase = "enum.promise"
            elif "FIT_PASSES" in line:
                phase = "enum.fit"
            elif "RULE_COST" in line:
                phase = "enum.rules"
        elif code.co_filename.endswith("search/invariants.py"):
            phase = "enum.rules"
        _SITES[key] = phase
    return _SITES[key]


def install() -> None:
    """Wrap the phases where they are looked up, and count every charge."""
    charge = WorkBudget.charge

    def counted_charge(self, cells):
        LEDGER.charge(cells, _site_phase(sys._getframe(1)) if LEDGER.in_enumeration() else None)
        return charge(self, cells)

    WorkBudget.charge = counted_charge
    for name, phase in (("enumerate_programs", "enumerate"), ("learn_local_rules", "local_rules"),
                        ("learn_fixpoint_rules", "local_fixpoint"), ("object_programs", "objects"),
                        ("assemble", "assemble"), ("cell_lift", "lifts"), ("role_lift", "lifts"),
                        ("lifted_hits", "lifts"), ("task_roles", "lifts"), ("_rules_after_a_step", "after_step")):
        setattr(orch, name, timed(phase, getattr(orch, name)))
    for name, phase in (("fitted_steps", "enum.fit"), ("apply_step", "enum.apply"), ("promise", "enum.promise"),
                        ("_finish", "enum.finish")):
        setattr(enum_mod, name, timed(phase, getattr(enum_mod, name), inside_enumeration=True))
    inv_mod.LastStep.allowed = timed("enum.rules", inv_mod.LastStep.allowed, inside_enumeration=True)
    assemble_mod.object_pieces = timed("object_pieces", assemble_mod.object_pieces)
    object_map_mod._notches = timed("notch", object_map_mod._notches)
    for name, family in list(families_mod.FAMILIES.items()):
        families_mod.FAMILIES[name] = timed(f"family:{name}", family)
    bench_search.judge_hits = timed("verdict", bench_search.judge_hits)
    answers = bench_search.search_answers

    def held_out(task, budget):
        LEDGER.holdout += 1
        try:
            return answers(task, budget)
        finally:
            LEDGER.holdout -= 1

    bench_search.search_answers = held_out
    verdict_mod.search_answers = held_out


def run(tasks: dict[str, arc.Task], ids: list[str], work: int, cap_s: float) -> list[dict]:
    bench_search._TASKS.update(tasks)
    records = []
    for task_id in ids:
        LEDGER.reset()
        record = bench_search._run_one((task_id, work, cap_s, 3))
        LEDGER._flush()
        records.append({
            "task_id": task_id, "status": record["status"], "cpu_seconds": record["cpu_seconds"],
            "work": record["work"], "work_search": record["work_search"],
            "cpu_seconds_search": record["cpu_seconds_search"],
            "phases": {p: {"cpu_ns": LEDGER.cpu.get(p, 0), "work": LEDGER.work.get(p, 0)}
                       for p in sorted(set(LEDGER.cpu) | set(LEDGER.work))},
        })
        print(f"{task_id} {record['status']:8s} cpu {record['cpu_seconds']:.3f}s work {record['work']:>10,}", flush=True)
    return records


def group(phase: str) -> str:
    """A phase's group: the enumeration, the families, the verdict's hold-out, ..."""
    if phase.startswith("holdout:"):
        return "holdout"
    if phase.startswith("enum"):
        return "enumerate"
    if phase.startswith("family:") or phase == "objects":
        return "families"
    return phase


def summarize(records: list[dict]) -> dict:
    def table(key) -> dict:
        cpu: dict[str, int] = {}
        work: dict[str, int] = {}
        for r in records:
            for p, v in r["phases"].items():
                k = key(p)
                cpu[k] = cpu.get(k, 0) + v["cpu_ns"]
                work[k] = work.get(k, 0) + v["work"]
        total_cpu, total_work = sum(cpu.values()), sum(work.values())
        return {k: {"cpu_s": round(cpu[k] / 1e9, 3), "work": work[k],
                    "cpu_share": round(cpu[k] / total_cpu, 4), "work_share": round(work[k] / max(1, total_work), 4),
                    "ns_per_unit": round(cpu[k] / work[k], 1) if work[k] else None}
                for k in sorted(cpu, key=lambda k: -cpu[k])}

    cpu = np.array([r["cpu_seconds"] for r in records])
    work = np.array([r["work"] for r in records], dtype=float)
    ratio = sorted(records, key=lambda r: -r["cpu_seconds"] / max(1, r["work"]))
    return {
        "n_tasks": len(records),
        "cpu_seconds_mean": float(cpu.mean()), "cpu_seconds_median": float(np.median(cpu)),
        "work_mean": float(work.mean()), "ns_per_unit": float(cpu.sum() * 1e9 / work.sum()),
        "work_cpu_correlation": float(np.corrcoef(work, cpu)[0, 1]) if len(records) > 2 else None,
        "by_group": table(group),
        "by_phase": table(lambda p: p),
        "largest_cpu_per_unit": [
            {"task_id": r["task_id"], "cpu_seconds": r["cpu_seconds"], "work": r["work"],
             "ns_per_unit": round(r["cpu_seconds"] * 1e9 / max(1, r["work"]), 1),
             "top_phases": sorted(((p, round(v["cpu_ns"] / 1e9, 3), v["work"]) for p, v in r["phases"].items()),
                                  key=lambda x: -x[1])[:4]}
            for r in ratio[:15]],
    }


@click.command()
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--budget", default=SynthConfig().search_budget, show_default=True, help="work per task")
@click.option("--max-train", default=0, help="cut every task to its first N demonstrations; 0 = all")
@click.option("--every", default=1, help="every Nth task (sorted by id)")
@click.option("--start", default=0, help="the first task's index, with --every")
@click.option("--ids", default="", help="only these tasks (comma-separated)")
@click.option("--out", type=click.Path(path_type=Path), default=None)
def main(dataset: str, budget: int, max_train: int, every: int, start: int, ids: str, out: Path | None) -> None:
    tasks = bench_search.cut_tasks(arc.load_dataset(dataset), max_train)
    chosen = sorted(tasks)[start::every] if not ids else sorted(set(ids.split(",")) & set(tasks))
    install()
    records = run(tasks, chosen, budget, SynthConfig().search_cap_s)
    summary = summarize(records)
    command = "python experiments/calibrate_work.py " + " ".join(sys.argv[1:])
    out = out or RESULTS / f"calibrate_{dataset.replace('-', '_')}{f'_train{max_train}' if max_train else ''}.json"
    out.write_text(json.dumps({"command": command, "summary": summary, "records": records}, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "largest_cpu_per_unit"}, indent=1))
    print(json.dumps(summary["largest_cpu_per_unit"], indent=1))


if __name__ == "__main__":
    main()

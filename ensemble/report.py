"""Summaries of a run directory: accuracy per solver alone and per ensemble rule, failures by
kind, time per stage; a self-contained HTML page; and the overlap between two runs."""

from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Mapping

from arc.grid import Grid
from arc.render import PALETTE
from arc.score import score
from arc.text import printable
from arc.task import Task
from ensemble.run import RunDir, TaskRecord


def _right(attempts: Iterable[Grid], expected: Grid | None) -> bool:
    return expected is not None and any(g == expected for g in list(attempts)[:2])


def _solver_attempts(record: TaskRecord, solver: str, i: int) -> list[Grid]:
    if solver == "ensemble":
        return list(record.attempts[i]) if i < len(record.attempts) else []
    if solver == "ttt":
        return list(record.ttt[i].attempts) if record.ttt and i < len(record.ttt) else []
    if record.synth and i < len(record.synth):
        return list(record.synth[i].attempts)
    return []


def task_correct(record: TaskRecord, task: Task, solver: str = "ensemble") -> list[bool]:
    """Per test input: is one of the solver's first two attempts right?"""
    return [_right(_solver_attempts(record, solver, i), ex.output) for i, ex in enumerate(task.test)]


@dataclass(frozen=True)
class SolverScore:
    """pass@2 of one solver over the tasks it answered (``arc.score``'s figures)."""

    n_tasks: int
    task_accuracy: float
    test_accuracy: float
    tasks_correct: int


@dataclass(frozen=True)
class Summary:
    """What ``arc-solve report`` shows; every accuracy is over the tasks the run attempted."""

    n_records: int
    n_scored: int
    solvers: dict[str, SolverScore]  # "ensemble", "ttt", "synth": those the run has answers of
    rules: dict[str, dict[str, int]]  # rule -> {"tests": n, "right": n}
    failures: dict[str, int]  # failure kind -> tasks
    failed_tasks: dict[str, str | None]
    stages: dict[str, dict]
    shared: list[dict]  # per start of the run: engine start-ups and batches, charged to no task

    def to_json(self) -> dict:
        return asdict(self)


def summarize(run: RunDir, tasks: Mapping[str, Task], records: Mapping[str, TaskRecord] | None = None) -> Summary:
    """Figures for ``arc-solve report``: every accuracy is over the tasks the run attempted."""
    records = run.records() if records is None else records
    known = {tid: r for tid, r in records.items() if tid in tasks and tasks[tid].has_solutions}
    solvers = {}
    for solver in ("ensemble", "ttt", "synth"):
        # a solver scores over the tasks it answered (the lazy ensemble may skip TTT on a whole task)
        present = [r for r in known.values() if solver == "ensemble" or (getattr(r, solver) is not None and
                   any(a.status != "skipped" for a in getattr(r, solver)))]
        if not present:
            continue
        predictions = {r.task_id: [_solver_attempts(r, solver, i)[:2] for i in range(len(tasks[r.task_id].test))]
                       for r in present}
        s = score(predictions, {r.task_id: tasks[r.task_id] for r in present})
        solvers[solver] = SolverScore(s["n_tasks"], s["task_accuracy"], s["test_accuracy"], s["tasks_correct"])
    rules: dict[str, Counter] = defaultdict(Counter)
    for r in known.values():
        right = task_correct(r, tasks[r.task_id])
        for i, rule in enumerate(r.rules):
            rules[rule]["tests"] += 1
            rules[rule]["right"] += int(right[i]) if i < len(right) else 0
    failures = Counter(r.error_kind or r.status for r in records.values() if r.status != "ok" or r.error_kind)
    return Summary(
        n_records=len(records),
        n_scored=len(known),
        solvers=solvers,
        rules={k: dict(v) for k, v in sorted(rules.items())},
        failures=dict(failures),
        failed_tasks={r.task_id: r.error for r in records.values() if r.status != "ok" or r.error_kind},
        stages=stage_stats(records.values()),
        shared=run.shared(),
    )


def stage_stats(records: Iterable[TaskRecord]) -> dict[str, dict]:
    """Per timing stage: total, mean and median seconds over the records that have it, and how many."""
    stages: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for stage, seconds in r.timings.items():
            stages[stage].append(float(seconds))
    return {
        k: {"total_s": sum(v), "mean_s": statistics.fmean(v), "median_s": statistics.median(v), "n": len(v)}
        for k, v in sorted(stages.items())
    }


def compare(run_a: RunDir, run_b: RunDir, tasks: Mapping[str, Task]) -> dict:
    """Which tasks each run solved (every test input right) that the other did not, over the tasks both attempted."""
    ra, rb = run_a.records(), run_b.records()
    common = sorted(t for t in set(ra) & set(rb) if t in tasks and tasks[t].has_solutions)
    solved_a = {t for t in common if all(task_correct(ra[t], tasks[t]))}
    solved_b = {t for t in common if all(task_correct(rb[t], tasks[t]))}
    return {
        "n_common": len(common),
        "both": sorted(solved_a & solved_b),
        "only_a": sorted(solved_a - solved_b),
        "only_b": sorted(solved_b - solved_a),
        "neither": len(common) - len(solved_a | solved_b),
    }


# -- HTML -----------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}
table.g{border-collapse:collapse;display:inline-table;margin:2px}
table.g td{width:10px;height:10px;border:1px solid #555;padding:0}
.task{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.8em}
.row{display:flex;flex-wrap:wrap;gap:1.2em;align-items:flex-start;margin:.4em 0}
.cap{font-size:12px;color:#555}
.ok{border:3px solid #2ecc40;padding:2px}.bad{border:3px solid #ff4136;padding:2px}
pre{background:#f4f4f4;padding:.6em;overflow:auto;font-size:12px}
summary{cursor:pointer}
table.s{border-collapse:collapse}table.s td,table.s th{border:1px solid #ccc;padding:3px 8px}
"""


def _grid_html(grid: Grid | None) -> str:
    if grid is None:
        return '<span class="cap">unknown</span>'
    rows = "".join(
        "<tr>" + "".join(f'<td style="background:#{r:02x}{g:02x}{b:02x}"></td>' for r, g, b in (PALETTE[v] for v in row)) + "</tr>"
        for row in grid
    )
    return f'<table class="g">{rows}</table>'


def _figure(caption: str, grid: Grid | None, mark: str = "") -> str:
    return f'<div><div class="cap">{html.escape(caption)}</div><div class="{mark}">{_grid_html(grid)}</div></div>'


def render_html(run: RunDir, tasks: Mapping[str, Task]) -> str:
    """A self-contained page drawing every task of the run with both attempts, right or wrong."""
    from synth.store import load_programs, stored_tasks

    records = run.records()
    summary = summarize(run, tasks, records)
    with_programs = set(stored_tasks(run.path))
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>arc-solve run {html.escape(run.path.name)}</title>",
             f"<style>{_CSS}</style></head><body><h1>Run {html.escape(run.path.name)}</h1>"]
    rows = "".join(
        f"<tr><td>{s}</td><td>{v.tasks_correct}/{v.n_tasks}</td><td>{v.task_accuracy:.1%}</td><td>{v.test_accuracy:.1%}</td></tr>"
        for s, v in summary.solvers.items()
    )
    parts.append(f"<table class='s'><tr><th>solver</th><th>tasks solved</th><th>task acc.</th><th>per-test acc.</th></tr>{rows}</table>")
    rule_rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v.get('right', 0)}/{v.get('tests', 0)}</td></tr>" for k, v in summary.rules.items())
    parts.append(f"<h3>Rules fired (right/test inputs)</h3><table class='s'>{rule_rows}</table>")
    for tid in sorted(records):
        rec, task = records[tid], tasks.get(tid)
        if task is None:
            continue
        right = task_correct(rec, task)
        verdict = "solved" if task.has_solutions and all(right) else ("failed: " + (rec.error or "")) if rec.status != "ok" else "not solved"
        parts.append(f'<div class="task" id="task-{html.escape(tid)}"><h2>{html.escape(tid)} <span class="cap">{html.escape(verdict)}</span></h2>')
        parts.append('<div class="row">' + "".join(
            _figure(f"demo {i} in", ex.input) + _figure("out", ex.output) for i, ex in enumerate(task.train)) + "</div>")
        for i, ex in enumerate(task.test):
            rule = rec.rules[i] if i < len(rec.rules) else "-"
            figs = [_figure(f"test {i} input", ex.input), _figure("expected", ex.output)]
            for j, g in enumerate(rec.attempts[i] if i < len(rec.attempts) else ()):
                mark = "" if ex.output is None else ("ok" if g == ex.output else "bad")
                figs.append(_figure(f"attempt {j + 1}", g, mark))
            synth_status = rec.synth[i].status if rec.synth and i < len(rec.synth) else "-"
            parts.append(f'<div class="cap">rule fired: <b>{html.escape(rule)}</b>; synthesizer: {html.escape(str(synth_status))}</div>')
            parts.append('<div class="row">' + "".join(figs) + "</div>")
        programs = load_programs(run.path, tid, passing_only=True) if tid in with_programs else []
        if programs:
            parts.append(f"<details><summary>{len(programs)} passing program(s)</summary>")
            for k, p in enumerate(programs[:5]):
                parts.append(f'<pre id="prog-{html.escape(tid)}-{k}">{html.escape(printable(p.source))}</pre>')
            parts.append("</details>")
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def write_html(run: RunDir, tasks: Mapping[str, Task], path: str | Path | None = None) -> Path:
    path = Path(path) if path else run.path / "report.html"
    path.write_text(render_html(run, tasks), encoding="utf-8")
    return path

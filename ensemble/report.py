"""Summaries of a run directory: accuracy per solver alone and per ensemble rule, failures by
kind, time per stage, a task index (which solver gave each submitted attempt, the rule that decided,
right or wrong, seconds); as plain text (``render_text``, what ``arc-solve report`` prints), as a
self-contained HTML page (``render_html``, in ``ensemble/report_html.py``) and the overlap between
two runs (``compare``)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Mapping

from arc.grid import Grid
from arc.score import score
from arc.task import Task
from ensemble.run import RunDir, TaskRecord, stage_name

SOLVERS = ("synth", "ttt")  # the solvers a record may hold answers of, in the order they run


def _right(attempts: Iterable[Grid], expected: Grid | None) -> bool:
    return expected is not None and any(g == expected for g in list(attempts)[:2])


def _solver_attempts(record: TaskRecord, solver: str, i: int) -> list[Grid]:
    if solver == "ensemble":
        return list(record.attempts[i]) if i < len(record.attempts) else []
    answers = getattr(record, solver)
    return list(answers[i].attempts) if answers and i < len(answers) else []


def task_correct(record: TaskRecord, task: Task, solver: str = "ensemble") -> list[bool]:
    """Per test input: is one of the solver's first two attempts right?"""
    return [_right(_solver_attempts(record, solver, i), ex.output) for i, ex in enumerate(task.test)]


def attempt_sources(record: TaskRecord, i: int) -> tuple[str, ...]:
    """Per submitted attempt of test input ``i``, which solver gave it and at which rank:
    ``synth#1``, ``ttt#2``, ``synth#1=ttt#1`` where both gave that grid; ``?`` where neither kept it."""
    out = []
    for grid in record.attempts[i] if i < len(record.attempts) else ():
        found = []
        for solver in SOLVERS:
            grids = _solver_attempts(record, solver, i)
            if grid in grids:
                found.append(f"{solver}#{grids.index(grid) + 1}")
        out.append("=".join(found) or "?")
    return tuple(out)


@dataclass(frozen=True)
class SolverScore:
    """pass@2 of one solver over the tasks it answered (``arc.score``'s figures)."""

    n_tasks: int
    task_accuracy: float
    test_accuracy: float
    tasks_correct: int


@dataclass(frozen=True)
class TestLine:
    """One test input in the task index."""

    __test__ = False  # not a pytest class, whatever its name

    rule: str  # the ensemble rule that decided ("-" for a failed task)
    sources: tuple[str, ...]  # per submitted attempt, ``attempt_sources``
    right: bool | None  # None where the expected output is unknown


@dataclass(frozen=True)
class TaskLine:
    """One task in the index: its outcome, its seconds and, per test input, who answered."""

    task_id: str
    status: str  # "ok", or the failure's kind ("error", "timeout", "memory", "synth-error", ...)
    right: bool | None  # every test input right; None where the solutions are unknown
    seconds: float | None
    tests: tuple[TestLine, ...]
    error: str | None = None


@dataclass(frozen=True)
class Summary:
    """What ``arc-solve report`` shows; every accuracy is over the tasks the run attempted."""

    run: str  # the run directory's name
    mode: str
    n_tasks: int  # tasks of the run
    n_records: int  # tasks finished
    n_scored: int  # finished tasks whose solutions are known
    solvers: dict[str, SolverScore]  # "ensemble" (ensemble mode only), "ttt", "synth": those that answered
    rules: dict[str, dict[str, int]]  # rule -> {"tests": n, "right": n}
    failures: dict[str, int]  # failure kind -> tasks
    failed_tasks: dict[str, str | None]
    stages: dict[str, dict]  # stage (``stage_name``) -> total_s, mean_s, median_s, n
    shared: list[dict]  # per start of the run: engine start-ups and batches, charged to no task
    tasks: tuple[TaskLine, ...] = ()  # the task index, in task-id order

    def to_json(self) -> dict:
        return asdict(self)


def summarize(run: RunDir, tasks: Mapping[str, Task], records: Mapping[str, TaskRecord] | None = None) -> Summary:
    """Figures for ``arc-solve report``: every accuracy is over the tasks the run attempted."""
    records = run.records() if records is None else records
    mode = run.config().mode
    known = {tid: r for tid, r in records.items() if tid in tasks and tasks[tid].has_solutions}
    solvers = {}
    # the ensemble row only where there is an ensemble: alone, a solver's row is the run's
    for solver in ("ensemble", "ttt", "synth") if mode == "ensemble" else (mode,):
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
    failed = {tid: r for tid, r in records.items() if r.status != "ok" or r.error_kind}
    return Summary(
        run=run.path.name,
        mode=mode,
        n_tasks=len(tasks),
        n_records=len(records),
        n_scored=len(known),
        solvers=solvers,
        rules={k: dict(v) for k, v in sorted(rules.items())},
        failures=dict(Counter(r.error_kind or r.status for r in failed.values())),
        failed_tasks={tid: r.error for tid, r in failed.items()},
        stages=stage_stats(records.values()),
        shared=run.shared(),
        tasks=tuple(task_line(records[tid], tasks.get(tid)) for tid in sorted(records)),
    )


def task_line(record: TaskRecord, task: Task | None) -> TaskLine:
    """The index line of one task (``task`` None: not in the run's dataset any more, outcome unknown)."""
    known = task is not None and task.has_solutions
    right = task_correct(record, task) if known else []
    tests = tuple(
        TestLine(record.rules[i] if i < len(record.rules) else "-", attempt_sources(record, i), right[i] if known else None)
        for i in range(len(task.test) if task is not None else len(record.attempts))
    )
    seconds = record.timings.get("total")
    return TaskLine(
        task_id=record.task_id,
        status=record.error_kind or record.status,
        right=(record.status == "ok" and all(right)) if known else None,
        seconds=None if seconds is None else float(seconds),
        tests=tests,
        error=record.error,
    )


def stage_stats(records: Iterable[TaskRecord]) -> dict[str, dict]:
    """Per timing stage (named by ``ensemble.run.stage_name``, whatever version wrote the record):
    total, mean and median seconds over the records that have it, and how many. ``total`` comes
    last; each solver's stages follow its own line."""
    stages: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for key, seconds in r.timings.items():
            stages[stage_name(None, key)].append(float(seconds))
    return {
        k: {"total_s": sum(v), "mean_s": statistics.fmean(v), "median_s": statistics.median(v), "n": len(v)}
        for k, v in sorted(stages.items(), key=lambda kv: (kv[0] == "total", kv[0]))
    }


def words(key: str) -> str:
    """A file's key as words: ``ttt_model_load_s`` -> ``ttt model load``."""
    return key.removesuffix("_s").replace("_", " ")


def shared_lines(shared: Iterable[Mapping]) -> list[str]:
    """One line per start of the run: the work its tasks shared, timed once (no file keys)."""
    lines = []
    for entry in shared:
        timed = ", ".join(f"{words(k)} {v:.1f} s" for k, v in entry.items()
                          if k.endswith("_s") and isinstance(v, (int, float)))
        errors = "; ".join(f"{words(k)}: {v}" for k, v in entry.items() if k.endswith("error"))
        started = f" (started {entry['started']})" if entry.get("started") else ""
        lines.append(f"shared work before {entry.get('n_tasks', '?')} tasks{started}: {timed or 'none timed'}"
                     + (f"; {errors}" if errors else ""))
    return lines


def mark(right: bool | None) -> str:
    return "right" if right else "unknown" if right is None else "wrong"


# -- text -----------------------------------------------------------------------------------
def _table(title: str, header: tuple[str, ...], rows: list[tuple]) -> str:
    cells = [tuple(str(c) for c in row) for row in [header, *rows]]
    widths = [max(len(row[j]) for row in cells) for j in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([title, line(cells[0]), "  ".join("-" * w for w in widths), *map(line, cells[1:])])


def render_text(summary: Summary, *, index: bool = False) -> str:
    """What ``arc-solve report`` prints: the run, pass@2 per solver, per rule, failures, time per
    stage, the shared work; with ``index``, one line per test input of every task."""
    s = summary
    parts = [f"run {s.run}: mode {s.mode}, {s.n_records}/{s.n_tasks} tasks done, {s.n_scored} scored"]
    title = "pass@2 (solvers alone and the ensemble)" if "ensemble" in s.solvers else f"pass@2 ({s.mode})"
    parts.append(_table(title, ("solver", "tasks solved", "task acc.", "per-test acc."), [
        (name, f"{v.tasks_correct}/{v.n_tasks}", f"{v.task_accuracy:.1%}", f"{v.test_accuracy:.1%}")
        for name, v in s.solvers.items()]))
    if s.rules:
        parts.append(_table("rule that decided (test inputs with known outputs)", ("rule", "test inputs", "right"),
                            [(rule, v.get("tests", 0), v.get("right", 0)) for rule, v in s.rules.items()]))
    if s.failures:
        parts.append(_table("failures by kind", ("failure", "tasks"), list(s.failures.items())))
    if s.stages:
        parts.append(_table("time per stage (seconds)", ("stage", "tasks", "total", "mean", "median"), [
            (k, v["n"], f"{v['total_s']:.1f}", f"{v['mean_s']:.2f}", f"{v['median_s']:.2f}") for k, v in s.stages.items()]))
    parts.extend(shared_lines(s.shared))
    if index:
        parts.append(_table("tasks (attempts: which solver gave each, at which rank)",
                            ("task", "test", "result", "rule", "attempt 1", "attempt 2", "seconds"),
                            [(t.task_id, i, mark(line.right) if t.status == "ok" else t.status, line.rule,
                              *(line.sources + ("-", "-"))[:2], "-" if t.seconds is None else f"{t.seconds:.1f}")
                             for t in s.tasks for i, line in enumerate(t.tests or (TestLine("-", (), None),))]))
    return "\n\n".join(parts) + "\n"


def render_html(run: RunDir, tasks: Mapping[str, Task], records: Mapping[str, TaskRecord] | None = None) -> str:
    """A self-contained page: figures, plots, a task index and one card per task (``report_html``)."""
    from ensemble.report_html import render_page

    return render_page(run, tasks, records)


def write_html(run: RunDir, tasks: Mapping[str, Task], path: str | Path | None = None) -> Path:
    path = Path(path) if path else run.path / "report.html"
    path.write_text(render_html(run, tasks), encoding="utf-8")
    return path


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


def compare_lines(result: dict, name_a: str, name_b: str) -> list[str]:
    """What ``arc-solve compare`` prints for ``compare``'s result."""
    return [f"tasks attempted by both: {result['n_common']}", f"solved by both:     {len(result['both'])}",
            f"only {name_a}: {len(result['only_a'])}  {' '.join(result['only_a'])}",
            f"only {name_b}: {len(result['only_b'])}  {' '.join(result['only_b'])}",
            f"solved by neither:  {result['neither']}"]

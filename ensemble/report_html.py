"""The HTML report of a run: one self-contained page (no script, no file beside it) with the run's
figures, four plots drawn as inline SVG (pass@2 per solver, right per rule, seconds per stage,
seconds per task), a task index linking to one card per task, and on each card the test inputs
with every submitted attempt framed right or wrong and captioned with the solver that gave it.

Grids are PNG images inline (``arc.render``'s writer, a few hundred bytes each) and each task's
demonstrations are folded in a ``<details>``, so a 400-task run stays a page a browser opens at once.
Everything a program or a file wrote reaches the page escaped (``html.escape`` over ``arc.text.printable``).
"""

from __future__ import annotations

import base64
import html
import math
from typing import Mapping, Sequence

from arc.grid import Grid, shape
from arc.render import grid_png
from arc.task import Task
from arc.text import printable
from ensemble.report import SOLVERS, Summary, TaskLine, mark, shared_lines, summarize
from ensemble.run import RunDir, TaskRecord

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222;max-width:1200px}
img.g{image-rendering:pixelated;vertical-align:top;margin:2px}
.task{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em .8em}
.row{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin:.3em 0}
.cap{font-size:12px;color:#555}
.ok{outline:3px solid #2ecc40;outline-offset:1px}.bad{outline:3px solid #ff4136;outline-offset:1px}
pre{background:#f4f4f4;padding:.6em;overflow:auto;font-size:12px}
summary{cursor:pointer}
table.s{border-collapse:collapse;margin:.4em 0}table.s td,table.s th{border:1px solid #ccc;padding:2px 8px;font-size:13px}
td.n{text-align:right}.right{color:#1a7f2e}.wrong{color:#c62828}.unknown{color:#777}
.plots{display:flex;flex-wrap:wrap;gap:1.5em}
svg text{font:12px system-ui,sans-serif}
"""
_BLUE, _GREEN, _RED = "#0074d9", "#2ecc40", "#ff4136"


def _e(text: object) -> str:
    return html.escape(printable(str(text)))


def grid_img(grid: Grid | None, mark_: str = "") -> str:
    """A grid as an inline PNG, cells 4 to 14 pixels so that the larger side stays within 150."""
    if grid is None:
        return '<span class="cap">unknown</span>'
    h, w = shape(grid)
    cell = max(3, min(14, 150 // max(h, w)))
    data = base64.b64encode(grid_png(grid, cell=cell)).decode("ascii")
    cls = f"g {mark_}".strip()
    return f'<img class="{cls}" alt="{h}x{w}" src="data:image/png;base64,{data}">'


def _figure(caption: str, grid: Grid | None, mark_: str = "") -> str:
    return f'<div><div class="cap">{_e(caption)}</div>{grid_img(grid, mark_)}</div>'


# -- plots ----------------------------------------------------------------------------------
def bar_chart(title: str, rows: Sequence[tuple[str, float, str]], *, vmax: float | None = None,
              color: str = _BLUE, width: int = 260) -> str:
    """Horizontal bars: (label, value, the text printed after the bar) per row, as inline SVG."""
    label_w, bar_h, gap, top = 140, 14, 6, 24
    vmax = vmax if vmax else max((v for _, v, _ in rows), default=0.0) or 1.0
    height = top + len(rows) * (bar_h + gap) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 110}" height="{height}" '
           f'role="img" aria-label="{_e(title)}"><text x="0" y="14" font-weight="bold">{_e(title)}</text>']
    for k, (label, value, text) in enumerate(rows):
        y = top + k * (bar_h + gap)
        w = width * max(value, 0.0) / vmax
        out.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{_e(label)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>'
                   f'<text x="{label_w + w + 4:.1f}" y="{y + 11}">{_e(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def histogram(title: str, values: Sequence[float], *, bins: int = 12, unit: str = "s") -> str:
    """Counts of ``values`` in ``bins`` equal bins from 0 to the largest, as inline SVG columns."""
    width, height, left, top, bottom = 360, 150, 36, 24, 30
    hi = max(values, default=0.0)
    step = _nice(hi / bins) if hi > 0 else 1.0
    n_bins = max(1, math.ceil(hi / step + 1e-9)) if hi > 0 else 1
    counts = [0] * n_bins
    for v in values:
        counts[min(int(v / step), n_bins - 1)] += 1
    peak = max(counts) or 1
    col = width / n_bins
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 10}" height="{top + height + bottom}" '
           f'role="img" aria-label="{_e(title)}"><text x="0" y="14" font-weight="bold">{_e(title)}</text>',
           f'<text x="{left - 4}" y="{top + 10}" text-anchor="end">{peak}</text>'
           f'<text x="{left - 4}" y="{top + height}" text-anchor="end">0</text>']
    for k, c in enumerate(counts):
        h = height * c / peak
        out.append(f'<rect x="{left + k * col + 1:.1f}" y="{top + height - h:.1f}" width="{col - 2:.1f}" '
                   f'height="{h:.1f}" fill="{_BLUE}"><title>{k * step:g}-{(k + 1) * step:g} {unit}: {c}</title></rect>')
    for k in range(0, n_bins + 1, max(1, n_bins // 6)):
        out.append(f'<text x="{left + k * col:.1f}" y="{top + height + 14}" text-anchor="middle">{k * step:g}</text>')
    out.append(f'<text x="{left + width / 2:.0f}" y="{top + height + 28}" text-anchor="middle">'
               f'{unit} per task ({len(values)} tasks)</text></svg>')
    return "".join(out)


def _nice(x: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``x``."""
    p = 10 ** math.floor(math.log10(x))
    return next(m * p for m in (1, 2, 5, 10) if m * p >= x)


def plots(summary: Summary) -> str:
    """The four plots of a run's summary."""
    s = summary
    out = [bar_chart("pass@2 per solver (tasks solved)", [
        (name, v.task_accuracy, f"{v.tasks_correct}/{v.n_tasks} ({v.task_accuracy:.0%})") for name, v in s.solvers.items()],
        vmax=1.0)]
    if s.rules:
        out.append(bar_chart("right per rule that decided (test inputs)", [
            (rule, v.get("right", 0) / max(v.get("tests", 0), 1), f"{v.get('right', 0)}/{v.get('tests', 0)}")
            for rule, v in s.rules.items()], vmax=1.0, color=_GREEN))
    stages = {k: v for k, v in s.stages.items() if k != "total"}
    if stages:
        out.append(bar_chart("seconds per stage (mean over the tasks that ran it)", [
            (k, v["mean_s"], f"{v['mean_s']:.1f} s x {v['n']}") for k, v in stages.items()], color="#ff851b"))
    seconds = [t.seconds for t in s.tasks if t.seconds is not None]
    if seconds:
        out.append(histogram("seconds per task", seconds))
    return '<div class="plots">' + "".join(f"<div>{p}</div>" for p in out) + "</div>"


# -- tables ---------------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if j >= numeric_from else f"<td>{_e(c)}</td>"
                                    for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table class='s'><tr>{head}</tr>{body}</table>"


def figures(summary: Summary) -> str:
    s = summary
    parts = [_table(("solver", "tasks solved", "task acc.", "per-test acc."), [
        (name, f"{v.tasks_correct}/{v.n_tasks}", f"{v.task_accuracy:.1%}", f"{v.test_accuracy:.1%}") for name, v in s.solvers.items()])]
    if s.rules:
        parts.append("<h3>Rule that decided</h3>" + _table(("rule", "test inputs", "right"), [
            (rule, v.get("tests", 0), v.get("right", 0)) for rule, v in s.rules.items()]))
    if s.failures:
        parts.append("<h3>Failures by kind</h3>" + _table(("failure", "tasks"), list(s.failures.items())))
    if s.stages:
        parts.append("<h3>Time per stage (seconds)</h3>" + _table(("stage", "tasks", "total", "mean", "median"), [
            (k, v["n"], f"{v['total_s']:.1f}", f"{v['mean_s']:.2f}", f"{v['median_s']:.2f}") for k, v in s.stages.items()]))
    parts.extend(f'<p class="cap">{_e(line)}</p>' for line in shared_lines(s.shared))
    return "".join(parts)


def task_index(lines: Sequence[TaskLine]) -> str:
    """One row per test input: the task (a link to its card), result, rule, each attempt's solver, seconds."""
    rows = []
    for t in lines:
        result = mark(t.right) if t.status == "ok" else t.status
        link = f'<a href="#task-{_e(t.task_id)}">{_e(t.task_id)}</a>'
        seconds = "-" if t.seconds is None else f"{t.seconds:.1f}"
        for i, test in enumerate(t.tests or ()):
            sources = (test.sources + ("-", "-"))[:2]
            outcome = mark(test.right) if t.status == "ok" else t.status
            rows.append(f"<tr><td>{link if i == 0 else ''}</td><td class='n'>{i}</td><td class='{_e(outcome)}'>{_e(outcome)}</td>"
                        f"<td>{_e(test.rule)}</td><td>{_e(sources[0])}</td><td>{_e(sources[1])}</td>"
                        f"<td class='n'>{seconds if i == 0 else ''}</td><td class='{_e(result)}'>{_e(result) if i == 0 else ''}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("task", "test", "test result", "rule", "attempt 1", "attempt 2", "seconds", "task result"))
    return (f"<details open><summary><b>Task index</b> ({len(lines)} tasks; attempts: the solver that gave each "
            f"and its rank there, <code>a=b</code> both gave it)</summary><table class='s'><tr>{head}</tr>{''.join(rows)}</table></details>")


def task_card(record: TaskRecord, line: TaskLine, task: Task, programs: Sequence) -> str:
    """A task's card: demonstrations folded, then per test input the expected output and each
    submitted attempt, framed right or wrong and captioned with the solver that gave it."""
    verdict = mark(line.right) if line.status == "ok" else f"failed ({line.status}): {line.error or ''}"
    seconds = "" if line.seconds is None else f", {line.seconds:.1f} s"
    parts = [f'<div class="task" id="task-{_e(task.id)}"><h2>{_e(task.id)} <span class="cap">{_e(verdict)}{seconds}</span></h2>',
             f"<details><summary class='cap'>{len(task.train)} demonstrations</summary><div class='row'>"
             + "".join(_figure(f"demo {i} in", ex.input) + _figure("out", ex.output) for i, ex in enumerate(task.train))
             + "</div></details>"]
    for i, ex in enumerate(task.test):
        test = line.tests[i] if i < len(line.tests) else None
        figs = [_figure(f"test {i} input", ex.input), _figure("expected", ex.output)]
        grids = record.attempts[i] if i < len(record.attempts) else ()
        for j, grid in enumerate(grids):
            frame = "" if ex.output is None else ("ok" if grid == ex.output else "bad")
            source = test.sources[j] if test and j < len(test.sources) else "?"
            figs.append(_figure(f"attempt {j + 1}: {source}", grid, frame))
        statuses = "; ".join(f"{solver} {answers[i].status}" for solver in SOLVERS
                             if (answers := getattr(record, solver)) and i < len(answers))
        parts.append(f'<div class="cap">test {i}: rule <b>{_e(test.rule if test else "-")}</b>'
                     + (f" ({_e(statuses)})" if statuses else "") + "</div>")
        parts.append('<div class="row">' + "".join(figs) + "</div>")
    if programs:
        parts.append(f"<details><summary class='cap'>{len(programs)} passing program(s)</summary>")
        for k, p in enumerate(programs[:5]):
            parts.append(f'<pre id="prog-{_e(task.id)}-{k}">{_e(p.source)}</pre>')
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def render_page(run: RunDir, tasks: Mapping[str, Task], records: Mapping[str, TaskRecord] | None = None) -> str:
    """The whole page of a run (its records read from it unless given)."""
    from synth.store import load_programs, stored_tasks

    records = run.records() if records is None else records
    summary = summarize(run, tasks, records)
    with_programs = set(stored_tasks(run.path))
    title = f"arc-solve run {summary.run}"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Run {_e(summary.run)}</h1><p>mode {_e(summary.mode)}: {summary.n_records}/{summary.n_tasks} tasks done, "
             f"{summary.n_scored} with known outputs</p>",
             figures(summary), plots(summary), task_index(summary.tasks)]
    for line in summary.tasks:
        task = tasks.get(line.task_id)
        if task is None:
            continue
        programs = load_programs(run.path, task.id, passing_only=True) if task.id in with_programs else []
        parts.append(task_card(records[task.id], line, task, programs))
    parts.append("</body></html>")
    return "".join(parts)

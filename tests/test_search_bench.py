"""experiments/bench_search.py: scores with arc.score, appends per-task JSONL and resumes from it."""

import importlib
import json
from pathlib import Path

from click.testing import CliRunner

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "bench_search.py"


def test_bench_scores_and_resumes(tmp_path, arc1_train, monkeypatch):
    tasks_dir = tmp_path / "tasks"
    tasks_dir.mkdir()
    for tid in ("3c9b0459", "0d3d703e"):  # one solvable by a symmetry, one by a colour map
        (tasks_dir / f"{tid}.json").write_text(json.dumps(arc1_train[tid].to_json()))
    unsolvable = {"train": [{"input": [[1, 2]], "output": [[3]]}, {"input": [[4, 4]], "output": [[5, 6, 7]]}],
                  "test": [{"input": [[1, 1]], "output": [[9]]}]}
    (tasks_dir / "zzz.json").write_text(json.dumps(unsolvable))
    monkeypatch.syspath_prepend(str(BENCH.parent))  # importable by name, so the worker pool can pickle
    bench = importlib.import_module("bench_search")
    jsonl, out = tmp_path / "r.jsonl", tmp_path / "r.json"
    args = ["--dataset", str(tasks_dir), "--budget", "1000000", "--workers", "2", "--jsonl", str(jsonl), "--out", str(out)]
    result = CliRunner().invoke(bench.main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["n_tasks"] == 3 and summary["tasks_correct"] == 2
    assert summary["solved"] == ["0d3d703e", "3c9b0459"] and summary["unique_wrong"] == 0
    assert summary["max_depth"] == 3  # the default, recorded beside the budget
    assert len(jsonl.read_text().splitlines()) == 3
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    # The search's own CPU time, beside the whole task's (the verdict's held-out searches included).
    assert all(0 <= r["cpu_seconds_search"] <= r["cpu_seconds"] for r in records)
    assert "work_cpu_search_correlation" in summary and summary["cpu_seconds_search_mean"] > 0
    again = CliRunner().invoke(bench.main, args)
    assert "3 already done" in again.output
    assert len(jsonl.read_text().splitlines()) == 3


def _bench_with_one_task_breaking(tmp_path, arc1_train, monkeypatch, name: str, error: Exception):
    """bench_search on two tasks with its ``name`` (a function it calls per task) raising ``error`` on
    0d3d703e; returns the CLI's result and the summary it wrote."""
    tasks_dir = tmp_path / "tasks"
    tasks_dir.mkdir()
    for tid in ("3c9b0459", "0d3d703e"):
        (tasks_dir / f"{tid}.json").write_text(json.dumps(arc1_train[tid].to_json()))
    monkeypatch.syspath_prepend(str(BENCH.parent))
    bench = importlib.import_module("bench_search")
    real = getattr(bench, name)

    def breaks_on_one(task, *args, **kwargs):
        if task.id == "0d3d703e":
            raise error
        return real(task, *args, **kwargs)

    monkeypatch.setattr(bench, name, breaks_on_one)  # the forked workers inherit it
    jsonl, out = tmp_path / "r.jsonl", tmp_path / "r.json"
    args = ["--dataset", str(tasks_dir), "--budget", "1000000", "--workers", "2", "--jsonl", str(jsonl), "--out", str(out)]
    result = CliRunner().invoke(bench.main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["n_tasks"] == 2 and summary["solved"] == ["3c9b0459"]
    assert summary["errors"] == ["0d3d703e"]
    return result, summary


def test_bench_records_a_task_that_breaks_the_search_and_goes_on(tmp_path, arc1_train, monkeypatch):
    result, _ = _bench_with_one_task_breaking(tmp_path, arc1_train, monkeypatch, "search_programs",
                                              ZeroDivisionError("integer modulo by zero"))
    assert "0d3d703e: the search failed: ZeroDivisionError: integer modulo by zero" in result.output


def test_bench_records_a_task_whose_verdict_breaks_and_goes_on(tmp_path, arc1_train, monkeypatch):
    """The verdict's held-out searches run the search again on a cut task: a family that breaks
    there is recorded against the task too, not the whole run's end."""
    _bench_with_one_task_breaking(tmp_path, arc1_train, monkeypatch, "judge_hits",
                                  IndexError("index 3 is out of bounds for axis 1 with size 3"))


def test_readme_quotes_the_frozen_eval_figures():
    """The README's sentence on what the search alone solves quotes the frozen arc1-eval results file,
    so a new measurement that lands without the README (or the other way round) fails here."""
    import re

    root = BENCH.parents[1]
    summary = json.loads((root / "experiments" / "results" / "search_arc1_eval.json").read_text())
    readme = " ".join((root / "README.md").read_text().split())
    quoted = re.search(r"the search alone solves (\d+) of the (\d+) ARC-AGI-1 evaluation tasks "
                       r"\(([\d.]+)% pass@2; (\d+) of its (\d+) `unique` answers wrong\) at its default work budget, "
                       r"a median ([\d.]+) s of CPU", readme)
    assert quoted, "README no longer says what the search alone solves on arc1-eval"
    solved, n, percent, wrong, unique, median = quoted.groups()
    assert (int(solved), int(n)) == (summary["tasks_correct"], summary["n_tasks"])
    assert float(percent) == round(100 * summary["task_accuracy"], 2)
    assert (int(wrong), int(unique)) == (summary["unique_wrong"], summary["unique"])
    assert float(median) == round(summary["cpu_seconds_median"], 1)
    from search import DEFAULT_WORK_BUDGET

    assert summary["budget"] == DEFAULT_WORK_BUDGET  # "its default work budget"

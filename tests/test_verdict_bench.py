"""experiments/bench_search.py --max-train N: every task cut to its first N demonstrations, the
verdict's status beside the one grouping alone gives, and both unique-wrong counts."""

import importlib
import json
from pathlib import Path

from click.testing import CliRunner

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "bench_search.py"


def test_bench_cuts_demonstrations_and_reports_the_verdict(tmp_path, arc1_train, monkeypatch):
    tasks_dir = tmp_path / "tasks"
    tasks_dir.mkdir()
    # four views tiled: on 2 demonstrations the search's answer is unique and wrong, and held out it fails
    for tid in ("46442a0e", "6150a2bd"):  # the second, a rotation, stays unique and right
        (tasks_dir / f"{tid}.json").write_text(json.dumps(arc1_train[tid].to_json()))
    monkeypatch.syspath_prepend(str(BENCH.parent))
    bench = importlib.import_module("bench_search")
    assert [len(t.train) for t in bench.cut_tasks(arc1_train, 2).values()] == [2] * len(arc1_train)
    assert bench.cut_tasks(arc1_train, 0) is arc1_train
    jsonl, out = tmp_path / "r.jsonl", tmp_path / "r.json"
    args = ["--dataset", str(tasks_dir), "--budget", "2000000", "--workers", "1", "--max-train", "2", "--jsonl", str(jsonl),
            "--out", str(out)]
    result = CliRunner().invoke(bench.main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["max_train"] == 2 and summary["solved"] == ["6150a2bd"]
    assert (summary["unique_before_verdict"], summary["unique_wrong_before_verdict"]) == (2, 1)
    assert (summary["unique"], summary["unique_wrong"]) == (1, 0)
    assert summary["unique_wrong_before_verdict_ids"] == ["46442a0e"]
    records = {r["task_id"]: r for r in map(json.loads, jsonl.read_text().splitlines())}
    assert (records["46442a0e"]["status_before"], records["46442a0e"]["status"]) == ("unique", "several")
    assert False in records["46442a0e"]["held_out"]
    assert records["6150a2bd"]["seconds"] >= records["6150a2bd"]["seconds_search"]

"""experiments/compare_stage_times.py: stage times over the tasks two runs both finished."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "compare_stage_times.py"


def _load():
    spec = importlib.util.spec_from_file_location("compare_stage_times", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(path: Path, rows: list[tuple[str, str, dict]]) -> Path:
    path.mkdir()
    lines = [json.dumps({"task_id": t, "status": s, "attempts": [], "timings": tm}) for t, s, tm in rows]
    (path / "results.jsonl").write_text("\n".join(lines) + "\n")
    return path


def test_compares_only_tasks_both_runs_finished(tmp_path):
    mod = _load()
    a = _run(tmp_path / "a", [("t0", "ok", {"total": 30.0, "infer": 1.0}), ("t1", "ok", {"total": 4.0, "infer": 3.0}),
                              ("t2", "ok", {"total": 6.0, "infer": 5.0}), ("t3", "error", {"total": 1.0})])
    b = _run(tmp_path / "b", [("t2", "ok", {"total": 2.0, "infer": 1.0}), ("t1", "ok", {"total": 8.0, "infer": 2.0}),
                              ("t3", "ok", {"total": 9.0}), ("t4", "ok", {"total": 9.0})])
    out = tmp_path / "cmp.json"
    assert mod.main([str(a), str(b), "--labels", "gpu", "cpu", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["tasks"] == ["t1", "t2"]  # t0 and t4 in one run only, t3 failed in one
    assert result["runs"]["gpu"]["stages"]["infer"] == {"mean_s": 4.0, "median_s": 4.0, "total_s": 8.0, "n": 2}
    assert result["runs"]["cpu"]["stages"]["total"]["mean_s"] == 5.0
    # --skip-first drops each run's first task (t0 for a, t2 for b)
    assert mod.main([str(a), str(b), "--skip-first", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["tasks"] == ["t1"]
    with pytest.raises(SystemExit, match="no finished task in common"):
        mod.main([str(a), str(_run(tmp_path / "c", [("x", "ok", {"total": 1.0})])), "--out", str(out)])

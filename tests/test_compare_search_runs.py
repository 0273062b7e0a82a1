"""experiments/compare_search_runs.py: two bench_search runs compared task by task."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "compare_search_runs.py"


def _load():
    spec = importlib.util.spec_from_file_location("compare_search_runs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rec(task_id, status="unique", seconds=1.0, attempts=((((1,),),),)):
    return {"task_id": task_id, "status": status, "n_hits": 1, "n_groups": 1, "programs": ["rot90"],
            "attempts": [list(a) for a in attempts], "seconds": seconds}


def _write(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_differences_are_split_by_closeness_to_the_budget(tmp_path):
    mod = _load()
    before = _write(tmp_path / "a.jsonl", [_rec("t0"), _rec("t1"), _rec("t2", seconds=9.0), _rec("t3")])
    after = _write(tmp_path / "b.jsonl", [_rec("t0"), _rec("t1", status="several"), _rec("t2", status="none")])
    out = tmp_path / "cmp.json"
    assert mod.main([str(before), str(after), "--budget", "10", "--out", str(out)]) == 1
    result = json.loads(out.read_text())
    assert result["n_common"] == 3 and result["identical"] == 1
    assert result["differ_within_budget"] == {"t1": ["status"]}
    assert result["differ_near_budget"] == {"t2": ["status"]} and result["near_budget"] == ["t2"]


def test_identical_runs_pass(tmp_path):
    mod = _load()
    recs = [_rec("t0"), _rec("t1", seconds=9.5)]
    a, b = _write(tmp_path / "a.jsonl", recs), _write(tmp_path / "b.jsonl", recs)
    assert mod.main([str(a), str(b), "--budget", "10"]) == 0

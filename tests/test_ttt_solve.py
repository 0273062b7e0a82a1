"""The TTT solver end to end on real ARC tasks with a tiny in-process model on CPU: attempts,
run directory, resume, errors as values, determinism, and the shared / no-adapter ablations."""

import json
from dataclasses import replace

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

import arc  # noqa: E402
from arc.grid import as_grid  # noqa: E402
from arc.task import Example  # noqa: E402
from ttt.config import InferConfig, TTTConfig  # noqa: E402
from ttt.data import TTTDataConfig  # noqa: E402
from ttt.model import tiny_llama  # noqa: E402
from ttt.solve import RESULTS, load_results, predictions, solve_ttt  # noqa: E402
from ttt.tokenizer import build_compact_tokenizer  # noqa: E402

IDS = ("6150a2bd", "d631b094")


@pytest.fixture(scope="module")
def tok():
    return build_compact_tokenizer()


def configs(**kw):
    cfg = TTTConfig(lora_rank=8, learning_rate=5e-3, epochs=1, max_steps=2, max_tokens=1024,
                    data=TTTDataConfig(max_tasks=4), **kw)
    icfg = InferConfig(symmetries=("identity", "transpose"), max_new_tokens=16, batch_size=4)
    return cfg, icfg


def run(tasks, tok, run_dir, **kw):
    cfg, icfg = configs(**kw)
    return solve_ttt(tasks, tiny_llama(tok, hidden=32, layers=2), cfg, icfg, run_dir, tokenizer=tok)


def test_end_to_end_two_real_tasks_valid_resumable_deterministic(arc1_train, tok, tmp_path):
    tasks = {i: arc1_train[i] for i in IDS}
    seen = []
    cfg, icfg = configs()
    results = solve_ttt(tasks, tiny_llama(tok, hidden=32, layers=2), cfg, icfg, tmp_path / "a", tokenizer=tok,
                        progress=lambda done, total: seen.append((done, total)))
    assert list(results) == list(IDS) and seen[-1] == (2, 2)
    for tid, r in results.items():
        assert r.error is None and r.n_pseudo_tasks == 4 and r.train.n_steps == 2
        assert len(r.attempts) == len(tasks[tid].test)
        assert all(len(a) <= 2 and all(as_grid(g) == g for g in a) for a in r.attempts)
        assert r.n_candidates == 2 * 2 * len(tasks[tid].test)  # 2 symmetries x 2 orders
        assert set(r.timings) == {"data_s", "train_s", "infer_s"}
        assert (tmp_path / "a" / "adapters" / tid / "adapter_config.json").is_file()
    score = arc.score(predictions(results), tasks)
    assert score["n_tasks"] == 2
    saved = json.loads((tmp_path / "a" / "ttt_config.json").read_text())
    assert saved["ttt"]["lora_rank"] == 8 and saved["infer"]["symmetries"] == ["identity", "transpose"]
    # same seed, fresh run directory: same everything but the timings
    other = run(tasks, tok, tmp_path / "b")
    for tid in IDS:
        a, b = results[tid], other[tid]
        assert (a.attempts, a.n_parse_failures, a.train.losses) == (b.attempts, b.n_parse_failures, b.train.losses)
    # resume: nothing is recomputed, results come back from the run directory
    lines = (tmp_path / "a" / RESULTS).read_text().splitlines()
    again = run(tasks, tok, tmp_path / "a")
    assert (tmp_path / "a" / RESULTS).read_text().splitlines() == lines
    assert {t: r.attempts for t, r in again.items()} == {t: r.attempts for t, r in results.items()}
    assert load_results(tmp_path / "a")[IDS[0]] == results[IDS[0]]


def test_a_failing_task_is_recorded_and_the_run_goes_on(arc1_train, tok, tmp_path):
    good = arc1_train[IDS[0]]
    broken = replace(arc1_train[IDS[1]], id="broken", train=(Example(good.train[0].input, None),) + good.train)
    results = run([broken, good], tok, tmp_path)
    assert results["broken"].error and results["broken"].attempts == ()  # "TypeError: ..." or similar
    assert results[IDS[0]].error is None and len(results[IDS[0]].attempts) == 1


def test_torn_results_line_is_ignored_and_that_task_runs_again(arc1_train, tok, tmp_path):
    tasks = [arc1_train[IDS[0]]]
    run(tasks, tok, tmp_path)
    path = tmp_path / RESULTS
    path.write_text(path.read_text()[:-20])  # a crash mid-write
    assert load_results(tmp_path) == {}
    assert list(run(tasks, tok, tmp_path)) == [IDS[0]]


def test_shared_adapter_and_no_adapter_ablations(arc1_train, tok, tmp_path):
    tasks = [arc1_train[i] for i in IDS]
    shared = run(tasks, tok, tmp_path / "s", adapter_mode="shared")
    assert sorted(p.name for p in (tmp_path / "s" / "adapters").iterdir()) == ["_initial", "_shared"]
    assert shared[IDS[0]].train.adapter_dir == shared[IDS[1]].train.adapter_dir
    assert shared[IDS[0]].train.n_pseudo_tasks == 8  # the union of both tasks' pseudo-tasks
    none = run(tasks, tok, tmp_path / "n", adapter_mode="none")
    assert not (tmp_path / "n" / "adapters").exists()
    assert all(r.train is None and r.error is None for r in none.values())

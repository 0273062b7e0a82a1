"""The TTT solver end to end on real ARC tasks with a tiny in-process model on CPU: attempts,
answers as values (the solver writes only adapters), errors as values, determinism, and the shared /
no-adapter ablations."""

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
from ttt.solve import predictions, solve_ttt  # noqa: E402

IDS = ("6150a2bd", "d631b094")


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
    seen, handed = [], []
    cfg, icfg = configs()
    results = solve_ttt(tasks, tiny_llama(tok, hidden=32, layers=2), cfg, icfg, tmp_path / "a", tokenizer=tok,
                        progress=lambda done, total: seen.append((done, total)), on_result=handed.append)
    assert list(results) == list(IDS) and seen[-1] == (2, 2) and handed == list(results.values())
    for tid, r in results.items():
        assert r.error is None and r.n_pseudo_tasks == 4 and r.train.n_steps == 2
        assert len(r.attempts) == len(tasks[tid].test)
        assert all(len(a) <= 2 and all(as_grid(g) == g for g in a) for a in r.attempts)
        assert r.n_candidates == 2 * 2 * len(tasks[tid].test)  # 2 symmetries x 2 orders
        assert set(r.timings) == {"data_s", "train_s", "infer_s"}
        assert (tmp_path / "a" / "adapters" / tid / "adapter_config.json").is_file()
        answer = r.answer()  # the answer type both solvers give
        assert [t.attempts for t in answer.tests] == list(r.attempts) and answer.task_id == tid
        for test, cands in zip(answer.tests, r.candidates):
            assert all(a.source == "ttt:vote" and a.score == dict(cands)[a.grid] for a in test.ranked)
    score = arc.score(predictions(results), tasks)
    assert score["n_tasks"] == 2
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["adapters"]  # no file but the adapters
    # same seed, fresh run directory: same everything but the timings
    other = run(tasks, tok, tmp_path / "b")
    for tid in IDS:
        a, b = results[tid], other[tid]
        assert (a.attempts, a.n_parse_failures, a.train.losses) == (b.attempts, b.n_parse_failures, b.train.losses)
    # again over the same folder: the adapters are reused, not trained again, and the answers are the same
    again = run(tasks, tok, tmp_path / "a")
    assert all(r.train.skipped for r in again.values())
    assert {t: r.attempts for t, r in again.items()} == {t: r.attempts for t, r in results.items()}


def test_a_failing_task_is_recorded_and_the_run_goes_on(arc1_train, tok, tmp_path):
    good = arc1_train[IDS[0]]
    broken = replace(arc1_train[IDS[1]], id="broken", train=(Example(good.train[0].input, None),) + good.train)
    results = run([broken, good], tok, tmp_path)
    assert results["broken"].error and results["broken"].attempts == ()  # "TypeError: ..." or similar
    assert results[IDS[0]].error is None and len(results[IDS[0]].attempts) == 1


def test_shared_adapter_and_no_adapter_ablations(arc1_train, tok, tmp_path):
    tasks = [arc1_train[i] for i in IDS]
    shared = run(tasks, tok, tmp_path / "s", adapter_mode="shared")
    assert sorted(p.name for p in (tmp_path / "s" / "adapters").iterdir()) == ["_initial", "_shared"]
    assert shared[IDS[0]].train.adapter_dir == shared[IDS[1]].train.adapter_dir
    assert shared[IDS[0]].train.n_pseudo_tasks == 8  # the union of both tasks' pseudo-tasks
    none = run(tasks, tok, tmp_path / "n", adapter_mode="none")
    assert not (tmp_path / "n" / "adapters").exists()
    assert all(r.train is None and r.error is None for r in none.values())


def test_batched_path_times_engine_start_up_once_and_limits_each_task(arc1_train, tok, tmp_path, stand_in_engine):
    from contextlib import contextmanager

    from ttt.model import save_base

    engine = stand_in_engine(start_s=1.0)
    model_dir = save_base(tiny_llama(tok, hidden=32, layers=2), tok, tmp_path / "model")
    cfg, icfg = configs()
    icfg = replace(icfg, backend="vllm")
    limited = []

    @contextmanager
    def task_limit(task):
        limited.append(task.id)
        yield
        if task.id == IDS[1]:
            raise TimeoutError("task exceeded its budget")

    batch = {}
    results = solve_ttt({i: arc1_train[i] for i in IDS}, model_dir, cfg, icfg, tmp_path / "run",
                        task_limit=task_limit, batch_timings=batch)
    assert limited == list(IDS) and engine.started == engine.closed == 1
    assert batch["n_tasks"] == 1 and batch["engine_start_s"] >= 1.0 and "batch_s" in batch
    first, second = results[IDS[0]], results[IDS[1]]
    assert second.error == "TimeoutError: task exceeded its budget" and "infer_s" not in second.timings
    # the engine's start-up is in no task's timings; the one task in the batch has all of it
    assert first.error is None and first.timings["infer_s"] == pytest.approx(batch["batch_s"], abs=1e-3)
    # a task charged with the start-up would show at least its 1 s: a bound by what the stand-in does
    assert first.timings["infer_s"] < batch["engine_start_s"]


def test_a_failed_engine_fails_every_pending_task_once(arc1_train, tok, tmp_path, monkeypatch):
    from ttt.backends import BACKENDS
    from ttt.model import save_base

    starts = []

    def broken(*args, **kwargs):
        starts.append(1)
        raise RuntimeError("Engine core initialization failed")

    monkeypatch.setitem(BACKENDS, "vllm", broken)
    model_dir = save_base(tiny_llama(tok, hidden=32, layers=2), tok, tmp_path / "model")
    cfg, icfg = configs()
    batch = {}
    results = solve_ttt({i: arc1_train[i] for i in IDS}, model_dir, cfg, replace(icfg, backend="vllm"),
                        tmp_path / "run", batch_timings=batch)
    assert len(starts) == 1 and "Engine core" in batch["engine_error"]
    assert all("Engine core initialization failed" in r.error for r in results.values())


def test_poe_scores_are_kept_and_score_the_answer(arc1_train, tok, tmp_path):
    """Where the selection scores the candidates, the result keeps each distinct grid's summed
    log-probability, and the answer's attempts carry it (source ttt:poe)."""
    from ensemble.build import bundled_model_dir
    from ttt.model import load_base

    model, bundled_tok = load_base(bundled_model_dir(), "cpu", "float32", False)  # a model that answers grids
    cfg, icfg = configs(adapter_mode="none")
    results = solve_ttt([arc1_train[IDS[0]]], model, cfg, replace(icfg, select="poe"), tmp_path, tokenizer=bundled_tok)
    r = results[IDS[0]]
    assert r.candidates[0] and {g for g, _ in r.poe[0]} == {g for g, _ in r.candidates[0]}
    (test,) = r.answer().tests
    logp = dict(r.poe[0])
    assert test.ranked and all(a.source == "ttt:poe" and a.score == logp[a.grid] for a in test.ranked)
    assert type(r).from_json(json.loads(json.dumps(r.to_json()))).poe == r.poe

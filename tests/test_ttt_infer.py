"""Augmented inference: backends (hf for real, vllm's refusal without vllm), views in and out,
parse-failure counting and voting. Real ARC tasks; a tiny in-process model on CPU."""

import importlib.util

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from arc.grid import as_grid  # noqa: E402
from arc.views import View  # noqa: E402
from ttt.backends import BACKENDS, Generation, HFBackend, VLLMBackend, cut_at_stop  # noqa: E402
from ttt.backends.vllm import vllm_lora_rank  # noqa: E402
from ttt.config import InferConfig  # noqa: E402
from ttt.infer import default_max_new_tokens, fit_prompt, predict_task, task_views  # noqa: E402
from ttt.model import tiny_llama  # noqa: E402


class OracleBackend:
    """A test double that answers each prompt with the true output seen under that prompt's view,
    except under the views in ``wrong`` where it answers ``wrong_grid`` (or garbage when None)."""

    def __init__(self, task, fmt, tok, views, wrong=(), wrong_grid=None):
        self.tokenizer, self.answers = tok, {}
        for view in views:
            seen = view.apply_task(task)
            for test in seen.test:
                prompt = fmt.render_prompt(seen.train, test.input)
                if view.symmetry in wrong:
                    text = "1x2" if wrong_grid is None else fmt.output_text(view.apply(wrong_grid))
                else:
                    text = fmt.output_text(test.output)
                self.answers[prompt] = text
        self.calls = 0

    def count_tokens(self, text, add_special_tokens=True):
        return len(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    def generate(self, prompts, adapters=None, *, max_new_tokens, stop=(), add_special_tokens=True):
        self.calls += 1
        return [Generation(self.answers[p], True) for p in prompts]


def test_default_budget_fits_a_30x30_grid(tok, fmt):
    assert default_max_new_tokens(fmt, tok) >= 30 * 30 + 29 + 1  # cells, newlines, end marker


def test_cut_at_stop_takes_the_earliest_stop():
    assert cut_at_stop("12E34E", ["E"]) == ("12E", True)
    assert cut_at_stop("12\n```x#", ["#", "\n```"]) == ("12\n```", True)
    assert cut_at_stop("1234", ["E"]) == ("1234", False)


def test_views_are_the_configured_symmetries_times_orders(arc1_train):
    task = arc1_train["d631b094"]
    views = task_views(task, InferConfig())
    assert len(views) == 7 * 2 and views[0].is_identity
    assert {v.symmetry for v in views} == set(InferConfig().symmetries)
    assert [v.name for v in task_views(task, InferConfig())] == [v.name for v in views]  # seeded


@pytest.mark.parametrize("task_id", ["6150a2bd", "d631b094", "3c9b0459"])
def test_views_are_inverted_before_the_vote(arc1_train, fmt, tok, task_id):
    task = arc1_train[task_id]
    cfg = InferConfig()
    views = task_views(task, cfg)
    oracle = OracleBackend(task, fmt, tok, views)
    pred = predict_task(task, oracle, fmt, views, cfg, adapter=None)
    assert oracle.calls == 1  # every view of every test input in one batch
    assert pred.n_candidates == len(views) * len(task.test) and pred.n_parse_failures == 0
    for t, test in enumerate(task.test):
        assert pred.attempts[t][0] == test.output
        assert [c.view for c in pred.candidates[t]] == list(views)
        assert all(c.grid == test.output for c in pred.candidates[t])


def test_vote_prefers_the_majority_and_counts_parse_failures(arc1_train, fmt, tok):
    task = arc1_train["6150a2bd"]
    cfg = InferConfig()
    views = task_views(task, cfg)
    wrong = ((5, 5, 5), (5, 5, 5), (5, 5, 5))
    # 3 of 7 symmetries say `wrong`: the truth wins, the wrong grid is the runner-up
    pred = predict_task(task, OracleBackend(task, fmt, tok, views, ("rot90", "rot180", "flip_lr"), wrong), fmt, views, cfg)
    assert pred.attempts[0] == (task.test[0].output, wrong)
    # garbage under 2 symmetries (x 2 orders) is counted, not voted
    pred = predict_task(task, OracleBackend(task, fmt, tok, views, ("rot90", "transpose")), fmt, views, cfg)
    assert pred.n_parse_failures == 4 and pred.attempts[0][0] == task.test[0].output
    assert all(c.message for c in pred.candidates[0] if c.grid is None)


def test_prompts_over_the_budget_are_skipped_and_counted(arc1_train, fmt, tok):
    task = arc1_train["6150a2bd"]
    cfg = InferConfig(max_tokens=60, max_new_tokens=20, trim_demonstrations=False)
    views = task_views(task, cfg)
    pred = predict_task(task, OracleBackend(task, fmt, tok, views), fmt, views, cfg)
    assert pred.n_too_long == len(views) and pred.attempts == ((),)
    assert all(c.status == "too_long" for c in pred.candidates[0])


def test_fit_prompt_drops_the_largest_demonstrations_first(arc1_train, fmt, tok):
    task = arc1_train["1e0a9b12"]  # demonstrations of 32, 72 and 50 cells
    query = task.test[0].input

    def count(text):
        return len(tok(text)["input_ids"])

    full = fmt.render_prompt(task.train, query)
    assert fit_prompt(fmt, count, task.train, query, count(full)) == (full, 0)
    two = fmt.render_prompt((task.train[0], task.train[2]), query)
    assert fit_prompt(fmt, count, task.train, query, count(full) - 1) == (two, 1)
    assert fit_prompt(fmt, count, task.train, query, count(two)) == (two, 1)
    one = fmt.render_prompt((task.train[0],), query)
    assert fit_prompt(fmt, count, task.train, query, count(two) - 1) == (one, 2)
    assert fit_prompt(fmt, count, task.train, query, count(one) - 1) == (None, 2)
    assert fit_prompt(fmt, count, task.train, query, count(full) - 1, trim=False) == (None, 0)


class RecordingBackend(OracleBackend):
    """Answers every prompt with the task's true output (identity view only) and keeps the prompts."""

    def __init__(self, task, fmt, tok):
        super().__init__(task, fmt, tok, [])
        self.answer, self.prompts = fmt.output_text(task.test[0].output), []

    def generate(self, prompts, adapters=None, *, max_new_tokens, stop=(), add_special_tokens=True):
        self.prompts += prompts
        return [Generation(self.answer, True) for _ in prompts]


def test_a_prompt_over_the_budget_is_answered_with_fewer_demonstrations(arc1_train, fmt, tok):
    task = arc1_train["1e0a9b12"]
    views = [View("identity")]
    two = fmt.render_prompt((task.train[0], task.train[2]), task.test[0].input)
    backend = RecordingBackend(task, fmt, tok)
    budget = backend.count_tokens(two) + 20
    pred = predict_task(task, backend, fmt, views, InferConfig(max_tokens=budget, max_new_tokens=20))
    assert backend.prompts == [two] and pred.n_too_long == 0
    assert pred.attempts[0][0] == task.test[0].output
    # switched off, the same view is skipped and counted
    backend = RecordingBackend(task, fmt, tok)
    cfg = InferConfig(max_tokens=budget, max_new_tokens=20, trim_demonstrations=False)
    pred = predict_task(task, backend, fmt, views, cfg)
    assert backend.prompts == [] and pred.n_too_long == 1


def test_hf_batched_generation_equals_one_by_one(arc1_train, fmt, tok):
    model = tiny_llama(tok, hidden=32, layers=2, seed=5)
    task = arc1_train["d631b094"]
    prompts = [fmt.render_prompt(v.apply_task(task).train, v.apply(task.test[0].input)) for v in task_views(task, InferConfig())[:5]]
    assert len({len(p) for p in prompts}) > 1  # different lengths, so left padding matters
    batched = HFBackend(model, tok, InferConfig(batch_size=5)).generate(prompts, max_new_tokens=12, stop=["E"])
    single = HFBackend(model, tok, InferConfig(batch_size=1)).generate(prompts, max_new_tokens=12, stop=["E"])
    assert [g.text for g in batched] == [g.text for g in single]
    for g in batched:
        assert g.stopped == g.text.endswith("E") and g.text.count("E") <= 1
        assert g.stopped or g.n_tokens == 12


def test_real_tiny_model_predictions_are_valid_and_deterministic(arc1_train, fmt, tok):
    model = tiny_llama(tok, hidden=32, layers=2, seed=7)
    task = arc1_train["6150a2bd"]
    cfg = InferConfig(symmetries=("identity", "transpose", "rot90"), max_new_tokens=16, batch_size=6)
    backend = HFBackend(model, tok, cfg)
    pred = predict_task(task, backend, fmt, None, cfg, adapter=None)
    again = predict_task(task, backend, fmt, None, cfg, adapter=None)
    assert pred == again
    assert pred.n_candidates == 6 and len(pred.attempts) == len(task.test)
    for attempts in pred.attempts:
        assert len(attempts) <= 2 and all(as_grid(g) == g for g in attempts)
    assert pred.n_parse_failures == sum(c.grid is None for c in pred.candidates[0])


def test_registry_and_vllm_rank():
    assert BACKENDS == {"hf": HFBackend, "vllm": VLLMBackend}
    assert [vllm_lora_rank(r) for r in (1, 8, 9, 128, 200)] == [1, 8, 16, 128, 256]
    with pytest.raises(ValueError):
        vllm_lora_rank(1024)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_vllm_backend_without_vllm_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="vllm package.*use backend 'hf'"):
        VLLMBackend(tmp_path, cfg=InferConfig(backend="vllm"))

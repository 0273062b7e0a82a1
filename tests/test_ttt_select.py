"""Product-of-experts scoring and depth-first sampling: the hf backend's teacher-forced scores equal a
direct forward pass, summed over views; depth-first search finds exactly the completions above the
threshold of a scripted model whose probabilities are known, within its caps; selection by score."""

import math

import pytest

torch = pytest.importorskip("torch")

from arc.views import View  # noqa: E402
from ttt.backends import HFBackend  # noqa: E402
from ttt.backends.hf import depth_first  # noqa: E402
from ttt.config import InferConfig  # noqa: E402
from ttt.infer import default_max_new_tokens, fit_prompt, predict_task  # noqa: E402
from ttt.model import tiny_llama  # noqa: E402
from ttt.select import ScoredCandidate, choose, score_candidates, scoring_views  # noqa: E402


@pytest.fixture(scope="module")
def model(tok):
    return tiny_llama(tok, hidden=32, layers=2, heads=2, seed=3)


def direct_logprob(model, tok, prompt: str, completion: str) -> float:
    """log p(completion | prompt) from one full forward pass over the concatenated token ids."""
    p = tok(prompt)["input_ids"]
    c = tok(completion, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([p + c])).logits[0].double()
    logp = torch.log_softmax(logits, dim=-1)
    return sum(float(logp[len(p) - 1 + j, t]) for j, t in enumerate(c))


def test_poe_score_is_the_sum_of_direct_log_probabilities_over_views(arc1_train, model, tok, fmt):
    task = arc1_train["6150a2bd"]
    cfg = InferConfig(device="cpu", batch_size=2, n_orders=2, poe_views=5, max_tokens=4096)
    backend = HFBackend(model, tok, cfg)
    right = task.test[0].output
    grids = [right, tuple(tuple(9 - v for v in row) for row in right), ((1, 2), (3, 4)), ((5,),)]
    scored = score_candidates(task, 0, grids, backend, fmt, cfg)
    views = scoring_views(task, cfg)
    assert len(views) == 5 and views[0].is_identity
    budget = cfg.max_tokens - default_max_new_tokens(fmt, tok)
    for cand, grid in zip(scored, grids):
        assert cand.grid == grid
        expected = []
        for view in views:
            seen = view.apply_task(task)
            prompt, _ = fit_prompt(fmt, lambda t: len(tok(t)["input_ids"]), seen.train, seen.test[0].input, budget)
            expected.append((view.name, direct_logprob(model, tok, prompt, fmt.output_text(view.apply(grid)))))
        assert [n for n, _ in cand.views] == [n for n, _ in expected]
        for (_, got), (_, want) in zip(cand.views, expected):
            assert got == pytest.approx(want, abs=1e-4)
        assert cand.score == pytest.approx(sum(v for _, v in expected), abs=1e-3)


def test_scores_do_not_depend_on_batching(arc1_train, model, tok, fmt):
    task = arc1_train["d631b094"]
    grids = [task.test[0].output, ((1, 1), (1, 1)), ((2,),)]
    one = score_candidates(task, 0, grids, HFBackend(model, tok, InferConfig(device="cpu", batch_size=1)), fmt,
                           InferConfig(poe_views=3))
    many = score_candidates(task, 0, grids, HFBackend(model, tok, InferConfig(device="cpu", batch_size=8)), fmt,
                            InferConfig(poe_views=3))
    for a, b in zip(one, many):
        assert a.score == pytest.approx(b.score, abs=1e-4)


class Scripted:
    """A stepper over a fixed tree: ``table`` maps a path (tuple of tokens) to next-token probabilities
    (dict token -> p); tokens not listed have probability 0. Records every model step it is asked for."""

    def __init__(self, table, vocab=6):
        self.table, self.vocab, self.path, self.steps = table, vocab, [], []
        self.root = self._logp(())

    def _logp(self, path):
        probs = self.table.get(tuple(path), {0: 1.0})
        return [math.log(probs[t]) if probs.get(t, 0) > 0 else -math.inf for t in range(self.vocab)]

    def step(self, depth, token):
        del self.path[depth:]
        self.path.append(token)
        self.steps.append(tuple(self.path))
        return self._logp(self.path)


STOP = 5  # the scripted model's stop token
# Paths and probabilities (a completion ends with STOP):
#   1 STOP       0.5 * 0.9          = 0.45
#   1 2 STOP     0.5 * 0.1 * 1.0    = 0.05
#   2 STOP       0.3 * 0.6          = 0.18
#   2 3 STOP     0.3 * 0.4 * 1.0    = 0.12
#   3 3 STOP     0.2 * 0.5 * 1.0    = 0.10
#   3 4 4 STOP   0.2 * 0.5 * 0.7    = 0.07 (0.03 of the mass loops on 4, cut off by the token budget)
TREE = {
    (): {1: 0.5, 2: 0.3, 3: 0.2},
    (1,): {STOP: 0.9, 2: 0.1},
    (1, 2): {STOP: 1.0},
    (2,): {STOP: 0.6, 3: 0.4},
    (2, 3): {STOP: 1.0},
    (3,): {3: 0.5, 4: 0.5},
    (3, 3): {STOP: 1.0},
    (3, 4): {4: 0.3, STOP: 0.7},
    (3, 4, 4): {4: 1.0},
    (3, 4, 4, 4): {4: 1.0},
}
ALL = {(1, STOP): 0.45, (1, 2, STOP): 0.05, (2, STOP): 0.18, (2, 3, STOP): 0.12, (3, 3, STOP): 0.10,
       (3, 4, STOP): 0.07}


@pytest.mark.parametrize("threshold", [0.5, 0.4, 0.15, 0.1, 0.06, 0.05, 0.01])
def test_dfs_returns_exactly_the_completions_above_the_threshold(threshold):
    found = depth_first(Scripted(TREE), {STOP}, threshold=threshold, max_new_tokens=10, max_candidates=100,
                        max_tokens=1000, keep_greedy=False)
    want = {p: q for p, q in ALL.items() if q >= threshold * (1 - 1e-12)}
    assert {c.tokens for c in found} == set(want)
    for c in found:
        assert math.exp(c.logprob) == pytest.approx(want[c.tokens])
        assert c.stopped
    assert len(found) == len(want)  # each once


def test_dfs_is_depth_first_likeliest_first_and_keeps_greedy():
    found = depth_first(Scripted(TREE), {STOP}, threshold=0.06, max_new_tokens=10, max_candidates=100,
                        max_tokens=1000, keep_greedy=True)
    assert [c.tokens for c in found] == [(1, STOP), (2, STOP), (2, 3, STOP), (3, 3, STOP), (3, 4, STOP)]
    assert [c.greedy for c in found] == [True, False, False, False, False]
    # Above every completion's probability: the greedy path alone, even though it is below the threshold.
    found = depth_first(Scripted(TREE), {STOP}, threshold=0.9, max_new_tokens=10, max_candidates=100,
                        max_tokens=1000, keep_greedy=True)
    assert [(c.tokens, c.greedy) for c in found] == [((1, STOP), True)]
    assert depth_first(Scripted(TREE), {STOP}, threshold=0.9, max_new_tokens=10, max_candidates=100,
                       max_tokens=1000, keep_greedy=False) == []


@pytest.mark.parametrize("cap", [1, 2, 3])
def test_dfs_never_returns_more_than_the_candidate_cap(cap):
    found = depth_first(Scripted(TREE), {STOP}, threshold=0.01, max_new_tokens=10, max_candidates=cap,
                        max_tokens=1000, keep_greedy=False)
    assert len(found) == cap
    assert {c.tokens for c in found} <= set(ALL)


@pytest.mark.parametrize("budget", [0, 1, 2, 3, 5])
def test_dfs_never_takes_more_model_steps_than_the_token_cap(budget):
    stepper = Scripted(TREE)
    found = depth_first(stepper, {STOP}, threshold=0.01, max_new_tokens=10, max_candidates=100,
                        max_tokens=budget, keep_greedy=False)
    assert len(stepper.steps) <= budget
    assert {c.tokens for c in found} <= set(ALL)


def test_dfs_drops_paths_cut_off_by_the_generation_budget():
    # Threshold 0.01: the 4-loop (0.2 * 0.5 * 0.3 = 0.03 and on) never stops; max_new_tokens ends it.
    stepper = Scripted(TREE)
    found = depth_first(stepper, {STOP}, threshold=0.01, max_new_tokens=4, max_candidates=100, max_tokens=1000,
                        keep_greedy=False)
    assert {c.tokens for c in found} == set(ALL)
    assert max(len(p) for p in stepper.steps) <= 4


def test_hf_dfs_greedy_path_equals_greedy_generation(arc1_train, model, tok, fmt):
    task = arc1_train["d631b094"]
    cfg = InferConfig(device="cpu", symmetries=("identity", "transpose"), n_orders=1, max_new_tokens=24)
    backend = HFBackend(model, tok, cfg)
    greedy = predict_task(task, backend, fmt, None, cfg)
    dfs = predict_task(task, backend, fmt, None, InferConfig(**{**cfg.to_json(), "sampling": "dfs",
                                                                "dfs_threshold": 1e-6, "dfs_max_candidates": 3}))
    for g_cands, d_cands in zip(greedy.candidates, dfs.candidates):
        firsts = [c for c in d_cands if c.greedy]
        assert [(c.grid, c.view, c.status) for c in firsts] == [(c.grid, c.view, c.status) for c in g_cands]
        assert len(d_cands) <= 3 * len(g_cands)


def test_predict_with_poe_keeps_scores_and_picks_the_best(arc1_train, model, tok, fmt):
    task = arc1_train["d631b094"]
    cfg = InferConfig(device="cpu", symmetries=("identity", "flip_lr"), n_orders=1, max_new_tokens=24, select="poe",
                      poe_views=2)
    pred = predict_task(task, HFBackend(model, tok, cfg), fmt, None, cfg)
    for attempts, scored, cands in zip(pred.attempts, pred.scored, pred.candidates):
        grids = {c.grid for c in cands if c.grid is not None}
        assert {s.grid for s in scored} == grids
        assert sum(s.n for s in scored) == sum(c.grid is not None for c in cands)
        best = sorted((s for s in scored if s.score is not None), key=lambda s: -s.score)
        assert list(attempts) == [s.grid for s in best[:2]]


def test_choose_by_method():
    a, b, c = ((1,),), ((2,),), ((3,),)
    scored = [ScoredCandidate(a, -5.0, n=3), ScoredCandidate(b, -1.0, n=1), ScoredCandidate(c, -2.0, n=1)]
    assert choose("vote", [a, c], scored) == (a, c)
    assert choose("poe", [a, c], scored) == (b, c)
    assert choose("vote+poe", [a, c], scored) == (a, b)
    assert choose("vote+poe", [b], scored) == (b, c)
    assert choose("poe", [], [ScoredCandidate(a, None, n=2), ScoredCandidate(b, -9.0)]) == (b, a)
    with pytest.raises(ValueError):
        choose("best", [a], scored)


def test_select_options_are_checked():
    with pytest.raises(ValueError, match="select"):
        InferConfig(select="max")
    with pytest.raises(ValueError, match="sampling"):
        InferConfig(sampling="beam")
    with pytest.raises(ValueError, match="dfs_threshold"):
        InferConfig(dfs_threshold=0.0)
    with pytest.raises(ValueError, match="poe_symmetries"):
        InferConfig(poe_symmetries=("spin",))
    assert InferConfig.from_json(InferConfig(select="poe", poe_symmetries=("identity",)).to_json()).poe_symmetries == (
        "identity",)
    assert View("identity").is_identity


def test_cli_flags_set_selection_and_sampling(tiny_model_dir):
    from cli import main
    from ensemble.options import run_config

    ctx = main.make_context("arc-solve", ["--mode", "ttt", "--model", str(tiny_model_dir), "--device", "cpu",
                                          "--select", "vote+poe", "--poe-views", "4", "--sampling", "dfs",
                                          "--dfs-threshold", "0.2"])
    infer = run_config(ctx.params, ("x",)).infer
    assert (infer.select, infer.poe_views, infer.sampling, infer.dfs_threshold) == ("vote+poe", 4, "dfs", 0.2)


def test_default_threads_is_one_on_a_small_machine_whatever_its_load():
    from ensemble.build import default_threads

    assert [default_threads(n) for n in (1, 2, 4)] == [1, 1, 1]
    assert default_threads(16) is None  # torch's own on a large machine

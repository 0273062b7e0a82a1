"""Augmented inference: every test input under several invertible views, greedy or depth-first
decoding (``InferConfig.sampling``), strict parsing, each grid mapped back with its view's inverse,
then a selection -> up to 2 attempts: the vote, or product-of-experts scores (``ttt.select``).

Every prediction keeps the view it was made under (``Candidate.view``), so a vote or a report can
always say where a grid came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from arc.grid import Grid
from arc.task import Example, Task
from arc.views import View
from ttt.config import InferConfig

CandidateStatus = Literal["ok", "parse_error", "too_long"]


@dataclass(frozen=True)
class Candidate:
    """One generation under ``view``, mapped back to the original frame. ``grid`` is None unless
    ``status`` is "ok": the output did not parse ("parse_error", ``message`` says why) or the
    prompt was over the budget and never sent ("too_long")."""

    grid: Grid | None
    view: View
    status: CandidateStatus = "ok"
    message: str | None = None
    greedy: bool = True  # the view's greedy completion (False: another path of depth-first sampling)
    logprob: float | None = None  # its log-probability under the view, where the decoder reports it


@dataclass(frozen=True)
class TaskPrediction:
    """Per test input: the chosen attempts (at most 2), every candidate behind them and, where the
    selection scored them (``select`` 'poe' or 'vote+poe'), each distinct grid with its summed
    log-probability and per-view terms (``scored``, in the order the grids were first produced)."""

    task_id: str
    attempts: tuple[tuple[Grid, ...], ...]
    candidates: tuple[tuple[Candidate, ...], ...]
    scored: tuple[tuple[Any, ...], ...] = ()  # per test input, ttt.select.ScoredCandidate values

    @property
    def n_parse_failures(self) -> int:
        return sum(1 for cs in self.candidates for c in cs if c.status == "parse_error")

    @property
    def n_too_long(self) -> int:
        return sum(1 for cs in self.candidates for c in cs if c.status == "too_long")

    @property
    def n_candidates(self) -> int:
        return sum(len(cs) for cs in self.candidates)


def default_max_new_tokens(formatter: Any, tokenizer: Any) -> int:
    """Tokens needed to write a 30x30 output grid and its end marker in ``formatter``'s format."""
    from ttt.tokens import encode_rendered

    big = tuple(tuple(9 for _ in range(30)) for _ in range(30))
    rendered = formatter.render_train((), Example(((0,),), big), loss="output")
    enc = encode_rendered(tokenizer, rendered, getattr(formatter, "add_special_tokens", True))
    return enc.n_loss_tokens + 8  # a little slack for tokenizers that merge across the span edge


def fit_prompt(formatter: Any, count_tokens: Any, train: Sequence[Example], query: Grid, budget: int,
               trim: bool = True) -> tuple[str | None, int]:
    """The prompt for ``train`` + ``query`` within ``budget`` tokens, and how many demonstrations were
    dropped for it. With ``trim``, a prompt over the budget drops its largest demonstrations (most
    cells; the later one on ties) one at a time, keeping the order of the rest and at least one;
    (None, dropped) when even that does not fit."""
    demos = list(train)
    while True:
        prompt = formatter.render_prompt(tuple(demos), query)
        if count_tokens(prompt) <= budget:
            return prompt, len(train) - len(demos)
        if not trim or len(demos) <= 1:
            return None, len(train) - len(demos)
        sizes = [sum(map(len, d.input)) + sum(map(len, d.output or ())) for d in demos]
        del demos[max(range(len(demos)), key=lambda i: (sizes[i], i))]


def task_views(task: Task, cfg: InferConfig) -> list[View]:
    """The inference views of ``task`` (``cfg.symmetries`` x ``cfg.n_orders`` demonstration orders).

    Full view names go to the vote, which groups the orders of one symmetry together.
    """
    from arc.seeds import task_rng
    from ttt.views import inference_views

    return inference_views(task, task_rng(cfg.seed, task.id), n_orders=cfg.n_orders, symmetries=cfg.symmetries)


def vote(candidates: Sequence[Candidate], method: str = "hierarchical") -> tuple[Grid, ...]:
    """Up to 2 attempts from the parsed candidates (``method`` 'hierarchical' or 'flat')."""
    from ttt.vote import flat_vote, hierarchical_vote

    pairs = [(c.grid, c.view) for c in candidates if c.grid is not None]  # the View itself: no name parsing
    if not pairs:
        return ()
    fn = hierarchical_vote if method == "hierarchical" else flat_vote
    return tuple(fn(pairs))


def predict_tasks(
    tasks: Sequence[Task],
    backend: Any,
    formatter: Any,
    cfg: InferConfig,
    adapters: Mapping[str, str | Path | None] | None = None,
    views: Mapping[str, Sequence[View]] | None = None,
) -> dict[str, TaskPrediction]:
    """Predict every test input of every task in one backend call (one adapter per task).

    ``adapters`` maps task id to an adapter folder (missing or None: the bare base model);
    ``views`` maps task id to its views (default: ``task_views``).
    """
    from ttt.select import choose

    adapters = adapters or {}
    add_special = getattr(formatter, "add_special_tokens", True)
    max_new = cfg.max_new_tokens or default_max_new_tokens(formatter, backend.tokenizer)
    prompt_budget = cfg.max_tokens - max_new
    # One candidate per (task, test input, view); prompts that fit go to the backend together.
    results: dict[tuple[str, int], list[Candidate]] = {}
    prompts, prompt_adapters, prompt_slots = [], [], []
    for task in tasks:
        task_view_list = views[task.id] if views is not None and task.id in views else task_views(task, cfg)
        for t in range(len(task.test)):
            results[(task.id, t)] = []
        for view in task_view_list:
            seen = view.apply_task(task)
            for t, test in enumerate(seen.test):
                prompt, _ = fit_prompt(formatter, lambda text: backend.count_tokens(text, add_special),
                                       seen.train, test.input, prompt_budget, cfg.trim_demonstrations)
                if prompt is None:
                    results[(task.id, t)].append(Candidate(None, view, "too_long", "prompt too long"))
                    continue
                prompts.append(prompt)
                prompt_adapters.append(adapters.get(task.id))
                prompt_slots.append((task.id, t, view))
    if cfg.sampling == "dfs":
        explored = backend.explore(
            prompts, prompt_adapters, max_new_tokens=max_new, threshold=cfg.dfs_threshold,
            max_candidates=cfg.dfs_max_candidates, max_tokens=cfg.dfs_max_tokens or 4 * max_new,
            stop=[formatter.end_marker], add_special_tokens=add_special,
        ) if prompts else []
    else:
        explored = [[g] for g in backend.generate(
            prompts, prompt_adapters, max_new_tokens=max_new, stop=[formatter.end_marker], add_special_tokens=add_special
        )] if prompts else []
    for (task_id, t, view), gens in zip(prompt_slots, explored):
        for gen in gens:
            parsed = formatter.parse(gen.text, require_end=not gen.stopped)
            if parsed.grid is None:
                results[(task_id, t)].append(Candidate(None, view, "parse_error", parsed.error, gen.greedy, gen.logprob))
            else:
                results[(task_id, t)].append(Candidate(view.invert(parsed.grid), view, "ok", None, gen.greedy, gen.logprob))
    cands = {task.id: tuple(tuple(results[(task.id, t)]) for t in range(len(task.test))) for task in tasks}
    scored = score_all(tasks, cands, backend, formatter, cfg, adapters) if cfg.select != "vote" else {}
    out = {}
    for task in tasks:
        voted = [vote(cs, cfg.vote) for cs in cands[task.id]]
        per_test = scored.get(task.id, ())
        attempts = tuple(choose(cfg.select, v, per_test[t] if per_test else ()) for t, v in enumerate(voted))
        out[task.id] = TaskPrediction(task.id, attempts, cands[task.id], per_test)
    return out


def distinct_grids(candidates: Sequence[Candidate]) -> tuple[tuple[Grid, ...], tuple[int, ...]]:
    """The distinct parsed grids of ``candidates`` in the order first produced, and how many produced each."""
    counts: dict[Grid, int] = {}
    for c in candidates:
        if c.grid is not None:
            counts[c.grid] = counts.get(c.grid, 0) + 1
    return tuple(counts), tuple(counts.values())


def score_all(tasks: Sequence[Task], cands: Mapping[str, Sequence[Sequence[Candidate]]], backend: Any, formatter: Any,
              cfg: InferConfig, adapters: Mapping[str, str | Path | None] | None = None) -> dict[str, tuple]:
    """Every distinct candidate grid of every test input scored in one backend call (``ttt.select``)."""
    from ttt.select import ScoreRequest, score_requests

    adapters = adapters or {}
    requests = []
    for task in tasks:
        for t, cs in enumerate(cands[task.id]):
            grids, counts = distinct_grids(cs)
            requests.append(ScoreRequest(task, t, grids, adapters.get(task.id), counts))
    scored = iter(score_requests(requests, backend, formatter, cfg))
    return {task.id: tuple(next(scored) for _ in cands[task.id]) for task in tasks}


def predict_task(
    task: Task,
    backend: Any,
    formatter: Any,
    views: Sequence[View] | None,
    cfg: InferConfig,
    adapter: str | Path | None = None,
) -> TaskPrediction:
    """Predict one task's test inputs under ``views`` (None: ``task_views``) with ``adapter``."""
    view_map = None if views is None else {task.id: list(views)}
    return predict_tasks([task], backend, formatter, cfg, {task.id: adapter}, view_map)[task.id]

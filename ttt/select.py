"""Product-of-experts selection: each distinct candidate grid of a test input is scored under K views
of the task (the task's own adapter, teacher-forced: the grid mapped into the view and scored as the
output of that view's prompt), and its log-probabilities are summed over the views.

``score_candidates`` is the one public entry point for scoring grids of a task's test input (the
ensemble uses it to order a synthesizer's disagreeing programs); ``score_requests`` scores many
test inputs in one backend call (what inference uses); ``choose`` picks the 2 attempts by
``InferConfig.select``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from arc.grid import Grid
from arc.task import Task
from arc.views import View
from ttt.config import InferConfig


@dataclass(frozen=True)
class ScoredCandidate:
    """One distinct grid of a test input: ``score`` is its log-probability summed over the scoring
    views (None when no view's prompt fitted the budget), ``views`` each view's own term (view name,
    log-probability), ``n`` how many generations produced it (0 for a grid scored from outside)."""

    grid: Grid
    score: float | None
    views: tuple[tuple[str, float], ...] = ()
    n: int = 0


@dataclass(frozen=True)
class ScoreRequest:
    """Grids to score for test input ``test_index`` of ``task`` with ``adapter`` (None: the bare model)."""

    task: Task
    test_index: int
    grids: tuple[Grid, ...]
    adapter: str | Path | None = None
    counts: tuple[int, ...] = ()  # generations behind each grid, kept on the ScoredCandidate


def scoring_views(task: Task, cfg: InferConfig) -> list[View]:
    """The K views a candidate is scored under: ``cfg.poe_symmetries`` (empty: the inference
    symmetries) with ``cfg.n_orders`` demonstration orders each, identity first, the first
    ``cfg.poe_views`` of them. Seeded by (seed, task id), so they match the inference views."""
    from dataclasses import replace

    from ttt.infer import task_views

    symmetries = cfg.poe_symmetries or cfg.symmetries
    views = task_views(task, replace(cfg, symmetries=symmetries))
    return views[: cfg.poe_views] if cfg.poe_views is not None else views


def score_requests(requests: Sequence[ScoreRequest], backend: Any, formatter: Any, cfg: InferConfig,
                   views: Any = None) -> list[tuple[ScoredCandidate, ...]]:
    """Score every request's grids in one ``backend.score`` call; per request, its grids (in the
    given order) with their summed log-probabilities. A view whose prompt does not fit the budget
    (as at inference: ``cfg.max_tokens`` less the generation budget, demonstrations trimmed) is left
    out for every grid of that test input, so their sums stay comparable. ``views``: task id ->
    views, overriding ``scoring_views``."""
    from ttt.infer import default_max_new_tokens, fit_prompt

    add_special = getattr(formatter, "add_special_tokens", True)
    max_new = cfg.max_new_tokens or default_max_new_tokens(formatter, backend.tokenizer)
    budget = cfg.max_tokens - max_new
    prompts, completions, adapters, slots = [], [], [], []
    for r, req in enumerate(requests):
        view_list = views[req.task.id] if views is not None and req.task.id in views else scoring_views(req.task, cfg)
        for view in view_list:
            seen = view.apply_task(req.task)
            prompt, _ = fit_prompt(formatter, lambda text: backend.count_tokens(text, add_special), seen.train,
                                   seen.test[req.test_index].input, budget, cfg.trim_demonstrations)
            if prompt is None:
                continue
            for g, grid in enumerate(req.grids):
                prompts.append(prompt)
                completions.append(formatter.output_text(view.apply(grid)))
                adapters.append(None if req.adapter is None else str(req.adapter))
                slots.append((r, g, view.name))
    logps = backend.score(prompts, completions, adapters, add_special_tokens=add_special) if prompts else []
    terms: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for (r, g, name), lp in zip(slots, logps):
        terms.setdefault((r, g), []).append((name, float(sum(lp))))
    out = []
    for r, req in enumerate(requests):
        row = []
        for g, grid in enumerate(req.grids):
            t = tuple(terms.get((r, g), ()))
            n = req.counts[g] if g < len(req.counts) else 0
            row.append(ScoredCandidate(grid, sum(v for _, v in t) if t else None, t, n))
        out.append(tuple(row))
    return out


def score_candidates(task: Task, test_index: int, grids: Sequence[Grid], backend: Any, formatter: Any,
                     cfg: InferConfig, adapter: str | Path | None = None,
                     views: Sequence[View] | None = None) -> tuple[ScoredCandidate, ...]:
    """The product-of-experts scores of ``grids`` as answers to test input ``test_index`` of ``task``:
    each grid's log-probability under the model with ``adapter`` (a task's tuned adapter or model
    folder; None: the bare model), teacher-forced under each scoring view (``views``; None:
    ``scoring_views(task, cfg)``), summed. Higher is likelier; in the order of ``grids``."""
    from arc.grid import as_grid

    req = ScoreRequest(task, test_index, tuple(as_grid(g) for g in grids), adapter)
    return score_requests([req], backend, formatter, cfg, None if views is None else {task.id: list(views)})[0]


def _order_key(g: Grid) -> tuple:
    return (len(g), len(g[0]), g)


def poe_ranking(scored: Sequence[ScoredCandidate]) -> list[Grid]:
    """Grids by summed log-probability, best first (ties: more generations, then a fixed order);
    grids without a score last."""
    return [c.grid for c in sorted(scored, key=lambda c: (c.score is None, -(c.score or 0.0), -c.n, _order_key(c.grid)))]


def choose(method: str, voted: Sequence[Grid], scored: Sequence[ScoredCandidate]) -> tuple[Grid, ...]:
    """Up to 2 attempts: 'vote' the vote's (``voted``), 'poe' the 2 best-scored grids, 'vote+poe'
    the vote's first attempt and then the best-scored grid other than it."""
    if method == "vote":
        return tuple(voted[:2])
    ranked = poe_ranking(scored)
    if method == "poe":
        return tuple(ranked[:2])
    if method != "vote+poe":
        raise ValueError(f"unknown selection {method!r}")
    first = list(voted[:1]) or ranked[:1]
    rest = [g for g in ranked if g not in first] or [g for g in voted[1:2] if g not in first]
    return tuple(first + rest[:1])

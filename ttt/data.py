"""TTT training data: leave-one-out pseudo-tasks built from a task's demonstrations, augmented.

Recipe (the paper's TTT data), for a task with N demonstrations:

1. N leave-one-out pseudo-tasks: demonstration i is the query, the other N-1 (in order) the examples.
   With N == 1 there is nothing to leave out: the single demonstration becomes a query with no
   examples (the model still learns the input -> output mapping; at inference it is the context).
2. Each is augmented with the rule-based transforms in ``AUGMENTATIONS`` (21: the 7 non-identity
   symmetries, 4 mirror-concatenations, 3 upscalings, a random cyclic shift, 6 symmetry-then-upscale
   chains), the same transform applied to every grid. A pseudo-task with any grid over 30 is dropped.
3. One colour-permuted (background kept unless ``keep_background=False``) and demonstration-shuffled
   copy of every pseudo-task so far.
4. Duplicates removed by content, first occurrence kept (deterministic: insertion-ordered dict).
5. Above ``max_tasks``: a random subsample, kept in generation order. Below it: leave-two-out
   pseudo-tasks (query j, demonstration i dropped, N >= 3), augmented the same way, fill up in a
   random order.

Only ``task.train`` is read; test outputs never are. Everything random comes from the ``rng``
argument (make it with ``arc.seeds.task_rng(seed, task.id)``), so the same (seed, task) gives the same data in
any process, whatever PYTHONHASHSEED.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Sequence

import numpy as np

from arc.config import ConfigMixin, option
from arc.grid import Grid, from_array, to_array
from arc.task import Example, Task
from arc.transforms import TRAINING_TRANSFORMS, upscale
from arc.views import View, apply_symmetry, random_colors, random_order


@dataclass(frozen=True)
class PseudoTask:
    """A training item: in-context ``examples`` and a ``query`` whose output is the target."""

    examples: tuple[Example, ...]
    query: Example
    recipe: str  # how it was made, e.g. "loo2+rot90+colors=0351246789+order=1,0"


@dataclass(frozen=True)
class TTTDataConfig(ConfigMixin):
    """How TTT pseudo-tasks are made from one task's demonstrations."""

    max_tasks: int = option(250, "cap on pseudo-tasks per task (random subsample above it)")
    use_transforms: bool = option(True, "add the rule-based transforms (off: the 'no transforms' ablation)")
    permuted_copy: bool = option(True, "add one colour-permuted, demonstration-shuffled copy of each")
    leave_two_out_fill: bool = option(True, "below the cap, fill up with leave-two-out pseudo-tasks (N >= 3)")
    keep_background: bool = option(True, "colour permutations keep colour 0 fixed")

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type in ("bool", bool) and not isinstance(v, bool):
                raise ValueError(f"TTTDataConfig.{f.name} must be a bool, got {v!r}")
        if isinstance(self.max_tasks, bool) or not isinstance(self.max_tasks, int) or self.max_tasks < 1:
            raise ValueError(f"TTTDataConfig.max_tasks must be a positive int, got {self.max_tasks!r}")


# -- transforms -----------------------------------------------------------------------------
GridFn = Callable[[Grid], "Grid | None"]


def _symmetry(name: str) -> GridFn:
    return lambda g: apply_symmetry(name, g)


def _chain(sym: str) -> GridFn:
    return lambda g: upscale(apply_symmetry(sym, g), 2, 2)


_SYMMETRIES = ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose")
_CHAINED = ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose")

AUGMENTATIONS: dict[str, GridFn] = {
    **{s: _symmetry(s) for s in _SYMMETRIES},
    **{m: TRAINING_TRANSFORMS[m] for m in ("mirror_right", "mirror_left", "mirror_down", "mirror_up")},
    **{u: TRAINING_TRANSFORMS[u] for u in ("upscale_2", "upscale_y2", "upscale_x2")},
    **{f"{s}>upscale_2": _chain(s) for s in _CHAINED},
}
SHIFT = "shift"  # the random cyclic shift; it draws from the rng so it is not in the table above
AUGMENTATION_NAMES: tuple[str, ...] = (*AUGMENTATIONS, SHIFT)


def _shift_fn(dy: int, dx: int) -> GridFn:
    # A cyclic roll keeps every cell, so the task stays solvable; the same shift for every grid.
    return lambda g: from_array(np.roll(to_array(g), (dy, dx), axis=(0, 1)))


def _map_grids(pt: PseudoTask, fn: GridFn, tag: str) -> PseudoTask | None:
    grids = []
    for ex in (*pt.examples, pt.query):
        gi, go = fn(ex.input), fn(ex.output)
        if gi is None or go is None:
            return None  # wider or taller than 30
        grids.append(Example(gi, go))
    return PseudoTask(tuple(grids[:-1]), grids[-1], f"{pt.recipe}+{tag}")


def augment(pt: PseudoTask, name: str, rng: np.random.Generator) -> PseudoTask | None:
    """``pt`` under the named augmentation, or None when a grid would exceed 30."""
    if name == SHIFT:
        # One of the 15 non-zero shifts of up to 3 cells each way (a zero shift is the identity).
        k = int(rng.integers(1, 16))
        dy, dx = divmod(k, 4)
        return _map_grids(pt, _shift_fn(dy, dx), f"shift={dy},{dx}")
    return _map_grids(pt, AUGMENTATIONS[name], name)


def permuted_copy(pt: PseudoTask, rng: np.random.Generator, keep_background: bool = True) -> PseudoTask:
    """``pt`` with a random colour permutation and its examples in a random order."""
    view = View(colors=random_colors(rng, keep_background))
    order = random_order(rng, len(pt.examples))
    mapped = _map_grids(pt, view.apply, view.name)
    assert mapped is not None  # colour maps never change a shape
    tag = "" if order == tuple(range(len(order))) or len(order) < 2 else "+order=" + ",".join(map(str, order))
    return PseudoTask(tuple(mapped.examples[i] for i in order), mapped.query, mapped.recipe + tag)


# -- pseudo-tasks ---------------------------------------------------------------------------
def leave_one_out_tasks(task: Task) -> list[PseudoTask]:
    """Demonstration i as the query, the others as examples (N == 1: the one demonstration, no examples)."""
    train = tuple(task.train)
    if len(train) == 1:
        return [PseudoTask((), train[0], "loo0")]
    return [PseudoTask(train[:i] + train[i + 1 :], train[i], f"loo{i}") for i in range(len(train))]


def leave_two_out_tasks(task: Task) -> list[PseudoTask]:
    """Query j with demonstration i left out as well (i != j); empty unless N >= 3."""
    train = tuple(task.train)
    if len(train) < 3:
        return []
    return [
        PseudoTask(tuple(e for k, e in enumerate(train) if k not in (i, j)), train[j], f"l2o{j}-{i}")
        for j in range(len(train))
        for i in range(len(train))
        if i != j
    ]


def _expand(base: Sequence[PseudoTask], cfg: TTTDataConfig, rng: np.random.Generator) -> list[PseudoTask]:
    out = list(base)
    if cfg.use_transforms:
        for pt in base:
            out += [a for a in (augment(pt, name, rng) for name in AUGMENTATION_NAMES) if a is not None]
    if cfg.permuted_copy:
        out += [permuted_copy(pt, rng, cfg.keep_background) for pt in list(out)]
    return out


def _content_key(pt: PseudoTask) -> tuple:
    return tuple((e.input, e.output) for e in pt.examples), (pt.query.input, pt.query.output)


def _dedup(pts: Sequence[PseudoTask], seen: dict | None = None) -> list[PseudoTask]:
    seen = {} if seen is None else seen
    out = []
    for pt in pts:
        key = _content_key(pt)
        if key not in seen:
            seen[key] = True
            out.append(pt)
    return out


def ttt_pseudo_tasks(task: Task, cfg: TTTDataConfig, rng: np.random.Generator) -> list[PseudoTask]:
    """The TTT training pseudo-tasks of ``task`` (train pairs only), at most ``cfg.max_tasks``."""
    seen: dict = {}
    pts = _dedup(_expand(leave_one_out_tasks(task), cfg, rng), seen)
    if len(pts) > cfg.max_tasks:
        keep = np.sort(rng.choice(len(pts), size=cfg.max_tasks, replace=False))
        return [pts[int(i)] for i in keep]
    if cfg.leave_two_out_fill and len(pts) < cfg.max_tasks:
        extra = _dedup(_expand(leave_two_out_tasks(task), cfg, rng), seen)
        for i in rng.permutation(len(extra))[: cfg.max_tasks - len(pts)]:
            pts.append(extra[int(i)])
    return pts


def filter_by_length(pseudo_tasks: Sequence[PseudoTask], formatter, tokenizer, max_tokens: int) -> list[PseudoTask]:
    """Drop pseudo-tasks whose training text is longer than ``max_tokens`` tokens."""
    kept = []
    for pt in pseudo_tasks:
        text = formatter.render_train(pt.examples, pt.query).text
        n = len(tokenizer(text, add_special_tokens=formatter.add_special_tokens)["input_ids"])
        if n <= max_tokens:
            kept.append(pt)
    return kept


def trim_to_fit(pseudo_tasks: Sequence[PseudoTask], formatter, tokenizer, max_tokens: int) -> list[PseudoTask]:
    """Pseudo-tasks cut down to ``max_tokens``: each drops its largest demonstrations (most cells, the
    later one on ties) one at a time until its training text fits, as inference trims its prompts;
    one whose query alone is over the budget is dropped. Duplicates made by trimming are removed."""
    def fits(pt: PseudoTask) -> bool:
        text = formatter.render_train(pt.examples, pt.query).text
        return len(tokenizer(text, add_special_tokens=formatter.add_special_tokens)["input_ids"]) <= max_tokens

    out = []
    for pt in pseudo_tasks:
        examples = list(pt.examples)
        while examples and not fits(PseudoTask(tuple(examples), pt.query, pt.recipe)):
            sizes = [sum(map(len, e.input)) + sum(map(len, e.output)) for e in examples]
            del examples[max(range(len(examples)), key=lambda i: (sizes[i], i))]
        trimmed = PseudoTask(tuple(examples), pt.query, f"{pt.recipe}+keep{len(examples)}")
        if fits(trimmed):
            out.append(trimmed)
    return _dedup(out)

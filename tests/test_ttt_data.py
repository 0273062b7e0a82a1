"""TTT pseudo-task generation on real ARC tasks: counts, cap, fill, determinism, no test leakage."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arc import Example, Task, load_dataset
from arc.seeds import task_rng
from ttt.data import (
    AUGMENTATION_NAMES,
    PseudoTask,
    TTTDataConfig,
    augment,
    filter_by_length,
    leave_one_out_tasks,
    leave_two_out_tasks,
    ttt_pseudo_tasks,
)
from ttt.format import make_formatter
from ttt.tokenizer import build_compact_tokenizer

REPO = Path(__file__).resolve().parents[1]
# Real arc1-train tasks with 2, 3 and 6 demonstrations.
TWO, THREE, SIX = "025d127b", "017c7c7b", "239be575"
NO_CAP = TTTDataConfig(max_tasks=100_000, leave_two_out_fill=False)


@functools.lru_cache(maxsize=None)
def task(tid):
    return load_dataset("arc1-train")[tid]


def digest(pts):
    h = hashlib.sha256()
    for pt in pts:
        h.update(repr((pt.examples, pt.query, pt.recipe)).encode())
    return h.hexdigest()


def test_real_task_demo_counts():
    assert [len(task(t).train) for t in (TWO, THREE, SIX)] == [2, 3, 6]
    assert len(AUGMENTATION_NAMES) == 21


@pytest.mark.parametrize(
    "tid, uncapped, default",
    # N leave-one-out x (1 + 21 transforms, minus those over 30) x 2 (permuted copy), minus duplicates;
    # the default config caps at 250 and fills with leave-two-out tasks where N >= 3.
    [(TWO, 88, 88), (THREE, 132, 250), (SIX, 264, 250)],
)
def test_pinned_counts(tid, uncapped, default):
    t = task(tid)
    assert len(ttt_pseudo_tasks(t, NO_CAP, task_rng(0, tid))) == uncapped
    pts = ttt_pseudo_tasks(t, TTTDataConfig(), task_rng(0, tid))
    assert len(pts) == default
    n = len(t.train)
    demos = set(t.train)
    for pt in pts:
        assert isinstance(pt, PseudoTask) and pt.query.output is not None
        assert len(pt.examples) in (n - 1, n - 2)
        assert all(max(len(g), len(g[0])) <= 30 for ex in (*pt.examples, pt.query) for g in (ex.input, ex.output))
        if pt.recipe in {f"loo{i}" for i in range(n)}:
            assert pt.query in demos and set(pt.examples) <= demos
    keys = [(pt.examples, pt.query) for pt in pts]
    assert len(set(keys)) == len(keys)  # duplicates removed


def test_leave_one_out_structure():
    t = task(THREE)
    loo = leave_one_out_tasks(t)
    assert [pt.recipe for pt in loo] == ["loo0", "loo1", "loo2"]
    for i, pt in enumerate(loo):
        assert pt.query == t.train[i] and pt.examples == tuple(e for k, e in enumerate(t.train) if k != i)
    assert len(leave_two_out_tasks(t)) == 6 and leave_two_out_tasks(task(TWO)) == []


def test_single_demonstration_becomes_a_query_without_examples():
    t = task(TWO)
    one = dataclasses.replace(t, train=t.train[:1])
    pts = ttt_pseudo_tasks(one, TTTDataConfig(), task_rng(0, t.id))
    assert pts and all(pt.examples == () for pt in pts)
    assert pts[0] == PseudoTask((), t.train[0], "loo0")


def test_cap_is_a_deterministic_subsample_in_order():
    t = task(SIX)
    full = ttt_pseudo_tasks(t, NO_CAP, task_rng(1, t.id))
    capped = ttt_pseudo_tasks(t, dataclasses.replace(NO_CAP, max_tasks=20), task_rng(1, t.id))
    assert len(capped) == 20
    pos = [full.index(pt) for pt in capped]
    assert pos == sorted(pos)
    assert capped == ttt_pseudo_tasks(t, dataclasses.replace(NO_CAP, max_tasks=20), task_rng(1, t.id))
    assert capped != ttt_pseudo_tasks(t, dataclasses.replace(NO_CAP, max_tasks=20), task_rng(2, t.id))


def test_leave_two_out_fill():
    t = task(THREE)
    filled = ttt_pseudo_tasks(t, TTTDataConfig(), task_rng(0, t.id))
    plain = ttt_pseudo_tasks(t, TTTDataConfig(leave_two_out_fill=False), task_rng(0, t.id))
    assert len(plain) == 132 and filled[:132] == plain
    extra = filled[132:]
    assert len(extra) == 250 - 132 and all(pt.recipe.startswith("l2o") and len(pt.examples) == 1 for pt in extra)
    assert not any(pt.recipe.startswith("l2o") for pt in plain)


def test_ablation_switches():
    t = task(TWO)
    no_tf = ttt_pseudo_tasks(t, TTTDataConfig(use_transforms=False), task_rng(0, t.id))
    assert len(no_tf) == 4 and all("rot" not in pt.recipe for pt in no_tf)
    bare = ttt_pseudo_tasks(t, TTTDataConfig(use_transforms=False, permuted_copy=False), task_rng(0, t.id))
    assert bare == leave_one_out_tasks(t)
    bg = ttt_pseudo_tasks(t, TTTDataConfig(use_transforms=False), task_rng(3, t.id))
    assert all("colors=0" in pt.recipe for pt in bg if "colors=" in pt.recipe)


def test_config_is_validated():
    with pytest.raises(ValueError):
        TTTDataConfig(max_tasks=0)
    with pytest.raises(ValueError):
        TTTDataConfig(use_transforms="yes")
    with pytest.raises(ValueError):
        TTTDataConfig(max_tasks=True)


def test_augmentations_drop_oversized_and_shift_is_never_identity():
    big = PseudoTask((Example(((1,) * 20,) * 20, ((2,) * 20,) * 20),), Example(((3,) * 20,) * 20, ((4,) * 20,) * 20), "x")
    rng = np.random.default_rng(0)
    assert augment(big, "upscale_2", rng) is None and augment(big, "mirror_right", rng) is None
    assert augment(big, "rot90", rng) is not None
    # A cyclic roll by (dy, dx) in 0..3, not both 0; on a 5x5 grid with one marked cell it always moves it.
    dot = tuple(tuple(int(r == c == 0) for c in range(5)) for r in range(5))
    small = PseudoTask((Example(dot, dot),), Example(dot, ((7, 8), (9, 0))), "q")
    for _ in range(30):
        shifted = augment(small, "shift", rng)
        dy, dx = map(int, shifted.recipe.split("shift=")[1].split(","))
        want = tuple(map(tuple, np.roll(np.array(dot), (dy, dx), axis=(0, 1)).tolist()))
        assert shifted.query.input == shifted.examples[0].input == shifted.examples[0].output == want != dot


def test_test_outputs_are_never_read():
    t = task(SIX)
    hidden = dataclasses.replace(t, test=tuple(Example(e.input, None) for e in t.test))
    poisoned = dataclasses.replace(t, test=tuple(Example(e.input, ((9,),)) for e in t.test))
    other_input = dataclasses.replace(t, test=(Example(((5, 5),), ((1,),)),))
    results = [digest(ttt_pseudo_tasks(x, TTTDataConfig(), task_rng(0, t.id))) for x in (t, hidden, poisoned, other_input)]
    assert len(set(results)) == 1


_SCRIPT = """
import hashlib
from arc import load_dataset
from arc.seeds import task_rng
from ttt.data import TTTDataConfig, ttt_pseudo_tasks
tasks = load_dataset("arc1-train")
h = hashlib.sha256()
for tid in {ids!r}:
    for pt in ttt_pseudo_tasks(tasks[tid], TTTDataConfig(), task_rng(7, tid)):
        h.update(repr((pt.examples, pt.query, pt.recipe)).encode())
print(h.hexdigest())
"""


def test_deterministic_across_processes_and_hash_seeds():
    ids = [TWO, THREE, SIX]
    outs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", _SCRIPT.format(ids=ids)], cwd=REPO, env=env,
                             capture_output=True, text=True, check=True)
        outs.append(res.stdout.strip())
    h = hashlib.sha256()
    for tid in ids:
        for pt in ttt_pseudo_tasks(task(tid), TTTDataConfig(), task_rng(7, tid)):
            h.update(repr((pt.examples, pt.query, pt.recipe)).encode())
    assert outs[0] == outs[1] == h.hexdigest()


def test_task_rng_is_stable():
    a, b = task_rng(3, "abc").integers(0, 1 << 30, 4), task_rng(3, "abc").integers(0, 1 << 30, 4)
    assert (a == b).all() and not (a == task_rng(3, "abd").integers(0, 1 << 30, 4)).all()


def test_filter_by_length_measures_rendered_training_text():
    tok, f = build_compact_tokenizer(), make_formatter("compact")
    pts = ttt_pseudo_tasks(task(THREE), TTTDataConfig(max_tasks=60), task_rng(0, THREE))
    lengths = [len(tok(f.render_train(pt.examples, pt.query).text)["input_ids"]) for pt in pts]
    budget = int(np.median(lengths))
    kept = filter_by_length(pts, f, tok, budget)
    assert kept == [pt for pt, n in zip(pts, lengths) if n <= budget]
    assert 0 < len(kept) < len(pts)


def test_works_on_a_task_built_in_memory():
    t = Task("tiny", (Example(((1, 0),), ((0, 1),)), Example(((2, 0),), ((0, 2),)), Example(((3, 3),), ((3, 3),))), ())
    pts = ttt_pseudo_tasks(t, TTTDataConfig(max_tasks=40), task_rng(0, "tiny"))
    assert len(pts) == 40

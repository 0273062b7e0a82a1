"""Inference views: symmetries x demonstration orders, identity first, names parse back, invertible."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from arc import load_dataset
from arc.views import parse_view
from ttt.views import INFERENCE_SYMMETRIES, inference_views
from ttt.vote import hierarchical_vote

TID = "239be575"  # 6 demonstrations


@pytest.fixture(scope="module")
def task():
    return load_dataset("arc1-train")[TID]


def test_each_symmetry_with_two_orders(task):
    views = inference_views(task, np.random.default_rng(0))
    assert len(views) == 14 and views[0].is_identity
    assert [v.symmetry for v in views] == [s for s in INFERENCE_SYMMETRIES for _ in range(2)]
    assert len({v.name for v in views}) == 14
    assert all(parse_view(v.name) == v for v in views)
    assert all(v.colors is None for v in views)


def test_deterministic_for_a_generator(task):
    a = [v.name for v in inference_views(task, np.random.default_rng(5))]
    assert a == [v.name for v in inference_views(task, np.random.default_rng(5))]
    assert a != [v.name for v in inference_views(task, np.random.default_rng(6))]


def test_few_demonstrations_limit_orders(task):
    one = dataclasses.replace(task, train=task.train[:1])
    views = inference_views(one, np.random.default_rng(0), n_orders=3)
    assert [v.name for v in views] == list(INFERENCE_SYMMETRIES)  # one demo: one order per symmetry
    two = dataclasses.replace(task, train=task.train[:2])
    views = inference_views(two, np.random.default_rng(0), n_orders=5, symmetries=("identity", "rot90"))
    assert [v.name for v in views][:2] == ["identity", "order=1,0"] and len(views) == 4
    with pytest.raises(ValueError):
        inference_views(task, np.random.default_rng(0), n_orders=0)


def test_views_map_back_and_vote_to_the_answer(task):
    # An oracle "model" that answers correctly in every view: mapped back, all votes agree.
    answer = task.test[0].output
    cands = []
    for view in inference_views(task, np.random.default_rng(0)):
        shown = view.apply_task(task)
        assert [shown.train[i] for i in range(len(task.train))] == [
            type(e)(view.apply(e.input), view.apply(e.output)) for e in (task.train[j] for j in (view.order or range(len(task.train))))
        ]
        cands.append((view.invert(shown.test[0].output), view.name))
    assert hierarchical_vote(cands) == [answer]

"""Hierarchical voting: ties, singletons, fill-ins, identity tie-break, input-order independence."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ttt.vote import flat_vote, hierarchical_vote, stage_one, vote_group

A = ((1, 1), (2, 2))
B = ((3, 3), (4, 4))
C = ((3, 3), (5, 5))
D = ((6, 6), (2, 2))
MIX = ((3, 3), (2, 2))  # row 0 of B/C, row 1 of A/D
SMALL = ((0,),)


def test_empty_and_single_prediction():
    assert hierarchical_vote([]) == [] and flat_vote([]) == []
    assert hierarchical_vote([(A, "identity")]) == [A]
    assert hierarchical_vote([(None, "identity"), ([[1, 10]], "rot90"), (A, "rot90")]) == [A]


def test_accepts_lists_tuples_numpy_and_returns_tuples():
    out = hierarchical_vote([(np.array(A), "identity"), ([list(r) for r in A], "rot90"), (B, "flip_lr")])
    assert out == [A, B] and all(isinstance(g, tuple) and isinstance(g[0], tuple) for g in out)
    assert isinstance(out[0][0][0], int)


def test_orders_of_one_view_form_one_group():
    assert vote_group("rot90+order=1,0,2") == vote_group("rot90") == "rot90"
    assert vote_group("order=1,0") == vote_group("identity") == "identity"
    assert vote_group("rot90+colors=0213456789+order=1,0") == "rot90+colors=0213456789"


def test_singleton_views_give_one_nomination_not_three():
    # Reference bug: a view with one prediction nominated it three times (itself + two fill-ins equal to it).
    # Here X from 1 view must lose to Y predicted under 2 views, even though X is the identity view's answer.
    cands = [(A, "identity"), (B, "rot90"), (B, "flip_lr")]
    assert hierarchical_vote(cands) == [B, A]
    picks = stage_one({"identity": Counter({A: 1})}, Counter({A: 1}))
    assert picks == {"identity": [A]}


def test_identity_count_breaks_ties():
    cands = [(B, "rot90"), (A, "identity"), (C, "flip_ud")]
    assert hierarchical_vote(cands) == [A, B]  # all one nomination; A is the identity view's
    cands = [(B, "rot90"), (C, "flip_ud")]
    assert hierarchical_vote(cands) == [B, C]  # then support (equal), then fixed order: B < C row-wise


def test_support_breaks_ties_after_identity():
    cands = [(B, "rot90"), (C, "flip_ud"), (C, "flip_ud+order=1,0")]
    assert hierarchical_vote(cands) == [C, B]


def test_tied_runner_up_is_kept():
    # Three grids with equal nominations: two are returned, deterministically, none vanishes for being tied.
    cands = [(B, "rot90"), (C, "flip_lr"), (SMALL, "transpose"), (B, "rot180"), (C, "rot270")]
    assert hierarchical_vote(cands) == [B, C]
    assert hierarchical_vote(cands[::-1]) == [B, C]


def test_top_three_per_view_then_global():
    # View "rot90" sees 4 distinct predictions: only its top 3 (by count, then fixed order) are nominated.
    E = ((9, 9), (9, 9))
    cands = [(A, "rot90")] * 3 + [(B, "rot90")] * 2 + [(C, "rot90"), (E, "rot90"), (E, "flip_lr"), (E, "flip_ud")]
    picks = stage_one({"rot90": Counter({A: 3, B: 2, C: 1, E: 1})}, Counter())
    assert picks["rot90"] == [A, B, C]
    # E: nominated by flip_lr and flip_ud (2), not by rot90; A: 1 nomination with support 3.
    assert hierarchical_vote(cands) == [E, A]


def test_fill_ins_use_row_majority_and_are_never_duplicates():
    # View "a" has two disagreeing predictions of one shape; the other view supports row 0 of B and
    # row 1 of A, so the row-wise majority of "a" is a new grid. The column-wise one equals A: skipped.
    groups = {"a": Counter({A: 1, B: 1}), "b": Counter({C: 1, D: 1})}
    picks = stage_one(groups, Counter())
    assert picks["a"] == [A, B, MIX] and picks["b"] == [C, D, MIX]
    assert hierarchical_vote([(A, "a"), (B, "a"), (C, "b"), (D, "b")]) == [MIX, A]


def test_no_fill_when_shapes_differ_or_predictions_agree():
    picks = stage_one({"a": Counter({A: 1, SMALL: 1})}, Counter())
    assert picks["a"] == [SMALL, A]
    assert stage_one({"a": Counter({A: 5})}, Counter())["a"] == [A]


def test_flat_vote():
    cands = [(A, "identity"), (B, "rot90"), (B, "rot90+order=1,0"), (C, "flip_lr")]
    assert flat_vote(cands) == [B, A]
    assert flat_vote([(C, "rot90"), (A, "identity")]) == [A, C]


grid_pool = [A, B, C, D, SMALL, ((7,),), ((1, 2, 3),)]
views = ["identity", "order=1,0", "rot90", "rot90+order=1,0", "flip_lr", "transpose"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(grid_pool), st.sampled_from(views)), max_size=20), st.randoms())
def test_result_independent_of_candidate_order(cands, rnd):
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    out = hierarchical_vote(cands)
    assert out == hierarchical_vote(shuffled) and flat_vote(cands) == flat_vote(shuffled)
    assert len(out) == len(set(out)) <= 2
    assert (len(out) == 0) == (len(cands) == 0)
    if len({g for g, _ in cands}) >= 2:
        assert len(out) == 2


def test_views_vote_as_values_and_by_name_alike():
    from arc.views import View

    rot_a, rot_b = View("rot90", order=(1, 0)), View("rot90", order=(0, 1))
    assert vote_group(rot_a) == vote_group(rot_b) == vote_group(rot_a.name) == "rot90"
    assert vote_group(View("identity", order=(1, 0))) == "identity"
    assert vote_group("my-label") == "my-label"  # a caller's own label is a group of its own
    by_value = [(A, rot_a), (A, rot_b), (B, View("flip_lr")), (B, View("identity", order=(1, 0)))]
    by_name = [(g, v.name) for g, v in by_value]
    assert hierarchical_vote(by_value) == hierarchical_vote(by_name)

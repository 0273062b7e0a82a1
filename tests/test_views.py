import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arc.task import Example, Task
from arc.transforms import TRAINING_TRANSFORMS, mirror_concat, tile, upscale
from arc.views import (
    IDENTITY,
    SYMMETRY_NAMES,
    View,
    compose_symmetries,
    inverse_symmetry,
    parse_view,
    random_colors,
    random_order,
)
from tests.strategies import colour_perms, grids

symmetry = st.sampled_from(SYMMETRY_NAMES)
orders = st.integers(1, 7).flatmap(lambda n: st.permutations(list(range(n)))).map(tuple)


@st.composite
def views(draw, n_demos=None):
    colors = draw(st.none() | colour_perms)
    if n_demos is None:
        order = draw(st.none() | orders)
    else:
        order = draw(st.none() | st.permutations(list(range(n_demos))).map(tuple))
    return View(draw(symmetry), colors, order)


@given(views(), grids())
def test_view_round_trips_on_grids(view, grid):
    assert view.invert(view.apply(grid)) == grid
    assert view.apply(view.invert(grid)) == grid


@given(views())
def test_view_name_parses_back(view):
    assert parse_view(view.name) == view
    assert parse_view(view.name).name == view.name


@given(symmetry, symmetry, grids(max_side=8))
def test_symmetries_closed_under_composition(a, b, grid):
    c = compose_symmetries(a, b)
    assert c in SYMMETRY_NAMES
    assert View(c).apply(grid) == View(b).apply(View(a).apply(grid))


def test_group_axioms():
    for a in SYMMETRY_NAMES:
        assert compose_symmetries(a, "identity") == a == compose_symmetries("identity", a)
        assert compose_symmetries(a, inverse_symmetry(a)) == "identity"
        assert inverse_symmetry(a) in SYMMETRY_NAMES
        for b in SYMMETRY_NAMES:
            for c in SYMMETRY_NAMES:
                assert compose_symmetries(compose_symmetries(a, b), c) == compose_symmetries(a, compose_symmetries(b, c))
    # the 8 symmetries are distinct on an asymmetric grid
    g = ((0, 1, 2), (3, 4, 5))
    assert len({View(s).apply(g) for s in SYMMETRY_NAMES}) == 8
    # D4 is not abelian
    assert compose_symmetries("rot90", "flip_lr") != compose_symmetries("flip_lr", "rot90")


@given(views(n_demos=4), views(n_demos=4), grids(max_side=6))
def test_view_composition_matches_sequential_application(a, b, grid):
    assert a.then(b).apply(grid) == b.apply(a.apply(grid))
    assert a.then(a.inverse()).is_identity


@settings(max_examples=50)
@given(views(n_demos=3), st.lists(grids(max_side=5), min_size=8, max_size=8))
def test_view_round_trips_on_tasks(view, gs):
    task = Task("t", tuple(Example(gs[i], gs[i + 1]) for i in (0, 2, 4)), (Example(gs[6], gs[7]), Example(gs[6])))
    moved = view.apply_task(task)
    assert view.inverse().apply_task(moved) == task
    if view.order is not None:
        assert moved.train[0].input == view.apply(task.train[view.order[0]].input)
    assert moved.test[1].output is None


def test_named_symmetries_do_what_they_say():
    g = ((1, 2), (3, 4))
    assert View("rot90").apply(g) == ((3, 1), (4, 2))  # clockwise
    assert View("rot270").apply(g) == ((2, 4), (1, 3))
    assert View("flip_lr").apply(g) == ((2, 1), (4, 3))
    assert View("flip_ud").apply(g) == ((3, 4), (1, 2))
    assert View("transpose").apply(g) == ((1, 3), (2, 4))
    assert View("anti_transpose").apply(g) == ((4, 2), (3, 1))
    assert View(colors=(0, 2, 1, 3, 4, 5, 6, 7, 8, 9)).apply(g) == ((2, 1), (3, 4))


@pytest.mark.parametrize(
    "bad",
    ["rot45", "colors=123", "colors=0123456789x", "order=1,a", "rot90+flip", "", "order=0,0"],
)
def test_bad_view_names_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_view(bad)


def test_trivial_parts_normalise_to_identity():
    assert View("identity", tuple(range(10)), (0, 1, 2)) == IDENTITY
    assert IDENTITY.name == "identity" and parse_view("identity") is IDENTITY


def test_order_length_mismatch_is_an_error():
    task = Task("t", (Example(((1,),), ((1,),)),) * 2, (Example(((1,),)),))
    with pytest.raises(ValueError, match="orders 3 demonstrations"):
        View(order=(2, 1, 0)).apply_task(task)


def test_random_helpers_are_seeded_and_keep_background():
    a = random_colors(np.random.default_rng(1))
    assert a == random_colors(np.random.default_rng(1)) and a[0] == 0 and sorted(a) == list(range(10))
    assert sorted(random_colors(np.random.default_rng(2), keep_background=False)) == list(range(10))
    assert sorted(random_order(np.random.default_rng(3), 5)) == [0, 1, 2, 3, 4]


def test_training_transforms():
    g = ((1, 2), (3, 4))
    assert upscale(g, 2, 1) == ((1, 2), (1, 2), (3, 4), (3, 4))
    assert tile(g, 1, 2) == ((1, 2, 1, 2), (3, 4, 3, 4))
    assert mirror_concat(g, "right") == ((1, 2, 2, 1), (3, 4, 4, 3))
    assert mirror_concat(g, "up") == ((3, 4), (1, 2), (1, 2), (3, 4))
    wide = tuple(tuple(range(10)) + tuple(range(6)) for _ in range(3))  # 3x16
    assert upscale(wide, 1, 2) is None and tile(wide, 1, 2) is None and mirror_concat(wide, "left") is None
    assert all(f(g) is not None for f in TRAINING_TRANSFORMS.values())

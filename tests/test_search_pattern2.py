"""Pattern families widened (round 35): a grid's square or diamond rings (about the middle of
its drawing, or a side or corner of the grid it touches) carried on periodically (``continue_layers``, family "layers"), and self-similar tiling whose blocks hold the
tile's cells of their own cell's colour or the tile painted in it (``self_tile(content=...)``), on
real ARC tasks (ARC-AGI-1 training, and ARC-AGI-2 training tasks in neither ARC-AGI-1 set); every
program they emit runs in the sandbox as it ran in-process."""

import numpy as np
import pytest

from arc.data import load_dataset
from dsl.completion import continue_layers
from dsl.grids import self_tile
from search.families import object_programs
from tests.search_checks import assert_reruns

# (dataset, task id, family, what its program must call)
CASES = [
    ("arc1-train", "5c2c9af4", "layers", "layers='rings'"),  # square rings about the middle point, spaced as its neighbours
    ("arc1-train", "539a4f51", "layers", "layers='rings', background=0, ky=2, kx=2"),  # nested Ls from the corner, past the edge
    ("arc2-train", "973e499e", "self-tile", "content='own'"),  # each block the tile's cells of its own cell's colour
]


@pytest.fixture(scope="module")
def datasets():
    return {name: load_dataset(name) for name in ("arc1-train", "arc2-train")}


def _found(task, family):
    return object_programs(task, families=(family,), budget=1_000_000)


@pytest.mark.parametrize("dataset,task_id,family,call", CASES)
def test_families_solve_tasks_through_the_sandbox(datasets, dataset, task_id, family, call):
    task = datasets[dataset][task_id]
    found = _found(task, family)
    assert found, f"{family} found nothing for {task_id}"
    program, outputs = found[0]
    assert call in program.source, program.description
    assert outputs == tuple(ex.output for ex in task.test), (task_id, program.description)
    assert_reruns(program.source, task, outputs, timeout_s=20.0, label=task_id)


def test_layers_do_not_fire_where_they_do_not_fit(datasets):
    # A pattern carried on by its 2-D period (not by layers), a grid tiled by itself, stripes
    # repaired by their period: none is a sequence of rings or diamonds.
    arc1 = datasets["arc1-train"]
    for task_id in ("53b68214", "007bbfb7", "e26a3af2", "a416b8f3"):
        assert not _found(arc1[task_id], "layers"), task_id
    # The tiling with blocks of their own colour does not fire on a plain self-tiling.
    assert not _found(arc1["007bbfb7"], "self-tile")


def test_continue_layers_rings_and_diamonds():
    g = np.zeros((9, 9), dtype=int)
    g[2, 2], g[4, 4], g[6, 6] = 3, 3, 3  # the centre and two points two rings out: every second ring
    rings = continue_layers(g, "rings", 0)
    assert rings[0].tolist() == [3] * 9 and rings[1].tolist() == [3, 0, 0, 0, 0, 0, 0, 0, 3]
    assert rings[4].tolist() == [3, 0, 3, 0, 3, 0, 3, 0, 3]
    d = np.zeros((5, 5), dtype=int)
    d[2, 2], d[2, 3] = 1, 2  # the centre of this box lies between two cells: no square rings
    assert continue_layers(d, "rings", 0) is None
    d = np.zeros((5, 5), dtype=int)
    d[2, 2], d[1, 2] = 1, 2
    d[3, 2] = 2
    diamonds = continue_layers(d, "diamonds", 0)
    assert diamonds[2].tolist() == [1, 2, 1, 2, 1] and diamonds[0].tolist() == [1, 2, 1, 2, 1]
    s = np.array([[1, 2, 0], [2, 2, 0], [0, 0, 0]])
    # rings about the corner the drawing touches (nested Ls), not about its middle
    assert continue_layers(s, "rings", 0, ky=2, kx=2)[4].tolist() == [1, 1, 1, 1, 1, 2]
    # rings about the middle of the top side the drawing touches: nested U shapes, the next one below
    u = np.zeros((5, 7), dtype=int)
    u[0, 3] = 6
    u[0:3, 1] = u[0:3, 5] = u[2, 1:6] = 6
    assert continue_layers(u, "rings", 0)[:3].tolist() == u[:3].tolist()
    assert continue_layers(u, "rings", 0)[4].tolist() == [6] * 7
    bad = np.array([[1, 2, 0], [3, 2, 0], [0, 0, 0]])  # an L of two colours
    assert continue_layers(bad, "rings", 0) is None


def test_self_tile_content_own_and_paint():
    g = np.array([[1, 2], [2, 0]])
    own = self_tile(g, background=0, content="own")
    assert own[:2, :2].tolist() == [[1, 0], [0, 0]] and own[:2, 2:].tolist() == [[0, 2], [2, 0]]
    assert own[2:, 2:].tolist() == [[0, 0], [0, 0]]  # a background cell holds no copy
    paint = self_tile(g, background=0, content="paint")
    assert paint[:2, :2].tolist() == [[1, 1], [1, 0]] and paint[2:, :2].tolist() == [[2, 2], [2, 0]]
    assert self_tile(g, background=0).tolist() == self_tile(g, background=0, content="copy").tolist()

"""Pattern families (search/families/pattern.py): masked cells restored from any symmetry or lattice
the visible cells confirm, and self-similar tiling, on real ARC-AGI-1 training tasks; every program
they emit runs in the sandbox as it ran in-process."""

import numpy as np

from dsl.completion import complete_periodic, complete_symmetry, symmetry_patch
from dsl.grids import continue_pattern
from dsl.pieces import fit_pieces
from search.families import object_programs
from search.budget import WorkBudget
from search.problem import Problem

# (task id, family, what its program must call)
CASES = [
    ("9ecd008a", "inpaint", 'symmetry_patch(grid, mask_color=0, symmetries="all")'),  # what lies under the patch
    ("b8825c91", "inpaint", 'complete_symmetry(grid, mask_color=4, symmetries="all")'),  # yellow occluders
    ("484b58aa", "inpaint", "complete_periodic(grid, mask_color=0, shear=True)"),  # a staggered tiling repaired
    ("8f2ea7aa", "self-tile", "self_tile(grid, background=0, invert=False)"),  # the cropped drawing tiled by itself
    ("cce03e0d", "self-tile", "key=2"),  # copies where the red cells are
    ("681b3aeb", "pieces", "fit_pieces(grid, background=0"),  # two objects fitted together into a square
    ("53b68214", "continue", "rows=10, cols=10, drift=True"),  # a staircase carried on down to 10x10
    ("e26a3af2", "inpaint", "complete_periodic(grid, mask_color=None)"),  # stripes cleared of noise
    ("3345333e", "inpaint", "mask_color='block'"),  # an occluder of another colour in each demonstration
]


def _found(task, family):
    return [(p, o) for p, o in object_programs(task, families=(family,), budget=3_000_000)]


def test_families_solve_tasks_through_the_sandbox(arc1_train):
    from synth import sandbox

    for task_id, family, call in CASES:
        task = arc1_train[task_id]
        found = _found(task, family)
        assert found, f"{family} found nothing for {task_id}"
        program, outputs = found[0]
        assert call in program.source, program.description
        assert outputs == tuple(ex.output for ex in task.test), (task_id, program.description)
        inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
        results = sandbox.run_program(program.source, inputs, timeout_s=20.0)
        assert [r.status for r in results] == ["ok"] * len(inputs), (task_id, [r.message for r in results])
        assert [r.grid for r in results] == [ex.output for ex in task.train] + list(outputs), task_id


def test_families_do_not_fire_where_they_do_not_fit(arc1_train):
    # Each family fires on its own task, and not on: the whole input tiled by itself (a plain
    # step, no crop), a drawing made symmetric (no mask colour hides anything), a turned grid.
    assert _found(arc1_train["8f2ea7aa"], "self-tile") and _found(arc1_train["9ecd008a"], "inpaint")
    for task_id in ("007bbfb7", "e40b9e2f", "6150a2bd"):
        task = arc1_train[task_id]
        assert not _found(task, "self-tile") and not _found(task, "inpaint"), task_id


def _orbit_min(n: int, seed: int, images) -> np.ndarray:
    """A random n x n block of colours 1..4 made invariant under ``images`` (cell -> its images)."""
    a = np.random.RandomState(seed).randint(1, 5, (n, n))
    out = a.copy()
    for r in range(n):
        for c in range(n):
            out[r, c] = min(a[y, x] for y, x in images(r, c, n))
    return out


def test_complete_symmetry_all_finds_an_off_centre_diagonal_and_a_turn():
    # Symmetric under the transpose about the diagonal r - c = 1 only (not the grid's own diagonal).
    g = np.full((8, 9), 7)
    g[1:8, 0:7] = _orbit_min(7, 0, lambda r, c, n: [(r, c), (c, r)])
    broken = g.copy()
    broken[4:6, 1:3] = 0
    assert complete_symmetry(broken, 0) is None  # the mirrors alone cannot restore it
    assert complete_symmetry(broken, 0, "all").tolist() == g.tolist()
    # Invariant under quarter turns about a centre off the grid's middle.
    q = np.full((10, 12), 5)
    q[1:7, 5:11] = _orbit_min(6, 1, lambda r, c, n: [(r, c), (c, n - 1 - r), (n - 1 - r, n - 1 - c), (n - 1 - c, r)])
    hidden = q.copy()
    hidden[1:3, 8:10] = 0
    assert complete_symmetry(hidden, 0) is None
    assert complete_symmetry(hidden, 0, "all").tolist() == q.tolist()
    assert symmetry_patch(hidden, 0, "all").tolist() == q[1:3, 8:10].tolist()


def test_complete_periodic_shear_repairs_a_staggered_tiling():
    # A staggered pattern: period 5 down the rows, and every 4 columns shifted two rows down (no
    # rectangular period short enough to trust fits it).
    rows, cols = np.indices((6, 16))
    tile = np.random.RandomState(2).randint(1, 7, (5, 4))
    g = tile[(rows - 2 * (cols // 4)) % 5, cols % 4]
    broken = g.copy()
    broken[2:4, 5:8] = 0
    assert complete_periodic(broken, 0) is None or complete_periodic(broken, 0).tolist() != g.tolist()
    assert complete_periodic(broken, 0, shear=True).tolist() == g.tolist()


def test_inpaint_charges_its_work():
    import arc

    task = arc.load_dataset("arc1-train")["484b58aa"]
    budget = WorkBudget(50_000_000)
    problem = Problem.of(task, budget)
    from search.families.pattern import inpaint_programs

    assert list(inpaint_programs(problem))
    assert budget.spent > 29 * 29 * 29 * 10  # at least one completion of a 29x29 grid
    starved = Problem.of(task, WorkBudget(1000))
    assert not list(inpaint_programs(starved))


def test_fit_pieces_needs_one_way_to_fit():
    # Two L shapes fill a 2x4 rectangle one way only (a 4x2 one is too narrow for them unturned);
    # two single cells fill a 1x2 or a 2x1 one either way round.
    g = np.zeros((6, 6), dtype=int)
    g[0, 0:3] = 3
    g[1, 0] = 3
    g[3, 5] = 5
    g[4, 3:6] = 5
    assert fit_pieces(g, background=0).tolist() == [[3, 3, 3, 5], [3, 5, 5, 5]]
    two = np.zeros((4, 4), dtype=int)
    two[0, 0], two[3, 3] = 1, 2
    assert fit_pieces(two, background=0) is None


def test_continue_pattern_drifts_down_a_staircase():
    g = np.array([[1, 1, 0, 0, 0, 0],
                  [0, 1, 0, 0, 0, 0],
                  [0, 1, 1, 0, 0, 0],
                  [0, 0, 1, 0, 0, 0]])
    out = continue_pattern(g, rows=6, cols=6, drift=True, background=0)
    assert out[4:].tolist() == [[0, 0, 1, 1, 0, 0], [0, 0, 0, 1, 0, 0]]
    assert continue_pattern(g, ky=1.5, kx=1, drift=True, background=0).tolist() == out.tolist()
    assert continue_pattern(g, rows=6, cols=6).tolist() == np.vstack([g, g[:2]]).tolist()  # its plain period


def test_complete_periodic_without_a_mask_clears_noise():
    rows, cols = np.indices((9, 12))
    g = np.array([3, 3, 5, 1])[cols % 4]  # columns of a 4-column tile
    noisy = g.copy()
    noisy[2, 1], noisy[5, 6], noisy[7, 7] = 8, 9, 3
    assert complete_periodic(noisy, None).tolist() == g.tolist()
    assert complete_periodic(g, None) is None  # nothing to clear

"""dsl.symmetry on real ARC-AGI-1 training grids (task ids cited) and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from dsl.common import (
    Color,
    MirrorSymmetry,
    RotationalSymmetry,
    TranslationalSymmetry,
    detect_mirror_symmetry,
    detect_rotational_symmetry,
    detect_translational_symmetry,
    orbit,
)


def arr(grid):
    return np.array(grid, dtype=int)


def preserves(grid, sym, ignore=(Color.BLACK,)):
    xs, ys = np.nonzero(~np.isin(grid, ignore))
    tx, ty = sym.apply(xs, ys)
    inside = (tx >= 0) & (tx < grid.shape[0]) & (ty >= 0) & (ty < grid.shape[1])
    mapped = grid[tx[inside], ty[inside]]
    return bool(np.all((mapped == grid[xs[inside], ys[inside]]) | np.isin(mapped, ignore)))


def test_translational_symmetry_restores_0dfd9992(arc1_train):
    for ex in arc1_train["0dfd9992"].train:
        grid = arr(ex.input)
        syms = detect_translational_symmetry(grid, ignore_colors=[Color.BLACK])
        assert len(syms) == 2 and all(isinstance(s, TranslationalSymmetry) for s in syms)
        assert all(preserves(grid, s) for s in syms)
        out = grid.copy()
        for x, y in np.argwhere(grid != Color.BLACK):
            for sx, sy in orbit(out, x, y, syms):
                out[sx, sy] = grid[x, y]
        assert out.tolist() == arr(ex.output).tolist()


def test_mirror_symmetry_of_b8825c91_outputs(arc1_train):
    for ex in arc1_train["b8825c91"].train:
        out = arr(ex.output)  # 16x16, symmetric about both centre lines
        syms = detect_mirror_symmetry(out, ignore_colors=[])
        assert syms and all(isinstance(s, MirrorSymmetry) for s in syms)
        assert {(s.mirror_x, s.mirror_y) for s in syms} <= {(7.5, None), (None, 7.5), (7.5, 7.5)}
        assert all(preserves(out, s, ignore=()) for s in syms)


def test_mirror_symmetry_ignores_occluders_b8825c91(arc1_train):
    grid = arr(arc1_train["b8825c91"].train[0].input)  # yellow patches hide part of the picture
    # Without ignoring yellow the centre mirrors conflict; only degenerate edge mirrors remain.
    plain = {(s.mirror_x, s.mirror_y) for s in detect_mirror_symmetry(grid, ignore_colors=[])}
    assert not plain & {(7.5, None), (None, 7.5), (7.5, 7.5)}
    syms = detect_mirror_symmetry(grid, ignore_colors=[Color.YELLOW])
    assert syms and all(preserves(grid, s, ignore=(Color.YELLOW,)) for s in syms)


def test_rotational_symmetry_of_real_grids(arc1_train):
    for tid, k, which in [("2013d3e2", 0, "input"), ("7fe24cdd", 0, "output"), ("46442a0e", 2, "output")]:
        grid = arr(getattr(arc1_train[tid].train[k], which))
        sym = detect_rotational_symmetry(grid, ignore_colors=[Color.BLACK])
        assert isinstance(sym, RotationalSymmetry), tid
        assert preserves(grid, sym), tid
        for x, y in np.argwhere(grid != Color.BLACK):
            points = orbit(grid, x, y, [sym])
            assert len({int(grid[p]) for p in points}) == 1, tid


def test_no_rotational_symmetry_in_a_patterned_grid():
    grid = np.arange(25).reshape(5, 5) % 9 + 1  # every cell coloured, no symmetry
    assert detect_rotational_symmetry(grid) is None
    # Black counts as occluded: an L shape is "a square with a corner hidden".
    corner = np.zeros((5, 5), dtype=int)
    corner[1, 1] = corner[2, 1] = corner[2, 2] = 3
    assert isinstance(detect_rotational_symmetry(corner), RotationalSymmetry)


def test_symmetry_apply_and_inverse():
    rot = RotationalSymmetry(1.5, 1.5)
    assert rot.apply(0, 0) == (0, 3)
    assert rot.apply(*rot.apply(0, 0), iters=3) == (0, 0)
    assert rot.apply(0, 0, iters=4) == (0, 0)
    mirror = MirrorSymmetry(mirror_x=None, mirror_y=2)
    assert mirror.apply(1, 0) == (1, 4) and mirror.apply(1, 0, iters=2) == (1, 0)
    shift = TranslationalSymmetry(translate_x=2, translate_y=-1)
    assert shift.apply(0, 5, iters=3) == (6, 2)
    assert all(isinstance(v, int) for v in rot.apply(0, 0) + mirror.apply(1, 0))


def test_orbit_edge_cases():
    one = np.zeros((1, 1), dtype=int)
    assert orbit(one, 0, 0, []) == [(0, 0)]
    assert orbit(one, 0, 0, [TranslationalSymmetry(0, 1)]) == [(0, 0)]
    big = np.zeros((30, 30), dtype=int)
    points = orbit(big, 0, 0, [TranslationalSymmetry(1, 0), TranslationalSymmetry(0, 1)])
    assert len(points) == 900 and set(points) == {(x, y) for x in range(30) for y in range(30)}
    mirrors = [MirrorSymmetry(14.5, None), MirrorSymmetry(None, 14.5)]
    assert sorted(orbit(big, 0, 0, mirrors)) == [(0, 0), (0, 29), (29, 0), (29, 29)]


@pytest.mark.parametrize("detect", [detect_mirror_symmetry, detect_translational_symmetry])
def test_detectors_on_single_cell_and_blank_grids(detect):
    assert detect(np.zeros((1, 1), dtype=int)) == []
    assert detect(np.zeros((30, 30), dtype=int)) == []
    assert detect_rotational_symmetry(np.zeros((30, 30), dtype=int)) is None

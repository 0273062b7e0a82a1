"""dsl.drawing on real ARC-AGI-1 training grids (task ids cited) and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from dsl.common import (
    Color,
    blit,
    blit_object,
    blit_sprite,
    collision,
    contact,
    draw_line,
    find_connected_components,
    flood_fill,
    scale_pattern,
    scale_sprite,
    translate,
)


def arr(grid):
    return np.array(grid, dtype=int)


def test_blit_sprite_builds_007bbfb7(arc1_train):
    for ex in arc1_train["007bbfb7"].train:
        grid = arr(ex.input)
        out = np.zeros((9, 9), dtype=int)
        for x, y in np.argwhere(grid != 0):
            assert blit_sprite(out, grid, x=3 * x, y=3 * y) is out  # in place, returns the grid
        assert out.tolist() == arr(ex.output).tolist()


def test_blit_clips_and_keeps_background_transparent():
    grid = np.full((3, 3), Color.GREY)
    sprite = np.array([[1, 0], [0, 2]])
    blit_sprite(grid, sprite, x=-1, y=-1)  # only sprite[1, 1] lands on the grid
    assert grid.tolist() == [[2, 5, 5], [5, 5, 5], [5, 5, 5]]
    blit_sprite(grid, sprite, x=2, y=2)
    assert grid[2, 2] == 1
    blit_sprite(grid, sprite, x=10, y=10)  # entirely off the grid: nothing happens
    blit(grid, sprite, x=0, y=1)  # no background: black pixels are copied too
    assert grid[0, 1:].tolist() == [1, 0] and grid[1, 1:].tolist() == [0, 2]


def test_blit_object_redraws_components_of_3aa6fb7a(arc1_train):
    grid = arr(arc1_train["3aa6fb7a"].train[0].input)
    out = np.zeros_like(grid)
    for obj in find_connected_components(grid):
        blit_object(out, obj)
    assert np.array_equal(out, grid)


def test_translate_25ff71a9(arc1_train):
    for ex in arc1_train["25ff71a9"].train:
        grid = arr(ex.input)
        assert translate(grid, 1, 0).tolist() == arr(ex.output).tolist()
        assert np.array_equal(grid, arr(ex.input))  # a new array, input untouched
    full = np.full((30, 30), 4)
    moved = translate(full, x=-29, y=29, background=Color.BLACK)
    assert moved.sum() == 4 and moved[0, 29] == 4
    assert translate(np.array([[7]]), 1, 0).tolist() == [[0]]


def test_flood_fill_exterior_of_00d62c1b(arc1_train):
    for ex in arc1_train["00d62c1b"].train:
        grid, out = arr(ex.input), arr(ex.output)
        filled = grid.copy()
        n, m = grid.shape
        border = [(x, y) for x in range(n) for y in range(m) if x in (0, n - 1) or y in (0, m - 1)]
        for x, y in border:
            if filled[x, y] == Color.BLACK:
                assert flood_fill(filled, x, y, Color.BLUE) is None  # in place, like BARC
        assert np.array_equal(filled == Color.BLACK, out == Color.YELLOW)


def test_flood_fill_30x30_and_connectivity():
    grid = np.zeros((30, 30), dtype=int)
    flood_fill(grid, 29, 29, Color.RED)  # 900 cells: iterative, no recursion limit
    assert (grid == Color.RED).all()
    wall = np.where(np.eye(5, dtype=bool)[::-1], Color.BLUE, Color.BLACK)  # anti-diagonal wall
    four, eight = wall.copy(), wall.copy()
    flood_fill(four, 0, 0, Color.GREEN, connectivity=4)
    flood_fill(eight, 0, 0, Color.GREEN, connectivity=8)
    assert (four == Color.GREEN).sum() == 10 and (eight == Color.GREEN).sum() == 20
    same = np.array([[3]])
    flood_fill(same, 0, 0, 3)
    assert same.tolist() == [[3]]


def test_draw_line_diagonals_of_5c0a986e(arc1_train):
    ex = arc1_train["5c0a986e"].train[0]
    grid = arr(ex.input)  # blue square at (2..3, 2..3), red square at (6..7, 4..5)
    assert draw_line(grid, 1, 1, direction=(-1, -1), color=Color.BLUE) == (0, 0)
    assert draw_line(grid, 8, 6, direction=(1, 1), color=Color.RED) == (9, 7)
    assert grid.tolist() == arr(ex.output).tolist()


def test_draw_line_endpoints_stop_colours_and_edges(arc1_train):
    grid = np.zeros((30, 30), dtype=int)
    assert draw_line(grid, 0, 0, end_x=2, end_y=2, color=Color.BLUE) == (2, 2)
    assert grid.sum() == 3
    grid[5, 10] = Color.GREY
    assert draw_line(grid, 5, 0, direction=(0, 1), color=Color.RED, stop_at_color=[Color.GREY]) == (5, 9)
    assert draw_line(grid, 6, 0, direction=(0, 1), color=Color.RED) == (6, 29)  # length None: to the edge
    assert draw_line(grid, -3, 0, length=5, direction=(1, 0), color=Color.GREEN) == (1, 0)  # off-grid start
    one = np.zeros((1, 1), dtype=int)
    assert draw_line(one, 0, 0, direction=(1, 1), color=Color.TEAL) == (0, 0) and one[0, 0] == Color.TEAL
    frame = arr(arc1_train["6f8cd79b"].train[0].input)
    n, m = frame.shape
    draw_line(frame, 0, 0, end_x=0, end_y=m - 1, color=Color.TEAL)
    draw_line(frame, n - 1, 0, end_x=n - 1, end_y=m - 1, color=Color.TEAL)
    draw_line(frame, 0, 0, end_x=n - 1, end_y=0, color=Color.TEAL)
    draw_line(frame, 0, m - 1, end_x=n - 1, end_y=m - 1, color=Color.TEAL)
    assert frame.tolist() == arr(arc1_train["6f8cd79b"].train[0].output).tolist()
    with pytest.raises(ValueError):
        draw_line(grid, 0, 0, color=Color.RED)  # neither an end point nor a direction
    with pytest.raises(ValueError):
        draw_line(grid, 0, 0, end_x=1, color=Color.RED)


def test_scale_sprite_c59eb873_and_9172f3a0(arc1_train):
    for tid, factor in [("c59eb873", 2), ("9172f3a0", 3)]:
        for ex in arc1_train[tid].train:
            assert scale_sprite(arr(ex.input), factor).tolist() == arr(ex.output).tolist()
    assert scale_pattern(np.array([[4]]), 30).shape == (30, 30)


def test_collision_and_contact_of_3aa6fb7a(arc1_train):
    grid = arr(arc1_train["3aa6fb7a"].train[0].input)
    a, b = find_connected_components(grid)  # teal Ls at rows 1-2 and rows 3-4
    assert not collision(object1=a, object2=b)
    assert not contact(object1=a, object2=b, connectivity=4)
    assert contact(object1=a, object2=b, connectivity=8) == bool(np.any(np.abs(
        np.argwhere(a)[:, None, :] - np.argwhere(b)[None, :, :]).max(axis=2) <= 1))
    assert contact(object1=a, object2=b, x2=0, y2=-3)  # slide b left until it meets a
    assert collision(object1=a, object2=a, x2=0, y2=0)
    sprite = np.full((2, 2), Color.RED)
    assert collision(object1=grid, object2=sprite, x2=1, y2=1)
    assert not collision(object1=grid, object2=sprite, x2=5, y2=0)
    assert not contact(object1=grid, object2=sprite, x2=5, y2=3, connectivity=4)
    assert contact(object1=grid, object2=sprite, x2=5, y2=3, connectivity=8)
    assert contact(object1=grid, object2=sprite, x2=5, y2=4)  # touches the L at (4, 5) from below
    with pytest.raises(ValueError):
        collision(a, b)  # positional objects are a mistake BARC's signature also rejects

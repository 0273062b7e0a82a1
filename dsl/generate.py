"""Random helpers for writing input generators: sprites, free locations, scattered points,
spaced indices.

They draw from the global ``random`` and ``np.random`` state, as BARC's do, so a caller (the
sandbox) makes them reproducible by seeding those modules. Every loop is bounded: impossible
requests raise ValueError instead of spinning.
"""

from __future__ import annotations

import random

import numpy as np

from arc.views import symmetry_array
from dsl._masks import dilate, neighbour_offsets
from dsl.color import Color
from dsl.objects import is_contiguous

_MAX_SPRITE_ATTEMPTS = 500

# BARC's sprite symmetries, as the rigid transforms (arc.views) whose images a symmetric sprite keeps.
_SYMMETRY_GROUPS = {
    "not_symmetric": ("identity",),
    "horizontal": ("identity", "flip_ud"),
    "vertical": ("identity", "flip_lr"),
    "mirror": ("identity", "flip_ud", "flip_lr", "rot180"),
    "diagonal": ("identity", "transpose"),
    "anti_diagonal": ("identity", "anti_transpose"),
    "radial": ("identity", "rot90", "rot180", "rot270"),
}


def _choose(dim) -> list[int]:
    if isinstance(dim, (range, list, tuple)):
        return list(dim)
    return [int(dim)]


def _symmetrize(a: np.ndarray, group, background: int) -> np.ndarray:
    # Each cell takes the colour of the first coloured cell (raster order) of its orbit, so the
    # result is exactly symmetric even where the walk left different colours on an orbit.
    n, m = a.shape
    index = np.arange(n * m).reshape(n, m)
    images = np.stack([symmetry_array(name, index) for name in group])
    flat = a.reshape(-1)
    coloured = flat[images] != background
    big = n * m
    chosen = np.where(coloured, images, big).min(axis=0)
    return np.where(chosen < big, flat[np.minimum(chosen, big - 1)], background)


def _walk(n: int, m: int, density: float, palette: list[int], connectivity: int, background: int,
          start: tuple[int, int]) -> np.ndarray:
    grid = np.full((n, m), background, dtype=int)
    moves = neighbour_offsets(connectivity)
    x, y = start
    colour = palette[0]
    target = min(n * m, max(1, int(np.ceil(density * n * m))))
    filled = 0
    for _ in range(100 * n * m + 1000):
        if grid[x, y] == background:
            filled += 1
        grid[x, y] = colour
        if filled >= target:
            break
        if random.random() < 0.33:
            colour = random.choice(palette)
        dx, dy = random.choice(moves)
        if 0 <= x + dx < n and 0 <= y + dy < m:
            x, y = x + dx, y + dy
    return grid


def random_sprite(n: int | list[int] | range, m: int | list[int] | range, density: float = 0.5,
                  symmetry: str | None = None, color_palette: list[int] | None = None,
                  connectivity: int = 4, background: int = Color.BLACK) -> np.ndarray:
    """A random connected sprite of shape (n, m) touching all four sides. n, m: ints, or lists/
    ranges to pick from. symmetry: 'horizontal' (mirror along axis 0), 'vertical' (along axis 1),
    'mirror' (both), 'diagonal', 'radial' (quarter turns), 'not_symmetric', or None for random.
    color_palette: colours to use (default: a few random non-background colours).

    Example: sprite = random_sprite([3, 4], [3, 4], symmetry="vertical", color_palette=[Color.RED])
    """
    ns, ms = _choose(n), _choose(m)
    squares = [(a, b) for a in ns for b in ms if a == b]
    kinds = ["horizontal", "vertical", "not_symmetric", "mirror"] + (["diagonal", "radial"] if squares else [])
    symmetry = symmetry or random.choice(kinds)
    if symmetry not in _SYMMETRY_GROUPS:
        raise ValueError(f"unknown symmetry {symmetry!r}; expected one of {sorted(_SYMMETRY_GROUPS)}")
    if symmetry in ("diagonal", "anti_diagonal", "radial"):
        if not squares:
            raise ValueError(f"symmetry {symmetry!r} needs a square sprite; no n == m is allowed")
        n, m = random.choice(squares)
        if symmetry == "diagonal" and random.random() < 0.5:
            symmetry = "anti_diagonal"
    else:
        n, m = random.choice(ns), random.choice(ms)
    if n < 1 or m < 1:
        raise ValueError(f"sprite dimensions must be positive, got {n}x{m}")
    if color_palette is None:
        k = 1
        while k < 9 and random.random() < 0.3:
            k += 1
        color_palette = random.sample([c for c in Color.ALL_COLORS if c != background], k)
    palette = list(color_palette)
    # Thin sprites need to be full (or nearly) to touch all four sides.
    if n == 1 or m == 1:
        density = 1.0
    elif n == 2 or m == 2:
        density = max(density, 0.6)
    elif density < 1:
        density = max(0.4, min(0.95, random.gauss(density, 0.1)))
    group = _SYMMETRY_GROUPS[symmetry]
    for _ in range(_MAX_SPRITE_ATTEMPTS):
        # Start at the centre so the symmetric copies of the walk meet and stay connected.
        start = ((n - 1) // 2 if symmetry != "vertical" else random.randrange(n),
                 (m - 1) // 2 if symmetry != "horizontal" else random.randrange(m))
        if symmetry == "not_symmetric":
            start = (random.randrange(n), random.randrange(m))
        elif symmetry in ("diagonal", "anti_diagonal"):
            d = random.randrange(n)
            start = (d, d) if symmetry == "diagonal" else (d, n - 1 - d)
        sprite = _walk(n, m, density, palette, connectivity, background, start)
        sprite = _symmetrize(sprite, group, background)
        mask = sprite != background
        if mask[0, :].any() and mask[-1, :].any() and mask[:, 0].any() and mask[:, -1].any() \
                and is_contiguous(sprite, background=background, connectivity=connectivity):
            return sprite
    raise ValueError(f"could not make a {n}x{m} {symmetry} sprite touching all sides in {_MAX_SPRITE_ATTEMPTS} tries")


def random_free_location_for_sprite(grid: np.ndarray, sprite: np.ndarray, background: int = Color.BLACK,
                                    border_size: int = 0, padding: int = 0,
                                    padding_connectivity: int = 8) -> tuple[int, int]:
    """A random (x, y) where blit_sprite(grid, sprite, x, y) fits inside the grid, at least
    border_size from its edges, without covering a non-background pixel of grid nor coming
    within ``padding`` cells of one (padding_connectivity 4 or 8). Raises ValueError if there
    is no such place.

    Example: x, y = random_free_location_for_sprite(grid, sprite, padding=1, border_size=1)
    """
    grid, sprite = np.asarray(grid), np.asarray(sprite)
    occupied = grid != background
    if padding > 0:
        occupied = dilate(occupied, padding_connectivity, iterations=padding)
    body = sprite != background
    sn, sm = sprite.shape
    n, m = grid.shape
    free = [(x, y)
            for x in range(border_size, n + 1 - border_size - sn)
            for y in range(border_size, m + 1 - border_size - sm)
            if not np.any(occupied[x : x + sn, y : y + sm] & body)]
    if not free:
        raise ValueError("No free location for sprite found.")
    return random.choice(free)


def random_free_location_for_object(*args, **kwargs) -> tuple[int, int]:
    """Older name of random_free_location_for_sprite."""
    return random_free_location_for_sprite(*args, **kwargs)


def randomly_scatter_points(grid: np.ndarray, color: int, density: float = 0.5,
                            background: int = Color.BLACK) -> np.ndarray:
    """Colour, in place, random background cells of grid with ``color`` until density*size of
    them are coloured (or none is left). Returns grid.

    Example: randomly_scatter_points(grid, color=Color.GREY, density=0.1)
    """
    n, m = grid.shape
    free = int(np.sum(np.asarray(grid) == background))
    coloured = 0
    # BARC's sampling, so a seeded np.random paints the same cells: draw x then y, skip cells
    # that are not background. The cap on free cells keeps a full grid from spinning forever.
    while coloured < density * n * m and coloured < free:
        x, y = np.random.randint(0, n), np.random.randint(0, m)
        if grid[x, y] == background:
            grid[x, y] = color
            coloured += 1
    return grid


def random_scatter_points(grid: np.ndarray, color: int, density: float = 0.5,
                          background: int = Color.BLACK) -> np.ndarray:
    """Same as randomly_scatter_points."""
    return randomly_scatter_points(grid, color, density=density, background=background)


def _spaced_indices(low: int, high: int, n_indices: int, padding: int) -> np.ndarray:
    chosen: list[int] = []
    for _ in range(n_indices):
        allowed = [i for i in range(low, high) if all(abs(i - c) > padding for c in chosen)]
        if not allowed:
            raise ValueError(f"cannot place {n_indices} indices in [{low}, {high}) with padding {padding}")
        chosen.append(random.choice(allowed))
    return np.array(sorted(chosen), dtype=int)


def randomly_spaced_indices(max_len: int, n_indices: int, border_size: int = 1, padding: int = 1) -> np.ndarray:
    """n_indices sorted random indices with at least ``padding`` unused indices between any two
    (e.g. positions of divider lines), in [border_size, max_len - 2) when border_size > 0 (as
    BARC's helper: the last two indices stay free whatever the border), else in [0, max_len).
    ValueError if they do not fit.

    Example: rows = randomly_spaced_indices(grid.shape[0], 3, border_size=1, padding=2)
    """
    if border_size > 0:
        # BARC shrinks the range by border_size + 2, not by 2 * border_size, then shifts it.
        return _spaced_indices(border_size, max_len - 2, n_indices, padding)
    return _spaced_indices(0, max_len, n_indices, padding)


def generate_position_has_interval(max_len: int, position_num: int, if_padding: bool = False) -> list[int]:
    """position_num sorted random positions in range(max_len), no two adjacent (positions of
    lines with gaps between them); if_padding also keeps the first and last position free."""
    low, high = (1, max_len - 1) if if_padding else (0, max_len)
    return _spaced_indices(low, high, position_num, padding=1).tolist()

"""Invertible views of a task: the 8 symmetries of the square, colour permutations and
demonstration reordering, and their compositions.

A view is a value that knows how to undo itself. Every prediction made under a view carries
the view's name, and ``parse_view(name)`` gives the view back (no ``eval``), so a prediction can
be mapped back to the original frame anywhere, in any process.

Name grammar: ``identity`` or parts joined by ``+`` in this order:
``<symmetry>``, ``colors=<10 digits>``, ``order=<i,j,...>``, e.g. ``rot90+colors=0213456789+order=1,0,2``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from arc.grid import Grid, as_grid, from_array, to_array
from arc.task import Example, Task

# Rotations are clockwise. flip_lr mirrors columns (left <-> right), flip_ud mirrors rows.
# These eight are the one home of the rigid transforms; dsl exposes them to programs.
def rot90(grid: np.ndarray) -> np.ndarray:
    """The grid turned a quarter turn clockwise."""
    return np.rot90(grid, k=-1)


def rot180(grid: np.ndarray) -> np.ndarray:
    """The grid turned half a turn."""
    return np.rot90(grid, k=2)


def rot270(grid: np.ndarray) -> np.ndarray:
    """The grid turned a quarter turn anticlockwise."""
    return np.rot90(grid, k=1)


def flip_lr(grid: np.ndarray) -> np.ndarray:
    """The grid mirrored left to right (columns reversed)."""
    return grid[:, ::-1]


def flip_ud(grid: np.ndarray) -> np.ndarray:
    """The grid mirrored top to bottom (rows reversed)."""
    return grid[::-1, :]


def transpose(grid: np.ndarray) -> np.ndarray:
    """The grid mirrored about its main diagonal (rows become columns)."""
    return grid.T


def anti_transpose(grid: np.ndarray) -> np.ndarray:
    """The grid mirrored about its anti-diagonal."""
    return np.rot90(grid, k=2).T


_SYMMETRY_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda a: a,
    "rot90": rot90,
    "rot180": rot180,
    "rot270": rot270,
    "flip_lr": flip_lr,
    "flip_ud": flip_ud,
    "transpose": transpose,
    "anti_transpose": anti_transpose,
}
SYMMETRY_NAMES: tuple[str, ...] = tuple(_SYMMETRY_FUNCS)


def _build_tables() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    # A grid with no symmetry at all identifies each group element by its action on it.
    probe = np.arange(6).reshape(2, 3)
    key = {name: f(probe).tobytes() + bytes(f(probe).shape) for name, f in _SYMMETRY_FUNCS.items()}
    by_key = {v: k for k, v in key.items()}
    compose, inverse = {}, {}
    for a, fa in _SYMMETRY_FUNCS.items():
        for b, fb in _SYMMETRY_FUNCS.items():
            out = fb(fa(probe))
            compose[(a, b)] = by_key[out.tobytes() + bytes(out.shape)]
            if compose[(a, b)] == "identity":
                inverse[a] = b
    return compose, inverse


_COMPOSE, _INVERSE = _build_tables()


def compose_symmetries(first: str, then: str) -> str:
    """The symmetry equal to applying ``first`` and then ``then``."""
    return _COMPOSE[(first, then)]


def inverse_symmetry(name: str) -> str:
    """The symmetry that undoes ``name``."""
    return _INVERSE[name]


def apply_symmetry(name: str, grid: Grid) -> Grid:
    """Apply one of SYMMETRY_NAMES to a grid."""
    return from_array(symmetry_array(name, to_array(grid)))


def symmetry_array(name: str, grid: np.ndarray) -> np.ndarray:
    """Apply one of SYMMETRY_NAMES to a numpy grid."""
    return _SYMMETRY_FUNCS[name](grid)


@dataclass(frozen=True)
class View:
    """A symmetry, an optional colour permutation and an optional demonstration order.

    ``colors[c]`` is the colour that ``c`` becomes. ``order[i]`` is the index of the original
    demonstration that appears at position ``i``. Symmetry and colours commute, so the order in
    which they are applied does not matter.
    """

    symmetry: str = "identity"
    colors: tuple[int, ...] | None = None
    order: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.symmetry not in _SYMMETRY_FUNCS:
            raise ValueError(f"unknown symmetry {self.symmetry!r}; known: {', '.join(SYMMETRY_NAMES)}")
        if self.colors is not None:
            object.__setattr__(self, "colors", tuple(int(c) for c in self.colors))
            if sorted(self.colors) != list(range(10)):
                raise ValueError(f"colors must be a permutation of 0..9, got {self.colors}")
            if self.colors == tuple(range(10)):
                object.__setattr__(self, "colors", None)
        if self.order is not None:
            object.__setattr__(self, "order", tuple(int(i) for i in self.order))
            if sorted(self.order) != list(range(len(self.order))):
                raise ValueError(f"order must be a permutation of 0..n-1, got {self.order}")
            if self.order == tuple(range(len(self.order))):
                object.__setattr__(self, "order", None)

    @property
    def name(self) -> str:
        parts = [] if self.symmetry == "identity" else [self.symmetry]
        if self.colors is not None:
            parts.append("colors=" + "".join(str(c) for c in self.colors))
        if self.order is not None:
            parts.append("order=" + ",".join(str(i) for i in self.order))
        return "+".join(parts) or "identity"

    def __str__(self) -> str:
        return self.name

    @property
    def is_identity(self) -> bool:
        return self.symmetry == "identity" and self.colors is None and self.order is None

    # -- grids ---------------------------------------------------------------------------
    def apply(self, grid: Grid) -> Grid:
        """The grid as seen in this view (the demonstration order does not affect a grid)."""
        a = _SYMMETRY_FUNCS[self.symmetry](to_array(grid))
        if self.colors is not None:
            a = np.asarray(self.colors, dtype=np.int64)[a]
        return from_array(a)

    def invert(self, grid: Grid) -> Grid:
        """Map a grid produced in this view back to the original frame."""
        return self.inverse().apply(grid)

    def inverse(self) -> View:
        colors = None if self.colors is None else tuple(int(i) for i in np.argsort(self.colors))
        order = None if self.order is None else tuple(int(i) for i in np.argsort(self.order))
        return View(_INVERSE[self.symmetry], colors, order)

    def then(self, other: View) -> View:
        """The view equal to applying ``self`` first and ``other`` second."""
        colors = None
        if self.colors is not None or other.colors is not None:
            a = self.colors or tuple(range(10))
            b = other.colors or tuple(range(10))
            colors = tuple(b[a[c]] for c in range(10))
        order = None
        if self.order is not None or other.order is not None:
            n = len(self.order or other.order)
            a = self.order or tuple(range(n))
            b = other.order or tuple(range(n))
            if len(a) != len(b):
                raise ValueError(f"cannot compose orders of {len(a)} and {len(b)} demonstrations")
            order = tuple(a[b[i]] for i in range(n))
        return View(_COMPOSE[(self.symmetry, other.symmetry)], colors, order)

    # -- tasks ---------------------------------------------------------------------------
    def apply_task(self, task: Task) -> Task:
        """The task in this view: every grid transformed, demonstrations reordered."""

        def ex(e: Example) -> Example:
            return Example(self.apply(e.input), None if e.output is None else self.apply(e.output))

        train = [ex(e) for e in task.train]
        if self.order is not None:
            if len(self.order) != len(train):
                raise ValueError(f"view {self.name} orders {len(self.order)} demonstrations, task {task.id} has {len(train)}")
            train = [train[i] for i in self.order]
        return replace(task, train=tuple(train), test=tuple(ex(e) for e in task.test))


IDENTITY = View()


def parse_view(name: str) -> View:
    """Parse a view name written by ``View.name`` back into the view."""
    if name == "identity":
        return IDENTITY
    symmetry, colors, order = "identity", None, None
    for part in name.split("+"):
        if part in _SYMMETRY_FUNCS:
            symmetry = part
        elif part.startswith("colors=") and len(part) == 17 and part[7:].isdigit():
            colors = tuple(int(c) for c in part[7:])
        elif part.startswith("order="):
            try:
                order = tuple(int(i) for i in part[6:].split(","))
            except ValueError:
                raise ValueError(f"bad order in view name {name!r}") from None
        else:
            raise ValueError(f"cannot parse view name {name!r} (part {part!r})")
    return View(symmetry, colors, order)


def random_colors(rng: np.random.Generator, keep_background: bool = True) -> tuple[int, ...]:
    """A random permutation of the 10 colours; colour 0 stays 0 when ``keep_background``."""
    if keep_background:
        return (0,) + tuple(int(c) + 1 for c in rng.permutation(9))
    return tuple(int(c) for c in rng.permutation(10))


def random_order(rng: np.random.Generator, n: int) -> tuple[int, ...]:
    """A random order of ``n`` demonstrations."""
    return tuple(int(i) for i in rng.permutation(n))


__all__ = [
    "IDENTITY",
    "SYMMETRY_NAMES",
    "View",
    "apply_symmetry",
    "as_grid",
    "compose_symmetries",
    "inverse_symmetry",
    "parse_view",
    "random_colors",
    "random_order",
]

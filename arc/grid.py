"""The one grid type: a tuple of tuples of int, validated where data enters.

Tuples are hashable, so votes are ``Counter`` objects and grids can be dict keys.
Functions that need speed convert to numpy inside and convert back on return.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from arc.errors import GridError

Grid = tuple[tuple[int, ...], ...]

MAX_SIDE = 30
N_COLORS = 10


def _check_cell(value: Any, r: int, c: int) -> int:
    # bool is an int subclass but never a colour; floats are rejected even when integral
    # because a float in task JSON means the file was produced by something broken.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise GridError(f"cell ({r}, {c}) is {value!r} ({type(value).__name__}), expected an integer colour 0..9")
    v = int(value)
    if not 0 <= v < N_COLORS:
        raise GridError(f"cell ({r}, {c}) is {v}, expected a colour 0..9")
    return v


def as_grid(obj: Any) -> Grid:
    """Validate ``obj`` (list of lists, tuple of tuples or 2-D numpy int array) and return a Grid.

    Raises GridError saying what is wrong (shape, nesting, the offending cell and value).
    """
    if isinstance(obj, np.ndarray):
        if obj.ndim != 2:
            raise GridError(f"expected a 2-D array, got {obj.ndim}-D with shape {obj.shape}")
        if obj.dtype.kind not in "iu":
            raise GridError(f"expected an integer array, got dtype {obj.dtype}")
        h, w = obj.shape
        _check_shape(h, w)
        if obj.size and (obj.min() < 0 or obj.max() >= N_COLORS):
            bad = np.argwhere((obj < 0) | (obj >= N_COLORS))[0]
            raise GridError(f"cell ({bad[0]}, {bad[1]}) is {int(obj[bad[0], bad[1]])}, expected a colour 0..9")
        return tuple(tuple(int(v) for v in row) for row in obj.tolist())
    if isinstance(obj, (str, bytes)) or not isinstance(obj, Sequence):
        raise GridError(f"expected a list of rows, got {type(obj).__name__}")
    if len(obj) == 0:
        raise GridError("grid has no rows")
    rows = []
    width = None
    for r, row in enumerate(obj):
        if isinstance(row, np.ndarray):
            row = row.tolist()
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise GridError(f"row {r} is {type(row).__name__}, expected a list of colours")
        if width is None:
            width = len(row)
            if width == 0:
                raise GridError("row 0 is empty")
        elif len(row) != width:
            raise GridError(f"row {r} has {len(row)} cells, row 0 has {width} (grid is not rectangular)")
        rows.append(tuple(_check_cell(v, r, c) for c, v in enumerate(row)))
    _check_shape(len(rows), width)
    return tuple(rows)


def _check_shape(h: int, w: int) -> None:
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise GridError(f"grid is {h}x{w}, each side must be 1..{MAX_SIDE}")


def is_grid(obj: Any) -> bool:
    """True when ``obj`` is a valid grid in any accepted representation."""
    try:
        as_grid(obj)
    except GridError:
        return False
    return True


def to_array(grid: Grid | Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    """A fresh int64 numpy copy of a grid (row i of the text is ``array[i, :]``)."""
    return np.array(grid, dtype=np.int64)


def from_array(array: np.ndarray) -> Grid:
    """Trusted conversion of a numpy array produced by our own code back to a Grid (validated)."""
    return as_grid(np.asarray(array))


def shape(grid: Grid) -> tuple[int, int]:
    """(height, width)."""
    return len(grid), len(grid[0])

"""Boolean-mask primitives shared by the helpers: labelling and dilation, numpy only.

Labelling is an explicit breadth-first search, never recursion, so a full 30x30 region
cannot overflow the stack.
"""

from __future__ import annotations

from collections import deque

import numpy as np

_OFFSETS = {
    4: ((-1, 0), (1, 0), (0, -1), (0, 1)),
    8: ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)),
}


def neighbour_offsets(connectivity: int) -> tuple[tuple[int, int], ...]:
    """The (dx, dy) steps of 4- or 8-connectivity; anything else is a ValueError."""
    if connectivity not in _OFFSETS:
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    return _OFFSETS[connectivity]


def label(mask: np.ndarray, connectivity: int = 4, values: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Label the True cells of ``mask`` by component: 1..n, numbered in raster order of each
    component's first cell (the order scipy.ndimage.label gives). Returns (labels, n).

    With ``values`` (an array of ``mask``'s shape), neighbours join only where their values are
    equal: the components of each colour, numbered together in one raster order."""
    offsets = neighbour_offsets(connectivity)
    mask = np.asarray(mask, dtype=bool)
    n_rows, n_cols = mask.shape
    # Plain lists: indexing them cell by cell is several times faster than indexing numpy arrays.
    free = mask.tolist()
    vals = np.asarray(values).tolist() if values is not None else None
    labels = [[0] * n_cols for _ in range(n_rows)]
    n = 0
    for r in range(n_rows):
        row = free[r]
        for c in range(n_cols):
            if not row[c] or labels[r][c]:
                continue
            n += 1
            labels[r][c] = n
            queue = deque([(r, c)])
            while queue:
                x, y = queue.popleft()
                for dx, dy in offsets:
                    nx, ny = x + dx, y + dy
                    if 0 <= nx < n_rows and 0 <= ny < n_cols and free[nx][ny] and not labels[nx][ny] \
                            and (vals is None or vals[nx][ny] == vals[x][y]):
                        labels[nx][ny] = n
                        queue.append((nx, ny))
    return np.array(labels, dtype=np.int64).reshape(mask.shape), n


def shift(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``mask`` moved by (dx, dy); cells that fall off are dropped, vacated cells are False."""
    out = np.zeros_like(mask)
    n, m = mask.shape
    if abs(dx) >= n or abs(dy) >= m:
        return out
    src = mask[max(0, -dx) : n - max(0, dx), max(0, -dy) : m - max(0, dy)]
    out[max(0, dx) : n - max(0, -dx), max(0, dy) : m - max(0, -dy)] = src
    return out


def dilate(mask: np.ndarray, connectivity: int = 4, iterations: int = 1, include_self: bool = True) -> np.ndarray:
    """Grow ``mask`` by ``iterations`` steps of 4- or 8-connectivity. With include_self=False
    (one step only makes sense) the result is the cells reached, not the cells themselves."""
    offsets = neighbour_offsets(connectivity)
    out = np.asarray(mask, dtype=bool).copy()
    for _ in range(iterations):
        grown = out.copy() if include_self else np.zeros_like(out)
        for dx, dy in offsets:
            grown |= shift(out, dx, dy)
        out = grown
    return out


def path_counts(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label (0 to the largest in ``labels``): how many of its cells have exactly one side
    neighbour of that label (a path's ends), and how many exactly two, one above or below and one
    beside (a path's right-angle turns). One pass over the grid, whatever the number of labels."""
    labels = np.asarray(labels, dtype=np.int64)
    p = np.pad(labels, 1, constant_values=-1)
    up, down, left, right = (p[:-2, 1:-1] == labels, p[2:, 1:-1] == labels,
                             p[1:-1, :-2] == labels, p[1:-1, 2:] == labels)
    count = up.astype(int) + down + left + right
    n = int(labels.max()) + 1 if labels.size else 1
    ends = np.bincount(labels[count == 1], minlength=n)
    bends = np.bincount(labels[(count == 2) & (up | down) & (left | right)], minlength=n)
    return ends, bends


def path_ends(mask: np.ndarray) -> int:
    """How many cells of ``mask`` have exactly one side neighbour in it: a path's ends."""
    return int(path_counts(np.asarray(mask, dtype=bool))[0][1:].sum())


def path_bends(mask: np.ndarray) -> int:
    """How many cells of ``mask`` have exactly two side neighbours in it, at a right angle: a path's turns."""
    return int(path_counts(np.asarray(mask, dtype=bool))[1][1:].sum())


def reachable_from_border(mask: np.ndarray, connectivity: int = 4) -> np.ndarray:
    """The True cells of ``mask`` connected to the edge of the canvas through True cells."""
    labels, _ = label(mask, connectivity)
    edge = np.concatenate([labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]])
    touching = np.unique(edge[edge > 0])
    return np.isin(labels, touching) & mask

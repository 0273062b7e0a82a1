"""The ten ARC colours under the names BARC programs use, and the background colour of a grid."""

import numpy as np


class Color:
    """ARC colours as ints: Color.BLACK (0) .. Color.MAROON (9), with aliases GREY/GRAY=5,
    TEAL/PURPLE=8, MAROON/BROWN=9, TRANSPARENT/BACKGROUND=0. Color.ALL_COLORS lists all ten,
    Color.NOT_BLACK the nine others."""

    BLACK = 0
    BLUE = 1
    RED = 2
    GREEN = 3
    YELLOW = 4
    GREY = GRAY = 5
    PINK = 6
    ORANGE = 7
    TEAL = PURPLE = 8
    MAROON = BROWN = 9
    TRANSPARENT = BACKGROUND = 0

    ALL_COLORS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    NOT_BLACK = [1, 2, 3, 4, 5, 6, 7, 8, 9]


def most_common_color(grid: np.ndarray) -> int:
    """The colour with the most cells (ties: the smallest colour).

    Example: background = most_common_color(input_grid)
    """
    return int(np.argmax(np.bincount(np.asarray(grid).ravel(), minlength=10)))


def resolve_background(grid: np.ndarray, background: int | None) -> int:
    """``background`` itself, or the grid's most common colour when it is None."""
    return most_common_color(grid) if background is None else background

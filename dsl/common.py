"""Grid helpers that synthesized programs call (``from common import *``)."""

import numpy as np


class Color:
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

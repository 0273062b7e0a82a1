from common import *

# WRONG on purpose: moves everything up instead of down.


def transform(input_grid):
    return translate(input_grid, x=-1, y=0, background=Color.BLACK)

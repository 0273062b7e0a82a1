from common import *

# Everything falls one cell down.


def transform(input_grid):
    return translate(input_grid, x=1, y=0, background=Color.BLACK)

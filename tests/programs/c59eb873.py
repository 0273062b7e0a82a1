from common import *

# Every pixel becomes a 2x2 block.


def transform(input_grid):
    return scale_sprite(input_grid, factor=2)

from common import *

# The grid turned upside down (rotated by 180 degrees).


def transform(input_grid):
    return np.rot90(input_grid, 2).copy()

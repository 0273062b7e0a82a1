from common import *

# One shape on black: the output is the shape cut out to its bounding box.


def transform(input_grid):
    return crop(input_grid, background=Color.BLACK).copy()

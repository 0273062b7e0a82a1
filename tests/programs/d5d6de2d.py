from common import *

# Hollow red outlines vanish; the holes they enclosed are filled green.


def transform(input_grid):
    output_grid = np.zeros_like(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        hole = object_interior(obj, background=Color.BLACK) & (obj == Color.BLACK)
        output_grid[hole] = Color.GREEN
    return output_grid

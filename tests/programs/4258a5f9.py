from common import *

# Every grey cell gets a blue ring around it.


def transform(input_grid):
    output_grid = input_grid.copy()
    for obj in find_connected_components(input_grid, background=Color.BLACK):
        ring = object_neighbors(obj, background=Color.BLACK, connectivity=8)
        output_grid[ring] = Color.BLUE
    return output_grid

from common import *

# WRONG on purpose: colours the missing corner red, not blue.


def transform(input_grid):
    output_grid = input_grid.copy()
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        x, y, w, h = bounding_box(obj, background=Color.BLACK)
        for dx, dy in np.argwhere(obj[x : x + w, y : y + h] == Color.BLACK):
            output_grid[x + dx, y + dy] = Color.RED
    return output_grid

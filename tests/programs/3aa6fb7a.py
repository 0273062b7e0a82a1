from common import *

# Each teal L (three cells of a 2x2 square) gets its missing corner coloured blue.


def transform(input_grid):
    output_grid = input_grid.copy()
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        x, y, w, h = bounding_box(obj, background=Color.BLACK)
        corner = obj[x : x + w, y : y + h]
        for dx, dy in np.argwhere(corner == Color.BLACK):
            output_grid[x + dx, y + dy] = Color.BLUE
    return output_grid

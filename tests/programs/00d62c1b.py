from common import *

# Black cells enclosed by the green walls turn yellow.


def transform(input_grid):
    output_grid = input_grid.copy()
    enclosed = object_interior(input_grid, background=Color.BLACK) & (input_grid == Color.BLACK)
    output_grid[enclosed] = Color.YELLOW
    return output_grid

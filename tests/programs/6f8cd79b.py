from common import *

# A black grid gets a teal frame.


def transform(input_grid):
    output_grid = input_grid.copy()
    n, m = output_grid.shape
    for x, y, direction in [(0, 0, (0, 1)), (n - 1, 0, (0, 1)), (0, 0, (1, 0)), (0, m - 1, (1, 0))]:
        draw_line(output_grid, x, y, direction=direction, color=Color.TEAL)
    return output_grid

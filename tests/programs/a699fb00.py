from common import *

# Two blue cells with exactly one black cell between them in a row get a red cell there.


def transform(input_grid):
    output_grid = input_grid.copy()
    for x, y in np.argwhere(input_grid == Color.BLUE):
        if y + 2 < input_grid.shape[1] and input_grid[x, y + 1] == Color.BLACK and input_grid[x, y + 2] == Color.BLUE:
            draw_line(output_grid, x, y + 1, length=1, direction=(0, 1), color=Color.RED)
    return output_grid

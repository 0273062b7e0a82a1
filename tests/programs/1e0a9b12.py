from common import *

# Gravity: every coloured cell falls to the bottom of its column, keeping the column's order.


def transform(input_grid):
    output_grid = np.zeros_like(input_grid)
    n = input_grid.shape[0]
    for y in range(input_grid.shape[1]):
        column = [c for c in input_grid[:, y] if c != Color.BLACK]
        for i, c in enumerate(column):
            output_grid[n - len(column) + i, y] = c
    return output_grid

from common import *

# The 3x3 input is its own template: each coloured cell of the input becomes a copy of the
# whole input in the matching 3x3 block of a 9x9 output.


def transform(input_grid):
    n, m = input_grid.shape
    output_grid = np.zeros((n * n, m * m), dtype=int)
    for x, y in np.argwhere(input_grid != Color.BLACK):
        blit_sprite(output_grid, input_grid, x=x * n, y=y * m, background=Color.BLACK)
    return output_grid

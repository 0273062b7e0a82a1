from common import *

# Every grey dot grows into a blue 3x3 square centred on it.


def transform(input_grid):
    output_grid = np.zeros_like(input_grid)
    square = np.full((3, 3), Color.BLUE)
    for x, y in np.argwhere(input_grid == Color.GREY):
        blit_sprite(output_grid, square, x=x - 1, y=y - 1)
    return output_grid

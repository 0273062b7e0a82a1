from common import *

# Around each blue dot: red above, orange to the left, pink to the right, teal below.


def transform(input_grid):
    output_grid = input_grid.copy()
    stamp = np.array([[Color.BLACK, Color.RED, Color.BLACK],
                      [Color.ORANGE, Color.BLUE, Color.PINK],
                      [Color.BLACK, Color.TEAL, Color.BLACK]])
    for x, y in np.argwhere(input_grid == Color.BLUE):
        blit_sprite(output_grid, stamp, x=x - 1, y=y - 1, background=Color.BLACK)
    return output_grid

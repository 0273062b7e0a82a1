from common import *

# From the blue 2x2 square a blue diagonal runs to the upper left; from the red square a red
# diagonal runs to the lower right.


def transform(input_grid):
    output_grid = input_grid.copy()
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        color = object_colors(obj)[0]
        if color == Color.BLUE:
            x, y = object_position(obj, anchor="upper left")
            draw_line(output_grid, x - 1, y - 1, direction=(-1, -1), color=Color.BLUE)
        elif color == Color.RED:
            x, y = object_position(obj, anchor="lower right")
            draw_line(output_grid, x + 1, y + 1, direction=(1, 1), color=Color.RED)
    return output_grid

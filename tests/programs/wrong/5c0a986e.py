from common import *

# WRONG on purpose: the diagonals run the opposite ways.


def transform(input_grid):
    output_grid = input_grid.copy()
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        color = object_colors(obj)[0]
        if color == Color.RED:
            x, y = object_position(obj, anchor="upper left")
            draw_line(output_grid, x - 1, y - 1, direction=(-1, -1), color=Color.RED)
        elif color == Color.BLUE:
            x, y = object_position(obj, anchor="lower right")
            draw_line(output_grid, x + 1, y + 1, direction=(1, 1), color=Color.BLUE)
    return output_grid

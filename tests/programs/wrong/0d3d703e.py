from common import *

# WRONG on purpose: maps each colour one way only (green->yellow but never yellow->green).


def transform(input_grid):
    mapping = {Color.GREEN: Color.YELLOW, Color.BLUE: Color.GREY, Color.RED: Color.PINK, Color.TEAL: Color.MAROON}
    output_grid = input_grid.copy()
    for old, new in mapping.items():
        output_grid[input_grid == old] = new
    return output_grid

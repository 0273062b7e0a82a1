from common import *

# A fixed colour substitution, the same in every example.


def transform(input_grid):
    mapping = {
        Color.GREEN: Color.YELLOW, Color.YELLOW: Color.GREEN,
        Color.BLUE: Color.GREY, Color.GREY: Color.BLUE,
        Color.RED: Color.PINK, Color.PINK: Color.RED,
        Color.TEAL: Color.MAROON, Color.MAROON: Color.TEAL,
    }
    output_grid = input_grid.copy()
    for old, new in mapping.items():
        output_grid[input_grid == old] = new
    return output_grid

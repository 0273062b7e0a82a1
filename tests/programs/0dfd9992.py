from common import *

# A repeating wallpaper has black holes; fill them in from the translated copies of the tile.


def transform(input_grid):
    symmetries = detect_translational_symmetry(input_grid, ignore_colors=[Color.BLACK])
    output_grid = input_grid.copy()
    for x, y in np.argwhere(input_grid != Color.BLACK):
        for sx, sy in orbit(output_grid, x, y, symmetries):
            output_grid[sx, sy] = input_grid[x, y]
    return output_grid

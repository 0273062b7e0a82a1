from common import *

# WRONG on purpose: trusts detect_mirror_symmetry alone, which returns only the best-scoring
# mirror, so pixels whose image under that mirror is also hidden stay yellow.


def transform(input_grid):
    occluder = Color.YELLOW
    symmetries = detect_mirror_symmetry(input_grid, ignore_colors=[occluder])
    output_grid = input_grid.copy()
    for x, y in np.argwhere(input_grid == occluder):
        for sx, sy in orbit(input_grid, x, y, symmetries):
            if input_grid[sx, sy] != occluder:
                output_grid[x, y] = input_grid[sx, sy]
                break
    return output_grid

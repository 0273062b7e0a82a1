from common import *

# A picture symmetric about both centre lines has yellow patches painted over it; restore
# the hidden pixels from their mirror images. detect_mirror_symmetry returns only the
# best-scoring mirror, and the patches can hide a pixel's image under one mirror, so use
# both centre lines (checked against the visible pixels) and their composition.


def transform(input_grid):
    occluder = Color.YELLOW
    n, m = input_grid.shape
    symmetries = [MirrorSymmetry(mirror_x=(n - 1) / 2, mirror_y=None),
                  MirrorSymmetry(mirror_x=None, mirror_y=(m - 1) / 2)]
    for sym in symmetries:
        for x, y in np.argwhere(input_grid != occluder):
            sx, sy = sym.apply(x, y)
            assert input_grid[sx, sy] in (input_grid[x, y], occluder), "not symmetric"
    output_grid = input_grid.copy()
    for x, y in np.argwhere(input_grid == occluder):
        for sx, sy in orbit(input_grid, x, y, symmetries):
            if input_grid[sx, sy] != occluder:
                output_grid[x, y] = input_grid[sx, sy]
                break
    return output_grid

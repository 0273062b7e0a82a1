from common import *

# Of the several shapes, output the one that is left-right symmetric.


def transform(input_grid):
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        sprite = crop(obj, background=Color.BLACK)
        if np.array_equal(sprite, sprite[:, ::-1]):
            return sprite.copy()
    raise ValueError("no symmetric shape")

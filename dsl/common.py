"""Grid helpers that synthesized programs call (``from common import *``).

Names, arguments and behaviour follow the helper library BARC's induction models were trained
to call. The sandbox maps the module name ``common`` to this module. Arrays are indexed
``grid[x, y]``: x is axis 0, y is axis 1.
"""

import random

import numpy as np

from dsl.color import Color
from dsl.drawing import (
    blit,
    blit_object,
    blit_sprite,
    collision,
    contact,
    draw_line,
    flood_fill,
    scale_pattern,
    scale_sprite,
    translate,
)
from dsl.generate import (
    generate_position_has_interval,
    random_free_location_for_object,
    random_free_location_for_sprite,
    random_scatter_points,
    random_sprite,
    randomly_scatter_points,
    randomly_spaced_indices,
)
from dsl.objects import (
    bounding_box,
    bounding_box_mask,
    check_between_objects,
    crop,
    detect_objects,
    find_connected_components,
    is_contiguous,
    object_boundary,
    object_colors,
    object_interior,
    object_neighbors,
    object_position,
)
from dsl.symmetry import (
    MirrorSymmetry,
    RotationalSymmetry,
    Symmetry,
    TranslationalSymmetry,
    detect_mirror_symmetry,
    detect_rotational_symmetry,
    detect_translational_symmetry,
    orbit,
)

# The helpers in the order the prompt's API section lists them (grouped by concept).
HELPERS = [
    "Color",
    "find_connected_components",
    "detect_objects",
    "bounding_box",
    "bounding_box_mask",
    "crop",
    "object_position",
    "object_colors",
    "object_interior",
    "object_boundary",
    "object_neighbors",
    "is_contiguous",
    "check_between_objects",
    "blit_sprite",
    "blit_object",
    "blit",
    "translate",
    "flood_fill",
    "draw_line",
    "scale_sprite",
    "scale_pattern",
    "collision",
    "contact",
    "detect_mirror_symmetry",
    "detect_translational_symmetry",
    "detect_rotational_symmetry",
    "orbit",
    "Symmetry",
    "MirrorSymmetry",
    "TranslationalSymmetry",
    "RotationalSymmetry",
    "random_sprite",
    "random_free_location_for_sprite",
    "random_free_location_for_object",
    "randomly_scatter_points",
    "random_scatter_points",
    "randomly_spaced_indices",
    "generate_position_has_interval",
]

__all__ = ["np", "random", *HELPERS]

# Cutting into parts and per-object transforms (dsl/partition.py, dsl/object_ops.py).
from dsl.object_ops import (  # noqa: E402
    copy_to_markers,
    fill_holes_by_size,
    filter_objects,
    move_until_contact,
    object_masks,
    object_property,
)
from dsl.partition import (  # noqa: E402
    color_parts,
    combine_parts,
    compress_grid,
    object_parts,
    overlay_parts,
    pick_part,
    split_by_lines,
    split_equal,
)

_OBJECT_HELPERS = [
    "split_by_lines",
    "split_equal",
    "object_parts",
    "color_parts",
    "pick_part",
    "overlay_parts",
    "combine_parts",
    "compress_grid",
    "object_masks",
    "object_property",
    "filter_objects",
    "move_until_contact",
    "copy_to_markers",
    "fill_holes_by_size",
]
HELPERS += _OBJECT_HELPERS
__all__ += _OBJECT_HELPERS

# Colour answers and colour maps (dsl/partition.py, dsl/palette.py).
from dsl.palette import remap_colors  # noqa: E402
from dsl.partition import pick_color  # noqa: E402

HELPERS += ["pick_color", "remap_colors"]
__all__ += ["pick_color", "remap_colors"]

# Whole-object rewrites (dsl/object_ops.py).
from dsl.object_ops import fill_bounding_boxes, object_shape, rewrite_objects  # noqa: E402

HELPERS += ["fill_bounding_boxes", "object_shape", "rewrite_objects"]
__all__ += ["fill_bounding_boxes", "object_shape", "rewrite_objects"]

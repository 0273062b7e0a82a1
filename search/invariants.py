"""What a step cannot do, read off its operation and parameters: the invariants that let the
enumeration reject a step without calling it.

Two invariants, each declared per operation and checked on every demonstration by
``tests/test_search_invariants.py``: the output's shape (kept, or its transpose), and the
output's colours (at most the input's colours and the colours the step's parameters name). At
the enumeration's last level a step that cannot give a demonstration its output's shape or
colours cannot complete a program there, so it is skipped without being applied (and without
being charged for): the work it would have cost goes to other states, which is what lets
depth-3 compositions fit in the default budget.
"""

from __future__ import annotations

import numpy as np

from search.steps import Step

# The output has the input's shape, whatever the parameters.
SHAPE_KEPT = frozenset({
    "flip_lr", "flip_ud", "rot180", "recolor", "recolor_objects", "fill_with_most_common",
    "complete_symmetry", "complete_periodic", "repeat_band", "copy_cell", "continue_segments",
    "fill_enclosed", "fill_between_corners", "gravity", "gravity_objects", "hollow_objects",
    "surround_cells", "extend_lines", "extend_ends", "connect_pairs", "cross_lines", "fill_empty_lines",
    "keep_object", "remove_small_objects", "keep_color", "cells_from_first", "fill_bounding_boxes",
    "paint_foreground",
})
# The output has the input's shape transposed.
SHAPE_SWAPPED = frozenset({"rot90", "rot270", "transpose", "anti_transpose"})

# The output's colours are among the input's and those the parameters name (``_named_colors``).
COLORS_KEPT = SHAPE_KEPT | SHAPE_SWAPPED | frozenset({
    "upscale", "downscale", "shrink_blocks", "tile", "tile_views", "continue_pattern", "repeating_tile",
    "mirror_tile", "pad_grid", "mirror_concat", "self_tile", "crop_to_content", "trim_border",
    "crop_object", "symmetry_patch", "periodic_patch", "pick_part", "overlay_parts", "cells_to_pixels",
    "fold_halves", "combine_parts", "color_sequence", "compress_grid",
})

# Parameters whose integer values are colours a step may draw with.
_COLOR_PARAMS = ("color", "background", "fill")


def _named_colors(s: Step) -> int:
    """The colours ``s``'s parameters name, as a bit mask (bit c for colour c)."""
    mask = 0
    for key, value in s.params:
        if key in _COLOR_PARAMS and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            mask |= 1 << int(value)
        elif key == "mapping":  # recolor: (old, new) pairs; recolor_objects: ((colour, value), new)
            for _, new in value:
                mask |= 1 << int(new)
    return mask


def palette(grid: np.ndarray) -> int:
    """The grid's colours as a bit mask (bit c for colour c)."""
    mask = 0
    for c in np.unique(grid).tolist():
        mask |= 1 << int(c)
    return mask


class LastStep:
    """For a state at the enumeration's last level: whether a step could still give every
    demonstration its output (its shape, then its colours), judged without applying it."""

    def __init__(self, grids: list[np.ndarray], targets: list[np.ndarray], target_palettes: list[int],
                 colors: bool = True):
        self.same = all(g.shape == t.shape for g, t in zip(grids, targets))
        self.swapped = all(g.shape[::-1] == t.shape for g, t in zip(grids, targets))
        self._grids = grids
        self._palettes: list[int] | None = None
        self._wanted = target_palettes
        self._colors = colors  # False: the colours are not checked (a later paint may give them)

    def possible(self, s: Step) -> bool:
        op = s.op
        if op in SHAPE_KEPT and not self.same:
            return False
        if op in SHAPE_SWAPPED and not self.swapped:
            return False
        if not self._colors or op not in COLORS_KEPT:
            return True
        if self._palettes is None:
            self._palettes = [palette(g) for g in self._grids]
        named = _named_colors(s)
        return all(w & ~(p | named) == 0 for p, w in zip(self._palettes, self._wanted))



"""What a step cannot do, read off its operation and parameters: the invariants that let the
enumeration reject a step without calling it.

Invariants, each declared per operation and checked on every demonstration by
``tests/test_search_invariants.py``: the output's shape (kept, or its transpose), the
output's colours (at most the input's colours and the colours the step's parameters name), and
on a grid of the same shape which cells may change: only background cells (a step that paints,
``PAINTS_BACKGROUND``), only to background (a step that removes, ``REMOVES``), or none of the
colour counts (a step that moves cells, ``COUNTS_KEPT``); and for a step that crops or cuts
(``SHRINKS``), an output no larger than the input, the input itself where the shapes agree. At
the enumeration's last level a step that cannot give a demonstration its output's shape or
colours cannot complete a program there, so it is skipped without being applied (and without
being charged for): the work it would have cost goes to other states, which is what lets
depth-3 compositions fit in the default budget.
"""

from __future__ import annotations

import functools
import inspect

from typing import Callable

import numpy as np

from dsl.color import resolve_background
from search.budget import calls
from search.steps import OPS, Step

# The output has the input's shape, whatever the parameters.
SHAPE_KEPT = frozenset({
    "flip_lr", "flip_ud", "rot180", "recolor", "recolor_objects", "fill_with_most_common",
    "complete_symmetry", "complete_periodic", "repeat_band", "redraw_cells", "continue_segments",
    "fill_enclosed", "fill_between_corners", "gravity", "gravity_objects", "hollow_objects",
    "surround_cells", "extend_lines", "extend_ends", "connect_pairs", "cross_lines", "fill_empty_lines",
    "keep_object", "remove_small_objects", "keep_color", "cells_from_first", "fill_bounding_boxes",
    "paint_foreground", "remove_color",
})
# The output has the input's shape transposed.
SHAPE_SWAPPED = frozenset({"rot90", "rot270", "transpose", "anti_transpose"})

# The output's colours are among the input's and those the parameters name (``_named_colors``).
COLORS_KEPT = SHAPE_KEPT | SHAPE_SWAPPED | frozenset({
    "upscale", "downscale", "shrink_blocks", "tile", "tile_views", "continue_pattern", "repeating_tile",
    "mirror_tile", "pad_grid", "mirror_concat", "self_tile", "crop_to_content", "trim_border",
    "crop_object", "symmetry_patch", "periodic_patch", "pick_part", "overlay_parts", "cells_to_pixels",
    "fold_halves", "combine_parts", "color_sequence", "compress_grid", "crop_to_color", "crop_corner",
})

# The output is no larger than the input either way, and where it has the input's shape it is the
# input (a crop to all of it, nothing compressed): such a last step finishes no state larger than
# its outputs nowhere, nor one of their shapes that is not already right.
SHRINKS = frozenset({
    "crop_object", "crop_to_content", "compress_grid", "trim_border", "fold_halves", "combine_parts",
    "cells_to_pixels", "pick_part", "overlay_parts", "crop_to_color", "crop_corner",
})
# Only background cells change (the step's ``background``, resolved per grid): lines, fills, copies.
# connect_pairs with clear=True clears the rest, and is not one of them.
PAINTS_BACKGROUND = frozenset({
    "continue_segments", "cross_lines", "extend_ends", "extend_lines", "fill_between_corners",
    "fill_bounding_boxes", "fill_empty_lines", "fill_enclosed", "repeat_band", "surround_cells", "connect_pairs",
})
# Every cell keeps its colour or becomes background.
REMOVES = frozenset({"keep_color", "keep_object", "remove_small_objects", "remove_color"})
# Cells move, none is made or lost: every colour's count is kept.
COUNTS_KEPT = SHAPE_SWAPPED | frozenset({"flip_lr", "flip_ud", "rot180", "gravity"})

# A cell invariant is a few vectorised comparisons a demonstration: measured (40 same-shape arc1-train
# tasks), about a sixteenth of a step's cost per unit of its charge on grid and output alike.
CHECKS_PER_CALL = 8

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


@functools.cache
def _default_background(op: str):
    """The background an operation takes where a step names none (its signature's default)."""
    param = inspect.signature(OPS[op]).parameters.get("background")
    return None if param is None or param.default is inspect.Parameter.empty else param.default


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
                 colors: bool = True, charge: Callable[[int], None] | None = None):
        self.same = all(g.shape == t.shape for g, t in zip(grids, targets))
        self.swapped = all(g.shape[::-1] == t.shape for g, t in zip(grids, targets))
        self._grids = grids
        self._targets = targets
        self._palettes: list[int] | None = None
        self._wanted = target_palettes
        self._colors = colors  # False: the colours are not checked (a later paint may give them)
        self._cells: dict[tuple, bool] = {}  # the cell invariants' answers, by kind and background
        self._rules: dict[tuple, bool] = {}  # each rule's answer (``rule_key``), once computed
        self._charge = charge  # told the work of each cell invariant computed (a pass over the grids)

    def _cells_allow(self, kind: str, background) -> bool:
        """Whether every demonstration's output could come of its grid by a step of ``kind``."""
        key = (kind, background)
        if key not in self._cells:
            if self._charge is not None:
                self._charge(calls(self._grids) // CHECKS_PER_CALL)
            ok = True
            for g, t in zip(self._grids, self._targets):
                if kind == "shrinks":  # no larger either way, and not the state itself unless it is right
                    ok = t.shape[0] <= g.shape[0] and t.shape[1] <= g.shape[1] and (
                        t.shape != g.shape or (not self._colors or np.array_equal(g, t)))
                elif kind == "counts":
                    ok = bool((np.bincount(g.ravel(), minlength=10) == np.bincount(t.ravel(), minlength=10)).all())
                else:
                    bg = resolve_background(g, background)
                    if kind == "paints":  # every cell not background already right
                        ok = bool((g == t)[g != bg].all())
                    else:  # removes: every cell right or background in the output
                        ok = bool(((g == t) | (t == bg)).all())
                if not ok:
                    break
            self._cells[key] = ok
        return self._cells[key]

    def possible(self, s: Step) -> bool:
        """Whether ``s`` could give every demonstration its output (its rule's answer, computed
        once a state for every step that shares the rule)."""
        key = rule_key(s)
        if key not in self._rules:
            self._rules[key] = self._allows(key)
        return self._rules[key]

    def allowed(self, keys: list[tuple]) -> tuple[list[int], int]:
        """The indices of the steps whose rules are ``keys`` (``rule_key`` of each) that could
        give every demonstration its output, in order, and how many rules that took to answer:
        each rule is checked once, whatever the number of steps that declare it."""
        rules = self._rules
        before = len(rules)
        for key in dict.fromkeys(keys):
            if key not in rules:
                rules[key] = self._allows(key)
        return [k for k, key in enumerate(keys) if rules[key]], len(rules) - before

    def _allows(self, key: tuple) -> bool:
        shape, swapped, shrinks, counts, paints, removes, named = key
        if shape and not self.same:
            return False
        if swapped and not self.swapped:
            return False
        if shrinks and not self._cells_allow("shrinks", None):
            return False
        if not self._colors:
            return True
        if counts and not self._cells_allow("counts", None):
            return False
        if paints is not _NO and not self._cells_allow("paints", paints):
            return False
        if removes is not _NO and not self._cells_allow("removes", removes):
            return False
        if named is _NO:
            return True
        if self._palettes is None:
            self._palettes = [palette(g) for g in self._grids]
        return all(w & ~(p | named) == 0 for p, w in zip(self._palettes, self._wanted))


# A rule's part that does not apply to a step (no background to paint, colours not kept).
_NO = "-"


@functools.lru_cache(maxsize=1 << 14)
def rule_key(s: Step) -> tuple:
    """What ``LastStep`` asks of a step, as a key its steps share: whether the operation keeps
    the shape, transposes it, shrinks, keeps colour counts; the background it only paints or only
    removes to (``_NO`` where it does neither); the colours its parameters name where it keeps
    colours (``_NO`` where it does not). Steps with one key are ruled out or in together."""
    op = s.op
    paints = removes = _NO
    if op in PAINTS_BACKGROUND or op in REMOVES:
        params = dict(s.params)
        background = params.get("background", _default_background(op))
        if op in PAINTS_BACKGROUND and not params.get("clear"):
            paints = background
        if op in REMOVES:
            removes = background
    return (op in SHAPE_KEPT, op in SHAPE_SWAPPED, op in SHRINKS, op in COUNTS_KEPT, paints, removes,
            _named_colors(s) if op in COLORS_KEPT else _NO)

"""The DSL as programs and prompts see it: `from common import *`, colours, the API
reference, and light imports."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import numpy as np
import pytest

import dsl
from dsl import common


def test_star_import_exports_what_programs_use():
    namespace: dict = {}
    exec("from dsl.common import *", namespace)
    for name in ["np", "random", "Color", *common.HELPERS]:
        assert name in namespace, name
    assert not any(name.startswith("_") for name in common.__all__)


def test_colors_match_barc():
    c = common.Color
    assert [c.BLACK, c.BLUE, c.RED, c.GREEN, c.YELLOW, c.GREY, c.PINK, c.ORANGE, c.TEAL, c.MAROON] == list(range(10))
    assert (c.GRAY, c.PURPLE, c.BROWN, c.TRANSPARENT, c.BACKGROUND) == (5, 8, 9, 0, 0)
    assert c.ALL_COLORS == list(range(10)) and c.NOT_BLACK == list(range(1, 10))


@pytest.mark.parametrize("name", [n for n in common.HELPERS if inspect.isfunction(getattr(common, n))])
def test_helpers_are_typed_and_documented(name):
    fn = getattr(common, name)
    assert fn.__doc__ and fn.__doc__.strip()
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.name != "_" and p.kind is p.POSITIONAL_OR_KEYWORD]
    assert all(p.annotation is not inspect.Parameter.empty for p in params), name
    assert sig.return_annotation is not inspect.Signature.empty, name


def test_api_reference_is_complete_and_stable():
    text = dsl.api_reference()
    assert text == dsl.api_reference()
    positions = [text.index(f"\n{name}(" if not inspect.isclass(getattr(common, name)) else f"class {name}")
                 if name != "Color" else text.index("class Color") for name in common.HELPERS]
    assert positions == sorted(positions)
    assert "find_connected_components(grid, background=Color.BLACK, connectivity=4, monochromatic=True)" in text
    assert "draw_line(grid, x, y, end_x=None, end_y=None, length=None, direction=None, color=None, " \
           "stop_at_color=[])" in text
    assert "collision(_=None, object1=None, object2=None, x1=0, y1=0, x2=0, y2=0, background=Color.BLACK)" in text
    assert "/work" not in text and "np.ndarray" not in text


def test_api_reference_lists_every_public_helper_exactly_once():
    # Each block of the API section starts with an unindented signature line; headings start with "#".
    heads = [line for line in dsl.api_reference().splitlines() if line and not line.startswith((" ", "#"))]
    listed = [re.match(r"(?:class )?(\w+)", line).group(1) for line in heads]
    assert listed == common.HELPERS and len(set(listed)) == len(listed)
    # Nothing public left out: every function or class ``from common import *`` gives is listed.
    public = {n for n in common.__all__ if inspect.isfunction(getattr(common, n)) or inspect.isclass(getattr(common, n))}
    assert public == set(listed)


# Concepts that existed twice, folded into one helper each (issue 30): the name that was folded away
# must not come back as a second implementation (BARC programs call none of them).
FOLDED = {
    "split_by_lines": "split_cells",  # separator="most"
    "select_cell": "pick_part",  # pick_part(split_cells(grid), by=...)
    "select_object": "pick_part",  # crop_object / keep_object pick objects' sprites with it
    "overlay_cells": "overlay_parts",  # overlay_parts(split_cells(grid), ...)
    "combine_halves": "combine_parts",  # combine_parts(two_halves(grid, axis), ...)
    "remap_colors": "recolor",
}


@pytest.mark.parametrize("gone,kept", sorted(FOLDED.items()))
def test_each_concept_has_one_helper(gone, kept):
    assert not hasattr(common, gone) and kept in common.HELPERS
    assert f"\n{gone}(" not in dsl.api_reference()


def test_importing_dsl_stays_light():
    code = "import sys, dsl, dsl.common; print(any(m in sys.modules for m in ('torch', 'transformers', 'scipy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_api_reference_lists_barc_helpers_first_then_the_search_operations():
    from dsl.api import OPERATIONS_HEADING

    text = dsl.api_reference()
    barc, operations = text.split(OPERATIONS_HEADING)
    assert common.HELPERS == common.BARC_HELPERS + common.OPERATIONS
    assert barc.rstrip().endswith("if_padding also keeps the first and last position free.")
    for name in common.OPERATIONS:
        assert f"\n{name}(" not in barc and f"\n{name}(" in "\n" + operations.lstrip(), name
    assert "crop_object(grid, by, background=Color.BLACK, connectivity=4, by_color=True, color=None)" in operations


def test_rigid_transforms_have_one_home():
    import arc.transforms
    import arc.views

    for name in ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose"):
        assert getattr(common, name) is getattr(arc.views, name)
    g = np.arange(6).reshape(2, 3)
    assert common.upscale(g, 2, 1).tolist() == arc.transforms.upscale_array(g, 2, 1).tolist()
    assert common.mirror_concat(g, "up").tolist() == np.vstack([g[::-1], g]).tolist()

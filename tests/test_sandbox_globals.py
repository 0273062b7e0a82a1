"""A program's globals, prepared once by its worker (sandbox/_runner.py, star_globals and program_globals).

A program whose first statement is ``from common import *`` starts from a namespace its worker built before
forking it, and that statement is not run again in its process. These tests check that such a program sees
exactly what the statement would have bound, that the statement really is skipped (and only when the line
is exactly that statement), and that nothing a program does to its globals, to the objects they name or
to the builtins reaches the next program, in the same batch or the next one.
After each test tests/sandbox_checks.py checks that nothing is left behind (processes, zombies, files,
mounts).
"""

from __future__ import annotations

import pytest

from sandbox import _runner
from synth.sandbox import ExecResult, Sandbox
from tests.sandbox_checks import nothing_left_behind, private_tempdir  # noqa: F401

pytestmark = pytest.mark.usefixtures("nothing_left_behind")
GRID = [[1, 2], [3, 4]]

# The module's own code names ``common`` only if the import statement was compiled into it; the globals
# are compared, name by name and object by object, with a namespace the statement itself fills.
SEES = """from common import *
SEEN = list(globals().items())
import sys
IMPORTED = 'common' in sys._getframe().f_code.co_names

def transform(grid):
    ref = {'__name__': '__sandbox__', '__builtins__': __builtins__}
    exec('from common import *', ref)
    same = [k for k, _ in SEEN] == list(ref) and all(ref[k] is v for k, v in SEEN)
    return [[int(same), int(IMPORTED)]]
"""

# Changes everything it can reach from its globals: names, the objects they name, builtins, the module.
VANDAL = """from common import *
import builtins, common
Color.RED = 7
Color.BLUE = None
crop = None
globals()['np'] = None
common.find_connected_components = None
builtins.len = lambda x: 99
builtins.LEAKED = 1
__builtins__.sorted = None
globals()['EXTRA'] = 1

def transform(grid):
    return grid
"""

CHECK = """from common import *
import builtins, common, numpy

def transform(grid):
    ok = (Color.RED == 2 and Color.BLUE == 1 and callable(crop) and np is numpy and len([1, 2]) == 2
          and common.find_connected_components is find_connected_components
          and callable(find_connected_components) and not hasattr(builtins, 'LEAKED')
          and sorted([2, 1]) == [1, 2] and 'EXTRA' not in globals() and 'VANDAL' not in globals())
    return [[int(ok)]]
"""


@pytest.fixture(scope="module")
def box():
    with Sandbox(workers=1) as sandbox:  # one worker: every program below is forked from the same one
        yield sandbox


def test_a_program_starts_with_exactly_the_names_its_import_binds_without_running_it(box):
    assert box.run(SEES, [GRID]).results[0] == ExecResult("ok", ((1, 0),), "")


@pytest.mark.parametrize("first", ["from common import *  # the helpers", "import numpy as np\nfrom common import *",
                                   '"""A docstring."""\nfrom common import *', "  from common import *"])
def test_a_program_not_starting_with_exactly_that_statement_runs_it_itself(box, first):
    source = SEES.replace("from common import *", first, 1)
    result = box.run(source, [GRID]).results[0]
    if first.startswith("  "):
        assert result.status == "error" and "IndentationError" in result.message  # as Python says
    else:  # it ran the statement itself (and has the same globals, unless a docstring bound __doc__ first)
        assert result == ExecResult("ok", ((int(not first.startswith('"')), 1),), "")


def test_leading_comments_and_blank_lines_keep_line_numbers(box):
    source = "# a program\n\nfrom common import *\n\ndef transform(grid):\n    raise ValueError('here')\n"
    result = box.run(source, [GRID]).results[0]
    assert result.status == "error" and result.message == "ValueError: here (line 6)"


def test_a_program_cannot_change_what_the_next_program_starts_with(box):
    runs = box.run_many([(VANDAL, [GRID], 0), (CHECK, [GRID], 0), (VANDAL, [GRID], 1), (CHECK, [GRID], 1)])
    unharmed, unchanged = ExecResult("ok", ((1, 2), (3, 4)), ""), ExecResult("ok", ((1,),), "")
    assert [run.results[0] for run in runs] == [unharmed, unchanged] * 2
    assert box.run(CHECK, [GRID]).results[0] == ExecResult("ok", ((1,),), "")  # and in the next batch


def test_prepared_namespaces_only_for_exactly_the_statement():
    prepared = {"from common import *": {"prepared": True}}
    cases = {
        "from common import *\nx = 1\n": ("\nx = 1\n", True),
        "# c\n\n   \nfrom common import *\r\nx = 1": ("# c\n\n   \n\nx = 1", True),
        "from common import *   \n": ("\n", True),
        "from common import * ; x = 1\n": (None, False),
        "from common import *# c\n": (None, False),
        "\tfrom common import *\n": (None, False),
        "from  common import *\n": (None, False),
        "from other import *\n": (None, False),
        "": (None, False),
        "# only a comment": (None, False),
    }
    for source, (expected, uses_prepared) in cases.items():
        code, namespace = _runner.program_globals(source, prepared)
        assert code == (source if expected is None else expected), source
        assert (namespace is prepared["from common import *"]) == uses_prepared, source
        if not uses_prepared:
            assert namespace == _runner.fresh_globals()


def test_grid_records_are_sent_for_exactly_the_arrays_of_colours():
    """The fast record of a returned array (shape and digits, checked by casts, not numpy reductions) is
    made for 2-D integer arrays of colours 0..9 only; anything else goes the slow way and is judged there."""
    import json

    import numpy as np

    accepted = [np.arange(9).reshape(3, 3), np.arange(9, dtype=np.uint8).reshape(3, 3),
                np.array([[1, 2], [3, 4]], dtype=">i8"), np.rot90(np.arange(6).reshape(2, 3)),
                np.array([[5]], dtype=np.int8), np.zeros((30, 30), dtype=np.uint16)]
    refused = [np.array([[10]]), np.array([[-1]]), np.array([[256]]), np.array([[2 ** 40 + 1]]),
               np.array([[True]]), np.array([[1.0]]), np.zeros((31, 1), int), np.zeros((0, 3), int),
               np.arange(3), np.zeros((2, 2, 1), int), np.arange(4).reshape(2, 2).view(np.matrix)]
    for value in accepted:
        record = json.loads(_runner.ok_record(4, value))
        assert record == {"i": 4, "status": "ok", "h": value.shape[0], "w": value.shape[1],
                          "cells": "".join(str(int(v)) for v in value.flatten())}
    for value in refused:
        assert _runner.ok_record(4, value) is None, value

"""Code extraction from completions: table-driven cases shaped like real model output."""

import ast

import pytest

from synth.extract import Extracted, extract_program, extract_programs, program_key, unique_programs

BARC_STYLE = '''Let's solve this puzzle using Python code with the common library functions. We'll first reason about the problem and then write the code to solve it. The `transform` function will take the input grid and return the output grid. Here is the Python code with the comments describing how to solve the problem:
```python
from common import *

import numpy as np
from typing import *

# concepts:
# rotation

# description:
# In the input you will see a small grid. To make the output, rotate it by 180 degrees.

def transform(input_grid):
    output_grid = np.rot90(input_grid, k=2)
    return output_grid
```'''

CHATTY_TWO_BLOCKS = '''Sure! First, a helper to look at the data:

```python
def count_colors(grid):
    return len(set(grid.flatten()))
```

Now the actual solution:

```python
import numpy as np

def transform(input_grid):
    # flip left-right
    return input_grid[:, ::-1]
```

This mirrors every row. Let me know if you need anything else!'''

TWO_VERSIONS = '''First attempt:
```python
from common import *

def transform(input_grid):
    return input_grid
```
Wait, that ignores the colours. Improved version:
```python
from common import *

def transform(input_grid):
    out = input_grid.copy()
    out[out == Color.BLUE] = Color.RED
    return out
```'''

TRUNCATED = '''Here is my solution:
```python
from common import *

def transform(input_grid):
    objects = find_connected_components(input_grid, monochromatic=True)
    for obj in objects:
        x, y, w, h = bounding_box(obj'''

COMPLETE_THEN_TRUNCATED = '''```python
from common import *

def transform(input_grid):
    return input_grid.T
```
An alternative that also handles colours:
```python
from common import *

def transform(input_grid):
    out = input_grid.T.copy(
'''

SYNTAX_ERROR = '''```python
def transform(input_grid)
    return input_grid
```'''

NO_TRANSFORM = '''```python
def solve(grid):
    return grid[::-1]
```'''

NESTED_TRANSFORM = '''```python
class Solver:
    def transform(self, grid):
        return grid
```'''

BARE_CODE = '''I think the rule is a transpose.
from common import *
import numpy as np

def transform(input_grid):
    result = np.transpose(input_grid)

    return result
This returns the transposed grid.'''

PROSE_ONLY = "I could not find the pattern in these examples. The output seems to depend on the number of red cells."

UNTAGGED_FENCE = '''Code:
```
def transform(input_grid):
    return input_grid * 0
```'''

GRID_ANSWER = '''The output grid for the test input grid is:
```text
Black Blue Black
Red Red Red
```'''

MISLABELLED_FENCE = '''```text
def transform(input_grid):
    return input_grid + 1
```'''


def _body_of_transform(source):
    fn = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "transform")
    return ast.unparse(fn)


@pytest.mark.parametrize(
    "completion, status, transform_contains, message_contains",
    [
        (BARC_STYLE, "ok", "np.rot90(input_grid, k=2)", ""),
        (CHATTY_TWO_BLOCKS, "ok", "input_grid[:, ::-1]", ""),
        (TWO_VERSIONS, "ok", "Color.RED", ""),
        (TRUNCATED, "syntax_error", None, "line"),
        (COMPLETE_THEN_TRUNCATED, "ok", "input_grid.T", ""),
        (SYNTAX_ERROR, "syntax_error", None, "line 1"),
        (NO_TRANSFORM, "no_transform", None, "def transform"),
        (NESTED_TRANSFORM, "no_transform", None, "top-level"),
        (BARE_CODE, "ok", "np.transpose(input_grid)", ""),
        (PROSE_ONLY, "no_code", None, "no code"),
        ("", "no_code", None, ""),
        (UNTAGGED_FENCE, "ok", "input_grid * 0", ""),
        (GRID_ANSWER, "no_code", None, ""),
        (MISLABELLED_FENCE, "ok", "input_grid + 1", ""),
    ],
    ids=[
        "barc-style", "chatty-two-blocks", "last-version-wins", "truncated", "complete-then-truncated",
        "syntax-error", "no-transform", "nested-transform", "bare-code", "prose-only", "empty",
        "untagged-fence", "grid-answer", "mislabelled-fence",
    ],
)
def test_extraction_table(completion, status, transform_contains, message_contains):
    result = extract_program(completion)
    assert result.status == status, result.message
    assert message_contains in result.message
    if status == "ok":
        assert result.source.startswith("from common import *\n")
        ast.parse(result.source)
        assert transform_contains in _body_of_transform(result.source)
        assert result.key == program_key(result.source)
        assert "```" not in result.source
    else:
        assert result.source is None and result.key is None and result.message


def test_common_import_added_once_and_comments_kept():
    added = extract_program(CHATTY_TWO_BLOCKS)
    assert added.source.count("from common import *") == 1
    assert "# flip left-right" in added.source
    kept = extract_program(BARC_STYLE)
    assert kept.source.count("from common import *") == 1
    assert "# concepts:" in kept.source


def test_bare_code_stops_before_trailing_prose():
    source = extract_program(BARE_CODE).source
    assert "This returns" not in source and "I think" not in source
    assert "return result" in source


def test_duplicates_collapse_across_comments_and_whitespace_in_first_seen_order():
    a = "```python\nfrom common import *\n\ndef transform(input_grid):\n    return input_grid.T\n```"
    a_noisy = (
        "Here you go:\n```python\nfrom common import *\n# transpose it\n\n\ndef transform( input_grid ):\n"
        "    return input_grid.T   # done\n```\nHope this helps."
    )
    a_no_import = "```python\ndef transform(input_grid):\n    return input_grid.T\n```"
    b = "```python\nfrom common import *\n\ndef transform(input_grid):\n    return input_grid[::-1]\n```"
    results = extract_programs([b, "no code here", a, a_noisy, SYNTAX_ERROR, a_no_import, b])
    assert [r.status for r in results] == ["ok", "no_code", "ok", "ok", "syntax_error", "ok", "ok"]
    assert results[2].key == results[3].key == results[5].key
    assert results[0].key != results[2].key
    unique = unique_programs(results)
    assert unique == [results[0].source, results[2].source]


def test_extracted_is_frozen():
    result = extract_program(BARC_STYLE)
    assert isinstance(result, Extracted)
    with pytest.raises(AttributeError):
        result.status = "no_code"

"""Emitted programs (`from common import *` and calls of dsl operations) behave exactly as the
in-process evaluation, in-process and through the sandbox."""


import numpy as np
import pytest

from arc.grid import as_grid
from test_search_families import CASES, case_hits  # the module pytest loaded: one cache of hits

TASK_IDS = sorted({tid for tid, _ in (c for c in CASES if not getattr(c, "marks", ()))})  # slow cases left out


def _exec_transform(source: str):
    namespace: dict = {}
    exec(compile(source, "<search program>", "exec"), namespace)
    return namespace["transform"]



@pytest.mark.parametrize("task_id", TASK_IDS)
def test_emitted_source_matches_in_process(arc1_train, common_module, task_id):
    task = arc1_train[task_id]
    hits = case_hits(task)
    assert hits
    for hit in hits:
        assert "synth" not in hit.source and "import arc" not in hit.source
        assert hit.source.startswith("from common import *\nimport numpy as np\n")
        transform = _exec_transform(hit.source)
        for ex in task.train:
            assert as_grid(transform(np.array(ex.input))) == ex.output, hit.description
        for ex, expected in zip(task.test, hit.test_outputs):
            assert as_grid(transform(np.array(ex.input))) == expected, hit.description


def test_emitted_source_through_sandbox(arc1_train):
    from synth import sandbox

    # One task per dsl module the operations live in: completion, selection, cells, grids, gravity,
    # fill, objects cropped by a property, a local rule after a tiling and one after a same-shape step,
    # a crop painted in a colour picked on the input.
    for task_id in ("3631a71a", "08ed6ac7", "0520fde7", "28bf18c6", "1e0a9b12", "00d62c1b", "23b5c85d", "f5b8619d",
                    "1bfc4729", "3de23699"):
        task = arc1_train[task_id]
        hit = case_hits(task)[0]  # the search's first program: the same with max_programs=1, and already found
        inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
        results = sandbox.run_program(hit.source, inputs, timeout_s=10.0)
        assert [r.status for r in results] == ["ok"] * len(inputs), [r.message for r in results]
        expected = [ex.output for ex in task.train] + list(hit.test_outputs)
        assert [r.grid for r in results] == expected

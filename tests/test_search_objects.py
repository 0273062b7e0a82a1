"""Object- and part-level families and greedy assembly each solve real ARC-AGI-1 training tasks,
and every program they emit runs in the sandbox exactly as it ran in-process."""

import numpy as np
import pytest

from arc.grid import as_grid
from search import WorkBudget, group_hits, search_programs
from tests.search_checks import found
from search.problem import Problem
from search.program import compile_program

# (task id, family, a helper its program must call): each checked against the known test output.
CASES = [
    ("0b148d64", "pick", "split_cells"),  # the cell with its own colour
    ("1f85a75f", "pick", "color_parts"),  # the colour with the fewest cells, cropped
    ("39a8645d", "pick", "object_parts"),  # the shape that occurs most often
    ("72ca375d", "pick", "object_parts"),  # the symmetric object
    ("cf98881b", "overlay", "split_equal"),  # three blocks stacked
    ("bc1d5164", "overlay", "split_corners"),  # the four corner windows stacked (they overlap)
    ("3428a4f5", "combine", "split_equal"),  # two blocks xor-ed
    ("7c008303", "paint", "size='mask'"),  # a one-colour panel painted by the 2x2 key panel, scaled up
    ("6ecd11f4", "paint", "size='key'"),  # the key's cells kept where the large stencil, scaled down, is set
    ("746b3537", "compress", "compress_grid"),  # repeated rows/columns kept once
    ("05f2a901", "move", "move_until_contact"),  # slide until touching the anchor
    ("1caeab9d", "move", "align_objects"),  # every object slides up or down into line with the blue one
    ("88a10436", "copy", "copy_to_markers"),  # template centred on a marker cell
    ("e76a88a6", "template", "match='shape'"),  # grey shapes take the many-coloured template's colours
    ("0e206a2e", "template", "views='rigid'"),  # a template moved, turned, onto three marker pixels
    ("6aa20dc0", "template", "max_scale=3"),  # a template completed at three times its size
    ("447fd412", "template", "max_scale=3"),  # copies at their fragments' scale, cut off at the grid's edge
    ("82819916", "template", "match='recolor'"),  # each row's start continued as the full row, in its own colours
    ("2c608aff", "shoot", "anchor='largest'"),  # pixels facing the block draw a ray to it
    ("1a07d186", "shoot", "anchor='same'"),  # pixels move to the line of their colour, the others go
    ("4093f84a", "shoot", "mode='join'"),  # pixels stack onto the band in its colour
    ("e40b9e2f", "symmetry", "group='rot90'"),  # a drawing completed under quarter turns
    ("4938f0c2", "symmetry", "centre='object'"),  # mirrored both ways about the small square
    ("3345333e", "symmetry", "remove='fewest'"),  # the occluder erased, the mirror image restored
    ("1fad071e", "count", "fill_first"),  # as many cells as there are blue squares
    ("d0f5fe59", "count", "np.eye"),  # a diagonal as long as the count of objects
    ("44d8ac46", "holes", "prop='kind'"),  # square holes filled
    ("868de0fa", "holes", "prop='parity'"),  # holes of an odd and of an even count of cells
    ("a2fd1cf0", "path", "connect_corner"),  # a path with one bend from the red cell to the green one
    ("63613498", "key", "paint='frame'"),  # the object shaped like the one in the corner takes the corner's colour
    ("c0f76784", "holes", "fill_holes_by_size"),  # hole colour by hole size
    ("6d75e8bb", "boxes", "fill_bounding_boxes"),  # each object's bounding box filled
    ("3eda0437", "boxes", "fill_largest_empty_rectangle"),  # the largest empty rectangle, two rows or more, filled
    ("6c434453", "rewrite", "rewrite_objects"),  # one shape replaced by another wherever it occurs
    ("2013d3e2", "pick+post", "grid.shape[0] // 2"),  # the object, then its top-left quarter
    ("5117e062", "pick+post", "pick_color"),  # the two-coloured object, in its main colour
    ("44f52bb0", "answer", "np.full"),  # one colour if symmetric, another if not
    ("445eab21", "answer", "largest_box"),  # the colour of the object with the largest box (cells tie)
    ("b9b7f026", "answer", "with_hole"),  # the colour of the one object with a hole
    ("496994bd", "assembly", "rot180"),  # the input over its rotation
    ("f25ffba3", "assembly", "flip_ud"),  # two layers from different operations
    ("913fb3ed", "assembly", "surround_cells"),  # one ring colour per source colour
    ("d4469b4b", "lookup", "most_common"),  # one of three fixed grids, chosen by the input's colour
    ("27a28665", "lookup", "'shape'"),  # the colour that names the input's pattern
]


def _found(task) -> list:
    """The families' programs on a case's task, searched once a session (``search_checks.found``): the
    sandbox test below runs the very programs that test_family_solves_task checked in-process."""
    return found("arc1-train", task.id, None, 5_000_000)[1]


@pytest.mark.parametrize("task_id,family,helper", CASES)
def test_family_solves_task(arc1_train, task_id, family, helper):
    task = arc1_train[task_id]
    found = [(p, outs) for p, outs in _found(task) if p.family == family]
    assert found, f"{family} found nothing for {task_id}"
    program, outputs = found[0]
    assert helper in program.source, program.description
    assert outputs == tuple(ex.output for ex in task.test), program.description
    transform = compile_program(program.source)
    for ex in task.train:
        assert as_grid(transform(np.array(ex.input))) == ex.output


def test_programs_through_sandbox(arc1_train):
    from synth import sandbox

    for task_id, family, _ in CASES:
        task = arc1_train[task_id]
        program, outputs = next((p, o) for p, o in _found(task) if p.family == family)
        assert program.source.startswith("from common import *\nimport numpy as np\n")
        assert "synth" not in program.source and "import arc" not in program.source
        inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
        results = sandbox.run_program(program.source, inputs, timeout_s=10.0)
        assert [r.status for r in results] == ["ok"] * len(inputs), (task_id, [r.message for r in results])
        assert [r.grid for r in results] == [ex.output for ex in task.train] + list(outputs), task_id


@pytest.mark.parametrize("task_id", ["05f2a901", "88a10436", "c0f76784", "f25ffba3"])
def test_search_programs_answers_with_families(arc1_train, task_id):
    # Tasks the step enumeration alone does not solve; through search_programs they now are.
    task = arc1_train[task_id]
    hits = search_programs(task, budget=8_000_000)
    status, ranked = group_hits(hits)
    assert status != "none"
    assert tuple(ex.output for ex in task.test) in ranked[:2]


def test_family_hits_follow_the_enumeration(arc1_train):
    # 0520fde7: the enumeration's combine_parts of two_halves and the part family's combine_parts both fit.
    hits = search_programs(arc1_train["0520fde7"], budget=8_000_000)
    kinds = ["steps" if h.family.startswith("compose") else "family" for h in hits]  # a local rule after a step has steps too
    assert "steps" in kinds and "family" in kinds
    assert kinds == sorted(kinds, key=lambda k: k != "steps")


def test_assembly_refuses_a_layer_that_paints_one_demonstration_only():
    from search.assemble import cover

    # Two demonstrations of 3 cells each (background 0).
    target = np.array([1, 1, 3, 1, 2, 3])
    demo = np.array([0, 0, 0, 1, 1, 1])
    ones = np.array([1, 1, 0, 1, 0, 0])  # right where it paints, in both demonstrations
    patch = np.array([0, 0, 0, 0, 2, 0])  # right, but paints in the second demonstration only
    threes = np.full(6, 3)  # a bottom layer right on what is left once cell 4 is covered
    flats = np.array([ones, patch, threes])
    assert cover(flats, target, 0) == [0, 1, 2]  # without the demonstrations: the patch is used
    assert cover(flats, target, 0, demo) is None


def test_lookup_needs_a_repeated_key():
    from search.families.parts import lookup_programs
    from search.steps import task_info

    inputs = [np.array([[c, 0], [0, 0]]) for c in (1, 2, 1, 2)]
    targets = [np.array([[5]]) if c == 1 else np.array([[6]]) for c in (1, 2, 1, 2)]
    info = task_info(list(zip(inputs, targets)))
    assert info.background == 0
    problem = Problem.of_arrays("t", inputs, targets, inputs[:1], WorkBudget(10**6))
    assert [p.lines[0].split("by=")[1].split(",")[0] for p in lookup_programs(problem)] == \
        ["'most_common'", "'least_common'"]
    # three demonstrations, three outputs: a table as large as the data is a copy, not a rule
    problem = Problem.of_arrays("t", inputs[:2] + [np.array([[3, 0], [0, 0]])], targets[:2] + [np.array([[7]])],
                                inputs[:1], WorkBudget(10**6))
    assert list(lookup_programs(problem)) == []


def test_part_programs_turn_grids_with_the_dsls_rotations():
    # The output is the largest cell between grey lines turned a quarter turn clockwise: the
    # finishing step is the dsl's rot90 (clockwise), written as a call, never as numpy.
    from search.families.parts import part_programs

    rng = np.random.default_rng(0)
    inputs, targets = [], []
    for _ in range(3):
        big, small = rng.integers(1, 5, size=(2, 3)), np.zeros((2, 3), dtype=int)
        small[0, 0] = 6
        g = np.full((2, 7), 5)
        g[:, :3], g[:, 4:] = big, small
        inputs.append(g)
        targets.append(np.rot90(big, -1))
    problem = Problem.of_arrays("t", inputs, targets, inputs[:1], WorkBudget(10**7))
    programs = [p for p in part_programs(problem) if p.family == "pick+post"]
    assert programs, "no program found"
    for program in programs:
        text = "\n".join(program.lines)
        assert "np.rot90" not in text and ".T" not in text and "np.flip" not in text
        run = compile_program(program.source)
        assert all(np.array_equal(run(g), t) for g, t in zip(inputs, targets))
    assert any(program.lines[-1] == "grid = rot90(grid)" for program in programs)

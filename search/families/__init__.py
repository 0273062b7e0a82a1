"""The whole-program families, each ``Problem -> programs``, and the loop that runs them.

Where the enumerator composes small steps one at a time, a family is a fixed program shape whose
parameters are read off the demonstrations (``parts``, ``objects``, ``assembly``; the local rules,
``local_rules``, are learnt cell by cell). A fitted program becomes a hit only after its emitted
source, run in-process exactly as the sandbox runs it, reproduces every demonstration.
"""

from __future__ import annotations

from typing import Callable

from arc.grid import from_array
from arc.task import Task
from search.budget import WorkBudget, as_budget, calls
from search.families.assembly import assembly_programs
from search.families.common import same
from search.families.objects import (
    box_programs,
    copy_programs,
    filter_programs,
    hole_programs,
    key_programs,
    move_programs,
    path_programs,
    rewrite_programs,
    shoot_programs,
    symmetry_programs,
    template_programs,
)
from search.families.marked import marked_programs
from search.families.object_map import map_programs
from search.families.object_pick import pick_programs
from search.families.rays import ray_programs
from search.families.relate import relate_programs
from search.families.parts import count_programs, lookup_programs, part_programs
from search.families.pattern import (continue_programs, inpaint_programs, layers_programs, self_tile_programs,
                                     repeat_programs, stairs_programs)
from search.families.panels import panel_programs
from search.families.pieces import pieces_programs
from search.problem import Problem
from search.program import Program, run_source


FAMILIES: dict[str, Callable] = {
    "parts": part_programs,
    "filter": filter_programs,
    "move": move_programs,
    "copy": copy_programs,
    "template": template_programs,
    "symmetry": symmetry_programs,
    "key": key_programs,
    "path": path_programs,
    "shoot": shoot_programs,
    "holes": hole_programs,
    "boxes": box_programs,
    "rewrite": rewrite_programs,
    "lookup": lookup_programs,
    "count": count_programs,
    # panels between separator lines redrawn from one another (panels.py): among the part families, as
    # it returns after one pass where the inputs have no separator lines, and the later ones spend the share
    "panels": panel_programs,
    # object-wise breadth (object_map, object_pick, rays): after the older families, so that they
    # never starve them of the object share
    "map": map_programs,
    "pick-object": pick_programs,
    "rays": ray_programs,
    # layers (pattern.py): rings, diamonds or shells carried on by their period; a few calls a
    # demonstration, so before the assembly, which spends whatever share is left
    "layers": layers_programs,
    # objects moved or trailed the way a marker colour on their edge points (marked.py): a few calls,
    # so before the assembly, which spends whatever share is left
    "marked": marked_programs,
    # rows generated from one drawn row a step each (pattern.py): returns at once unless every input
    # has exactly one drawn row or column, so before the assembly
    "stairs": stairs_programs,
    # a motif repeated from each seed cell by a period (pattern.py): returns at once unless every
    # output keeps its input's few drawn cells, one input having one
    "repeat": repeat_programs,
    # cells painted from their nearest lone pixels (relate.py): a few calls, before the assembly
    "relate": relate_programs,
    "assembly": assembly_programs,
    # patterns (pattern.py): masked cells restored from any symmetry or lattice; self-similar tiling;
    # a pattern carried on to the outputs' size
    "self-tile": self_tile_programs,
    "continue": continue_programs,
    "pieces": pieces_programs,  # pieces.py: objects fitted together into the rectangle they fill
    "inpaint": inpaint_programs,  # the costliest of them, last
}


def object_programs(task: Task | Problem, *, budget: int | WorkBudget = 2_000_000, families: tuple[str, ...] | None = None,
                    max_programs: int = 20, per_family: int = 3) -> list[tuple[Program, tuple]]:
    """Programs of the object families that reproduce every demonstration, each with its test
    outputs as the emitted source computes them; in family order, simplest lines first, at most
    ``per_family`` of one family (so that one family's many near-copies do not outvote the rest).
    ``budget`` counts cells (``search.budget``): a pass over the inputs per family started,
    per candidate a family weighs, and per program run."""
    problem = task if isinstance(task, Problem) else Problem.of(task, as_budget(budget))
    budget = problem.budget
    inputs, targets, tests = list(problem.train_in), list(problem.targets), list(problem.test_in)
    found: list[tuple[Program, tuple]] = []
    for name, family in FAMILIES.items():
        if families is not None and name not in families:
            continue
        if budget.exhausted:
            break
        budget.charge(calls(inputs))
        for program in family(problem):
            if sum(p.family == program.family for p, _ in found) >= per_family:
                continue
            budget.charge(calls(inputs + tests))
            outs = run_source(program.source, inputs + tests)
            if outs is not None and same(outs[:len(inputs)], targets):
                found.append((program, tuple(from_array(o) for o in outs[len(inputs):])))
            if len(found) >= max_programs or budget.exhausted:
                return found
    return found

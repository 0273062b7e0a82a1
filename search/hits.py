"""``SearchHit``: a program the search found, with what it gave in-process; grouping hits by answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from arc.grid import Grid
from arc.task import Example, Task
from dsl.color import most_common_color
from search.description import description_bits, program_calls
from search.program import Program
from search.steps import Step


@dataclass(frozen=True)
class SearchHit:
    """A program found by the search, with what it gave in-process."""

    source: str
    description: str
    steps: tuple[Step, ...]
    test_outputs: tuple[Grid, ...]
    # "compose" (enumerated steps), "compose+paint" (then the foreground painted in a colour chosen on
    # the input), "local-rule", "local-rule-after-step", "objects:<family>", and a lift's
    # "cells:<family>" or "roles:<family>"
    family: str = "compose"
    # Fits every demonstration but not when one is held out (a local rule, an assembly, a
    # lookup learnt with that demonstration out of view does not answer it): an answer, never
    # ``unique`` on its own.
    tentative: bool = False
    # A last resort (a local rule whose changes no two demonstrations replicate): reported only
    # where the search finds no other program. Always tentative.
    fallback: bool = False
    # The program whose source ``source`` is (None for a lift's wrapped program), so a lift can
    # emit it under another name.
    program: Program | None = field(default=None, compare=False, repr=False)


def output_facts(grid_in: Grid, grid_out: Grid) -> tuple[bool, bool, bool, bool]:
    """What an output says of its input beyond its cells: it is one colour; it holds the input's most
    common colour (ties: the smallest); it is the input unchanged; it holds a colour the input lacks."""
    colours = {c for row in grid_out for c in row}
    return (len(colours) == 1, most_common_color(grid_in) in colours, grid_out == grid_in,
            not colours <= {c for row in grid_in for c in row})


def broken_facts(demonstration_facts: Sequence[Sequence[bool]], answer_facts: Sequence[Sequence[bool]]) -> int:
    """How many of the facts (``output_facts``) that every demonstration's output shares the answer's
    outputs (their ``output_facts``, one a test input) break."""
    shared = [set(column) for column in zip(*demonstration_facts)]
    return sum(len(values) == 1 and fact not in values for facts in answer_facts for values, fact in zip(shared, facts))


def contradictions(demonstrations: Sequence[Example], test_inputs: Sequence[Grid],
                   answer: Sequence[Grid | None]) -> int:
    """How many facts (``output_facts``) that every demonstration's output shares the answer breaks
    on its test inputs (an input a program gave no grid for breaks none)."""
    if not demonstrations:
        return 0
    return broken_facts([output_facts(ex.input, ex.output) for ex in demonstrations],
                        [output_facts(grid_in, grid_out) for grid_in, grid_out in zip(test_inputs, answer)
                         if grid_out is not None])


def answer_evidence(programs: Sequence[tuple[str, bool]], contradicted: int = 0) -> tuple[bool, int, float, int, int]:
    """How strongly the programs (source, tentative) giving one answer back it, as a sort key,
    strongest first. An answer is as credible as its simplest explanation that the demonstrations do
    not contradict: an answer a program that is not tentative gives (one that held out its
    demonstrations) first; then the one that breaks fewer of the facts every demonstration's output
    shares (``contradicted``, from ``contradictions``: one colour or not, the input's most common
    colour kept or not, the input returned as it is or not, a colour the input lacks or not; every
    program giving an answer explains the same demonstrations, so their bits beyond the program's
    rank the answers as the program's bits do, and what the demonstrations tell besides is what
    their outputs share); then the one whose cheapest such program is shortest to write down
    (``description_bits``; among answers only tentative programs give, their cheapest); then the
    one more distinct structures back (``program_calls``: near-copies count once, so they never
    outvote two kinds of program that agree), those of such programs first, then those of all."""
    sure = [source for source, tentative in programs if not tentative]
    behind = sure or [source for source, _ in programs]
    return (not sure, contradicted, min(description_bits(s) for s in behind), -len({program_calls(s) for s in behind}),
            -len({program_calls(s) for s, _ in programs}))


def group_hits(hits: list[SearchHit], task: Task | None = None) -> tuple[str, list[tuple[Grid, ...]]]:
    """("unique" | "several" | "none", test-output tuples ranked by ``answer_evidence``, ties in the
    order found; with ``task``, what its demonstrations' outputs share weighs in). ``unique`` needs
    one group with a hit in it that is not tentative."""
    groups: dict[tuple[Grid, ...], list[tuple[str, bool]]] = {}
    for h in hits:
        groups.setdefault(h.test_outputs, []).append((h.source, h.tentative))
    ranked = list(groups)  # found order; ranked where there is a choice (stable: ties keep it)
    if len(ranked) > 1:
        demonstrations, test_inputs = (task.train, [ex.input for ex in task.test]) if task else ((), ())
        ranked.sort(key=lambda outputs: answer_evidence(groups[outputs],
                                                        contradictions(demonstrations, test_inputs, outputs)))
    if not ranked:
        return "none", ranked
    sure = len(ranked) == 1 and not all(h.tentative for h in hits)
    return ("unique" if sure else "several"), ranked

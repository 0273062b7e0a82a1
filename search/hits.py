"""``SearchHit``: a program the search found, with what it gave in-process; grouping hits by answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from arc.grid import Grid
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


def group_hits(hits: list[SearchHit]) -> tuple[str, list[tuple[Grid, ...]]]:
    """("unique" | "several" | "none", test-output tuples ranked: groups with a hit that is not
    tentative first (a tentative hit did not hold out a demonstration, so near-copies of one never
    outvote a program that did), then by group size, then simplest first). ``unique`` needs one
    group with a hit in it that is not tentative."""
    groups: dict[tuple[Grid, ...], int] = {}
    backed: set[tuple[Grid, ...]] = set()
    for h in hits:
        groups[h.test_outputs] = groups.get(h.test_outputs, 0) + 1
        if not h.tentative:
            backed.add(h.test_outputs)
    ranked = sorted(groups, key=lambda k: (k not in backed, -groups[k]))  # stable: ties keep first-found order
    if not ranked:
        return "none", ranked
    sure = len(ranked) == 1 and not all(h.tentative for h in hits)
    return ("unique" if sure else "several"), ranked

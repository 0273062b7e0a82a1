"""Arbitration between the TTT solver and the program synthesizer, one test input at a time.

The paper's rule ("paper"):
1. the two solvers' first answers are identical -> that answer (rule ``agree``);
2. they differ and the synthesizer found a unique deterministic program answer -> the
   synthesizer's answer (rule ``unique-program``);
3. otherwise (several competing program groups, or none) -> the TTT answer (rule ``ttt``).
The second attempt comes from the other solver where it has one, else from the trusted
solver's runner-up. Under agreement there is no "other" answer left, so the second attempt is
TTT's runner-up, else the synthesizer's. When one side is empty the other is used
(rules ``synth-fallback`` / ``ttt``); with nothing on either side the rule is ``none``.

``unique-final``: the paper's rule, except that a unique program answer is final: its test input
gets the synthesizer's attempts alone (rule ``unique-program-final``), so TTT is never asked about
it. It gives up the paper's second attempt from TTT where a unique program is wrong, and in exchange
the lazy ensemble skips TTT on those test inputs (see ``ttt_can_change``).

``paper-poe``: the paper's rule, where the synthesizer's programs disagree (``several``) their distinct
outputs are first ordered by the TTT model's product-of-experts score (the output's log-probability
under the task's adapter, summed over views) instead of by how many programs give each; the ordering
happens before ``combine`` (``ensemble.pipeline``), the rule itself is the paper's.

Ablation policies: ``barc`` (programs first whenever any train-consistent program exists, else
the neural answer), ``ttt-only``, ``synth-only``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, Sequence

from arc.grid import Grid, as_grid


class SynthOutcomeLike(Protocol):
    status: str  # "unique" | "several" | "none"
    attempts: Sequence[Any]


@dataclass(frozen=True)
class Decision:
    """The ensemble's answer for one test input and which rule produced it."""

    attempts: tuple[Grid, ...]
    rule: str


def _distinct(*sources: Iterable[Grid], limit: int = 2) -> tuple[Grid, ...]:
    out: list[Grid] = []
    for source in sources:
        for g in source:
            if g not in out:
                out.append(g)
            if len(out) == limit:
                return tuple(out)
    return tuple(out)


def _paper(ttt: list[Grid], synth: list[Grid], status: str) -> Decision:
    if ttt and synth and ttt[0] == synth[0]:
        return Decision(_distinct([ttt[0]], ttt[1:], synth[1:]), "agree")
    if status == "unique" and synth:
        return Decision(_distinct([synth[0]], ttt[:1], synth[1:]), "unique-program")
    if ttt:
        return Decision(_distinct([ttt[0]], synth[:1], ttt[1:]), "ttt")
    if synth:
        return Decision(_distinct(synth), "synth-fallback")
    return Decision((), "none")


def _unique_final(ttt: list[Grid], synth: list[Grid], status: str) -> Decision:
    if status == "unique" and synth:
        return Decision(_distinct(synth), "unique-program-final")
    return _paper(ttt, synth, status)


def _barc(ttt: list[Grid], synth: list[Grid], status: str) -> Decision:
    if synth and status in ("unique", "several"):
        return Decision(_distinct(synth, ttt), "program")
    if ttt:
        return Decision(_distinct(ttt), "neural")
    return Decision((), "none")


def _ttt_only(ttt: list[Grid], synth: list[Grid], status: str) -> Decision:
    return Decision(_distinct(ttt), "ttt-only" if ttt else "none")


def _synth_only(ttt: list[Grid], synth: list[Grid], status: str) -> Decision:
    return Decision(_distinct(synth), "synth-only" if synth else "none")


POLICIES: dict[str, Callable[[list[Grid], list[Grid], str], Decision]] = {
    "paper": _paper,
    "paper-poe": _paper,  # the synthesizer's several outputs ordered by TTT's score first (pipeline)
    "unique-final": _unique_final,
    "barc": _barc,
    "ttt-only": _ttt_only,
    "synth-only": _synth_only,
}

SYNTH_STATUSES = ("unique", "several", "none")
# policies under which the TTT model's score orders the synthesizer's outputs where they are several
SCORE_PROGRAMS = frozenset({"paper-poe"})


def combine(ttt_attempts: Sequence[Any], synth_outcome: SynthOutcomeLike | None, policy: str = "paper") -> Decision:
    """Decide the (at most 2, distinct) attempts for one test input.

    ``ttt_attempts``: the TTT solver's ranked grids (may be empty). ``synth_outcome``: any object
    with ``.status`` in {"unique", "several", "none"} and ranked ``.attempts`` (None counts as
    "none" with no attempts). Grids may be lists, tuples or numpy arrays.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown ensemble policy {policy!r}; known: {', '.join(POLICIES)}")
    status = "none" if synth_outcome is None else synth_outcome.status
    if status not in SYNTH_STATUSES:
        raise ValueError(f"synthesizer status must be one of {SYNTH_STATUSES}, got {status!r}")
    synth = [] if synth_outcome is None else [as_grid(g) for g in synth_outcome.attempts]
    ttt = [as_grid(g) for g in ttt_attempts]
    # duplicates inside one solver's ranking carry no information for the rules
    ttt = list(_distinct(ttt, limit=len(ttt)))
    synth = list(_distinct(synth, limit=len(synth)))
    return POLICIES[policy](ttt, synth, status)


def ttt_can_change(synth_outcome: SynthOutcomeLike | None, policy: str = "paper") -> bool:
    """Whether some TTT answer could still change this test input's decision under ``policy``,
    given the synthesizer's outcome; when False, TTT need not run for it (the lazy ensemble).

    - ``paper`` and ``paper-poe``: always. With no program answer TTT is trusted; with several, TTT is trusted; with a
      unique program answer TTT still gives the second attempt (or agrees, and then the second
      attempt is its runner-up). So under the paper's rule the lazy ensemble skips nothing.
    - ``unique-final``: unless the synthesizer's answer is ``unique``.
    - ``barc``: unless a train-consistent program exists and the programs give two distinct attempts
      (with one, TTT fills the second).
    - ``ttt-only``: always; ``synth-only``: never.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown ensemble policy {policy!r}; known: {', '.join(POLICIES)}")
    status = "none" if synth_outcome is None else synth_outcome.status
    synth = [] if synth_outcome is None else list(_distinct([as_grid(g) for g in synth_outcome.attempts]))
    if policy == "unique-final":
        return not (status == "unique" and synth)
    if policy == "barc":
        return not (status in ("unique", "several") and len(synth) >= 2)
    return policy != "synth-only"

"""Verify candidate programs on a task and turn the survivors into per-test-input answers.

A program is *train-consistent* when it reproduces every demonstration output exactly, and *deterministic*
when a second run with another seed gives the same result (status and grid) on every input.
Train-consistent programs are grouped by the tuple of their test outputs (the task-level groups).

Per test input i the outcome projects those groups onto component i: programs whose i-th outputs are
equal vote together, so two groups that differ only on another test input agree here. Attempts are the
distinct valid i-th outputs ranked by the number of train-consistent programs giving them (ties: the
smallest program index first), at most 2; the search's (``summarise`` given the demonstrations) by the
evidence behind each instead (``search.hits.answer_evidence``: near-copies of one program do not
outvote a cheaper one, nor two kinds of program that agree; an answer that breaks what every
demonstration's output shares comes after one that does not). Status: ``unique`` when the deterministic train-consistent
programs give exactly one distinct valid grid for input i and at least one of them is not *tentative*;
``several`` when they give more than one, when only non-deterministic programs are train-consistent, or
when only tentative ones give the grid; ``none`` when no train-consistent program produced a valid grid
for input i. For a task with one test input this is exactly "one group". A proposer marks a program
tentative when it fits every demonstration but did not hold one out (the search's local rules, assemblies
and lookups learnt without a demonstration that do not answer it): it answers and votes, but its answer
alone is never ``unique``.

The search's answers are then weighed (``synth.verdict``; ``verify_programs(weigh=True)``, which the
synthesizer asks for with the search proposer): a single answer stays ``unique`` only when the
demonstrations tell more bits than its simplest deterministic, non-tentative program costs (the Occam
check; ``summarise`` makes it when given the demonstrations). The cost is counted in the search's own
code (one dsl call per step, its parameters as literals); an LLM's program, written at length, is not
measured in it, so an LLM sampler's answers are not weighed. The search's proposer also holds each
demonstration out (``synth.verdict.hold_out``, run by ``ProgramSynthesizer``): an answer the search
does not learn again without one demonstration is ``several``.
"""

from __future__ import annotations

import typing
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Collection, Literal, Sequence

from arc.grid import Grid, as_grid
from arc.task import Example, Task
from synth.sandbox import ExecResult, Sandbox, default_sandbox
from search.hits import answer_evidence, contradictions
from synth.verdict import weigh as weigh_answer


@dataclass(frozen=True)
class ProgramResult:
    """One distinct program tried on a task: per-input statuses and outputs of its first (seed A) run."""

    index: int  # position among the distinct sources, in the order given
    source: str
    train_status: tuple[str, ...]
    train_outputs: tuple[Grid | None, ...]
    test_status: tuple[str, ...]
    test_outputs: tuple[Grid | None, ...]
    train_consistent: bool
    deterministic: bool | None  # None when not checked (only train-consistent programs are re-run)
    message: str = ""  # the first non-empty failure message, if any
    tentative: bool = False  # marked so by its proposer: never ``unique`` on its own (module docstring)


SynthStatus = Literal["unique", "several", "none"]
SYNTH_STATUSES: tuple[str, ...] = typing.get_args(SynthStatus)


@dataclass(frozen=True)
class SynthOutcome:
    """The synthesizer's answer for one test input (``status`` and ``attempts`` are what ensembles read)."""

    status: SynthStatus
    attempts: tuple[Grid, ...] = ()  # at most 2, distinct, best first
    n_programs: int = 0  # distinct programs run on the task
    n_consistent: int = 0  # train-consistent programs
    n_deterministic: int = 0  # train-consistent programs that are also deterministic
    votes: tuple[int, ...] = ()  # train-consistent programs behind each attempt

    def to_json(self) -> dict:
        return {"status": self.status, "attempts": [[list(r) for r in g] for g in self.attempts],
                "n_programs": self.n_programs, "n_consistent": self.n_consistent,
                "n_deterministic": self.n_deterministic, "votes": list(self.votes)}

    @classmethod
    def from_json(cls, d: dict) -> "SynthOutcome":
        """Inverse of ``to_json`` (records written before ``n_deterministic`` and ``votes`` load too)."""
        if not isinstance(d, dict) or d.get("status") not in SYNTH_STATUSES:
            raise ValueError(f"a synthesizer outcome needs status in {SYNTH_STATUSES}, got {d!r:.80}")
        return cls(d["status"], tuple(as_grid(g) for g in d.get("attempts") or ()), int(d.get("n_programs", 0)),
                   int(d.get("n_consistent", 0)), int(d.get("n_deterministic", 0)), tuple(d.get("votes") or ()))


@dataclass(frozen=True)
class Verification:
    """Everything verification learned about a task."""

    task_id: str
    programs: tuple[ProgramResult, ...]
    outcomes: tuple[SynthOutcome, ...]  # one per test input
    groups: tuple[tuple[tuple[Grid | None, ...], tuple[int, ...]], ...]  # (test outputs, program indices)
    n_duplicates: int  # sources skipped because an identical source came earlier

    def unique_sources(self) -> list[str]:
        """The deterministic, non-tentative train-consistent programs that give every ``unique``
        outcome's answer (the programs that back those answers)."""
        unique = {i: o.attempts[0] for i, o in enumerate(self.outcomes) if o.status == "unique"}
        return [p.source for p in self.programs if p.train_consistent and p.deterministic and not p.tentative
                and all(p.test_outputs[i] == g for i, g in unique.items())]

    def without_unique(self) -> "Verification":
        """The same, with every ``unique`` outcome reported ``several`` (its attempts unchanged)."""
        outcomes = tuple(replace(o, status="several") if o.status == "unique" else o for o in self.outcomes)
        return replace(self, outcomes=outcomes)


def _matches(result: ExecResult, expected: Grid | None) -> bool:
    return result.status == "ok" and expected is not None and result.grid == expected


def verify_programs(task: Task, sources: Sequence[str], *, sandbox: Sandbox | None = None,
                    seeds: tuple[int, int] = (0, 1), timeout_s: float = 2.0,
                    memory_mb: int = 512, tentative: Collection[str] = (), weigh: bool = False) -> Verification:
    """Run every distinct source on all inputs of ``task`` and summarise (see the module docstring);
    the sources in ``tentative`` are marked so; with ``weigh``, a single answer is weighed against
    the demonstrations (programs the search wrote)."""
    if seeds[0] == seeds[1]:
        raise ValueError("the determinism check needs two different seeds")
    sandbox = sandbox or default_sandbox()
    distinct = list(dict.fromkeys(sources))  # keeps first occurrences, in order
    inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
    n_train = len(task.train)
    first = sandbox.run_many([(s, inputs, seeds[0]) for s in distinct], timeout_s=timeout_s, memory_mb=memory_mb)
    consistent = [k for k, run in enumerate(first)
                  if all(_matches(r, ex.output) for r, ex in zip(run.results[:n_train], task.train))]
    second = sandbox.run_many([(distinct[k], inputs, seeds[1]) for k in consistent],
                              timeout_s=timeout_s, memory_mb=memory_mb)
    deterministic = {k: run.results == first[k].results for k, run in zip(consistent, second)}
    programs = []
    for k, (source, run) in enumerate(zip(distinct, first)):
        res = run.results
        programs.append(ProgramResult(
            index=k, source=source,
            train_status=tuple(r.status for r in res[:n_train]), train_outputs=tuple(r.grid for r in res[:n_train]),
            test_status=tuple(r.status for r in res[n_train:]), test_outputs=tuple(r.grid for r in res[n_train:]),
            train_consistent=k in deterministic, deterministic=deterministic.get(k),
            message=next((r.message for r in res if r.message), ""), tentative=source in tentative,
        ))
    return summarise(task.id, programs, n_test=len(task.test), n_duplicates=len(sources) - len(distinct),
                     demonstrations=task.train if weigh else (),
                     test_inputs=tuple(ex.input for ex in task.test) if weigh else ())


def summarise(task_id: str, programs: Sequence[ProgramResult], n_test: int, n_duplicates: int = 0,
              demonstrations: Sequence[Example] = (), test_inputs: Sequence[Grid] = ()) -> Verification:
    """Group train-consistent programs and build one SynthOutcome per test input (no execution);
    with ``demonstrations``, a single answer is also weighed against its simplest program, and with
    the ``test_inputs`` too, answers are ranked against what the demonstrations' outputs share."""
    passing = [p for p in programs if p.train_consistent]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for p in passing:
        groups[p.test_outputs].append(p.index)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), min(kv[1])))
    n_det = sum(1 for p in passing if p.deterministic)
    by_index = {p.index: p for p in passing}
    outcomes = []
    for i in range(n_test):
        votes: dict[Grid, list[int]] = defaultdict(list)
        backed: set[Grid] = set()  # answers a program that is not tentative gives: they rank first
        for p in passing:
            if p.test_outputs[i] is not None:
                votes[p.test_outputs[i]].append(p.index)
                if not p.tentative:
                    backed.add(p.test_outputs[i])
        if demonstrations and len(votes) > 1:  # the search's programs: the evidence behind each answer, not its votes
            best = sorted(votes.items(), key=lambda kv: (
                answer_evidence([(by_index[j].source, by_index[j].tentative) for j in kv[1]],
                                contradictions(demonstrations, test_inputs[i:i + 1], (kv[0],))), min(kv[1])))[:2]
        else:
            best = sorted(votes.items(), key=lambda kv: (kv[0] not in backed, -len(kv[1]), min(kv[1])))[:2]
        det_answers = {p.test_outputs[i] for p in passing if p.deterministic and p.test_outputs[i] is not None}
        backing = [p.source for p in passing if p.deterministic and not p.tentative and p.test_outputs[i] is not None]
        sure = bool(backing) and (not demonstrations or weigh_answer(demonstrations, backing).convincing)
        if not votes:
            status = "none"
        elif len(det_answers) == 1 and sure:
            status = "unique"
        else:
            status = "several"
        outcomes.append(SynthOutcome(status, tuple(g for g, _ in best), len(programs), len(passing), n_det,
                                     tuple(len(ix) for _, ix in best)))
    return Verification(task_id, tuple(programs), tuple(outcomes),
                        tuple((key, tuple(ix)) for key, ix in ranked), n_duplicates)

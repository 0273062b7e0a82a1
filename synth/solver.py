"""The program synthesizer end to end for one task: propose programs (a ``Proposer``: an LLM
sampler or the search), extract and de-duplicate them, verify them in the sandbox, and return one
outcome per test input (``unique`` / ``several`` / ``none`` with ranked attempts) with every program
tried. The run directory stores the programs (``ensemble.run.RunDir``, in ``synth.store``'s format);
the synthesizer writes no file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from arc.answer import TaskAnswer, TestAnswer
from arc.seeds import task_seed
from arc.task import Task
from synth.config import SynthConfig
from synth.verify import SynthOutcome, Verification, verify_programs


@dataclass(frozen=True)
class Proposal:
    """What a proposer offers for one task: program sources, counts about how they were
    obtained, and the sources it marks tentative (never ``unique`` on their own, see
    ``synth.verify``)."""

    sources: list[str]
    info: dict[str, Any]
    tentative: frozenset[str] = frozenset()


MAX_RANKED = 8  # distinct program outputs an answer keeps per test input (the record's size, a scorer's work)


@dataclass(frozen=True)
class SynthResult:
    """What the synthesizer made of one task."""

    task_id: str
    verification: Verification
    timings: Mapping[str, float] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> tuple[SynthOutcome, ...]:
        """One outcome per test input (the verification's)."""
        return self.verification.outcomes

    def answer(self, source: str = "synth") -> TaskAnswer:
        """The answer every solver gives (``arc.answer``): per test input the outcome's status and
        the distinct outputs of the train-consistent programs (at most ``MAX_RANKED``), ranked as the
        outcome ranks its attempts (more programs first, ties by the first program's index; so the
        first two are the outcome's attempts), each scored by the programs that give it: what a
        scorer may re-rank where they disagree. The programs ride along for the run directory."""
        passing = [p for p in self.verification.programs if p.train_consistent]
        tests = []
        for i, outcome in enumerate(self.outcomes):
            votes: dict = {}
            for p in passing:
                g = p.test_outputs[i] if i < len(p.test_outputs) else None
                if g is not None:
                    votes.setdefault(g, []).append(p.index)
            ranked = sorted(votes.items(), key=lambda kv: (-len(kv[1]), min(kv[1])))
            ranked = ranked[:MAX_RANKED]
            tests.append(TestAnswer.of(outcome.status, [g for g, _ in ranked], [float(len(ix)) for _, ix in ranked],
                                       source))
        return TaskAnswer(self.task_id, tuple(tests), dict(self.timings), dict(self.info), self.verification.programs)


class Proposer(Protocol):
    """Whatever offers candidate programs for a task: the program search, or an LLM sampler.
    ``weighs``: its single answers are weighed (``synth.verdict``) and held out (``hold_out``)."""

    weighs: bool

    def propose(self, task: Task) -> Proposal: ...

    def close(self) -> None: ...


class SearchProposer:
    """The program search (``search``): no model, deterministic under its work budget."""

    # Its programs are written in the one concise code the verdict's cost counts, and it can be asked again.
    weighs = True

    def __init__(self, config: SynthConfig):
        self.config = config

    def propose(self, task: Task) -> Proposal:
        from search import WorkBudget, search_programs

        cfg = self.config
        budget = WorkBudget(cfg.search_budget, cap_s=cfg.search_cap_s)
        hits = search_programs(task, budget=budget, max_programs=cfg.search_max_programs)
        # A source some hit found without the mark is not tentative.
        tentative = {h.source for h in hits if h.tentative} - {h.source for h in hits if not h.tentative}
        return Proposal([h.source for h in hits], {"n_proposed": len(hits), "n_tentative": len(tentative),
                                                   "search_work": budget.spent, "search_capped": budget.capped},
                        frozenset(tentative))

    def hold_out(self, task: Task, cost: float):
        """The search learnt again with each demonstration held out (``synth.verdict.hold_out``), on
        ``HOLD_OUT_SHARE`` of its budget; ``cost`` is the bits of the answer's cheapest program."""
        from synth.verdict import HOLD_OUT_SHARE, hold_out

        return hold_out(task, budget=int(HOLD_OUT_SHARE * self.config.search_budget), cost=cost)

    def close(self) -> None:
        pass


class SamplerProposer:
    """An LLM sampler (hf, vllm, openai): a prompt, completions, the programs extracted from them."""

    # Node counts would make a hand-written program look costly: an LLM's answers are not weighed.
    weighs = False

    def __init__(self, config: SynthConfig, sampler: Any):
        self.config = config
        self.sampler = sampler

    def propose(self, task: Task) -> Proposal:
        from synth.extract import extract_programs, unique_programs
        from synth.prompt import build_prompt

        cfg = self.config
        prompt = build_prompt(task, include_api_section=cfg.include_api_section)
        completions = self.sampler.sample(prompt.messages, cfg.samples, seed=task_seed(cfg.seed, task.id))
        extracted = extract_programs(completions)
        statuses: dict[str, int] = {}
        for e in extracted:
            statuses[e.status] = statuses.get(e.status, 0) + 1
        sources = unique_programs(extracted)
        return Proposal(sources, {"n_samples": len(completions), "extraction": statuses, "n_proposed": len(sources)})

    def close(self) -> None:
        """Free the sampler's model or engine (a vLLM engine holds its device until then)."""
        sampler, self.sampler = self.sampler, None
        close = getattr(sampler, "close", None)
        if close is not None:
            close()


class ProgramSynthesizer:
    """Holds the proposer (the search, or a sampler with its loaded model or HTTP client) and the
    sandbox across tasks."""

    def __init__(self, config: SynthConfig, sampler: Any = None, sandbox: Any = None):
        self.config = config
        self.sandbox = sandbox
        if sampler is None and config.sampler == "search":
            self.proposer: Proposer = SearchProposer(config)
        else:
            if sampler is None:
                from synth.samplers import make_sampler

                sampler = make_sampler(config)
            self.proposer = SamplerProposer(config, sampler)

    def propose(self, task: Task) -> Proposal:
        """Candidate program sources for ``task``, which of them are tentative, and counts about
        how they were obtained."""
        return self.proposer.propose(task)

    def solve(self, task: Task) -> SynthResult:
        t0 = time.perf_counter()
        proposal = self.propose(task)
        info = proposal.info
        t1 = time.perf_counter()
        weighs = self.proposer.weighs
        verification = verify_programs(task, proposal.sources, sandbox=self.sandbox, timeout_s=self.config.timeout_s,
                                       memory_mb=self.config.memory_mb, tentative=proposal.tentative, weigh=weighs)
        t2 = time.perf_counter()
        held_out = None
        if weighs and any(o.status == "unique" for o in verification.outcomes):
            from synth.verdict import cheapest_bits

            # The proposer learns the answer again with each demonstration held out, or it is not unique.
            held_out = self.proposer.hold_out(task, cheapest_bits(verification.unique_sources()))
            if not held_out.confirms:
                verification = verification.without_unique()
        t3 = time.perf_counter()
        info = {**info, "n_programs": len(verification.programs),
                "n_consistent": sum(p.train_consistent for p in verification.programs),
                "n_groups": len(verification.groups),
                **({"held_out": list(held_out.predicted)} if held_out is not None else {})}
        return SynthResult(task.id, verification,
                           {"propose": t1 - t0, "verify": t2 - t1, "hold_out": t3 - t2}, info)

    def close(self) -> None:
        """Free the proposer's model or engine (a vLLM engine holds its device until then)."""
        self.proposer.close()

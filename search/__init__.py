"""Program search over ``dsl``: a proposer that needs no LLM.

``search_programs(task)`` returns train-consistent programs as Python source in the same form an
LLM writes (``from common import *`` and a few calls of dsl operations), ready for the sandbox and
the verifier. The package: candidate steps and their parameters (``steps``), one program type and
emitter (``program``, ``emit`` for steps), a task read once (``problem``), the breadth-first
enumeration (``enumerate``), the whole-program families (``families``), the lifts (``lifts``), the
work budget (``budget``) and the orchestrator that shares it (``orchestrate``).
"""

from search.budget import DEFAULT_WORK_BUDGET, WorkBudget
from search.emit import emit_program
from search.hits import SearchHit, group_hits
from search.orchestrate import search_programs
from search.problem import Problem
from search.program import Program
from search.steps import OPS, Step, step

__all__ = ["DEFAULT_WORK_BUDGET", "OPS", "Problem", "Program", "SearchHit", "Step", "WorkBudget", "emit_program",
           "group_hits", "search_programs", "step"]

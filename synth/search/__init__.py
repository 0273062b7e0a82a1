"""Program search: a proposer that enumerates compositions of dsl operations, no LLM needed.

``search_programs(task)`` returns train-consistent programs as Python source in the same form
an LLM writes (``from common import *`` and a few calls of dsl operations), ready for the
sandbox and the verifier. The operations themselves live in ``dsl``; this package holds only
the search: candidate steps and parameter fitting (``steps``), enumeration and pruning
(``enumerate``), emission (``emit``), and the work budget (``budget``).
"""

from synth.search.budget import DEFAULT_WORK_BUDGET, WorkBudget
from synth.search.emit import emit_program
from synth.search.enumerate import SearchHit, group_hits, search_programs
from synth.search.steps import OPS, Step, step

__all__ = ["DEFAULT_WORK_BUDGET", "OPS", "WorkBudget", "SearchHit", "Step", "emit_program", "group_hits", "search_programs", "step"]

"""Program search: a proposer that enumerates compositions of grid operations, no LLM needed.

``search_programs(task)`` returns train-consistent programs as self-contained Python source in
the same form an LLM writes, ready for the sandbox and the verifier.
"""

from synth.search.emit import emit_program
from synth.search.enumerate import SearchHit, group_hits, search_programs
from synth.search.steps import OPS, Step

__all__ = ["OPS", "SearchHit", "Step", "emit_program", "group_hits", "search_programs"]

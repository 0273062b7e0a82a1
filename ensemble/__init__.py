"""Arbitration between the TTT solver and the program synthesizer."""

from ensemble.combine import POLICIES, Decision, combine

__all__ = ["POLICIES", "Decision", "combine"]

"""The search's front door: one orchestrator sharing one work budget among the families.

``search_programs(task)`` returns train-consistent programs as Python source in the same form an
LLM writes (``from common import *`` and a few calls of dsl operations). The whole-program
families run first, each on a share of the budget (local rules, local rules after one step, the
object and part families, the cell lift); the breadth-first enumeration gets the rest, less the
parts kept back while nothing fits for the assembly (``search.assemble``: layers of the states the
enumeration made, where it found no program) and the roles lift. Enumerated compositions come first
in the answer, simplest first.
"""

from __future__ import annotations

import numpy as np

from arc.task import Task
from search.assemble import CandidatePool, assemble
from search.budget import DEFAULT_WORK_BUDGET, WorkBudget, as_budget, calls, cells
from search.emit import step_call
from search.enumerate import FIT_PASSES, apply_all, closeness, enumerate_programs, state_key
from search.families import object_programs
from search.families.local_fixpoint import learn_fixpoint_rules
from search.families.local_rules import learn_local_rules, rule_program
from search.hits import SearchHit
from search.lifts import cell_lift, lifted_hits, role_lift, task_roles
from search.problem import Problem
from search.steps import Step, fitted_steps, static_steps

# The whole-program families run first, each on a share of the work budget; the enumeration gets
# the rest. Their programs follow the enumeration's, so a composition stays the first answer. The
# shares, with the parts kept back for the assembly and the roles lift, add up to at most 0.93
# (0.7 but on a same-shape task that no one-shot local rule fits), so the enumeration always has
# 7% of the budget (most often more than a fifth), whatever the families spend.
LOCAL_RULE_SHARE = 0.2  # local_rules.py: per-cell rules, same-shape tasks only
SECOND_PASS_SHARE = 0.03  # local_rules.py: the same with the features of its second pass, when the
# first finds no replicated rule (work of its own, so that a feature added there delays no rule;
# 0.05 cost 6cdd2623 its composition at half the default work, 0.02 misses dev 5ad8a7c0's rule)
AFTER_STEP_SHARE = 0.1  # same-shape tasks: local rules after one step, when none fits the inputs
UNTIL_STABLE_SHARE = 0.1  # local_fixpoint.py: same-shape tasks, a local rule applied until nothing
# changes, when no rule fits the inputs in one application
# (tasks whose shapes change: LOCAL_RULE_SHARE, the learner having had none on the inputs)
OBJECT_SHARE = 0.15  # objects.py: parts, objects, assembly
CELL_SHARE = 0.15  # same-shape tasks on a grid of one-colour cells: the search again, a pixel per cell
ROLE_SHARE = 0.15  # tasks whose colours change between demonstrations: the search again on colours
# renamed by role, when it finds nothing otherwise
ASSEMBLY_SHARE = 0.05  # assemble.py: layers of the enumeration's states, kept back while nothing fits


def search_programs(
    task: Task | Problem,
    *,
    budget: int | WorkBudget = DEFAULT_WORK_BUDGET,
    max_programs: int = 50,
    max_depth: int = 3,
    lift: bool = True,
) -> list[SearchHit]:
    """Train-consistent programs for ``task``: enumerated compositions, simplest first, then the
    object/part families' programs, then local rules, then (``lift``) programs on one pixel per
    cell of a partitioned grid and, where none of these fits, programs on colours renamed by
    role (at most ``max_programs`` in all), the fallback hits only where there is no other.

    ``budget`` is work in cells (``search.budget``), an int or a ``WorkBudget`` whose
    ``spent`` and ``capped`` the caller reads afterwards; every share of it is a share of work,
    so the search is deterministic whatever the machine's speed or load."""
    problem = task if isinstance(task, Problem) else Problem.of(task, as_budget(budget))
    budget = problem.budget
    lifted = []
    if lift:
        cells_view = cell_lift(problem, budget.share(CELL_SHARE))
        lifted = lifted_hits(cells_view, search_programs, max_depth=max_depth) if cells_view else []
    rules = learn_local_rules(problem.with_budget(budget.share(LOCAL_RULE_SHARE)),
                              second_pass=budget.share(SECOND_PASS_SHARE))
    local = [SearchHit(r.source, r.description, (), r.test_outputs, "local-rule", r.tentative, not r.replicated,
                       rule_program(r)) for r in rules]
    # The second pass's rules add answers and decide nothing else: the fallbacks below run as they
    # would without them.
    added = {id(h) for h, r in zip(local, rules) if r.second_pass}

    def nothing_fits(hits: list[SearchHit]) -> bool:
        return all(h.fallback or id(h) in added for h in hits)

    if not any(r.replicated and not r.second_pass for r in rules):
        local += _rules_after_a_step(problem)
        if problem.info.same_shape:
            local += [SearchHit(r.source, r.description, (), r.test_outputs, "local-rule-until-stable", r.tentative,
                                not r.replicated, rule_program(r))
                      for r in learn_fixpoint_rules(problem.with_budget(budget.share(UNTIL_STABLE_SHARE)))]
    families = [SearchHit(p.source, p.description, (), outputs, f"objects:{p.family}", p.tentative, program=p)
                for p, outputs in object_programs(problem.with_budget(budget.share(OBJECT_SHARE)))]
    found = families + local + lifted
    # Work for assembling the enumeration's states, and for the search on colours renamed by role,
    # is kept back only while nothing fits.
    nothing = nothing_fits(found)
    roles = task_roles(problem) if lift and nothing else None
    kept = int(ROLE_SHARE * budget.limit) if roles else 0
    layered = int(ASSEMBLY_SHARE * budget.limit) if nothing else 0
    pool = CandidatePool(problem.targets) if nothing else None
    hits = enumerate_programs(problem.with_budget(budget.part(budget.left - kept - layered)),
                              max_programs=max_programs, max_depth=max_depth, pool=pool)
    found = hits + found
    if pool is not None and nothing_fits(found):
        found = assemble(problem.with_budget(budget.part(budget.left - kept)), pool) + found
    if roles and nothing_fits(found):
        found += lifted_hits(role_lift(problem, roles, budget.part(budget.left)), search_programs, max_depth=max_depth)
    return ([h for h in found if not h.fallback] or found)[:max_programs]


MAX_PRE_STEPS = 6
# Comparing a step's results with the outputs (``closeness``): a few numpy calls a demonstration.
CLOSENESS_COST = 100


def _rules_after_a_step(problem: Problem) -> list[SearchHit]:
    """Local rules learnt on what one step makes of the inputs, each of at most ``MAX_PRE_STEPS``
    steps with an equal share of the budget. Where the outputs differ in shape from the inputs:
    the first steps, in the enumeration's order, that give every demonstration its output's
    shape (a crop, a tiling, a pad, ...). Where they do not: the steps that leave more cells
    right than the inputs do (a gravity, a fill, a completed symmetry), the most right first.
    Never a step that is itself the answer (the enumeration's job). Its share of the search's
    budget is ``LOCAL_RULE_SHARE``, or ``AFTER_STEP_SHARE`` on a same-shape task, where the learner
    has had its share on the inputs already."""
    train_in, targets, test_in = list(problem.train_in), list(problem.targets), list(problem.test_in)
    info = problem.info
    budget = problem.budget.share(AFTER_STEP_SHARE if info.same_shape else LOCAL_RULE_SHARE)
    seen: set[tuple] = set()
    pre: list[tuple[Step, list[np.ndarray], list[np.ndarray]]] = []
    closer: list[tuple[float, int]] = []  # same-shape tasks: (cells right, order) per entry of pre
    base = closeness(train_in, targets)
    budget.charge(FIT_PASSES * cells(train_in))  # the fitted steps, as the enumeration charges them
    for s in static_steps(info) + fitted_steps(train_in, targets, info):
        if (not info.same_shape and len(pre) >= MAX_PRE_STEPS) or budget.exhausted:
            break
        budget.charge(calls(train_in))
        train = apply_all(s, train_in)
        if train is None or any(g.shape != t.shape for g, t in zip(train, targets)):
            continue
        if all(np.array_equal(g, t) for g, t in zip(train, targets)):
            continue  # the step alone answers: the enumeration's job
        if info.same_shape:
            budget.charge(CLOSENESS_COST * len(train) + cells(train))  # a few numpy calls a demonstration
            if closeness(train, targets) <= base:
                continue
        budget.charge(calls(test_in))
        test = apply_all(s, test_in)
        if test is None or state_key(train + test) in seen:
            continue
        seen.add(state_key(train + test))
        closer.append((-closeness(train, targets), len(pre)))
        pre.append((s, train, test))
    if info.same_shape:
        pre = [pre[k] for _, k in sorted(closer)[:MAX_PRE_STEPS]]
    hits: list[SearchHit] = []
    for k, (s, train, test) in enumerate(pre):
        share = budget.left // (len(pre) - k)
        if share <= 0:
            break
        budget.charge(calls(train + targets + test))  # the task's facts read again (``task_info``)
        shaped = Problem.of_arrays(problem.task.id, train, targets, test, budget.part(share))
        for rule in learn_local_rules(shaped):
            program = rule_program(rule, after=step_call(s))
            hits.append(SearchHit(program.source, f"{s.label} | {rule.description}", (s,), rule.test_outputs,
                                  "local-rule-after-step", rule.tentative, not rule.replicated, program))
    return hits

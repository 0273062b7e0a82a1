"""search/ is its own package: no import circle inside it, nothing of synth, ttt or ensemble, and a
Problem that gives the task without one demonstration."""

import ast
from pathlib import Path

import numpy as np

from search import Problem, WorkBudget, search_programs
from search.families.objects import object_programs

ROOT = Path(__file__).resolve().parents[1] / "search"


def _imports() -> dict[str, set[str]]:
    graph = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = deps
    return graph


def test_search_imports_no_solver_and_has_no_circle():
    graph = _imports()
    assert "search.orchestrate" in graph and "search.families.objects" in graph
    for module, deps in graph.items():
        assert not any(d.split(".")[0] in ("synth", "ttt", "ensemble", "cli") for d in deps), (module, deps)
    inner = {m: {d for d in deps if d in graph and d != "search"} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        if state.get(m) == 1:
            raise AssertionError("import circle: " + " -> ".join(path + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for d in sorted(inner[m]):
            visit(d, path + [m])
        state[m] = 2

    for m in sorted(inner):
        visit(m, [])


def test_a_problem_without_a_demonstration(arc1_train):
    task = arc1_train["0d3d703e"]  # a colour map: four demonstrations
    problem = Problem.of(task, WorkBudget(2_000_000))
    less = problem.without(1)
    assert len(less.train_in) == len(task.train) - 1 and less.task.train == task.train[:1] + task.train[2:]
    assert all(a is b for a, b in zip(less.train_in, problem.train_in[:1] + problem.train_in[2:]))  # not rebuilt
    assert less.test_in is problem.test_in and less.budget is problem.budget
    assert np.array_equal(less.targets[1], problem.targets[2])
    # any family runs on it; what the search answers without the demonstration is what it answers with it
    assert [h.test_outputs for h in search_programs(less.task, budget=2_000_000)][:1] == \
        [h.test_outputs for h in search_programs(task, budget=2_000_000)][:1]
    object_programs(less.with_budget(WorkBudget(500_000)))

"""What every search test checks of a program it found: the source as emitted, run through the real
sandbox on every input of its task, gives each demonstration's output and the test outputs the search
reported; and the cases a family's test file lists (dataset, task, families, a text its program
holds), searched once each. Used by test_search*.py."""

from __future__ import annotations

import functools


def assert_reruns(source: str, task, test_outputs, timeout_s: float = 10.0, label=None) -> None:
    """``source`` run in the sandbox on ``task``'s demonstration and test inputs gives the
    demonstrations' outputs, then ``test_outputs``; ``label`` names the case in a failure."""
    from synth import sandbox

    inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
    results = sandbox.run_program(source, inputs, timeout_s=timeout_s)
    assert [r.status for r in results] == ["ok"] * len(inputs), (label, [r.message for r in results])
    assert [r.grid for r in results] == [ex.output for ex in task.train] + list(test_outputs), label


@functools.lru_cache(maxsize=None)
def found(dataset: str, task_id: str, families: tuple[str, ...], budget: int):
    """The task and what ``families`` find on it (``search.families.object_programs``) at ``budget``,
    searched once a session so a case's in-process test and its sandbox re-run share one search."""
    import arc
    from search.families import object_programs

    task = arc.load_dataset(dataset)[task_id]
    return task, object_programs(task, families=families, budget=budget)


def first_hit(dataset: str, task_id: str, families: tuple[str, ...], text: str, budget: int):
    """The task and the first (program, test outputs) that ``found`` gives whose source holds ``text``."""
    task, programs = found(dataset, task_id, families, budget)
    hits = [(p, o) for p, o in programs if text in p.source]
    assert hits, f"no program with {text} for {task_id}: {[p.description for p, _ in programs]}"
    return task, hits[0]


def assert_case_solved(case: tuple, budget: int) -> None:
    """A case (dataset, task id, families, text): its first matching program's test outputs are the
    task's known ones."""
    task, (program, outputs) = first_hit(*case, budget)
    assert outputs == tuple(ex.output for ex in task.test), program.description


def assert_cases_rerun(cases, budget: int) -> None:
    """Each case's first matching program, run in the sandbox, gives what it gave in-process."""
    for case in cases:
        task, (program, outputs) = first_hit(*case, budget)
        assert_reruns(program.source, task, outputs, label=case[1])

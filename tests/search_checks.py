"""What every search test checks of a program it found: the source as emitted, run through the real
sandbox on every input of its task, gives each demonstration's output and the test outputs the search
reported. Used by test_search*.py."""

from __future__ import annotations


def assert_reruns(source: str, task, test_outputs, timeout_s: float = 10.0, label=None) -> None:
    """``source`` run in the sandbox on ``task``'s demonstration and test inputs gives the
    demonstrations' outputs, then ``test_outputs``; ``label`` names the case in a failure."""
    from synth import sandbox

    inputs = [ex.input for ex in task.train] + [ex.input for ex in task.test]
    results = sandbox.run_program(source, inputs, timeout_s=timeout_s)
    assert [r.status for r in results] == ["ok"] * len(inputs), (label, [r.message for r in results])
    assert [r.grid for r in results] == [ex.output for ex in task.train] + list(test_outputs), label

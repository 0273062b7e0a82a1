"""The lazy ensemble (issue 27): the synthesizer answers first and TTT runs only where its answer can
still change the submission. Real runs through the CLI: the program search and TTT with a tiny
randomly initialised model, on arc1-train tasks where the search answers (unique or several)."""

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from click.testing import CliRunner  # noqa: E402

from cli import main  # noqa: E402
from ensemble.run import RunDir  # noqa: E402
from ttt.model import save_base, tiny_llama  # noqa: E402
from ttt.tokenizer import build_compact_tokenizer  # noqa: E402

# the search finds unique answers for 0d3d703e and 6150a2bd, several for 68b16354 and 3c9b0459
TASKS = "0d3d703e,68b16354,6150a2bd,3c9b0459"
UNIQUE = {"0d3d703e", "6150a2bd"}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tok = build_compact_tokenizer()
    return save_base(tiny_llama(tok, hidden=32, layers=1, heads=2), tok, tmp_path_factory.mktemp("m") / "model")


def solve(model, out, *flags):
    args = ["--mode", "ensemble", "--dataset", "arc1-train", "--tasks", TASKS, "--model", str(model), "--out", str(out),
            "--adapter", "full", "--ttt-steps", "2", "--ttt-max-tasks", "4", "--views", "identity,transpose",
            "--max-new-tokens", "16", "--device", "cpu", "--threads", "1", *flags]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    run = RunDir(out)
    return json.loads((out / "submission.json").read_text()), run.records()


def test_under_the_paper_s_policy_lazy_equals_eager_and_skips_nothing(model, tmp_path):
    lazy, lazy_records = solve(model, tmp_path / "lazy")
    eager, eager_records = solve(model, tmp_path / "eager", "--eager")
    assert lazy == eager
    assert {r.synth[0].status for r in lazy_records.values()} == {"unique", "several"}  # both solvers answer
    for tid, rec in lazy_records.items():
        assert rec.ttt == eager_records[tid].ttt and all(a.status != "skipped" for a in rec.ttt)
        assert "ttt" in rec.timings
    assert RunDir(tmp_path / "lazy").config().eager is False and RunDir(tmp_path / "eager").config().eager is True


def test_with_unique_program_answers_final_lazy_skips_ttt_there_and_gives_the_same_submission(model, tmp_path):
    lazy, records = solve(model, tmp_path / "lazy", "--policy", "unique-final")
    eager, eager_records = solve(model, tmp_path / "eager", "--policy", "unique-final", "--eager")
    assert lazy == eager
    for tid, rec in records.items():
        skipped = tid in UNIQUE
        assert rec.synth[0].status == ("unique" if skipped else "several")
        assert [a.status == "skipped" for a in rec.ttt] == [skipped] and ("ttt" in rec.timings) is not skipped
        assert rec.rules == (("unique-program-final",) if skipped else rec.rules)
        assert all(a.status != "skipped" for a in eager_records[tid].ttt) and "ttt" in eager_records[tid].timings
    assert not any((tmp_path / "lazy" / "ttt" / "adapters" / tid).exists() for tid in UNIQUE)

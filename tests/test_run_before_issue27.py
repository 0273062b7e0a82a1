"""A run directory written before issue 27 (one answer type, one writer) still loads and resumes.

``fixtures/run_before_issue27`` is a real run made with the code of that time:
``arc-solve --mode ensemble --preset quick --dataset arc1-eval-dev80 --limit 2 --ttt-steps 3
--ttt-max-tasks 4 --search-budget 1 --threads 1`` (adapters left out to keep it small; the model
path and the run's own path replaced by @MODEL@ and @RUN@). Its records hold TTT's answers as bare
grids and the synthesizer's old outcomes, and TTT kept its own results in ``ttt/ttt_results.jsonl``.
"""

import json
import shutil
from pathlib import Path

import pytest

from ensemble.build import bundled_model_dir
from ensemble.report import summarize
from ensemble.run import RunDir

FIXTURE = Path(__file__).parent / "fixtures" / "run_before_issue27"
IDS = ("009d5c81", "12422b43")


@pytest.fixture
def old_run(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    for path in (run / "config.json", run / "ttt" / "ttt_results.jsonl"):
        path.write_text(path.read_text().replace("@MODEL@", str(bundled_model_dir())).replace("@RUN@", str(run)))
    return run


def test_the_records_of_an_old_run_load(old_run):
    from arc.data import load_dataset

    run = RunDir(old_run)
    config = run.config()
    assert config.mode == "ensemble" and config.eager is False and config.task_ids == IDS
    records = run.records()
    assert list(records) == list(IDS)
    old = [json.loads(line) for line in (old_run / "results.jsonl").read_text().splitlines()]
    for rec, raw in zip(records.values(), old):
        assert [a.attempts for a in rec.ttt] == [tuple(tuple(map(tuple, g)) for g in per) for per in raw["ttt"]]
        assert all(a.status == "predicted" and a.ranked[0].source == "ttt" for a in rec.ttt)
        assert [a.status for a in rec.synth] == [o["status"] for o in raw["synth"]]
        # written again in today's format, read back the same
        assert type(rec).from_json(json.loads(json.dumps(rec.to_json()))) == rec
    assert records["009d5c81"].synth[0].ranked[0].score == 1.0  # the one program behind it ("votes")
    tasks = load_dataset("arc1-eval-dev80")
    summary = summarize(run, {t: tasks[t] for t in IDS})
    assert summary.n_records == 2 and set(summary.solvers) == {"ensemble", "ttt", "synth"}
    # TTT's own results file of that time: its answers are kept answers of the run now
    kept = run.answers("ttt")
    assert sorted(kept) == list(IDS) and kept["12422b43"].tests[0].attempts == records["12422b43"].ttt[0].attempts


def test_an_old_run_resumes_with_ttt_s_answer_kept_from_its_own_results_file(old_run):
    """The run stopped after TTT answered the second task but before its record: the resumed run
    takes that answer instead of training and predicting again, and writes the record."""
    from click.testing import CliRunner

    from cli import main

    lines = (old_run / "results.jsonl").read_text().splitlines()
    before = json.loads(lines[1])
    (old_run / "results.jsonl").write_text(lines[0] + "\n")
    (old_run / "programs" / "12422b43.jsonl").unlink()
    result = CliRunner().invoke(main, ["--resume", str(old_run), "--threads", "1"])
    assert result.exit_code == 0, result.output
    records = RunDir(old_run).records()
    rec = records["12422b43"]
    assert rec.status == "ok" and rec.info["ttt"]["kept"] is True and "ttt" not in rec.timings  # not run again
    assert [a.attempts for a in rec.ttt] == [tuple(tuple(map(tuple, g)) for g in per) for per in before["ttt"]]
    assert (old_run / "programs" / "12422b43.jsonl").is_file()  # the run directory stored the programs
    assert not (old_run / "ttt" / "adapters").exists()  # no TTT model was even loaded
    submission = json.loads((old_run / "submission.json").read_text())
    assert sorted(submission) == list(IDS)

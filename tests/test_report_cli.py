"""``arc-solve report`` prints what ``ensemble.report`` returns, and lists the tasks with ``--tasks``."""

import re

from click.testing import CliRunner

import arc
from cli import main
from ensemble.report import render_text, summarize
from ensemble.run import RunDir


def test_the_report_command_prints_the_library_s_text(tmp_path):
    out = tmp_path / "run"
    args = ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", "0d3d703e,3c9b0459",
            "--search-budget", "2000000", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    tasks = {t: arc.load_dataset("arc1-train")[t] for t in ("0d3d703e", "3c9b0459")}
    summary = summarize(RunDir(out), tasks)
    printed = CliRunner().invoke(main, ["report", str(out)])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == render_text(summary)
    listed = CliRunner().invoke(main, ["report", str(out), "--tasks"])
    assert listed.stdout == render_text(summary, index=True)
    assert re.search(r"^0d3d703e\s+0\s+right\s+synth-only\s+synth#1", listed.stdout, re.M)

"""The report people read: a task index (who answered, which rule decided, right or wrong, seconds),
plots in the page, stage names of one scheme (old runs included), a page that stays small at 400
tasks, and a CLI that prints what ``ensemble.report`` returns."""

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import arc
from arc.answer import TestAnswer
from cli import main
from ensemble import combine
from ensemble.build import bundled_model_dir
from ensemble.config import RunConfig
from ensemble.report import render_html, render_text, stage_stats, summarize
from ensemble.run import RunDir, TaskRecord
from synth.config import SynthConfig
from ttt.config import InferConfig, TTTConfig

QUICK = "007bbfb7,0d3d703e,3c9b0459"
OLD_RUN = Path(__file__).parent / "fixtures" / "run_before_issue27"


@pytest.fixture(scope="module")
def synth_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    args = ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", QUICK,
            "--search-budget", "2000000", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def _tasks(ids, dataset="arc1-train"):
    tasks = arc.load_dataset(dataset)
    return {t: tasks[t] for t in ids}


def test_a_synth_run_has_no_ensemble_row(synth_run):
    summary = summarize(RunDir(synth_run), _tasks(QUICK.split(",")))
    assert set(summary.solvers) == {"synth"} and summary.mode == "synth"
    text = render_text(summary)
    assert not re.search(r"^ensemble ", text, re.M)
    assert re.search(r"^synth\s+3/3\s+100.0%", text, re.M)


def test_the_task_index_says_who_answered_what_decided_and_how_long(synth_run):
    run = RunDir(synth_run)
    summary = summarize(run, _tasks(QUICK.split(",")))
    assert [t.task_id for t in summary.tasks] == sorted(QUICK.split(","))
    for line in summary.tasks:
        assert line.status == "ok" and line.right is True and line.seconds > 0
        assert [(t.rule, t.sources[0], t.right) for t in line.tests] == [("synth-only", "synth#1", True)] * len(line.tests)
    listed = render_text(summary, index=True)
    assert re.search(r"^007bbfb7\s+0\s+right\s+synth-only\s+synth#1\s", listed, re.M)
    page = render_html(run, _tasks(QUICK.split(",")))
    for tid in QUICK.split(","):
        assert f'href="#task-{tid}"' in page and f'id="task-{tid}"' in page
    assert "attempt 1: synth#1" in page


def test_the_page_has_four_plots_and_folds_the_demonstrations(synth_run):
    page = render_html(RunDir(synth_run), _tasks(QUICK.split(",")))
    labels = re.findall(r'<svg [^>]*aria-label="([^"]+)"', page)
    assert labels == ["pass@2 per solver (tasks solved)", "right per rule that decided (test inputs)",
                      "seconds per stage (mean over the tasks that ran it)", "seconds per task"]
    assert page.count("demonstrations</summary>") == 3 and "data:image/png;base64," in page
    assert "<td style" not in page  # grids are images, not a table cell per grid cell


def test_each_attempt_names_the_solver_and_rank_that_gave_it(tmp_path):
    """An ensemble record: TTT ranks the right grid second, the programs give it uniquely; the rule
    takes the programs' answer and TTT's first as the second attempt."""
    task = _tasks(["007bbfb7"])["007bbfb7"]
    right, wrong = task.test[0].output, task.test[0].input
    ttt, synth = TestAnswer.of("predicted", [wrong, right]), TestAnswer.of("unique", [right])
    decision = combine(ttt.attempts, synth)
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="ensemble", dataset="arc1-train", task_ids=(task.id,), model=str(bundled_model_dir()), ttt=TTTConfig(),
                         infer=InferConfig(), synth=SynthConfig()))
    run.append(TaskRecord(task.id, "ok", (decision.attempts,), (decision.rule,), ttt=(ttt,), synth=(synth,),
                          timings={"synth": 1.0, "ttt": 2.0, "ttt_train": 1.5, "total": 3.0}))
    summary = summarize(run, {task.id: task})
    assert set(summary.solvers) == {"ensemble", "ttt", "synth"}
    (line,) = summary.tasks
    assert line.tests[0].rule == decision.rule and line.tests[0].sources == ("synth#1=ttt#2", "ttt#1")
    assert line.right is True and line.seconds == 3.0
    page = render_html(run, {task.id: task})
    assert "attempt 1: synth#1=ttt#2" in page and "attempt 2: ttt#1" in page


def test_stage_names_follow_one_scheme_in_old_runs_too(tmp_path):
    run_path = tmp_path / "run"
    shutil.copytree(OLD_RUN, run_path)
    run = RunDir(run_path)
    stages = stage_stats(run.records().values())
    assert {"ttt_data", "ttt_train", "ttt_infer", "synth_propose", "total"} <= set(stages)
    assert not [k for k in stages if k.endswith("_s")]
    assert list(stages)[-1] == "total"
    summary = summarize(run, _tasks(("009d5c81", "12422b43"), "arc1-eval-dev80"))
    text = render_text(summary)
    assert "shared work before 2 tasks (started 2026-12-06 03:36:16): prepare 5.2 s, ttt model load 5.2 s" in text
    assert "_s" not in text.split("shared work", 1)[1]


def test_the_page_of_a_400_task_run_stays_small(tmp_path):
    """Every arc1-eval task, each test input answered with its expected output and a wrong grid:
    the page was about 100 kB a task (a table cell per grid cell), now well under 10 kB."""
    tasks = arc.load_dataset("arc1-eval")
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="synth", dataset="arc1-eval", task_ids=tuple(tasks), synth=SynthConfig()))
    records = {}
    for task in tasks.values():
        answers = tuple(TestAnswer.of("several", [ex.output, ex.input]) for ex in task.test)
        records[task.id] = TaskRecord(task.id, "ok", tuple(a.attempts for a in answers), ("synth-only",) * len(task.test),
                                      synth=answers, timings={"synth": 1.0, "total": 1.0})
    page = render_html(run, tasks, records)
    assert len(tasks) == 400 and page.count('class="task"') == 400
    assert len(page.encode()) / 400 < 10_000

"""The ``arc-solve`` command: parses flags and prints. A run's flags come from ``ensemble.options``,
``finetune``'s from ``FinetuneConfig``'s fields. Domain errors: one line, exit 1; bad usage (a flag
that would be ignored too): exit 2; Ctrl-C during a run: exit 130."""

from __future__ import annotations

import json
import os
import sys

import click

from arc.config import DEVICES
from arc.errors import ClusterError, RunLockedError, StorageError, TaskFormatError
from ensemble.options import DATASET_HELP, OPTIONS, Option, OptionError, check_options, config_options, given_options, in_flags
from ttt.finetune import FLAGS, PRECISIONS, FinetuneConfig
from ttt.format import FORMATS


class ArcGroup(click.Group):
    """A click group that turns domain errors into one-line messages with exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`arc-solve tasks list | head`): stop quietly, as `cat` would.
            _silence_stdout()
            raise click.exceptions.Exit(141) from None
        except OptionError as e:
            raise click.UsageError(str(e), ctx) from None
        except (TaskFormatError, ValueError, OSError, StorageError, RunLockedError, ClusterError) as e:
            # ValueError covers bad predictions/submissions found while scoring; a traceback
            # helps nobody who passed the wrong file.
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit: at /dev/null that cannot print "Exception ignored ...".
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's buffer): nothing will be flushed to a pipe


def _click(o: Option) -> click.Option:
    """The click option for ``o``: its default None (False for a switch), so a flag not given is not passed on."""
    kind = o.type
    extra = ({} if o.flag_value is None else {"is_flag": False, "flag_value": o.flag_value}) | ({"metavar": o.metavar} if o.metavar else {})
    if kind is bool:
        return click.Option([o.flag, o.name], help=o.help_text(), **({"default": None} if "/" in o.flag else {"is_flag": True, "default": False}))
    if isinstance(kind, tuple):
        kind = click.Choice(list(kind))
    elif kind in (int, float) and (o.low is not None or o.high is not None):
        kind = (click.IntRange if kind is int else click.FloatRange)(o.low, o.high, min_open=o.low_open)
    elif kind in ("dir", "run"):
        kind = click.Path(file_okay=False, exists=kind == "run")
    return click.Option([o.flag, *([o.short] if o.short else []), o.name], type=kind, default=None, help=o.help_text(), **extra)


@click.group(cls=ArcGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]},
             params=[_click(o) for o in OPTIONS])
@click.version_option(package_name="arc-solve")
@click.option("-q", "--quiet", is_flag=True, help="print only errors and the final line (any command: no library notes)")
@click.option("-v", "--verbose", is_flag=True, help="also print the libraries' logs, warnings and progress bars (any command)")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: bool, **opts) -> None:
    """arc-solve: an ARC solver (test-time training + program synthesis + their ensemble).

    \b
    Solve, then read the report:
      arc-solve --mode ensemble --dataset arc1-eval --limit 5 --out runs/demo
      arc-solve report runs/demo
    \b
    Continue a stopped run, show what a run would do:
      arc-solve --resume runs/demo
      arc-solve --mode synth --dataset arc1-eval-dev80 --dry-run
    """
    from ensemble.progress import library_output

    ctx.with_resource(library_output(lambda line: click.echo(line, err=True), verbose, quiet))  # for subcommands too
    if ctx.invoked_subcommand is not None:
        return check_options(opts, ctx.invoked_subcommand)
    if not given_options(opts):
        return click.echo(ctx.get_help())
    check_options(opts)
    if opts["dry_run"]:
        from ensemble.options import plan_run

        config, tasks_ = plan_run(opts)
        return click.echo(json.dumps({"tasks": len(tasks_), "config": config.to_json()}, indent=1))
    _solve(opts, quiet)


def _solve(opts: dict, quiet: bool) -> None:
    """Open the run (new, or the saved one on --resume, locked), solve it with progress lines.
    A file that cannot be written stops the run (StorageError, one line, exit 1); the task it
    belonged to is redone by --resume. Ctrl-C stops it with a line saying how to resume."""
    from ensemble.budget import Terminated
    from ensemble.options import execute, open_run
    from ensemble.progress import ProgressLines, final_lines, start_line

    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))
    run, config, tasks_ = open_run(opts)
    try:
        done = run.records()
        say(start_line(run.path, config.mode, tasks_, done, opts["retry_failed"]))
        with ProgressLines(tasks_, done, say, quiet, bar=sys.stderr.isatty()) as progress:
            records, scores = execute(run, config, tasks_, opts, progress.update, log=say)
    except KeyboardInterrupt:
        click.echo(f"interrupted; finish the run with: arc-solve --resume {run.path}", err=True)
        raise click.exceptions.Exit(130) from None
    except Terminated:
        click.echo(f"terminated: {run.path / 'submission.json'} is valid; finish the run with: arc-solve --resume {run.path}", err=True)
        raise click.exceptions.Exit(143) from None
    finally:
        run.unlock()
    wrote, scored = final_lines(run.path, records, scores)
    if not (quiet and scored):
        click.echo(wrote, err=True)
    if scored:
        click.echo(scored)


@main.group(cls=ArcGroup)
def tasks() -> None:
    """List and draw tasks.

    \b
    Examples:
      arc-solve tasks list arc1-eval-dev80
      arc-solve tasks show 007bbfb7 --png task.png
    """


@tasks.command("list")
@click.argument("dataset")
def tasks_list(dataset: str) -> None:
    """List the tasks of DATASET: a bundled name or a path (task JSON file, directory of them, or a
    Kaggle challenges file).

    \b
    Example: arc-solve tasks list arc2-eval
    """
    from arc.data import load_dataset
    from arc.render import task_line

    loaded = load_dataset(dataset)
    for task in loaded.values():
        click.echo(task_line(task))
    click.echo(f"{len(loaded)} tasks", err=True)


@tasks.command("show")
@click.argument("task_id")
@click.option("--dataset", "-d", default=None, help=DATASET_HELP + "; default: search every bundled dataset")
@click.option("--png", type=click.Path(dir_okay=False, writable=True), default=None, help="also write the task as a PNG image")
@click.option("--color/--no-color", default=None, help="draw cells in colour (default: when writing to a terminal)")
def tasks_show(task_id: str, dataset: str | None, png: str | None, color: bool | None) -> None:
    """Draw TASK_ID in ARC's colours.

    \b
    Example: arc-solve tasks show 007bbfb7 --dataset arc1-train --png 007bbfb7.png
    """
    from arc.data import find_task
    from arc.render import render_task, save_png, task_image

    task = find_task(task_id, dataset)
    click.echo(render_task(task, color=sys.stdout.isatty() if color is None else color))
    if png:
        save_png(task_image(task), png)
        click.echo(f"wrote {png}", err=True)


@main.command("score")
@click.argument("submission", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", "-d", required=True, help=DATASET_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
def score_cmd(submission: str, dataset: str, as_json: bool) -> None:
    """Score a Kaggle-format SUBMISSION.json (pass@2) against DATASET's known solutions.

    \b
    Example: arc-solve score runs/demo/submission.json --dataset arc1-eval
    """
    from arc.data import load_dataset
    from arc.score import read_submission, score, score_lines

    tasks_ = load_dataset(dataset)
    result = score(read_submission(submission), tasks_)
    if as_json:
        return click.echo(json.dumps({k: v for k, v in result.items() if k != "per_task"}, indent=2))
    click.echo("\n".join(score_lines(result, len(tasks_), dataset)))


@main.group(cls=ArcGroup)
def submission() -> None:
    """Check a submission file.

    Example: arc-solve submission validate submission.json --challenges challenges.json"""


@submission.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--challenges", required=True, help="the challenges file (or any dataset) the submission answers")
def submission_validate(file: str, challenges: str) -> None:
    """Check FILE against the ARC Prize format (``arc.submission``): one line, exit 1 where it is not.

    Example: arc-solve submission validate submission.json --challenges arc-agi_test_challenges.json"""
    from arc.data import load_dataset
    from arc.submission import validate_file

    click.echo(validate_file(file, load_dataset(challenges)))


@main.command("finetune", params=[_click(o) for o in config_options(
    FinetuneConfig, FLAGS, {"format": tuple(FORMATS), "device": DEVICES, "precision": PRECISIONS})])
@click.option("--out", required=True, type=click.Path(file_okay=False), help="output folder (resumes from its checkpoint)")
def finetune_cmd(out: str, **opts) -> None:
    """Initial fine-tuning on expanded ARC-AGI-1 training tasks (never evaluation outputs).

    \b
    Examples:
      arc-solve finetune --out models/mine --steps 200 --max-minutes 10
      arc-solve finetune --out models/mine --init-from models/base --format plain --lr 5e-5
    """
    from ttt.finetune import finetune, log_line

    try:
        cfg = FinetuneConfig(**{k: v for k, v in opts.items() if v is not None and v is not False})
    except ValueError as e:
        raise OptionError(in_flags(str(e), FLAGS)) from None

    final = finetune(cfg, out, log=lambda entry: click.echo(log_line(entry, cfg.steps), err=True))
    click.echo(f"wrote {final}")


@main.command("programs")
@click.argument("task_id")
@click.option("--run", "run_dir", required=True, type=click.Path(exists=True, file_okay=False), help="run directory")
@click.option("--passing", is_flag=True, help="only programs that reproduce every demonstration")
@click.option("--color/--no-color", default=None, help="syntax highlighting (default: when writing to a terminal)")
def programs_cmd(task_id: str, run_dir: str, passing: bool, color: bool | None) -> None:
    """List the programs tried on TASK_ID in a run, with their verdicts.

    \b
    Example: arc-solve programs 00576224 --run runs/demo --passing
    """
    from synth.store import load_programs, print_programs, stored_tasks

    if task_id not in stored_tasks(run_dir):
        raise click.ClickException(f"{run_dir}: no programs stored for task {task_id}")
    print_programs(programs := load_programs(run_dir, task_id, passing_only=passing), color)
    click.echo(f"{len(programs)} program(s) for {task_id}" + (" (passing only)" if passing else ""), err=True)


@main.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None, help="also write a self-contained HTML page")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@click.option("--tasks", "index", is_flag=True, help="also list every task: result, rule, which solver gave each attempt, seconds")
def report_cmd(run_dir: str, html_path: str | None, as_json: bool, index: bool) -> None:
    """Summarise RUN_DIR: accuracy per solver and per ensemble rule, failures, time per stage.

    \b
    Examples:
      arc-solve report runs/demo --tasks
      arc-solve report runs/demo --html runs/demo/report.html
    """
    from ensemble.build import locked_run
    from ensemble.report import render_text, summarize, write_html

    run, _, tasks_ = click.get_current_context().with_resource(locked_run(run_dir))
    summary = summarize(run, tasks_)
    click.echo(json.dumps(summary.to_json(), indent=1) + "\n" if as_json else render_text(summary, index=index), nl=False)
    if html_path:
        write_html(run, tasks_, html_path)
        click.echo(f"wrote {html_path}", err=True)


@main.command("compare")
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
def compare_cmd(run_a: str, run_b: str) -> None:
    """Which tasks RUN_A solved that RUN_B did not, and the reverse (over tasks both attempted).

    \b
    Example: arc-solve compare runs/ensemble-a runs/synth-b
    """
    from ensemble.build import locked_runs
    from ensemble.report import compare, compare_lines

    with locked_runs(run_a, run_b) as ((a, _, tasks_a), (b, _, tasks_b)):
        click.echo("\n".join(compare_lines(compare(a, b, {**tasks_b, **tasks_a}), run_a, run_b)))


if __name__ == "__main__":  # pragma: no cover
    main()

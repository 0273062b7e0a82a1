"""The ``arc-solve`` command: the only place that wires packages together, draws progress and
maps errors. Domain errors become one line on stderr and exit code 1; bad usage exits 2 (click)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from arc.errors import TaskFormatError

DATASET_HELP = "bundled name (arc1-train, arc1-eval, arc2-train, arc2-eval) or a path to task JSON"


class ArcGroup(click.Group):
    """A click group that turns domain errors into one-line messages with exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (TaskFormatError, ValueError, OSError) as e:
            # ValueError covers bad predictions/submissions found while scoring; a traceback
            # helps nobody who passed the wrong file.
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


@click.group(cls=ArcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arc-solve")
def main() -> None:
    """arc-solve: an ARC solver (test-time training + program synthesis + their ensemble)."""


@main.group(cls=ArcGroup)
def tasks() -> None:
    """List and draw tasks."""


@tasks.command("list")
@click.argument("dataset")
def tasks_list(dataset: str) -> None:
    """List the tasks of DATASET: a bundled name (arc1-train, arc1-eval, arc2-train, arc2-eval)
    or a path (task JSON file, directory of them, or a Kaggle challenges file)."""
    from arc.data import load_dataset
    from arc.grid import shape

    loaded = load_dataset(dataset)
    for tid, task in loaded.items():
        sizes = " ".join("{}x{}".format(*shape(ex.input)) for ex in task.test)
        solved = "solutions" if task.has_solutions else "no solutions"
        click.echo(f"{tid}  {len(task.train)} train  {len(task.test)} test  test input {sizes}  ({solved})")
    click.echo(f"{len(loaded)} tasks", err=True)


@tasks.command("show")
@click.argument("task_id")
@click.option("--dataset", "-d", default=None, help=DATASET_HELP + "; default: search every bundled dataset")
@click.option("--png", type=click.Path(dir_okay=False, writable=True), default=None, help="also write the task as a PNG image")
@click.option("--color/--no-color", default=None, help="draw cells in colour (default: when writing to a terminal)")
def tasks_show(task_id: str, dataset: str | None, png: str | None, color: bool | None) -> None:
    """Draw TASK_ID in ARC's colours."""
    from arc.data import find_task
    from arc.render import render_task, save_png, task_image

    task = find_task(task_id, dataset)
    if color is None:
        color = sys.stdout.isatty()
    click.echo(render_task(task, color=color))
    if png:
        save_png(task_image(task), png)
        click.echo(f"wrote {png}", err=True)


@main.command("score")
@click.argument("submission", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", "-d", required=True, help=DATASET_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
def score_cmd(submission: str, dataset: str, as_json: bool) -> None:
    """Score a Kaggle-format SUBMISSION.json (pass@2) against DATASET's known solutions."""
    from arc.data import load_dataset
    from arc.score import read_submission, score

    tasks_ = load_dataset(dataset)
    result = score(read_submission(submission), tasks_)
    if as_json:
        click.echo(json.dumps({k: v for k, v in result.items() if k != "per_task"}, indent=2))
        return
    n = result["n_tasks"]
    click.echo(f"tasks attempted: {n} of {len(tasks_)} in {dataset}")
    click.echo(f"task accuracy:     {result['task_accuracy']:.2%} ({result['tasks_correct']}/{n})")
    click.echo(f"per-test accuracy: {result['test_accuracy']:.2%} ({result['tests_correct']:.2f}/{n})")


if __name__ == "__main__":  # pragma: no cover
    main()

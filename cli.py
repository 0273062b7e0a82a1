"""The ``arc-solve`` command: the only place that wires packages together, draws progress and
maps errors. Domain errors become one line on stderr and exit code 1; bad usage exits 2 (click)."""

from __future__ import annotations

import json
import os
import sys
import time
from functools import partial
from pathlib import Path

import click

from arc.errors import ClusterError, RunLockedError, StorageError, TaskFormatError

DATASET_HELP = "bundled name (arc1-train, arc1-eval, arc2-train, arc2-eval) or a path to task JSON"


class ArcGroup(click.Group):
    """A click group that turns domain errors into one-line messages with exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`arc-solve tasks list | head`): stop quietly, as `cat` would.
            _silence_stdout()
            raise click.exceptions.Exit(141) from None
        except (TaskFormatError, ValueError, OSError, StorageError, RunLockedError, ClusterError) as e:
            # ValueError covers bad predictions/submissions found while scoring; a traceback
            # helps nobody who passed the wrong file.
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; pointed at /dev/null that flush cannot fail and
    # print "Exception ignored ... BrokenPipeError".
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's buffer): nothing will be flushed to a pipe


from arc.config import DEVICES, DTYPES  # noqa: E402 - the registries below are light (no torch)
from ensemble.combine import POLICIES  # noqa: E402
from ensemble.config import AUTO, MODES, PRESETS, RunConfig, auto_preset  # noqa: E402
from synth.config import SAMPLER_NAMES, SynthConfig  # noqa: E402
from ttt.backends import BACKENDS  # noqa: E402
from ttt.config import ADAPTER_MODES, ADAPTERS, SAMPLINGS, SELECTIONS, InferConfig, TTTConfig  # noqa: E402
from ttt.format import FORMATS  # noqa: E402

class _Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        from ensemble.budget import parse_duration

        try:
            return parse_duration(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


DURATION = _Duration()
SECTIONS = {"ttt": TTTConfig, "infer": InferConfig, "synth": SynthConfig}
# Flag -> the RunConfig fields it sets ("section.field" or "section.nested.field"). A flag that
# was not given leaves the preset's value, or else the field's default.
FLAG_FIELDS: dict[str, tuple[str, ...]] = {}


def _field(path: str) -> tuple[str, object]:
    """Help text and default of the config field at ``path``."""
    section, *names = path.split(".")
    cls: type = SECTIONS[section]
    for name in names[:-1]:
        cls = type(cls.default(name))
    return cls.help()[names[-1]], cls.default(names[-1])


def field_option(flag: str, *paths: str, label: str = "TTT", **kwargs):
    """A click option that sets the config fields ``paths``; its help is the first field's."""
    text, default = _field(paths[0])
    name = flag.split("/")[0].lstrip("-").replace("-", "_")
    FLAG_FIELDS[name] = paths
    shown = "" if default is None else f" (default {','.join(default) if isinstance(default, tuple) else default})"
    return click.option(flag, default=None, help=f"{label}: {text}{shown}", **kwargs)


@click.group(cls=ArcGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arc-solve")
@click.option("--mode", type=click.Choice(MODES), default=None, help=RunConfig.help()["mode"])
@click.option("--dataset", "-d", default="arc1-eval", show_default=True, help=DATASET_HELP)
@click.option("--tasks", "task_ids", default=None, help="comma-separated task ids (default: every task of the dataset)")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="only the first N tasks (sorted by id)")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="new run directory (default: runs/<mode>-<time>)")
@click.option("--resume", type=click.Path(file_okay=False, exists=True), default=None, help="finish a stopped run (its saved config is used)")
@click.option("--retry-failed", is_flag=True, help="with --resume: also redo tasks recorded as errors or timeouts")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="solve on Ray actors: alone, a cluster started on this machine; 'auto' or ray://HOST:PORT joins one")
@click.option("--ray-workers", type=click.IntRange(min=1), default=None,
              help="with --ray: how many workers (default: one per GPU, or per CPU where there is no GPU)")
@click.option("--ray-gpus-per-worker", type=click.FloatRange(min=0), default=None,
              help="with --ray: GPUs each worker holds (default 1 where the cluster has GPUs, else 0)")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch CPU threads, in this process or in each Ray worker (default: 1 on a machine of at most 4 CPUs, "
                   "else torch's own; a worker's CPUs). "
                   "On CPU the TTT numbers depend on it: compare runs byte for byte with the same value")
@click.option("--policy", type=click.Choice(list(POLICIES)), default="paper", show_default=True, help=RunConfig.help()["policy"])
@click.option("--eager", is_flag=True, help=RunConfig.help()["eager"])
@click.option("--seed", type=int, default=0, show_default=True, help=RunConfig.help()["seed"])
@click.option("--task-timeout", type=click.FloatRange(min=0, min_open=True), default=None, help=RunConfig.help()["task_timeout_s"])
@click.option("--time-budget", type=DURATION, default=None, metavar="DURATION",
              help="wall clock for the whole run, e.g. 11h30m, 5m, 90s, 3600 (the Kaggle mode: "
                   "the synthesizer on every task, then TTT by expected gain per second; submission.json is "
                   "written at once and after every task; see budget.jsonl for how the time went)")
@click.option("--submission", "submission_path", type=click.Path(dir_okay=False), default=None,
              help="also write the submission here (default: only RUN_DIR/submission.json), e.g. /kaggle/working/submission.json")
@click.option("--preset", type=click.Choice([AUTO, *PRESETS]), default=AUTO, show_default=True,
              help=RunConfig.help()["preset"] + " (explicit flags still win)")
@click.option("--model", default=None, help="TTT: local Hugging Face causal LM directory (default: the bundled model)")
@click.option("--format", "ttt_format", type=click.Choice(["auto", *FORMATS]), default="auto", show_default=True,
              help="TTT grid text format ('auto': compact for the bundled model, plain otherwise)")
@click.option("--backend", type=click.Choice(list(BACKENDS)), default="hf", show_default=True, help="TTT inference backend")
@click.option("--adapter-mode", type=click.Choice(ADAPTER_MODES), default="per_task", show_default=True, help="TTT: " + TTTConfig.help()["adapter_mode"])
@field_option("--adapter", "ttt.adapter", type=click.Choice(ADAPTERS))
@field_option("--ttt-max-tasks", "ttt.data.max_tasks", type=click.IntRange(min=1))
@field_option("--ttt-epochs", "ttt.epochs", type=click.IntRange(min=1))
@field_option("--ttt-steps", "ttt.steps", type=click.IntRange(min=1))
@field_option("--ttt-max-tokens", "ttt.max_tokens", type=click.IntRange(min=64))
@field_option("--lora-rank", "ttt.lora_rank", type=click.IntRange(min=1))
@field_option("--lr", "ttt.learning_rate", type=float)
@field_option("--views", "infer.symmetries")
@field_option("--n-orders", "infer.n_orders", type=click.IntRange(min=1))
@field_option("--max-new-tokens", "infer.max_new_tokens", type=click.IntRange(min=1))
@field_option("--infer-max-tokens", "infer.max_tokens", type=click.IntRange(min=16))
@field_option("--trim-demonstrations/--no-trim-demonstrations", "infer.trim_demonstrations")
@field_option("--select", "infer.select", type=click.Choice(SELECTIONS))
@field_option("--poe-views", "infer.poe_views", type=click.IntRange(min=1))
@field_option("--sampling", "infer.sampling", type=click.Choice(SAMPLINGS))
@field_option("--dfs-threshold", "infer.dfs_threshold", type=click.FloatRange(0, 1, min_open=True))
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True, help="TTT: " + InferConfig.help()["device"])
@field_option("--dtype", "infer.dtype", "synth.dtype", label="TTT and synth models, hf and vLLM alike", type=click.Choice(DTYPES))
@field_option("--gpu-memory-utilization", "infer.gpu_memory_utilization", "synth.gpu_memory_utilization", label="vLLM",
              type=click.FloatRange(0, 1, min_open=True))
@field_option("--max-loras", "infer.max_loras", label="vLLM TTT", type=click.IntRange(min=1))
@field_option("--max-num-batched-tokens", "infer.max_num_batched_tokens", "synth.max_num_batched_tokens", label="vLLM",
              type=click.IntRange(min=16))
@field_option("--synth-max-model-len", "synth.max_model_len", label="vLLM synth", type=click.IntRange(min=16))
@click.option("--sampler", type=click.Choice(SAMPLER_NAMES), default="search", show_default=True, help=SynthConfig.help()["sampler"])
@click.option("--synth-model", default="", help="synth: " + SynthConfig.help()["model"])
@click.option("--base-url", default=None, help="synth: " + SynthConfig.help()["base_url"])
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, help="synth: " + SynthConfig.help()["api_key_env"])
@field_option("--samples", "synth.samples", label="synth", type=click.IntRange(min=1))
@field_option("--temperature", "synth.temperature", label="synth", type=float)
@field_option("--search-budget", "synth.search_budget", label="synth", type=click.IntRange(min=1))
@field_option("--search-cap", "synth.search_cap_s", label="synth", type=click.FloatRange(min=0, min_open=True))
@click.pass_context
def main(ctx: click.Context, **opts) -> None:
    """arc-solve: an ARC solver (test-time training + program synthesis + their ensemble).

    Solve: arc-solve --mode ensemble --dataset arc1-eval --limit 5 --out runs/demo
    """
    if ctx.invoked_subcommand is not None:
        return
    if opts["resume"] is None and opts["mode"] is None:
        click.echo(ctx.get_help())
        return
    if opts["retry_failed"] and opts["resume"] is None:
        raise click.UsageError("--retry-failed needs --resume RUN_DIR")
    if opts["ray_address"] is None and (opts["ray_workers"] is not None or opts["ray_gpus_per_worker"] is not None):
        raise click.UsageError("--ray-workers and --ray-gpus-per-worker need --ray")
    _solve(opts)


def run_config(opts: dict, task_ids: tuple[str, ...]) -> RunConfig:
    """The run's configuration from the flags: the sections its mode runs, the preset's overrides,
    then the flags that were given. Impossible values fail here, before any work."""
    from ensemble.build import bundled_model_dir, detect_format

    mode, seed = opts["mode"], opts["seed"]
    sections: dict = {}
    model = None
    if mode in ("ensemble", "ttt"):
        model = opts["model"] or str(bundled_model_dir())
        if not (Path(model) / "config.json").is_file():
            hint = "" if opts["model"] else " (the bundled model is missing from this install: pass --model)"
            raise FileNotFoundError(f"{model}: not a model directory{hint}")
        fmt = detect_format(model) if opts["ttt_format"] == "auto" else opts["ttt_format"]
        sections["ttt"] = TTTConfig(format=fmt, adapter_mode=opts["adapter_mode"], seed=seed)
        sections["infer"] = InferConfig(backend=opts["backend"], device=opts["device"], seed=seed)
        model = str(Path(model).resolve())
    if mode in ("ensemble", "synth"):
        sections["synth"] = SynthConfig(sampler=opts["sampler"], model=opts["synth_model"], base_url=opts["base_url"],
                                        api_key_env=opts["api_key_env"], seed=seed)
    preset = opts["preset"]
    if preset == AUTO:
        preset = auto_preset(_parameter_count(model) if model else None, opts["backend"])
    config = RunConfig(mode=mode, dataset=str(opts["dataset"]), task_ids=task_ids, policy=opts["policy"], eager=opts["eager"], seed=seed,
                       task_timeout_s=opts["task_timeout"], time_budget_s=opts.get("time_budget"), preset=preset, model=model,
                       created=time.strftime("%Y-%m-%d %H:%M:%S"), **sections)
    return config.override(_merge(PRESETS[preset], _flag_overrides(opts)))


def _parameter_count(model_dir: str) -> int:
    """The model's parameter count from its config alone (no weights are loaded)."""
    from ttt.model import config_parameter_count

    return config_parameter_count(model_dir)


def _flag_overrides(opts: dict) -> dict:
    """The given flags as nested field overrides ({"ttt": {"epochs": 1}, ...}). ``--ttt-epochs``
    without ``--ttt-steps`` also clears a preset's step budget, so the epochs asked for are run."""
    out: dict = {}
    if opts.get("ttt_epochs") is not None and opts.get("ttt_steps") is None:
        out["ttt"] = {"steps": None}
    for flag, paths in FLAG_FIELDS.items():
        value = opts.get(flag)
        if value is None:
            continue
        if flag == "views":
            value = tuple(v.strip() for v in value.split(","))
        for path in paths:
            *parents, name = path.split(".")
            node = out
            for p in parents:
                node = node.setdefault(p, {})
            node[name] = value
    return out


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for k, v in top.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _solve(opts: dict) -> None:
    """Build the run from the flags (or the saved config on --resume), run it with a progress bar.

    The run directory is locked for the whole run. A file that cannot be written stops the run
    (StorageError, one line, exit 1); the task it belonged to is redone by --resume."""
    from ensemble.build import build_task_solver, default_threads, new_run, resume_run, select_tasks
    from ensemble.budget import Terminated
    from ensemble.run import run_tasks

    if opts["resume"]:
        run, config, tasks_ = resume_run(opts["resume"])
    else:
        tasks_ = select_tasks(opts["dataset"], opts["task_ids"], opts["limit"])
        config = run_config(opts, tuple(tasks_))
        run = new_run(config, opts["out"] or f"runs/{config.mode}-{time.strftime('%Y%m%d-%H%M%S')}")
    solve = None
    try:
        done = run.records()
        if opts["ray_address"] is not None:
            from ensemble.distributed import RayPool

            solve = RayPool(config, opts["ray_address"], opts["ray_workers"], opts["ray_gpus_per_worker"],
                            threads=opts["threads"], log=lambda line: click.echo(line, err=True))
            run_fn = solve.run_tasks
        else:
            threads = opts["threads"] or default_threads()
            if threads is not None and config.ttt is not None:
                from ensemble.build import set_torch_threads

                set_torch_threads(threads)
            solve = build_task_solver(config, run.path, tasks_)
            run_fn = partial(run_tasks, solve=solve)
        budget = opts["time_budget"] or config.time_budget_s
        if budget is not None:
            from ensemble.budget import run_budgeted

            run_fn = partial(run_budgeted, solve=solve, budget_s=budget, submission=opts["submission_path"],
                             log=lambda line: click.echo(line, err=True))
        retry = sum(r.status != "ok" for r in done.values()) if opts["retry_failed"] else 0
        click.echo(f"run directory: {run.path}  ({config.mode}, {len(tasks_)} tasks, {len(done) - retry} already done"
                   + (f", {retry} failed to retry" if retry else "") + ")", err=True)
        with _Progress(len(tasks_), tasks_) as progress:
            records = run_fn(tasks_, run_dir=run, progress=progress.update, retry_failed=opts["retry_failed"])
        scores = run.finish(tasks_, also_to=opts["submission_path"])
    except Terminated:
        click.echo(f"terminated: {run.path / 'submission.json'} is valid; --resume {run.path} finishes the run", err=True)
        raise click.exceptions.Exit(143) from None
    finally:
        if solve is not None:
            solve.close()  # engines, models and Ray workers go before the process does
        run.unlock()
    failed = sum(1 for r in records.values() if r.status != "ok")
    click.echo(f"wrote {run.path / 'submission.json'}" + (f"  ({failed} tasks failed, see arc-solve report)" if failed else ""), err=True)
    if scores:
        click.echo(f"task accuracy {scores['task_accuracy']:.2%} ({scores['tasks_correct']}/{scores['n_tasks']}), "
                   f"per-test accuracy {scores['test_accuracy']:.2%}")


class _Progress:
    """A rich progress bar with ETA and the running score on a terminal; one line per task otherwise."""

    def __init__(self, total: int, tasks_):
        from ensemble.report import task_correct

        self.total, self.tasks, self.right, self.scored = total, tasks_, 0, 0
        self.tty = sys.stderr.isatty()
        self.task_correct = task_correct

    def __enter__(self):
        if self.tty:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[score]}"),
                                transient=False)
            self.bar.start()
            self.bar_id = self.bar.add_task("solving", total=self.total, score="")
        return self

    def update(self, record, done: int, total: int) -> None:
        task = self.tasks.get(record.task_id)
        if task is not None and task.has_solutions:
            self.scored += 1
            self.right += all(self.task_correct(record, task))
        score = f"solved {self.right}/{self.scored}" if self.scored else ""
        if self.tty:
            self.bar.update(self.bar_id, completed=done, score=score)
        else:
            status = record.status if record.status != "ok" else ",".join(record.rules)
            click.echo(f"[{done}/{total}] {record.task_id} {status} {record.timings.get('total', 0):.1f}s {score}", err=True)

    def __exit__(self, *exc):
        if self.tty:
            self.bar.stop()
        return False


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


@main.group(cls=ArcGroup)
def submission() -> None:
    """Check a submission file."""


@submission.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--challenges", required=True, help="the challenges file (or any dataset) the submission answers")
def submission_validate(file: str, challenges: str) -> None:
    """Check FILE against the ARC Prize format: every task id of the challenges and no other, one entry
    per test input, exactly attempt_1 and attempt_2, each a rectangular grid of ints 0-9 up to 30x30.

    Example: arc-solve submission validate submission.json --challenges arc-agi_test_challenges.json
    """
    from arc.data import load_dataset
    from arc.submission import validate_file

    click.echo(validate_file(file, load_dataset(challenges)))


@main.command("finetune")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="output folder (resumes from its checkpoint)")
@click.option("--init-from", default=None, help="local HF checkpoint to start from (default: a new small Llama)")
@click.option("--hidden", type=int, default=None, help="hidden size of a model built from scratch")
@click.option("--layers", type=int, default=None, help="decoder layers of a model built from scratch")
@click.option("--heads", type=int, default=None, help="attention heads of a model built from scratch")
@click.option("--intermediate", type=int, default=None, help="MLP width of a model built from scratch")
@click.option("--format", "fmt", type=click.Choice(["compact", "plain", "marc", "barc"]), default=None, help="text format")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="optimizer steps")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="pseudo-tasks per step")
@click.option("--lr", type=float, default=None, help="peak learning rate")
@click.option("--max-tokens", type=int, default=None, help="longest pseudo-task in tokens")
@click.option("--max-examples", type=int, default=None, help="demonstrations per pseudo-task")
@click.option("--max-minutes", type=float, default=None, help="stop and save after this long")
@click.option("--holdout-seed", type=int, default=None,
              help="seed of the 40 held-out ARC-AGI-1 training tasks (default 0; --init-from keeps that model's list)")
@click.option("--include-arc2-train", is_flag=True, help="also train on ARC-AGI-2 training, minus every ARC-AGI-1 evaluation task")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True,
              help="bf16 autocast (auto: where the CUDA device or CPU has bf16 kernels)")
@click.option("--micro-batches", type=click.IntRange(min=1), default=None,
              help="split each batch by length into this many micro-batches (less padding)")
@click.option("--threads", type=int, default=None, help="torch CPU threads")
@click.option("--data-workers", type=click.IntRange(min=0), default=None,
              help="processes that build the next batches while the model trains (same batches; for GPUs)")
@click.option("--seed", type=int, default=0, show_default=True)
def finetune_cmd(out: str, **opts) -> None:
    """Initial fine-tuning on expanded ARC-AGI-1 training tasks (never evaluation outputs)."""
    from ttt.finetune import FinetuneConfig, finetune

    names = {"fmt": "format", "lr": "learning_rate"}
    kwargs = {names.get(k, k): v for k, v in opts.items() if v is not None and v is not False}
    cfg = FinetuneConfig(**kwargs)

    def log(entry: dict) -> None:
        click.echo(f"step {entry['step']}/{cfg.steps} loss {entry['loss']:.4f} lr {entry['lr']:.2e} "
                   f"{entry['tokens_per_s']:.0f} tok/s  {entry['elapsed_s'] / 60:.1f} min", err=True)

    final = finetune(cfg, out, log=log)
    click.echo(f"wrote {final}")


def _run_tasks(run_dir: str):
    from ensemble.build import select_tasks
    from ensemble.run import RunDir

    run = RunDir(run_dir)
    config = run.config()
    return run, config, select_tasks(config.dataset, config.task_ids, None)


@main.command("programs")
@click.argument("task_id")
@click.option("--run", "run_dir", required=True, type=click.Path(exists=True, file_okay=False), help="run directory")
@click.option("--passing", is_flag=True, help="only programs that reproduce every demonstration")
@click.option("--color/--no-color", default=None, help="syntax highlighting (default: when writing to a terminal)")
def programs_cmd(task_id: str, run_dir: str, passing: bool, color: bool | None) -> None:
    """List the programs tried on TASK_ID in a run, with their verdicts."""
    from rich.console import Console
    from rich.markup import escape
    from rich.syntax import Syntax

    from arc.text import printable
    from synth.store import load_programs, stored_tasks

    if task_id not in stored_tasks(run_dir):
        raise click.ClickException(f"{run_dir}: no programs stored for task {task_id}")
    programs = load_programs(run_dir, task_id, passing_only=passing)
    console = Console(force_terminal=color, no_color=color is False, highlight=False, soft_wrap=True)
    for p in programs:
        verdict = "PASSES every demonstration" if p.train_consistent else "fails: " + " ".join(p.train_status)
        if p.train_consistent:
            verdict += ", deterministic" if p.deterministic else ", NOT deterministic"
            verdict += ", tentative (never unique alone)" if p.tentative else ""
        console.print(f"[bold]program {p.index}[/bold]  {verdict}" + (f"  ({escape(printable(p.message.splitlines()[0][:120]))})" if p.message and not p.train_consistent else ""))
        console.print(Syntax(printable(p.source), "python", line_numbers=False, theme="ansi_dark"))
        console.print(f"test outputs: {', '.join('none' if g is None else '{}x{}'.format(len(g), len(g[0])) for g in p.test_outputs)}\n")
    click.echo(f"{len(programs)} program(s) for {task_id}" + (" (passing only)" if passing else ""), err=True)


@main.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None, help="also write a self-contained HTML page")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@click.option("--tasks", "index", is_flag=True, help="also list every task: result, rule, which solver gave each attempt, seconds")
def report_cmd(run_dir: str, html_path: str | None, as_json: bool, index: bool) -> None:
    """Summarise RUN_DIR: accuracy per solver and per ensemble rule, failures, time per stage."""
    from ensemble.report import render_text, summarize, write_html

    run, _, tasks_ = _run_tasks(run_dir)
    summary = summarize(run, tasks_)
    click.echo(json.dumps(summary.to_json(), indent=1) + "\n" if as_json else render_text(summary, index=index), nl=False)
    if html_path:
        write_html(run, tasks_, html_path)
        click.echo(f"wrote {html_path}", err=True)


@main.command("compare")
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
def compare_cmd(run_a: str, run_b: str) -> None:
    """Which tasks RUN_A solved that RUN_B did not, and the reverse (over tasks both attempted)."""
    from ensemble.report import compare

    a, _, tasks_a = _run_tasks(run_a)
    b, _, tasks_b = _run_tasks(run_b)
    result = compare(a, b, {**tasks_b, **tasks_a})
    click.echo(f"tasks attempted by both: {result['n_common']}")
    click.echo(f"solved by both:     {len(result['both'])}")
    click.echo(f"only {run_a}: {len(result['only_a'])}  {' '.join(result['only_a'])}")
    click.echo(f"only {run_b}: {len(result['only_b'])}  {' '.join(result['only_b'])}")
    click.echo(f"solved by neither:  {result['neither']}")


if __name__ == "__main__":  # pragma: no cover
    main()

"""A run's options and how they make its ``RunConfig``: one table (``OPTIONS``) between the names a
user types (``--search-budget``) and the config fields they set (``synth.search_budget``).

The command line builds its flags from this table (help and defaults come from the fields); this
module checks a set of given options (an option that the mode, a resume or a subcommand does not
use is an error naming it), resolves the preset and builds the ``RunConfig``, reporting a config's
own error under the flag that set the field. An option counts as given when its value is neither
None nor False, so a plain dict of the options a caller means (``{"mode": "synth"}``) is enough.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from arc.config import DEVICES, DTYPES
from arc.data import BUNDLED, SUBSETS
from ensemble.combine import POLICIES
from ensemble.config import AUTO, FIELD_PARTS, MODE_PARTS, MODES, PRESETS, RunConfig, auto_preset
from synth.config import SAMPLER_NAMES, SynthConfig
from ttt.config import ADAPTER_MODES, ADAPTERS, BACKEND_NAMES, SAMPLINGS, SELECTIONS, InferConfig, TTTConfig
from ttt.format import FORMATS

if TYPE_CHECKING:
    from arc.task import Task
    from ensemble.run import RunDir

SECTIONS = {"ttt": TTTConfig, "infer": InferConfig, "synth": SynthConfig}
PART_NAMES = {"ttt": "the TTT solver", "infer": "the TTT solver", "synth": "the program synthesizer",
              "ensemble": "the ensemble's arbitration"}
DATASET_HELP = f"bundled name ({', '.join([*BUNDLED, *SUBSETS])}) or a path to task JSON (a file, a directory, a Kaggle challenges file)"
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


class OptionError(ValueError):
    """Options that cannot make a run (a usage error: the message names the flags)."""


@dataclass(frozen=True)
class Option:
    """One option of a run: the flag, the RunConfig fields it sets ("section.field"; none for an
    option of the run itself), its type (int, float, str, bool for a switch, "dir" for a new
    folder, "run" for an existing one, or a tuple of choices) and bounds. ``default`` None: the
    preset's value, else the field's default; ``help`` None: the first field's help."""

    flag: str
    fields: tuple[str, ...] = ()
    type: Any = str
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    default: Any = None
    help: str | None = None
    short: str | None = None
    resumable: bool = False  # a resume may change it
    flag_value: str | None = None  # given alone (--ray), the option takes this value
    metavar: str | None = None
    dest: str | None = None  # the name it is passed on under (default: the flag's)

    @property
    def name(self) -> str:
        return self.dest or self.flag.split("/")[0].lstrip("-").replace("-", "_")

    @property
    def parts(self) -> frozenset[str]:
        """The parts of a run that read it (config sections, "ensemble"); empty: every mode."""
        heads = {p.split(".")[0] for p in self.fields}
        return frozenset(FIELD_PARTS.get(h, h) for h in heads if h in SECTIONS or h in FIELD_PARTS)

    def field_default(self) -> Any:
        if self.default is not None or not self.fields:
            return self.default
        cls, name = field_class(self.fields[0])
        return cls.default(name)

    def help_text(self) -> str:
        """One line of help: the field's own, with the flags of the fields it mentions."""
        if self.help is not None:
            return self.help
        cls, name = field_class(self.fields[0])
        section = self.fields[0].split(".")[0] if "." in self.fields[0] else ""
        text = flag_help(cls.help()[name], _section_flags(section))
        label = {"ttt": "TTT", "infer": "TTT", "synth": "synth"}.get(section, "")
        if len({p.split(".")[0] for p in self.fields}) > 1:
            label = "TTT and synth"
        scope = re.match(r"([a-z][\w/]*): ", text)
        if scope and label:
            text = f"{label} ({scope.group(1)}): {text[scope.end():]}"
        elif label:
            text = f"{label}: {text}"
        default = self.field_default()
        if default not in (None, False, ""):
            text += f" (default {','.join(default) if isinstance(default, tuple) else default})"
        return text


def field_class(path: str) -> tuple[type, str]:
    """The config class holding the RunConfig field at ``path`` ("ttt.data.max_tasks"), and its name."""
    *parents, name = path.split(".")
    cls: type = SECTIONS[parents[0]] if parents else RunConfig
    for p in parents[1:]:
        cls = type(cls.default(p))
    return cls, name


def flag_help(text: str, flags: Mapping[str, str]) -> str:
    """A field's help as a flag's: the fields it quotes by their flags (``flags``: field -> flag), and
    a value left None as a flag not given."""
    text = re.sub(r"'(\w+)'", lambda m: flags.get(m.group(1), m.group(0)), text)
    return re.sub(r"\bNone: ", "not given: ", text)


def config_options(cls: type, flags: Mapping[str, str], choices: Mapping[str, tuple] = {}) -> tuple[Option, ...]:
    """Options for the fields of config ``cls`` named in ``flags`` (field -> flag): each field's help
    (with its default), its type from the annotation, and the registries' ``choices``."""
    import typing

    hints, out = typing.get_type_hints(cls), []
    for name, flag in flags.items():
        kind = choices.get(name) or next(t for t in (bool, int, float, str) if t in (hints[name], *typing.get_args(hints[name])))
        default = cls.default(name)
        text = flag_help(cls.help()[name], flags) + ("" if default in (None, False) else f" (default {default})")
        out.append(Option(flag, type=kind, help=text, dest=name))
    return tuple(out)


def duration(text: str) -> float:
    """Seconds in a duration such as ``11h30m`` (``ensemble.budget.parse_duration``, imported when used)."""
    from ensemble.budget import parse_duration

    return parse_duration(text)


def _opt(flag: str, *fields: str, **kw) -> Option:
    return Option(flag, fields, **kw)


OPTIONS: tuple[Option, ...] = (
    _opt("--mode", "mode", type=MODES, help="solve with the ensemble, TTT alone or the synthesizer alone"),
    _opt("--dataset", "dataset", short="-d", help=DATASET_HELP + " (default arc1-eval)"),
    _opt("--tasks", help="comma-separated task ids (default: every task of the dataset)"),
    _opt("--limit", type=int, low=1, help="only the first N tasks (sorted by id)"),
    _opt("--out", type="dir", help="new run directory (default: runs/<mode>-<time>)"),
    _opt("--resume", type="run", resumable=True, help="finish a stopped run with its saved settings"),
    _opt("--retry-failed", type=bool, resumable=True, help="with --resume: also redo tasks recorded as errors or timeouts"),
    _opt("--dry-run", type=bool, resumable=True, help="print the resolved configuration as JSON and exit without running"),
    _opt("--ray", resumable=True, flag_value="local", metavar="[ADDRESS]",
         help="solve on Ray actors: alone, a cluster started on this machine; 'auto' or ray://HOST:PORT joins one"),
    _opt("--ray-workers", type=int, low=1, resumable=True,
         help="with --ray: how many workers (default: one per GPU, or per CPU where there is no GPU)"),
    _opt("--ray-gpus-per-worker", type=float, low=0, resumable=True,
         help="with --ray: GPUs each worker holds (default 1 where the cluster has GPUs, else 0)"),
    _opt("--threads", type=int, low=1, resumable=True,
         help="torch CPU threads, in this process or in each Ray worker (default: 1 on a machine of at most 4 CPUs, "
              "else torch's own; a worker's CPUs). On CPU the TTT numbers depend on it: compare runs byte for byte "
              "with the same value"),
    _opt("--policy", "policy", type=tuple(POLICIES)),
    _opt("--eager", "eager", type=bool),
    _opt("--seed", "seed", "ttt.seed", "infer.seed", "synth.seed", type=int, help=RunConfig.help()["seed"] + " (default 0)"),
    _opt("--task-timeout", "task_timeout_s", type=float, low=0, low_open=True),
    _opt("--time-budget", "time_budget_s", type=duration, resumable=True, metavar="DURATION",
         help="wall clock for the whole run, e.g. 11h30m, 5m, 90s, 3600 (the Kaggle mode: the synthesizer on every "
              "task, then TTT by expected gain per second; submission.json is written at once and after every task; "
              "budget.jsonl says how the time went; a resume may give its own)"),
    _opt("--submission", resumable=True, help="also write the submission here (default: only RUN_DIR/submission.json), "
                                              "e.g. /kaggle/working/submission.json"),
    _opt("--preset", type=(AUTO, *PRESETS), default=AUTO, help=RunConfig.help()["preset"] + " (explicit flags still win)"),
    _opt("--model", "model", help="TTT: local Hugging Face causal LM directory (default: the bundled model)"),
    _opt("--format", "ttt.format", type=("auto", *FORMATS), default="auto",
         help="TTT: grid text format ('auto': compact for the bundled model, plain otherwise) (default auto)"),
    _opt("--backend", "infer.backend", type=BACKEND_NAMES),
    _opt("--adapter-mode", "ttt.adapter_mode", type=ADAPTER_MODES),
    _opt("--adapter", "ttt.adapter", type=ADAPTERS),
    _opt("--ttt-max-tasks", "ttt.data.max_tasks", type=int, low=1),
    _opt("--ttt-epochs", "ttt.epochs", type=int, low=1),
    _opt("--ttt-steps", "ttt.steps", type=int, low=1),
    _opt("--ttt-max-tokens", "ttt.max_tokens", type=int, low=64),
    _opt("--lora-rank", "ttt.lora_rank", type=int, low=1),
    _opt("--lr", "ttt.learning_rate", type=float),
    _opt("--views", "infer.symmetries"),
    _opt("--n-orders", "infer.n_orders", type=int, low=1),
    _opt("--max-new-tokens", "infer.max_new_tokens", type=int, low=1),
    _opt("--infer-max-tokens", "infer.max_tokens", type=int, low=16),
    _opt("--trim-demonstrations/--no-trim-demonstrations", "infer.trim_demonstrations", type=bool),
    _opt("--select", "infer.select", type=SELECTIONS),
    _opt("--poe-views", "infer.poe_views", type=int, low=1),
    _opt("--sampling", "infer.sampling", type=SAMPLINGS),
    _opt("--dfs-threshold", "infer.dfs_threshold", type=float, low=0, low_open=True, high=1),
    _opt("--device", "infer.device", type=DEVICES),
    _opt("--dtype", "infer.dtype", "synth.dtype", type=DTYPES),
    _opt("--gpu-memory-utilization", "infer.gpu_memory_utilization", "synth.gpu_memory_utilization", type=float,
         low=0, low_open=True, high=1),
    _opt("--max-loras", "infer.max_loras", type=int, low=1),
    _opt("--max-num-batched-tokens", "infer.max_num_batched_tokens", "synth.max_num_batched_tokens", type=int, low=16),
    _opt("--synth-max-model-len", "synth.max_model_len", type=int, low=16),
    _opt("--sampler", "synth.sampler", type=SAMPLER_NAMES),
    _opt("--synth-model", "synth.model"),
    _opt("--base-url", "synth.base_url"),
    _opt("--api-key-env", "synth.api_key_env"),
    _opt("--samples", "synth.samples", type=int, low=1),
    _opt("--temperature", "synth.temperature", type=float),
    _opt("--search-budget", "synth.search_budget", type=int, low=1),
    _opt("--search-cap", "synth.search_cap_s", type=float, low=0, low_open=True),
)
BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}
RESUMABLE = tuple(o.flag.split("/")[0] for o in OPTIONS if o.resumable and o.name != "resume")


def _section_flags(section: str) -> dict[str, str]:
    """Field name -> flag for the fields of one section ("" for RunConfig's own)."""
    out: dict[str, str] = {}
    for o in OPTIONS:
        for path in o.fields:
            *parents, name = path.split(".")
            if (parents[0] if parents else "") == section:
                out.setdefault(name, o.flag.split("/")[0])
    return out


def given_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The run options that were given: not None, and for a switch without a --no- form, not False."""
    return {k: v for k, v in options.items()
            if k in BY_NAME and v is not None and not (v is False and "/" not in BY_NAME[k].flag)}


def _flags(names: Sequence[str]) -> str:
    return ", ".join(BY_NAME[n].flag.split("/")[0] for n in names)


def check_options(options: Mapping[str, Any], subcommand: str | None = None) -> None:
    """Raise OptionError when an option would be ignored: any run option before a subcommand;
    with --resume anything a resume cannot change; an option the mode does not use."""
    given = given_options(options)
    if subcommand is not None:
        if given:
            raise OptionError(f"{_flags(list(given))}: options of a solving run; `arc-solve {subcommand}` does not "
                              f"take them (see arc-solve {subcommand} --help)")
        return
    if "resume" in given:
        fixed = [n for n in given if not BY_NAME[n].resumable]
        if fixed:
            raise OptionError(f"{_flags(fixed)}: a resume continues the run with its saved settings; it may change "
                              f"only {', '.join(RESUMABLE)}, -q/--quiet and -v/--verbose")
        return
    if "retry_failed" in given:
        raise OptionError("--retry-failed needs --resume RUN_DIR")
    if "ray" not in given and ({"ray_workers", "ray_gpus_per_worker"} & set(given)):
        raise OptionError("--ray-workers and --ray-gpus-per-worker need --ray")
    mode = given.get("mode")
    if mode is None:
        raise OptionError(f"{_flags(list(given))}: give --mode ({', '.join(MODES)}) to start a run, or --resume RUN_DIR")
    parts = set(MODE_PARTS[mode])
    unused = [n for n in given if BY_NAME[n].parts and not BY_NAME[n].parts & parts]
    if unused:
        runs = " and ".join(sorted({PART_NAMES[p] for p in parts if p != "ensemble"}))
        raise OptionError(f"{_flags(unused)}: not used by --mode {mode}, which runs {runs} alone")


def model_dir(model: str | None, flag: str = "--model") -> str:
    """The TTT model's folder (the bundled model when none is given), resolved; a hub id is not
    fetched (nothing is downloaded at run time) and says how to get a local copy."""
    from ensemble.build import bundled_model_dir

    path = model or str(bundled_model_dir())
    if not (Path(path) / "config.json").is_file():
        if model and not Path(model).exists() and HUB_ID.fullmatch(model):
            raise FileNotFoundError(f"{model}: not a model directory here, and nothing is downloaded at run time: "
                                    f"download it yourself (e.g. huggingface-cli download {model} --local-dir DIR) "
                                    f"and pass {flag} DIR")
        hint = "" if model else " (the bundled model is missing from this install: pass --model)"
        raise FileNotFoundError(f"{path}: not a model directory{hint}")
    return str(Path(path).resolve())


def field_overrides(options: Mapping[str, Any]) -> dict:
    """The given options as nested field overrides ({"ttt": {"epochs": 1}, ...}). ``--ttt-epochs``
    without ``--ttt-steps`` also clears a preset's step budget, so the epochs asked for are run."""
    given = given_options(options)
    out: dict = {}
    if "ttt_epochs" in given and "ttt_steps" not in given:
        out["ttt"] = {"steps": None}
    for name, value in given.items():
        if name in ("mode", "model") or (name == "format" and value == "auto"):
            continue  # set by run_config itself
        if name == "views":
            value = tuple(v.strip() for v in value.split(","))
        for path in BY_NAME[name].fields:
            *parents, field = path.split(".")
            node = out
            for p in parents:
                node = node.setdefault(p, {})
            node[field] = value
    return out


def merge(base: dict, top: dict) -> dict:
    """``top`` over ``base``, nested mappings merged key by key."""
    out = dict(base)
    for k, v in top.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def in_flags(message: str, flags: Mapping[str, str]) -> str:
    """A config's error message with its field names replaced by the flags that set them
    (``flags``: field name -> flag; the first mention of each field in each problem)."""
    message = re.sub(r"^invalid \w+: ", "", message)
    out = []
    for problem in message.split("; "):
        for name, flag in flags.items():
            problem = re.sub(rf"(?<![\w-]){name}\b", flag, problem, count=1)
        out.append(problem)
    return "; ".join(out)


def run_config(options: Mapping[str, Any], task_ids: Sequence[str]) -> RunConfig:
    """The run's configuration from its options: the sections its mode runs, the preset's
    overrides, then the options that were given. Impossible values fail here, before any work,
    as an OptionError naming the flags (or FileNotFoundError for a missing model)."""
    from ensemble.build import detect_format
    from ttt.model import config_parameter_count

    check_options(options)
    given = given_options(options)
    mode = given["mode"]
    parts = MODE_PARTS[mode]
    model = model_dir(given.get("model")) if "ttt" in parts else None
    if given.get("sampler") in ("hf", "vllm") and given.get("synth_model"):
        synth_model = given["synth_model"]
        if not Path(synth_model).exists() and HUB_ID.fullmatch(synth_model):
            model_dir(synth_model, "--synth-model")
    views = given.get("views")
    if views is not None:
        from arc.views import SYMMETRY_NAMES

        unknown = [v.strip() for v in views.split(",") if v.strip() not in SYMMETRY_NAMES]
        if unknown:
            raise OptionError(f"--views: unknown view {', '.join(unknown)}; known: {', '.join(SYMMETRY_NAMES)}")
    preset = given.get("preset", AUTO)
    if preset == AUTO:
        preset = auto_preset(config_parameter_count(model) if model else None, given.get("backend", "hf"))
    changes = merge(PRESETS[preset], field_overrides(given))
    if model is not None and given.get("format", "auto") == "auto":
        changes = merge(changes, {"ttt": {"format": detect_format(model)}})
    sections = {}
    for name in SECTIONS:
        if name in parts:
            try:
                sections[name] = SECTIONS[name]().override(changes.get(name, {}))
            except ValueError as e:
                raise OptionError(in_flags(str(e), _section_flags(name))) from None
    top = {k: v for k, v in changes.items() if k not in SECTIONS}
    try:
        return RunConfig(mode=mode, task_ids=tuple(task_ids), preset=preset, model=model,
                         created=time.strftime("%Y-%m-%d %H:%M:%S"), **sections).override(top)
    except ValueError as e:
        raise OptionError(in_flags(str(e), _section_flags(""))) from None


def plan_run(options: Mapping[str, Any]) -> tuple[RunConfig, dict[str, "Task"]]:
    """The configuration and tasks the options ask for, creating nothing (``--dry-run``)."""
    from ensemble.build import select_tasks
    from ensemble.run import RunDir

    check_options(options)
    given = given_options(options)
    if "resume" in given:
        config = RunDir(given["resume"]).config()
        return config, select_tasks(config.dataset, config.task_ids, None)
    tasks = select_tasks(given.get("dataset", "arc1-eval"), given.get("tasks"), given.get("limit"))
    return run_config(given, tuple(tasks)), tasks


def open_run(options: Mapping[str, Any]) -> tuple["RunDir", RunConfig, dict[str, "Task"]]:
    """The run the options ask for, locked (the caller unlocks it): the stopped run of --resume
    with its saved config, or a new run directory."""
    from ensemble.build import new_run, resume_run

    given = given_options(options)
    if "resume" in given:
        check_options(options)
        return resume_run(given["resume"])
    config, tasks = plan_run(options)
    out = given.get("out") or f"runs/{config.mode}-{time.strftime('%Y%m%d-%H%M%S')}"
    return new_run(config, out), config, tasks


def execute(run: "RunDir", config: RunConfig, tasks: Mapping[str, "Task"], options: Mapping[str, Any],
            progress: Any = None, log: Any = None) -> tuple[dict, dict | None]:
    """Solve the run's tasks not yet done, in this process or on Ray actors (``--ray``), then write
    its submission and scores: (records, scores). Engines, models and Ray workers are closed before
    it returns; the run stays locked (the caller unlocks it)."""
    from functools import partial

    from ensemble.build import build_task_solver, default_threads, set_torch_threads
    from ensemble.run import run_tasks

    given = given_options(options)
    solve = None
    try:
        if "ray" in given:
            from ensemble.distributed import RayPool

            solve = RayPool(config, given["ray"], given.get("ray_workers"), given.get("ray_gpus_per_worker"),
                            threads=given.get("threads"), log=log)
            run_fn = solve.run_tasks
        else:
            threads = given.get("threads") or default_threads()
            if threads is not None and config.ttt is not None:
                set_torch_threads(threads)
            solve = build_task_solver(config, run.path, tasks)
            run_fn = partial(run_tasks, solve=solve)
        budget = given.get("time_budget") or config.time_budget_s
        if budget is not None:
            from ensemble.budget import run_budgeted

            run_fn = partial(run_budgeted, solve=solve, budget_s=budget, submission=given.get("submission"),
                             log=log or (lambda line: None))
        records = run_fn(tasks, run_dir=run, progress=progress, retry_failed=bool(given.get("retry_failed")))
        return records, run.finish(tasks, also_to=given.get("submission"))
    finally:
        if solve is not None:
            solve.close()

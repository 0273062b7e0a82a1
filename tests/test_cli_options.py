"""The command line never ignores a flag, names the flag in every complaint, and says what a run did:
checked through `arc-solve` itself (CliRunner) and through ``ensemble.options``, the table the flags
come from."""

import json
import logging
import re
import warnings

import click
import pytest
from click.testing import CliRunner

from arc.data import BUNDLED, SUBSETS
from cli import main
from ensemble.config import MODE_PARTS, MODES, RunConfig
from ensemble.options import BY_NAME, OPTIONS, OptionError, check_options, field_class, run_config

TASKS = "007bbfb7,0d3d703e,3c9b0459"  # the search solves each in a fraction of a second


def synth_args(out, tasks=TASKS):
    return ["--mode", "synth", "--dataset", "arc1-train", "--tasks", tasks, "--search-budget", "2000000", "--out", str(out)]


def invoke(args):
    return CliRunner().invoke(main, args)


def commands(group=main, path=()):
    """Every command and subcommand of the click tree, as argument paths."""
    yield path
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))


ALL_COMMANDS = list(commands())


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "arc-solve")
def test_help_of_every_command_has_an_example(path):
    result = invoke([*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert re.search(r"\n\s+(Example: )?arc-solve " + " ".join(path), result.output), "no example in the help"


def test_help_texts_read_as_flags():
    assert {" ".join(p) for p in ALL_COMMANDS} >= {"", "tasks", "tasks list", "tasks show", "score", "finetune",
                                                   "programs", "report", "compare"}  # the walk finds them all
    text = invoke(["--help"]).output
    assert "vllm: vllm" not in text.lower() and "None:" not in text
    for name in [*BUNDLED, *SUBSETS]:
        assert name in BY_NAME["dataset"].help_text()
    steps = BY_NAME["ttt_steps"].help_text()
    assert "not given: --ttt-epochs passes" in steps and "(overrides --ttt-epochs)" in steps


def test_every_option_sets_real_fields():
    for option in OPTIONS:
        for path in option.fields:
            cls, name = field_class(path)
            assert name in cls.help(), f"{option.flag}: no field {path}"


@pytest.mark.parametrize("args, named", [
    (["--limit", "3", "tasks", "list", "arc1-eval"], "--limit"),
    (["--mode", "synth", "score", "x.json", "-d", "arc1-eval"], "--mode"),
    (["--search-budget", "5", "report", "."], "--search-budget"),
])
def test_a_solve_option_before_a_subcommand_is_an_error(args, named):
    result = invoke(args)
    assert result.exit_code == 2 and named in result.output and "does not take" in result.output


def test_resume_refuses_what_it_cannot_change(tmp_path):
    out = tmp_path / "run"
    assert invoke(synth_args(out, "007bbfb7")).exit_code == 0
    result = invoke(["--resume", str(out), "--mode", "ttt", "--limit", "3", "--dataset", "arc2-eval"])
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert "--mode, --limit, --dataset" in line and "--retry-failed" in line and "--threads" in line and "--ray" in line
    assert invoke(["--resume", str(out), "--threads", "1", "--retry-failed"]).exit_code == 0


@pytest.mark.parametrize("args, named", [
    (["--mode", "synth", "--backend", "vllm"], "--backend"),
    (["--mode", "synth", "--model", "/tmp/nope"], "--model"),
    (["--mode", "ttt", "--sampler", "hf"], "--sampler"),
    (["--mode", "synth", "--policy", "barc"], "--policy"),
])
def test_a_flag_the_mode_does_not_use_is_an_error(args, named):
    result = invoke(args)
    assert result.exit_code == 2 and f"{named}: not used by --mode" in result.output


def test_unused_flags_follow_the_modes_parts():
    """Derived from the config sections each mode runs: every option of a part a mode does not run
    is refused in that mode, and accepted where the part runs."""
    for option in OPTIONS:
        if not option.parts:
            continue
        for mode in MODES:
            value = 1 if option.type in (int, float) else (option.type[0] if isinstance(option.type, tuple) else "x")
            given = {"mode": mode, option.name: True if option.type is bool else value}
            if option.parts & set(MODE_PARTS[mode]):
                check_options(given)
            else:
                with pytest.raises(OptionError, match=re.escape(option.flag.split("/")[0])):
                    check_options(given)


@pytest.mark.parametrize("args, says, not_says", [
    (["--mode", "synth", "--sampler", "hf"], "--sampler 'hf' needs --synth-model", "needs model"),
    (["--mode", "ttt", "--lr", "0"], "--lr must be > 0", "learning_rate"),
    (["--mode", "synth", "--sampler", "openai", "--synth-model", "m"], "needs --base-url", "base_url"),
    (["--mode", "ttt", "--views", "identity,spin"], "--views: unknown view spin", "symmetries"),
])
def test_config_errors_name_the_flag(args, says, not_says):
    result = invoke(args)
    assert result.exit_code == 2 and says in result.output and not_says not in result.output


def test_a_hub_id_is_not_fetched_and_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["--mode", "ttt", "--model", "meta-llama/Llama-3.2-1B"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "nothing is downloaded" in line and "huggingface-cli download meta-llama/Llama-3.2-1B" in line
    assert "--model DIR" in line


def test_dry_run_prints_the_configuration_and_runs_nothing(tmp_path):
    out = tmp_path / "run"
    result = invoke([*synth_args(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["tasks"] == 3 and shown["config"]["synth"]["search_budget"] == 2000000
    assert RunConfig.from_json(shown["config"]).mode == "synth"
    assert not out.exists()


def test_run_config_takes_a_plain_dict():
    config = run_config({"mode": "synth", "search_budget": 7, "seed": 3}, ("007bbfb7",))
    assert config.synth.search_budget == 7 and config.synth.seed == 3 and config.seed == 3 and config.ttt is None


def test_task_lines_say_right_or_wrong_and_time(tmp_path):
    result = invoke(synth_args(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    lines = [l for l in result.stderr.splitlines() if l.startswith("[")]
    assert len(lines) == 3
    assert all(re.match(r"\[\d/3\] \w{8} \S+ (right|wrong) \d+\.\ds  solved \d/\d$", l) for l in lines), lines


def test_ctrl_c_says_how_to_resume_and_the_score_counts_finished_tasks(tmp_path, monkeypatch):
    from synth.solver import ProgramSynthesizer

    original = ProgramSynthesizer.propose

    def propose(self, task):
        if task.id == "3c9b0459":
            raise KeyboardInterrupt
        return original(self, task)

    monkeypatch.setattr(ProgramSynthesizer, "propose", propose)
    out = tmp_path / "run"
    result = invoke(synth_args(out))
    assert result.exit_code == 130
    assert f"arc-solve --resume {out}" in result.output and "Aborted!" not in result.output
    monkeypatch.setattr(ProgramSynthesizer, "propose", original)
    result = invoke(["--resume", str(out)])
    assert result.exit_code == 0, result.output
    (last,) = [l for l in result.stderr.splitlines() if l.startswith("[3/3]")]
    assert last.endswith("solved 3/3"), last  # the two tasks done before the stop count


def test_quiet_prints_errors_and_the_final_line_only(tmp_path):
    result = invoke(["-q", *synth_args(tmp_path / "run")])
    assert result.exit_code == 0
    assert result.output.strip().splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith("task accuracy")


@pytest.fixture
def noisy_library(monkeypatch):
    """The synthesizer, as a library might: a FutureWarning, a log line, the sandbox's note twice."""
    from synth.solver import ProgramSynthesizer

    original = ProgramSynthesizer.propose

    def propose(self, task):
        warnings.warn("`thing` is deprecated", FutureWarning)
        logging.getLogger("some_library.loading").warning("some library chatter")
        logging.getLogger("sandbox").warning("the sandbox runs without seccomp: seccomp: off (fix: enable it)")
        return original(self, task)

    monkeypatch.setattr(ProgramSynthesizer, "propose", propose)


def test_library_noise_is_silenced_but_the_sandbox_note_is_said_once(tmp_path, noisy_library):
    result = invoke(synth_args(tmp_path / "run"))
    assert result.exit_code == 0
    assert "deprecated" not in result.output and "chatter" not in result.output
    assert result.output.count("note: the sandbox runs without seccomp") == 1
    assert "(fix: enable it)" in result.output


def test_verbose_shows_library_logs(tmp_path, noisy_library):
    result = invoke(["-v", *synth_args(tmp_path / "run")])
    assert result.exit_code == 0
    assert "some_library.loading: warning: some library chatter" in result.output


def test_the_progress_bar_does_not_swallow_task_lines(tmp_path, capsys):
    from arc.data import load_dataset
    from ensemble.progress import ProgressLines
    from ensemble.run import failed_record

    tasks = {t: load_dataset("arc1-train")[t] for t in TASKS.split(",")}
    records = [failed_record(task, "error", "boom", 0.5) for task in tasks.values()]
    with ProgressLines(tasks, {}, echo=print, bar=True) as progress:
        for i, record in enumerate(records):
            progress.update(record, i + 1, 3)
    err = capsys.readouterr().err
    assert all(f"[{i + 1}/3] {r.task_id} error wrong 0.5s" in err for i, r in enumerate(records))


def test_finetune_options_come_from_its_config(tmp_path):
    from ttt.finetune import FinetuneConfig

    text = "".join(invoke(["finetune", "--help"]).output.split())  # click wraps lines, at hyphens too
    for name in ("max_minutes", "micro_batches", "data_workers", "holdout_seed"):
        assert "".join(FinetuneConfig.help()[name].replace("None: ", "not given: ").split()) in text, name
    result = invoke(["finetune", "--out", str(tmp_path / "ft"), "--lr", "0"])
    assert result.exit_code == 2 and "--lr must be > 0" in result.output and "learning_rate" not in result.output
    assert not (tmp_path / "ft").exists()


def test_quiet_and_verbose_apply_to_subcommands(monkeypatch):
    import arc.render

    line = arc.render.task_line

    def chatty(task):
        logging.getLogger("some_library").warning("library chatter")
        return line(task)

    monkeypatch.setattr(arc.render, "task_line", chatty)
    args = ["tasks", "list", "arc1-eval-dev80"]
    assert "library chatter" not in invoke(args).output
    assert "some_library: warning: library chatter" in invoke(["-v", *args]).output

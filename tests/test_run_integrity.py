"""Run integrity (issue 13, findings 4 and 5): a finished answer is never lost, a broken run
directory or input file is one line and exit code 1, never a traceback or a silent skip."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import arc
from arc.errors import RunLockedError, StorageError
from arc.storage import append_jsonl, read_jsonl
from cli import main
from ensemble.config import RunConfig
from ensemble.run import RunDir, TaskRecord, run_tasks
from synth.config import SynthConfig

ROOT = Path(__file__).resolve().parents[1]
QUICK3 = "007bbfb7,0d3d703e,3c9b0459"  # arc1-train tasks the search solves in a fraction of a second
A, B = ((1,),), ((2,),)


def solve_args(out: Path, tasks: str = QUICK3) -> list[str]:
    return ["--mode", "synth", "--sampler", "search", "--dataset", "arc1-train", "--tasks", tasks,
            "--search-budget", "2000000", "--out", str(out)]


def one_line_error(result, progress: bool = False) -> str:
    """The CLI's answer to a domain error: exit 1 and a single line, no traceback (after the
    run's progress lines when ``progress``)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "Traceback" not in result.output, result.output
    assert len(lines) == 1 or (progress and not any(l.startswith("Error") for l in lines[:-1])), result.output
    return lines[-1]


def make_tasks(n: int) -> dict[str, arc.Task]:
    return {f"t{i}": arc.Task(f"t{i}", (arc.Example(A, B),), (arc.Example(A, B),)) for i in range(n)}


def ok_solver(calls: list, fail: set = frozenset()):
    def solve(task):
        calls.append(task.id)
        if task.id in fail:
            raise RuntimeError(f"boom in {task.id}")
        return TaskRecord(task.id, "ok", ((B, A),), rules=("ttt",), timings={"total": 0.0})

    return solve


# -- one JSONL appender --------------------------------------------------------------------------
def test_append_repairs_a_torn_last_line_and_fsyncs(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "r.jsonl"
    append_jsonl(path, [{"a": 1}])
    with open(path, "ab") as f:
        f.write(b'{"a": 2, "b": "cut mid-wr')  # a writer killed mid-record
    assert read_jsonl(path) == [(1, {"a": 1})]  # the torn line is ignored when reading...
    append_jsonl(path, [{"a": 3}])
    assert path.read_bytes() == b'{"a":1}\n{"a":3}\n'  # ...and cut before the next append
    assert len(synced) == 2


def test_kept_answers_append_through_the_shared_appender(tmp_path):
    from arc.answer import TaskAnswer, TestAnswer
    from ensemble.run import RunDir

    run = RunDir(tmp_path)
    run.answers_path.write_text('{"solver": "ttt", "task_id": "a", "tests": []}\n{"solver": "ttt", "task_id": "b", "te')
    run.append_answer("ttt", TaskAnswer("c", (TestAnswer.of("predicted", [A], [3.0], "ttt:vote"),)))
    assert run.answers_path.read_text().splitlines()[1].startswith('{"solver":"ttt","task_id":"c"')
    assert sorted(run.answers("ttt")) == ["a", "c"] and run.answers("ttt")["c"].tests[0].ranked[0].score == 3.0
    assert run.answers("synth") == {}


def test_no_module_appends_to_a_file_on_its_own():
    """Every JSONL writer goes through arc.storage.append_jsonl (fsync, torn-line repair)."""
    offenders = []
    project = ("arc", "dsl", "ttt", "synth", "ensemble", "experiments")  # not .venv or other checkouts
    for path in sorted(ROOT.glob("*.py")) + sorted(p for d in project for p in (ROOT / d).glob("**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tests/") or rel == "arc/storage.py":
            continue
        text = path.read_text()
        if re.search(r"""open\([^)]*,\s*["']a[b+]?["']""", text) or "O_APPEND" in text or '.open("a"' in text:
            offenders.append(rel)
    assert offenders == []


# -- a task whose record cannot be written is not finished ----------------------------------------
@pytest.fixture
def tmpfs(tmp_path):
    """A real, small tmpfs to be filled up."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): {done.stderr.strip()}")
    yield mnt
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(mnt: Path) -> Path:
    """Fill the file system at ``mnt`` to the last byte; returns the filler (delete it to free space)."""
    filler = mnt / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 16, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def test_a_record_that_cannot_be_written_stops_the_run(tmpfs):
    run = RunDir(tmpfs / "run")
    run.create(RunConfig(mode="synth", dataset="x", synth=SynthConfig()))
    calls: list = []
    filler = fill(tmpfs)
    with pytest.raises(StorageError, match=r"results\.jsonl: cannot write: No space left on device"):
        run_tasks(make_tasks(3), ok_solver(calls), run)
    assert calls == ["t0"] and run.records() == {}  # not recorded, not even as an error
    filler.unlink()
    run_tasks(make_tasks(3), ok_solver(calls), run)
    assert calls == ["t0", "t0", "t1", "t2"] and set(run.records()) == {"t0", "t1", "t2"}


def test_a_submission_that_cannot_be_written_leaves_no_temporary_file(tmpfs):
    run = RunDir(tmpfs / "run")
    run.create(RunConfig(mode="synth", dataset="x", synth=SynthConfig()))
    tasks = make_tasks(2)
    run_tasks(tasks, ok_solver([]), run)
    filler = fill(tmpfs)
    with pytest.raises(StorageError, match=r"submission\.json: cannot write: No space left"):
        run.finish(tasks)
    assert leftovers(tmpfs) == [] and not (run.path / "submission.json").exists()
    filler.unlink()
    assert run.finish(tasks)["n_tasks"] == 2


def test_a_vanished_run_directory_is_not_recreated(tmp_path):
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="synth", dataset="x", synth=SynthConfig()))

    def solve(task):
        if task.id == "t1":
            for p in run.path.iterdir():
                p.unlink()
            run.path.rmdir()
        return TaskRecord(task.id, "ok", ((B,),))

    with pytest.raises(StorageError, match="results.jsonl: cannot write"):
        run_tasks(make_tasks(3), solve, run)
    assert not run.path.exists()


@pytest.fixture(scope="module")
def reference_submission(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("ref") / "run"
    result = CliRunner().invoke(main, solve_args(out))
    assert result.exit_code == 0, result.output
    return (out / "submission.json").read_bytes()


@pytest.mark.parametrize("when", ["before the second task stores its programs", "after the last task is solved"])
def test_disk_full_then_resume_gives_the_uninterrupted_submission(tmpfs, monkeypatch, reference_submission, when):
    from synth.solver import ProgramSynthesizer

    original, seen, state = ProgramSynthesizer.solve, [], {}

    def solve(self, task):
        seen.append(task.id)
        if when.startswith("before") and len(seen) == 2:
            state["filler"] = fill(tmpfs)
        result = original(self, task)
        if when.startswith("after") and len(seen) == 3:
            state["filler"] = fill(tmpfs)
        return result

    monkeypatch.setattr(ProgramSynthesizer, "solve", solve)
    out = tmpfs / "run"
    line = one_line_error(CliRunner().invoke(main, solve_args(out)), progress=True)
    assert "No space left on device" in line and str(out) in line
    if when.startswith("before"):
        assert "programs/0d3d703e.jsonl" in line
    records = [json.loads(l) for l in (out / "results.jsonl").read_text().splitlines()]
    assert all(r["status"] == "ok" for r in records), "a full disk is never a task's error"
    assert len(records) == (1 if when.startswith("before") else len(records)) and len(records) <= 3
    assert leftovers(tmpfs) == [] and not (out / "submission.json").exists()

    state["filler"].unlink()
    monkeypatch.setattr(ProgramSynthesizer, "solve", original)
    resumed = CliRunner().invoke(main, ["--resume", str(out)])
    assert resumed.exit_code == 0, resumed.output
    assert (out / "submission.json").read_bytes() == reference_submission
    ids = [json.loads(l)["task_id"] for l in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(ids) == sorted(QUICK3.split(",")), "each task recorded once"


# -- --retry-failed -----------------------------------------------------------------------------------
def test_retry_failed_supersedes_failed_records(tmp_path):
    run = RunDir(tmp_path / "run")
    run.create(RunConfig(mode="synth", dataset="x", synth=SynthConfig()))
    tasks, calls = make_tasks(3), []
    run_tasks(tasks, ok_solver(calls, fail={"t1"}), run)
    assert run.records()["t1"].status == "error"
    run_tasks(tasks, ok_solver(calls), run)
    assert calls == ["t0", "t1", "t2"], "without the flag a failed task stays failed"
    run_tasks(tasks, ok_solver(calls), run, retry_failed=True)
    assert calls[3:] == ["t1"]
    assert run.records()["t1"].status == "ok"  # the later record wins
    assert len(run.results_path.read_text().splitlines()) == 4
    run.finish(tasks)
    sub = json.loads((run.path / "submission.json").read_text())
    assert sub["t1"] == [{"attempt_1": [[2]], "attempt_2": [[1]]}]


def test_cli_retry_failed_redoes_error_records(tmp_path, monkeypatch, reference_submission, propose_fails_on):
    from synth.solver import ProgramSynthesizer

    original = propose_fails_on("0d3d703e")
    out = tmp_path / "run"
    assert CliRunner().invoke(main, solve_args(out)).exit_code == 0
    monkeypatch.setattr(ProgramSynthesizer, "propose", original)
    assert CliRunner().invoke(main, ["--resume", str(out)]).exit_code == 0
    assert (out / "submission.json").read_bytes() != reference_submission  # plain --resume keeps the error
    again = CliRunner().invoke(main, ["--resume", str(out), "--retry-failed"])
    assert again.exit_code == 0, again.output
    assert "1 failed to retry" in again.output
    assert (out / "submission.json").read_bytes() == reference_submission
    report = json.loads(CliRunner().invoke(main, ["report", str(out), "--json"]).stdout)
    assert report["failures"] == {} and report["n_records"] == 3
    assert CliRunner().invoke(main, solve_args(tmp_path / "new") + ["--retry-failed"]).exit_code == 2


# -- one writer per run directory ---------------------------------------------------------------------
def test_a_second_writer_is_refused_in_process(tmp_path):
    first, second = RunDir(tmp_path / "run"), RunDir(tmp_path / "run")
    first.lock()
    with pytest.raises(RunLockedError, match=f"pid {os.getpid()}"):
        second.lock()
    first.unlock()
    second.lock()
    second.unlock()


def test_a_second_arc_solve_on_a_running_run_fails_at_once(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-c", "import cli; cli.main()"]
    run = tmp_path / "run"
    # 009d5c81 is an arc1-eval task the search does not solve: it searches for its whole budget
    holder = subprocess.Popen(cli + ["--mode", "synth", "--dataset", "arc1-eval", "--tasks", "009d5c81",
                                     "--search-budget", "240000000", "--out", str(run)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 60
        while not ((run / "config.json").exists() and (run / "run.lock").exists()
                   and (run / "run.lock").read_text().strip()):
            assert time.time() < deadline and holder.poll() is None, "the first run did not start"
            time.sleep(0.05)
        for args in (["--resume", str(run)], ["--mode", "synth", "--dataset", "arc1-eval", "--tasks", "009d5c81", "--out", str(run)]):
            t0 = time.time()
            second = subprocess.run(cli + args, env=env, capture_output=True, text=True, timeout=60)
            assert second.returncode == 1, second.stderr
            assert second.stderr.strip().splitlines() == [f"Error: {run}: in use by another arc-solve (pid {holder.pid}); "
                                                          "one process writes a run directory at a time"]
            assert time.time() - t0 < 20 and holder.poll() is None
        assert not (run / "results.jsonl").exists()
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    # a killed writer leaves no stale lock: the kernel dropped it with the process
    RunDir(run).lock()


# -- malformed records and configs ---------------------------------------------------------------------
def saved_config(task_ids: list[str]) -> dict:
    from synth.config import SynthConfig

    return {"mode": "synth", "dataset": "arc1-train", "task_ids": task_ids, "policy": "paper", "seed": 0,
            "task_timeout_s": None, "preset": "paper", "synth": SynthConfig(sampler="search").to_json()}


GOOD = json.dumps(TaskRecord("007bbfb7", "ok", ((B,),)).to_json())
OTHER = json.dumps(TaskRecord("007bbfb7", "ok", ((A,),)).to_json())
FAILED = json.dumps(TaskRecord("007bbfb7", "error", ((),), error="x").to_json())


@pytest.mark.parametrize("content, where", [
    ('{"task_id": 5}\n', "results.jsonl: line 1: not a task record: task_id must be a non-empty string"),
    (GOOD + '\n[1,2]\n', "results.jsonl: line 2: not a task record: expected a JSON object, got list"),
    (GOOD + '\n{"task_id": "0d3d703e", "status": "ok"}\n', "results.jsonl: line 2: not a task record: attempts"),
    (GOOD + '\ngarbage here\n' + GOOD + '\n', "results.jsonl: line 2: not JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00", "results.jsonl: line 1: not UTF-8 text"),
    (GOOD + "\n" + OTHER + "\n", "results.jsonl: lines 1 and 2: two different answers for task 007bbfb7"),
    ("[" * 100_000 + "]" * 100_000 + "\n", "results.jsonl: line 1: JSON nested too deeply"),
], ids=["task-id-5", "list", "no-attempts", "garbage-mid-file", "binary", "duplicate", "deep"])
def test_malformed_results_are_one_line_naming_file_and_line(tmp_path, content, where):
    run = RunDir(tmp_path / "run")
    run.create(RunConfig.from_json(saved_config(["007bbfb7", "0d3d703e"])))
    data = content.encode() if isinstance(content, str) else content
    run.results_path.write_bytes(data)
    for args in (["--resume", str(run.path)], ["report", str(run.path)]):
        line = one_line_error(CliRunner().invoke(main, args))
        assert where in line and str(run.results_path) in line
    assert run.results_path.read_bytes() == data, "a broken results file is left as it was for a person to look at"


def test_a_retried_error_and_a_repeated_answer_are_not_duplicates(tmp_path):
    run = RunDir(tmp_path / "run")
    run.create(RunConfig.from_json(saved_config(["007bbfb7"])))
    run.results_path.write_text(FAILED + "\n" + GOOD + "\n" + GOOD + "\n")
    assert run.records()["007bbfb7"].attempts == ((B,),)


@pytest.mark.parametrize("content, where", [
    ("[]", "config.json: expected a JSON object (the run's configuration), got list"),
    ('{"mode": "synth",\n "dataset": ', "config.json: line 2: not valid JSON"),
    ('{"mode": "synth", "dataset": "arc1-train", "task_ids": [5], "synth": {}}', "config.json: unusable settings (a run from an older version of arc-solve, or edited by hand): task_ids must be a list of strings"),
    ('{"mode": "synth", "dataset": "arc1-train", "task_ids": [], "synth": {"bogus": 1}}', "config.json: unusable settings"),
    ("\xff\xfe", "config.json: not UTF-8 text"),
    ("[" * 100_000, "config.json: JSON nested too deeply"),
], ids=["list", "garbage", "task-ids", "synth-fields", "binary", "deep"])
def test_malformed_config_is_one_line_naming_the_file(tmp_path, content, where):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_bytes(content.encode("latin-1") if content == "\xff\xfe" else content.encode())
    line = one_line_error(CliRunner().invoke(main, ["--resume", str(run)]))
    assert where in line and str(run / "config.json") in line


# -- deeply nested JSON in inputs -------------------------------------------------------------------------
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("name, text", [
    ("task.json", '{"train": ' + DEEP + ', "test": []}'),
    ("x_challenges.json", '{"abc": {"train": ' + DEEP + "}}"),
    ("y_solutions.json", DEEP),
])
def test_deeply_nested_input_is_a_task_format_error(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    target = tmp_path / name
    if name == "y_solutions.json":  # picked up beside its challenges file
        target = tmp_path / "y_challenges.json"
        target.write_text(json.dumps({"abc": {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}}))
    with pytest.raises(arc.TaskFormatError, match=re.escape(f"{tmp_path / name}: JSON nested too deeply")):
        arc.load_dataset(target)
    line = one_line_error(CliRunner().invoke(main, ["tasks", "list", str(target)]))
    assert str(tmp_path / name) in line


def test_deeply_nested_submission_is_one_line(tmp_path):
    sub = tmp_path / "submission.json"
    sub.write_text(DEEP)
    line = one_line_error(CliRunner().invoke(main, ["score", str(sub), "--dataset", "arc1-train"]))
    assert f"{sub}: cannot read submission: JSON nested too deeply" in line


# -- task ids -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["../../etc/evil", "a/b", "a\\b", "..", "", "x" * 129, "a\x00b", "a\nb", "a\x1bb"])
def test_unsafe_task_ids_are_refused_at_load(tmp_path, bad):
    path = tmp_path / "k_challenges.json"
    path.write_text(json.dumps({bad: {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}}))
    with pytest.raises(arc.TaskFormatError, match=re.escape(f"{path}: task id {bad[:40]!r}")):
        arc.load_dataset(path)


def test_a_sane_task_id_still_loads(tmp_path):
    path = tmp_path / "k_challenges.json"
    ok = "x" * 128
    path.write_text(json.dumps({ok: {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]},
                                "a.b-c_d": {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}}))
    assert sorted(arc.load_dataset(path)) == ["a.b-c_d", ok]


# -- a closed stdout pipe -----------------------------------------------------------------------------------
def test_closed_stdout_pipe_ends_quietly():
    """`arc-solve tasks list arc1-eval | head -1`: a pipe smaller than the listing, closed after one line."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # the 400 lines (28 kB) cannot all fit: the writer must block
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "tasks", "list", "arc1-eval"],
                            stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as r:
        first = r.readline()
    stderr = proc.communicate(timeout=120)[1].decode()
    assert first.split()[0] == b"00576224"
    assert stderr == "" and proc.returncode in (0, 141)

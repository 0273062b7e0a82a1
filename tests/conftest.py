import json
from pathlib import Path

import pytest

from arc.data import load_dataset


@pytest.fixture(scope="session")
def arc1_train():
    return load_dataset("arc1-train")


@pytest.fixture(scope="session")
def llama3_tokenizer_dir(tmp_path_factory) -> Path:
    """Meta's Llama-3 tokenizer as a transformers fast tokenizer, saved in a folder once per session.

    ``tokenizer.model`` comes from the llama-models wheel (the [dev] extra), is converted with
    transformers' tiktoken converter (several seconds, hence once) and given the 256 special tokens
    in Meta's order, so ids line up (<|begin_of_text|> 128000 ... <|eot_id|> 128009). Nothing is
    downloaded. bos/eos/pad are what Llama-3 chat checkpoints ship.
    """
    pytest.importorskip("transformers")
    try:
        from llama_models.llama3 import tokenizer as meta_module
    except ImportError as e:
        raise ImportError(f"the Llama-3 tokenizer tests need the [dev] extra (pip install -e '.[ttt,dev]'): {e}") from e
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    meta = meta_module.Tokenizer.get_instance()
    model_file = Path(meta_module.__file__).parent / "tokenizer.model"
    specials = sorted(meta.special_tokens, key=meta.special_tokens.get)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", "")  # read the file where it is; leave no copy in the temp dir
        converted = TikTokenConverter(vocab_file=str(model_file), pattern=meta.pat_str,
                                      extra_special_tokens=specials).converted()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=converted,
        bos_token="<|begin_of_text|>",
        eos_token="<|eot_id|>",
        pad_token="<|finetune_right_pad_id|>",
        clean_up_tokenization_spaces=False,
        model_max_length=131072,
    )
    folder = tmp_path_factory.mktemp("llama3-tokenizer")
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def llama3_tokenizer(llama3_tokenizer_dir):
    """The session's Llama-3 tokenizer (no chat template). Do not modify it: load your own copy from
    ``llama3_tokenizer_dir`` to set a chat template."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(llama3_tokenizer_dir, local_files_only=True)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny randomly initialised Llama with the compact tokenizer, saved as a checkpoint folder."""
    from ttt.model import save_base, tiny_llama
    from ttt.tokenizer import build_compact_tokenizer

    tok = build_compact_tokenizer()
    path = tmp_path_factory.mktemp("model") / "tiny"
    save_base(tiny_llama(tok, hidden=32, layers=1, heads=2, seed=0), tok, path)
    return path


SMALL_ENSEMBLE = ("--mode", "ensemble", "--dataset", "arc1-train", "--tasks", "0d3d703e,3c9b0459,6150a2bd,67a3c6ac",
                  "--ttt-max-tasks", "4", "--ttt-epochs", "1", "--lora-rank", "4", "--views", "identity,transpose",
                  "--n-orders", "1", "--max-new-tokens", "48", "--search-budget", "2000000", "--device", "cpu",
                  "--threads", "1")


@pytest.fixture(scope="session")
def small_ensemble_runs(tmp_path_factory, tiny_model_dir):
    """An ensemble over four quick arc1-train tasks on the tiny model with one thread, run in process
    once per session: ``{"args": the command line less --out, "plain": its run folder, "budgeted": the
    run folder of the same command under --time-budget 1h}``. tests/test_budget.py compares the two
    runs; tests/test_ray.py compares each with the same command over Ray. Read them, never write there."""
    import torch
    from click.testing import CliRunner

    from cli import main

    args = (*SMALL_ENSEMBLE, "--model", str(tiny_model_dir))
    folder = tmp_path_factory.mktemp("small-ensemble")
    runs = {"args": args, "plain": folder / "plain", "budgeted": folder / "budget"}
    threads = torch.get_num_threads()
    try:  # --threads 1 sets torch's thread count for the process: put it back
        for name, extra in (("plain", ()), ("budgeted", ("--time-budget", "1h"))):
            result = CliRunner().invoke(main, [*args, *extra, "--out", str(runs[name])])
            assert result.exit_code == 0, result.output
    finally:
        torch.set_num_threads(threads)
    return runs


@pytest.fixture
def write_json(tmp_path):
    """Write an object (or raw text) to a JSON file in tmp_path and return its path."""

    def write(obj, name="task.json") -> Path:
        path = tmp_path / name
        path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        return path

    return write


@pytest.fixture
def propose_fails_on(monkeypatch):
    """``propose_fails_on(task_id)`` makes the synthesizer's proposer raise on that task (a sampler that
    blows up); returns the original proposer, to put back with monkeypatch.setattr."""
    from synth.solver import ProgramSynthesizer

    original = ProgramSynthesizer.propose

    def fail_on(task_id: str):
        def propose(self, task):
            if task.id == task_id:
                raise RuntimeError("sampler blew up on this task")
            return original(self, task)

        monkeypatch.setattr(ProgramSynthesizer, "propose", propose)
        return original

    return fail_on


@pytest.fixture(scope="module")
def tok():
    """The compact tokenizer of the project's own small model (one per test module)."""
    from ttt.tokenizer import build_compact_tokenizer

    return build_compact_tokenizer()


@pytest.fixture(scope="module")
def fmt():
    """The compact text format (one per test module)."""
    from ttt.format import make_formatter

    return make_formatter("compact")


@pytest.fixture
def common_module(monkeypatch):
    """Programs start with ``from common import *``; the sandbox provides dsl.common under that name,
    and so does this fixture for programs run in-process."""
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "common", importlib.import_module("dsl.common"))


@pytest.fixture(scope="module")
def box():
    """A sandbox of its own for the module's tests (closed after them), with ``dsl.common``
    preloaded as ``common`` (``synth.sandbox``), as the synthesizer runs programs."""
    from synth.sandbox import Sandbox

    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def stand_in_engine(monkeypatch):
    """``stand_in_engine(start_s=0.0)`` puts a stand-in for the vllm backend's engine in
    ``ttt.backends.BACKENDS`` (for this test) and returns its class: it takes ``start_s`` seconds to
    start, answers every prompt with the one-cell grid ``1``, and counts its starts and closes.
    (Ray workers cannot import this file: tests/test_ray.py keeps a stand-in of its own.)"""
    import time

    from ttt.backends import BACKENDS, Generation

    def install(start_s: float = 0.0):
        class Engine:
            started = closed = 0

            def __init__(self, base, tok, cfg, max_lora_rank=128):
                time.sleep(start_s)
                self.tokenizer = tok
                Engine.started += 1

            def count_tokens(self, text, add_special_tokens=True):
                return len(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

            def generate(self, prompts, adapters=None, *, max_new_tokens, stop=(), add_special_tokens=True):
                return [Generation("1\n#", True) for _ in prompts]

            def close(self):
                Engine.closed += 1

        monkeypatch.setitem(BACKENDS, "vllm", Engine)
        return Engine

    return install

"""Transduction scores induction (issue 27, part 3): under ``paper-poe`` the TTT model's
product-of-experts score orders the outputs of disagreeing programs. A real run: the program search
and TTT with a tiny randomly initialised model; the scores are checked against ``ttt.select``."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from click.testing import CliRunner  # noqa: E402

from arc.data import load_dataset  # noqa: E402
from cli import main  # noqa: E402
from ensemble.run import RunDir  # noqa: E402
from ttt.model import save_base, tiny_llama  # noqa: E402
from ttt.tokenizer import build_compact_tokenizer  # noqa: E402
from ttt import select  # noqa: E402

TASK = "68b16354"  # the search's programs disagree on it (several)


def test_paper_poe_ranks_the_programs_outputs_by_the_ttt_score(tmp_path):
    tok = build_compact_tokenizer()
    model = save_base(tiny_llama(tok, hidden=32, layers=1, heads=2), tok, tmp_path / "model")
    args = ["--mode", "ensemble", "--dataset", "arc1-train", "--tasks", TASK, "--model", str(model),
            "--adapter", "full", "--ttt-steps", "2", "--ttt-max-tasks", "4", "--views", "identity,transpose",
            "--max-new-tokens", "16", "--device", "cpu", "--threads", "1"]
    for policy in ("paper", "paper-poe"):
        result = CliRunner().invoke(main, [*args, "--policy", policy, "--out", str(tmp_path / policy)])
        assert result.exit_code == 0, result.output
    paper = RunDir(tmp_path / "paper").records()[TASK]
    poe = RunDir(tmp_path / "paper-poe").records()[TASK]
    assert paper.synth[0].status == "several" and len(paper.synth[0].ranked) >= 2
    assert poe.error is None and "poe" in poe.timings
    ranked = poe.synth[0].ranked
    assert set(a.grid for a in ranked) == set(paper.synth[0].attempts)  # the same outputs, re-ranked
    assert all(a.source.endswith("+poe") for a in ranked)
    scores = [a.score for a in ranked]
    assert scores == sorted(scores, reverse=True)
    # the scores are the scorer's own: recompute one directly with the task's tuned model
    from ttt.backends import BACKENDS
    from ttt.format import make_formatter
    from ttt.model import load_base

    config = RunDir(tmp_path / "paper-poe").config()
    base, base_tok = load_base(str(model), "cpu", config.infer.dtype, False)
    direct = select.score_candidates(load_dataset("arc1-train")[TASK], 0, [a.grid for a in ranked],
                                     BACKENDS["hf"](base, base_tok, config.infer), make_formatter(config.ttt.format, base_tok),
                                     config.infer, tmp_path / "paper-poe" / "ttt" / "adapters" / TASK)
    assert [c.score for c in direct] == pytest.approx(scores, rel=1e-5)

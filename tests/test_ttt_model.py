"""Base models and the TTT configs: tiny in-process Llama, local loading (never downloads), validation."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from ttt.config import InferConfig, TTTConfig  # noqa: E402
from ttt.model import count_parameters, load_base, save_base, tiny_llama  # noqa: E402


def test_tiny_llama_is_seeded_and_leaves_global_rng_alone(tok):
    state = torch.random.get_rng_state()
    a, b, c = tiny_llama(tok, hidden=32, seed=1), tiny_llama(tok, hidden=32, seed=1), tiny_llama(tok, hidden=32, seed=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert a.config.vocab_size == len(tok) and a.config.pad_token_id == tok.pad_token_id
    assert count_parameters(a) < 200_000


def test_tiny_llama_rejects_bad_heads(tok):
    with pytest.raises(ValueError, match="divisible"):
        tiny_llama(tok, hidden=30, heads=4)


def test_save_and_load_base_round_trip_gives_identical_logits(tok, tmp_path):
    model = tiny_llama(tok, hidden=32, layers=2)
    save_base(model, tok, tmp_path / "m")
    loaded, loaded_tok = load_base(tmp_path / "m", device="cpu")
    assert loaded.dtype == torch.float32  # fp32 on CPU
    ids = torch.tensor([tok("I12\n34O21\n43E")["input_ids"]])
    assert loaded_tok("I12\n34O")["input_ids"] == tok("I12\n34O")["input_ids"]
    with torch.no_grad():
        assert torch.equal(model(ids).logits, loaded(ids).logits)


def test_load_base_never_downloads(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        load_base(tmp_path / "meta-llama/Llama-3.2-1B")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_4bit_without_cuda_is_a_clear_error(tok, tmp_path):
    save_base(tiny_llama(tok, hidden=32), tok, tmp_path / "m")
    with pytest.raises(RuntimeError, match="CUDA"):
        load_base(tmp_path / "m", load_in_4bit=True)


def test_ttt_config_defaults_are_the_papers():
    cfg = TTTConfig()
    assert (cfg.lora_rank, cfg.lora_alpha, cfg.lora_dropout) == (128, 16, 0.0)
    assert cfg.target_modules == ("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj")
    assert (cfg.learning_rate, cfg.epochs, cfg.batch_size, cfg.weight_decay, cfg.warmup_ratio) == (5e-5, 2, 2, 0.01, 0.1)
    assert cfg.loss == "demo" and cfg.adapter_mode == "per_task" and cfg.data.max_tasks == 250
    assert TTTConfig(lora_lm_head=True).modules[-1] == "lm_head"
    assert all(TTTConfig.help().values()) and all(InferConfig.help().values())
    json.dumps({"ttt": cfg.to_json(), "infer": InferConfig().to_json()})  # JSON-ready


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lora_rank": 0}, "lora_rank"),
        ({"loss": "all"}, "loss"),
        ({"adapter_mode": "global"}, "adapter_mode"),
        ({"warmup_ratio": 1.0}, "warmup_ratio"),
        ({"target_modules": ()}, "target_modules"),
        ({"load_in_4bit": True, "adapter_mode": "none"}, "load_in_4bit"),
        ({"format": "json"}, "format"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_ttt_config_rejects_impossible_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TTTConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"backend": "tgi"}, "backend"),
        ({"symmetries": ("rot45",)}, "symmetry"),
        ({"vote": "majority"}, "vote"),
        ({"n_orders": 0}, "n_orders"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_infer_config_rejects_impossible_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InferConfig(**kwargs)

"""vLLM engine options reach both engines (TTT backend and synth sampler) from the configs and the
command line, with one dtype rule for hf and vLLM; checked against a stand-in ``vllm`` module, so
no vLLM is needed here (tests marked ``vllm`` start the real engine)."""

import sys
import types

import pytest

from arc.engines import engine_kwargs, free_engine, resolve_dtype_name
from synth.config import SynthConfig
from ttt.config import InferConfig

torch = pytest.importorskip("torch")

BUNDLED = "ttt/default_model"


class FakeLLM:
    built: list[dict] = []

    def __init__(self, **kwargs):
        FakeLLM.built.append(kwargs)
        self.shut = False
        self.llm_engine = types.SimpleNamespace(engine_core=types.SimpleNamespace(shutdown=self._shutdown))

    def _shutdown(self):
        self.shut = True

    def get_tokenizer(self):
        return types.SimpleNamespace(chat_template=None)


@pytest.fixture
def fake_vllm(monkeypatch):
    FakeLLM.built = []
    module = types.ModuleType("vllm")
    module.LLM = FakeLLM
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_auto_dtype_is_the_hf_backends_float32_on_cpu():
    if torch.cuda.is_available():
        pytest.skip("CPU rule")
    assert resolve_dtype_name("auto") == "float32" and resolve_dtype_name("auto", "cpu") == "float32"
    assert resolve_dtype_name("bfloat16") == "bfloat16"
    from ttt.model import resolve_dtype

    assert getattr(torch, resolve_dtype_name("auto", "cpu")) == resolve_dtype("auto", "cpu")
    with pytest.raises(ValueError, match="dtype"):
        resolve_dtype_name("fp8")


def test_engine_kwargs_defaults_never_chunk_a_prompt():
    kw = engine_kwargs(dtype="auto", device="cpu", max_model_len=8192, max_num_batched_tokens=None,
                       gpu_memory_utilization=None, seed=3)
    assert kw == {"dtype": "float32", "max_model_len": 8192, "max_num_batched_tokens": 8192,
                  "gpu_memory_utilization": 0.2, "seed": 3}
    kw = engine_kwargs(dtype="float16", device="cpu", max_model_len=4096, max_num_batched_tokens=1024,
                       gpu_memory_utilization=0.5, seed=0)
    assert kw["max_num_batched_tokens"] == 1024 and kw["gpu_memory_utilization"] == 0.5 and kw["dtype"] == "float16"


def test_synth_sampler_passes_every_option(fake_vllm):
    from synth.samplers import make_sampler

    cfg = SynthConfig(sampler="vllm", model=BUNDLED, seed=7, dtype="float32", gpu_memory_utilization=0.3,
                      max_model_len=4096, max_num_batched_tokens=2048)
    sampler = make_sampler(cfg)
    (kw,) = FakeLLM.built
    assert kw == {"model": BUNDLED, "dtype": "float32", "max_model_len": 4096, "max_num_batched_tokens": 2048,
                  "gpu_memory_utilization": 0.3, "seed": 7}
    llm = sampler.llm
    sampler.close()
    assert llm.shut and sampler.llm is None


def test_ttt_backend_passes_every_option(fake_vllm):
    from ttt.backends.vllm import VLLMBackend

    cfg = InferConfig(backend="vllm", max_tokens=4096, max_loras=3, gpu_memory_utilization=0.4,
                      max_num_batched_tokens=None, seed=5)
    backend = VLLMBackend(BUNDLED, cfg=cfg, max_lora_rank=16)
    (kw,) = FakeLLM.built
    assert kw["enable_lora"] and kw["max_lora_rank"] == 16 and kw["max_loras"] == 3
    assert kw["max_model_len"] == kw["max_num_batched_tokens"] == 4096
    assert kw["gpu_memory_utilization"] == 0.4 and kw["seed"] == 5
    if not torch.cuda.is_available():
        assert kw["dtype"] == "float32"
    llm = backend.llm
    backend.close()
    backend.close()  # twice is harmless
    assert llm.shut and backend.llm is None


def test_free_engine_survives_a_failing_shutdown(caplog):
    def boom():
        raise RuntimeError("already gone")

    owner = types.SimpleNamespace(llm=types.SimpleNamespace(llm_engine=types.SimpleNamespace(
        engine_core=types.SimpleNamespace(shutdown=boom))))
    free_engine(owner)
    assert owner.llm is None and "already gone" in caplog.text
    free_engine(owner)  # nothing left to free
    free_engine(types.SimpleNamespace(llm=object()))  # no engine core to shut down


@pytest.mark.parametrize("kw, message", [
    ({"gpu_memory_utilization": 0.0}, "gpu_memory_utilization"),
    ({"gpu_memory_utilization": 1.5}, "gpu_memory_utilization"),
    ({"max_num_batched_tokens": 8}, "max_num_batched_tokens"),
    ({"max_loras": 0}, "max_loras"),
])
def test_infer_config_rejects_bad_engine_options(kw, message):
    with pytest.raises(ValueError, match=message):
        InferConfig(**kw)


@pytest.mark.parametrize("kw, message", [
    ({"gpu_memory_utilization": 0.0}, "gpu_memory_utilization"),
    ({"max_num_batched_tokens": 8}, "max_num_batched_tokens"),
    ({"max_model_len": 8}, "max_model_len"),
    ({"dtype": "fp8"}, "dtype"),
])
def test_synth_config_rejects_bad_engine_options(kw, message):
    with pytest.raises(ValueError, match=message):
        SynthConfig(**kw)


def test_cli_flags_reach_both_configs():
    from cli import main
    from ensemble.options import run_config

    ctx = main.make_context("arc-solve", ["--mode", "ensemble", "--backend", "vllm", "--sampler", "vllm",
                                          "--synth-model", BUNDLED, "--dtype", "float32",
                                          "--gpu-memory-utilization", "0.3", "--max-loras", "4",
                                          "--max-num-batched-tokens", "2048", "--synth-max-model-len", "4096"])
    config = run_config(ctx.params, ("007bbfb7",))
    infer, synth = config.infer, config.synth
    assert infer.dtype == synth.dtype == "float32"
    assert infer.gpu_memory_utilization == synth.gpu_memory_utilization == 0.3
    assert infer.max_num_batched_tokens == synth.max_num_batched_tokens == 2048
    assert infer.max_loras == 4 and synth.max_model_len == 4096
    # without the flags, the configs' own defaults
    ctx = main.make_context("arc-solve", ["--mode", "ensemble", "--sampler", "vllm", "--synth-model", BUNDLED])
    config = run_config(ctx.params, ("007bbfb7",))
    assert config.infer.gpu_memory_utilization is None and config.synth.max_model_len == 8192
    assert config.infer.dtype == config.synth.dtype == "auto"

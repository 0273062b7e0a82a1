"""HFSampler on a tiny randomly initialised Llama and a byte-level tokenizer, built in-process."""

import sys

import pytest

import arc
from synth.config import SynthConfig
from synth.prompt import build_prompt, messages_to_text
from synth.samplers import SAMPLERS, HFSampler, make_sampler
from synth.solver import SamplerProposer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # Byte-level BPE without merges: every byte is one token, any text encodes, nothing to download.
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {"<s>": 0, "</s>": 1, "<pad>": 2}
    vocab.update({ch: i + 3 for i, ch in enumerate(sorted(alphabet))})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def _save_tiny_model(path, chat_template=None):
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _tokenizer()
    if chat_template:
        tokenizer.chat_template = chat_template
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=2,
    )
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def messages():
    tasks = arc.load_dataset("arc1-train")
    return build_prompt(tasks["6150a2bd"]).messages  # a real task with small 3x3 grids


@pytest.fixture(scope="module")
def plain_dir(tmp_path_factory):
    return _save_tiny_model(tmp_path_factory.mktemp("tiny_plain"))


@pytest.fixture(scope="module")
def chat_dir(tmp_path_factory):
    return _save_tiny_model(tmp_path_factory.mktemp("tiny_chat"), CHAT_TEMPLATE)


def test_samples_are_strings_and_deterministic_for_a_seed(plain_dir, messages):
    sampler = HFSampler.load(plain_dir, max_new_tokens=8, batch_size=3, temperature=1.0)
    # the synthesizer's seam drives it: a task's prompt in, that many completions out
    task = arc.load_dataset("arc1-train")["007bbfb7"]
    proposal = SamplerProposer(SynthConfig(sampler="hf", model=str(plain_dir), samples=3), sampler).propose(task)
    assert proposal.info["n_samples"] == 3 and proposal.info["extraction"]
    first = sampler.sample(messages, 5, seed=7)
    assert len(first) == 5 and all(isinstance(s, str) for s in first)
    torch.manual_seed(123)
    outside = torch.rand(3)
    torch.manual_seed(123)
    assert sampler.sample(messages, 5, seed=7) == first  # same seed, same completions
    assert torch.equal(torch.rand(3), outside)  # the caller's RNG state is left alone
    assert sampler.sample(messages, 5, seed=8) != first
    assert len(set(first)) > 1  # samples within one call differ


def test_plain_text_prompt_without_chat_template(plain_dir, messages):
    sampler = HFSampler.load(plain_dir, max_new_tokens=4)
    assert sampler.render(messages) == messages_to_text(messages)


def test_chat_template_is_used_when_present(chat_dir, messages):
    sampler = HFSampler.load(chat_dir, max_new_tokens=6, temperature=0.8)
    rendered = sampler.render(messages)
    assert rendered.startswith("<|system|>\n") and rendered.endswith("<|assistant|>\n")
    out = sampler.sample(messages, 2, seed=0)
    assert len(out) == 2 and all(isinstance(s, str) for s in out)
    assert sampler.sample(messages, 2, seed=0) == out


def test_completions_hold_only_new_text(plain_dir, messages):
    sampler = HFSampler.load(plain_dir, max_new_tokens=5, temperature=1.0)
    # One byte per token: 5 new tokens decode to at most 5 characters (invalid UTF-8 becomes one U+FFFD each).
    out = sampler.sample(messages, 4, seed=1)
    assert all(len(s) <= 5 for s in out)
    assert not any("Example 1" in s for s in out)


def test_greedy_repeats_one_answer(plain_dir, messages):
    sampler = HFSampler.load(plain_dir, max_new_tokens=6, temperature=0.0)
    out = sampler.sample(messages, 3, seed=0)
    assert len(out) == 3 and len(set(out)) == 1
    assert sampler.sample(messages, 3, seed=99) == out


def test_make_sampler_builds_hf_from_config(plain_dir, messages):
    assert SAMPLERS["hf"] is HFSampler
    config = SynthConfig(sampler="hf", model=str(plain_dir), max_new_tokens=3, batch_size=2, temperature=0.5)
    sampler = make_sampler(config)
    assert isinstance(sampler, HFSampler) and sampler.temperature == 0.5
    assert len(sampler.sample(messages, 3, seed=0)) == 3


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        HFSampler.load(tmp_path / "nowhere")


def test_importing_samplers_stays_light():
    import subprocess

    code = "import synth.samplers, synth.extract, synth.prompt, synth.config, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

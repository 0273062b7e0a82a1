"""The `marc` and `barc` formats against the real Llama-3 tokenizer, on real ARC-AGI-1 tasks.

The expected layouts are written here from the published facts, not from ``ttt.format``:

* marc (MIT's TTT checkpoints, trained with torchtune): Llama 3's chat layout, each turn
  ``<|start_header_id|>role<|end_header_id|>\\n\\n`` + content (trimmed) + ``<|eot_id|>`` after
  ``<|begin_of_text|>``; the system turn holds a fixed instruction and every demonstration as
  ``<numpy str of input> -> <numpy str of output>#`` (one per line), the user turn ``<query input> ->``,
  the assistant turn ``<output>#``. Loss on the assistant turn with its header and ``<|eot_id|>``,
  and on demonstration outputs 2..K. No date lines, whatever template a checkpoint ships.
* barc (BARC's transduction models): three newlines (one token, 1432) between the test grid and
  the instruction that asks for the output grids.

Expected token ids come from Meta's own tokenizer (``llama_models``), encoding each segment on its own
as torchtune does; ours from the converted fast tokenizer encoding the whole text.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from arc import load_dataset  # noqa: E402
from ttt.format import make_formatter  # noqa: E402
from ttt.tokens import IGNORE, encode_rendered  # noqa: E402

BOS, EOT, START, END = 128000, 128009, 128006, 128007
NEWLINES_2, NEWLINES_3, HASH_NEWLINE = 271, 1432, 5062  # "\n\n", "\n\n\n", "#\n"

MARC_INSTRUCTION = (
    "Figure out the underlying transformation in the following examples and apply it to the test case. "
    "Here are some examples from this transformation, your answer must follow the format.\n"
    "The input-output grids are provided as python arrays:\n"
)
BARC_ASK = ("Directly provide the output grids corresponding to the given test input grids, "
            "based on the patterns observed in the reference examples.")

# Minimal chat templates in the manner of the ones checkpoints ship. Llama 3.0: turns only.
LLAMA30_TEMPLATE = r"""{{- bos_token }}{%- for m in messages %}
{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] | trim + '<|eot_id|>' }}
{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}"""

# Llama 3.1 and 3.2 open the system turn with a knowledge date and a date of the day
# (3.1: a fixed default unless date_string is passed; 3.2: today's date from strftime_now).
_DATED_TEMPLATE = r"""{{- bos_token }}DATE_SETUP
{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] | trim %}
{%- set messages = messages[1:] %}{%- else %}{%- set system_message = '' %}{%- endif %}
{{- '<|start_header_id|>system<|end_header_id|>\n\n' }}
{{- 'Cutting Knowledge Date: December 2023\n' }}
{{- 'Today Date: ' + date_string + '\n\n' }}
{{- system_message + '<|eot_id|>' }}
{%- for m in messages %}
{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] | trim + '<|eot_id|>' }}
{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}"""


def llama31_template(default_date: str = "26 Jul 2024") -> str:
    return _DATED_TEMPLATE.replace(
        "DATE_SETUP", "{%- if not date_string is defined %}{%- set date_string = '" + default_date + "' %}{%- endif %}")


LLAMA32_TEMPLATE = _DATED_TEMPLATE.replace(
    "DATE_SETUP", "{%- if not date_string is defined %}{%- set date_string = strftime_now('%d %b %Y') %}{%- endif %}")

TEMPLATES = {
    "none": None,
    "llama3.0": LLAMA30_TEMPLATE,
    "llama3.1": llama31_template(),
    "llama3.1-another-day": llama31_template("01 Jan 2031"),
    "llama3.2-today": LLAMA32_TEMPLATE,
}


@functools.lru_cache(maxsize=None)
def meta_tokenizer():
    from llama_models.llama3.tokenizer import Tokenizer

    return Tokenizer.get_instance()


def meta_ids(text: str) -> list[int]:
    return meta_tokenizer().encode(text, bos=False, eos=False)


def sample_tasks(n: int):
    tasks = load_dataset("arc1-train")
    return [tasks[k] for k in sorted(tasks)[:: len(tasks) // n][:n]]


def numpy_text(grid) -> str:
    return str(np.array(grid))


def turn_ids(role: str, content: str) -> list[int]:
    """One Llama-3 turn as torchtune tokenizes it: header, trimmed content, <|eot_id|>."""
    return [START, *meta_ids(role), END, NEWLINES_2, *meta_ids(content.strip()), EOT]


def marc_turns(demos, query_input) -> tuple[str, str]:
    """marc's system and user contents, trimmed."""
    system = MARC_INSTRUCTION + "\n".join(f"{numpy_text(d.input)} -> {numpy_text(d.output)}#" for d in demos)
    return system.strip(), f"{numpy_text(query_input)} ->"


def marc_prompt_ids(demos, query_input) -> list[int]:
    system, user = marc_turns(demos, query_input)
    return [BOS, *turn_ids("system", system), *turn_ids("user", user), START, *meta_ids("assistant"), END, NEWLINES_2]


def marc_prompt_text(demos, query_input) -> str:
    system, user = marc_turns(demos, query_input)
    return ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + system + "<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n" + user + "<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n")


def tokenizer_with(folder, template):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(folder, local_files_only=True)
    if template is not None:
        tok.chat_template = template
    return tok


@pytest.fixture(scope="module", params=sorted(TEMPLATES))
def templated(request, llama3_tokenizer_dir):
    """(template name, a Llama-3 tokenizer carrying that chat template)."""
    return request.param, tokenizer_with(llama3_tokenizer_dir, TEMPLATES[request.param])


@pytest.fixture(scope="module")
def llama30(llama3_tokenizer_dir):
    """A Llama-3 tokenizer with a Llama-3.0 style template, as marc's checkpoints ship."""
    return tokenizer_with(llama3_tokenizer_dir, LLAMA30_TEMPLATE)


def loss_runs(tok, rendered) -> list[list[int]]:
    """The maximal runs of consecutive tokens that carry loss."""
    enc = encode_rendered(tok, rendered, add_special_tokens=False)
    runs, current = [], []
    for label in enc.labels:
        if label == IGNORE:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(label)
    return runs + ([current] if current else [])


# -- the tokenizer itself ------------------------------------------------------------------
def test_converted_tokenizer_matches_metas(llama3_tokenizer):
    meta = meta_tokenizer()
    named = {"<|begin_of_text|>": 128000, "<|end_of_text|>": 128001, "<|start_header_id|>": 128006,
             "<|end_header_id|>": 128007, "<|eot_id|>": 128009, "<|reserved_special_token_245|>": 128255}
    for token, want in named.items():
        assert llama3_tokenizer.convert_tokens_to_ids(token) == meta.special_tokens[token] == want
    assert len(llama3_tokenizer) == meta.n_words == 128256
    task = sample_tasks(1)[0]
    texts = ["[[0 1]\n [2 3]] -> [[3 2]\n [1 0]]#\n", "Black Blue\nRed\n\n\nDirectly", "  x\t\n\n y  ",
             marc_prompt_text(task.train, task.test[0].input) + numpy_text(task.test[0].output) + "#<|eot_id|>"]
    for text in texts:
        assert llama3_tokenizer(text, add_special_tokens=False)["input_ids"] == meta.encode(
            text, bos=False, eos=False, allowed_special="all")


# -- marc ----------------------------------------------------------------------------------
def test_marc_prompt_ids_are_marcs_layout_whatever_the_template(templated):
    name, tok = templated
    f = make_formatter("marc", tok)
    for task in sample_tasks(8):
        for test in task.test:
            ids = tok(f.render_prompt(task.train, test.input), add_special_tokens=False)["input_ids"]
            assert ids == marc_prompt_ids(task.train, test.input), (name, task.id)


def test_marc_texts_do_not_depend_on_template_or_date(templated):
    name, tok = templated
    f = make_formatter("marc", tok)
    for task in sample_tasks(6):
        demos, query = task.train[:-1], task.train[-1]
        prompt = marc_prompt_text(demos, query.input)
        assert f.render_prompt(demos, query.input) == prompt, name
        assert f.render_train(demos, query).text == prompt + numpy_text(query.output) + "#<|eot_id|>", name


def test_marc_loss_is_the_assistant_turn_and_demonstration_outputs_2_to_k(llama30):
    tok, f = llama30, make_formatter("marc", llama30)
    for task in sample_tasks(12):
        demos, query = task.train[:-1], task.train[-1]
        runs = loss_runs(tok, f.render_train(demos, query))
        # The assistant turn, whole: header (4 tokens), the output with "#", <|eot_id|>.
        answer = [START, *meta_ids("assistant"), END, NEWLINES_2, *meta_ids(numpy_text(query.output) + "#"), EOT]
        assert runs[-1] == answer, task.id
        assert tok.decode(runs[-1]) == ("<|start_header_id|>assistant<|end_header_id|>\n\n"
                                        f"{numpy_text(query.output)}#<|eot_id|>")
        # Demonstrations 2..K: their output and "#"; the first demonstration's output carries none.
        # (A token straddling the edge, " [[" before or "#\n" after, is in the loss whole.)
        assert [tok.decode(r).strip() for r in runs[:-1]] == [f"{numpy_text(d.output)}#" for d in demos[1:]], task.id
        # Output-only loss keeps the whole assistant turn and nothing else.
        assert loss_runs(tok, f.render_train(demos, query, loss="output")) == [answer]


def test_marc_rejects_a_tokenizer_without_llamas_specials():
    from ttt.tokenizer import build_compact_tokenizer

    with pytest.raises(ValueError, match="Llama 3"):
        make_formatter("marc", build_compact_tokenizer())


# -- barc ----------------------------------------------------------------------------------
def test_barc_has_three_newlines_before_the_instruction(llama3_tokenizer_dir):
    tok = tokenizer_with(llama3_tokenizer_dir, llama31_template())  # BARC's models are Llama-3.1 based
    f = make_formatter("barc", tok)
    words = ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple", "Brown")
    for task in sample_tasks(12):
        ids = tok(f.render_prompt(task.train, task.test[0].input), add_special_tokens=False)["input_ids"]
        grid = "\n".join(" ".join(words[c] for c in row) for row in task.test[0].input)
        tail = meta_ids(f"Input:\n{grid}") + [NEWLINES_3] + meta_ids(BARC_ASK) + [EOT]
        at = next((i for i in range(len(ids) - len(tail) + 1) if ids[i : i + len(tail)] == tail), None)
        assert at is not None, task.id
        # "\n\n\n" after every demonstration and after the test grid; never "\n\n" before the instruction.
        assert ids.count(NEWLINES_3) == len(task.train) + 1, task.id


# -- stopping on the end marker ------------------------------------------------------------
def test_stop_token_ids_are_every_token_containing_the_marker(llama3_tokenizer):
    from ttt.format import stop_token_ids

    ids = stop_token_ids(llama3_tokenizer, ["#"])
    assert {meta_ids("#")[0], HASH_NEWLINE, meta_ids(" #")[0]} <= ids
    texts = llama3_tokenizer.batch_decode([[i] for i in range(len(llama3_tokenizer))])
    assert ids == {i for i, t in enumerate(texts) if "#" in t}
    assert stop_token_ids(llama3_tokenizer, ["#"]) is ids  # computed once per tokenizer


def scripted_llama(vocab_size: int, script: dict[int, int]):
    """A real (tiny) LlamaForCausalLM whose greedy next token depends only on the current one: the
    layers add nothing to the residual stream, each scripted token's embedding is its own one-hot
    direction and the output head maps that direction to the scripted successor."""
    from transformers import LlamaConfig, LlamaForCausalLM

    width = 16  # one direction per scripted token; two heads of even size for the rotary embedding
    assert len(script) <= width
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=width, intermediate_size=width, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False,
                      bos_token_id=BOS, eos_token_id=EOT, pad_token_id=EOT)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        layer = model.model.layers[0]
        layer.self_attn.o_proj.weight.zero_()
        layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.zero_()
        model.lm_head.weight.zero_()
        for k, (current, successor) in enumerate(script.items()):
            model.model.embed_tokens.weight[current, k] = 1.0
            model.lm_head.weight[successor, k] = 10.0
    return model


def test_hf_backend_stops_on_a_merged_end_marker_token(llama30):
    from ttt.backends.hf import HFBackend
    from ttt.config import InferConfig

    tok = llama30
    f = make_formatter("marc", tok)
    task = sample_tasks(1)[0]
    prompt = f.render_prompt(task.train, task.test[0].input)
    assert tok(prompt, add_special_tokens=False)["input_ids"][-1] == NEWLINES_2
    # After the prompt: "[[", "1", "]]", "#\n", then "[[" again and so on, never a bare "#" or eos.
    lbr, one, rbr = meta_ids("[[")[0], meta_ids("1")[0], meta_ids("]]")[0]
    model = scripted_llama(len(tok), {NEWLINES_2: lbr, lbr: one, one: rbr, rbr: HASH_NEWLINE, HASH_NEWLINE: lbr})
    backend = HFBackend(model, tok, InferConfig(device="cpu", dtype="float32"))
    gen = backend.generate([prompt], max_new_tokens=40, stop=[f.end_marker], add_special_tokens=False)[0]
    assert gen.n_tokens == 4 and gen.stopped  # ended on "#\n", not on the 40-token budget
    assert gen.text == "[[1]]#"
    assert f.parse(gen.text, require_end=not gen.stopped).grid == ((1,),)

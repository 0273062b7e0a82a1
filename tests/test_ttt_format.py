"""Formats: render -> parse round trips, strict parse failures, loss spans, prompts, tokenizers."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arc import as_grid, load_dataset
from arc.task import Example
from ttt.format import (FORMATS, LLAMA3_EOT, LLAMA3_SPECIALS, ParseResult, Rendered, llama3_header, make_formatter,
                        token_loss_mask)
from ttt.tokenizer import VOCAB, build_compact_tokenizer

# A Llama-3-like template written for these tests: it trims message content, as Llama 3's does.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start|>{{ m['role'] }}<|sep|>\n\n"
    "{{ m['content'] | trim }}<|eot|>{% endfor %}"
    "{% if add_generation_prompt %}<|start|>assistant<|sep|>\n\n{% endif %}"
)


@functools.lru_cache(maxsize=None)
def tasks():
    return load_dataset("arc1-train")


@functools.lru_cache(maxsize=None)
def bpe_tokenizer():
    """A byte-level BPE tokenizer (GPT-2 style pre-tokenizer) trained in-process on ARC text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    plain = make_formatter("plain")
    ts = [tasks()[k] for k in sorted(tasks())[:40]]
    corpus = [plain.render_train(t.train[:-1], t.train[-1]).text for t in ts]
    corpus += ["Figure out Example Input Output Black Blue Red Green Yellow Gray Pink Orange Purple Brown [[0 1]\n [2 3]]#"] * 5
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|bos|>", "<|eot|>", "<|pad|>", "<|start|>", "<|sep|>"]
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=500, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=specials))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eot|>", pad_token="<|pad|>")
    hf.add_special_tokens({"additional_special_tokens": list(LLAMA3_SPECIALS)})  # marc writes Llama 3's layout
    hf.chat_template = CHAT_TEMPLATE
    return hf


@functools.lru_cache(maxsize=None)
def formatter(name):
    return make_formatter(name, bpe_tokenizer())


NAMES = sorted(FORMATS)
grids = st.integers(1, 30).flatmap(
    lambda h: st.integers(1, 30).flatmap(
        lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=h, max_size=h)
    )
).map(as_grid)
small_grids = st.integers(1, 6).flatmap(
    lambda h: st.integers(1, 6).flatmap(
        lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=h, max_size=h)
    )
).map(as_grid)
quick = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", NAMES)
@quick
@given(grid=grids)
def test_output_text_round_trips(name, grid):
    f = formatter(name)
    assert f.parse(f.output_text(grid)) == ParseResult(grid, None)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(small_grids, small_grids), min_size=1, max_size=4), loss=st.sampled_from(["demo", "output"]))
def test_train_text_round_trips_and_prompt_is_prefix(name, pairs, loss):
    f = formatter(name)
    exs = [Example(a, b) for a, b in pairs]
    demos, query = exs[:-1], exs[-1]
    r = f.render_train(demos, query, loss=loss)
    prompt = f.render_prompt(demos, query.input)
    assert isinstance(r, Rendered) and r.text.startswith(prompt)
    assert f.parse(r.text[len(prompt):]).grid == query.output
    # Loss spans: the query output with its end marker, plus demonstration outputs 2..K for "demo";
    # marc's query span is the whole assistant turn (header, output, <|eot_id|>), as marc trained.
    texts = [r.text[a:b] for a, b in r.loss_spans]
    assert r.loss_spans == tuple(sorted(r.loss_spans))
    if name == "marc":
        head = llama3_header("assistant")
        assert texts[-1] == head + f.output_text(query.output) + LLAMA3_EOT and r.text.endswith(texts[-1])
        assert r.loss_spans[-1][0] == len(prompt) - len(head)
    else:
        assert texts[-1] == f.output_text(query.output) and r.loss_spans[-1][0] == len(prompt)
    demo_text = f.grid_text if name == "barc" else f.output_text  # BARC demos have no end marker
    want = [demo_text(d.output) for d in demos[1:]] if loss == "demo" else []
    assert texts[:-1] == want


@pytest.mark.parametrize("name", NAMES)
@quick
@given(text=st.text(alphabet=st.sampled_from(list("0123456789 \n[]#IOE.-BlackRd`x")), max_size=60))
def test_parse_never_raises_and_only_returns_valid_grids(name, text):
    res = formatter(name).parse(text)
    assert (res.grid is None) != (res.error is None)
    if res.grid is not None:
        assert as_grid(res.grid) == res.grid


def _write(name, rows):
    """Rows of cell strings written in a format's own syntax, end marker included."""
    if name == "barc":
        words = ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple", "Brown")
        rows = [[words[int(c)] if c.isdigit() and int(c) < 10 else "White" for c in r] for r in rows]
        return "\n".join(" ".join(r) for r in rows) + "\n```"
    if name == "plain":
        return "\n".join(" ".join(r) for r in rows) + "\n#"
    if name == "compact":
        return "\n".join("".join(r) for r in rows) + "E"
    return "[" + "\n ".join("[" + " ".join(r) + "]" for r in rows) + "]#"


def _bad_generations(f):
    """(label, text) pairs that a strict parser must reject."""
    good = _write(f.name, [["1", "2", "3"], ["4", "5", "6"]])
    assert f.parse(good).grid == ((1, 2, 3), (4, 5, 6))
    return [
        ("ragged", _write(f.name, [["1", "2", "3"], ["4", "5"]])),
        ("31 wide", _write(f.name, [["1"] * 31])),
        ("31 tall", _write(f.name, [["1"]] * 31)),
        # compact has one character per cell, so "10" would be two cells; a non-colour symbol instead
        ("colour 10", _write(f.name, [["1", "O" if f.name == "compact" else "10"]])),
        ("no end marker", good[: -len(f.end_marker)]),
        ("garbage", "the answer is probably blue" + f.end_marker),
        ("empty", ""),
        ("only end marker", f.end_marker),
        ("leading space", " " + good),
        ("blank row", _write(f.name, [["1"], [], ["1"]])),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_malformed_generations_fail_with_a_reason(name):
    f = formatter(name)
    for label, text in _bad_generations(f):
        res = f.parse(text)
        assert res.grid is None and res.error, (label, text)
    g = ((1, 2, 3), (4, 5, 6))
    cut = f.output_text(g)[: -len(f.end_marker)]
    assert f.parse(cut).error.startswith("no end marker")
    assert f.parse(cut, require_end=False).grid == g  # the caller knows generation stopped on eos
    assert f.parse(f.output_text(g) + "trailing junk after the end").grid == g  # parsing stops at the marker


def test_parse_counts_failures_over_a_batch():
    f = formatter("plain")
    gens = ["1 2\n3 4\n#", "1 2\n3\n#", "1 2\n3 4", "x\n#", "1 10\n#", "0\n#"]
    results = [f.parse(g) for g in gens]
    assert sum(r.ok for r in results) == 2
    errors = [r.error for r in results if not r.ok]
    assert [e.split(":")[0].split(" (")[0] for e in errors] == ["ragged", "no end marker", "row 0 cell 0 is 'x', expected one digit 0..9", "row 0 cell 1 is '10', expected one digit 0..9"]


def test_plain_format_gives_one_token_per_cell():
    tok, f = bpe_tokenizer(), formatter("plain")
    t = tasks()["017c7c7b"]
    text = f.render_train(t.train[:-1], t.train[-1]).text
    pieces = tok.convert_ids_to_tokens(tok(text)["input_ids"])
    digits = [p for p in pieces if any(c.isdigit() for c in p)]
    n_cells = sum(len(g) * len(g[0]) for ex in t.train for g in (ex.input, ex.output))
    assert len(digits) == n_cells and all(sum(c.isdigit() for c in p) == 1 for p in digits)


def test_marc_matches_the_released_checkpoints_layout():
    f = formatter("marc")
    demos = [Example(((0, 1), (2, 3)), ((3, 2), (1, 0)))]
    text = f.render_train(demos, Example(((5,),), ((7, 7),))).text
    assert text.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nFigure out")
    assert "provided as python arrays:\n[[0 1]\n [2 3]] -> [[3 2]\n [1 0]]#<|eot_id|>" in text
    assert text.endswith("<|start_header_id|>user<|end_header_id|>\n\n[[5]] -><|eot_id|>"
                         "<|start_header_id|>assistant<|end_header_id|>\n\n[[7 7]]#<|eot_id|>")
    assert f.add_special_tokens is False
    # The checkpoint's chat template plays no part (the test template's own markers never appear).
    assert "<|start|>" not in text and "<|bos|>" not in text
    assert make_formatter("marc").render_train(demos, Example(((5,),), ((7, 7),))).text == text


def test_barc_layout_and_answer_lead():
    f = formatter("barc")
    demos = [Example(((0, 1),), ((2,),))]
    prompt = f.render_prompt(demos, ((9, 5),))
    assert "Example 1\nInput:\nBlack Blue\n\nOutput:\nRed\n\n\n" in prompt
    assert "Here is the input grid for the test example:\nInput:\nBrown Gray\n\n\nDirectly provide" in prompt
    assert prompt.endswith("The output grid for the test input grid is:\n\n```\n")
    full_answer = "The output grid for the test input grid is:\n\n```\nPink Orange\nPurple Yellow\n```"
    assert f.parse(full_answer).grid == ((6, 7), (8, 4))


def test_chat_formats_need_their_tokenizer():
    with pytest.raises(ValueError, match="chat template"):
        make_formatter("barc")
    with pytest.raises(ValueError, match="Llama 3"):
        make_formatter("marc", build_compact_tokenizer())
    with pytest.raises(ValueError, match="unknown format"):
        make_formatter("nope")
    with pytest.raises(ValueError):
        formatter("plain").render_train([], Example(((1,),)), loss="demo")  # query without output
    with pytest.raises(ValueError):
        formatter("plain").render_train([], Example(((1,),), ((1,),)), loss="all")


def test_compact_tokenizer_round_trips(tmp_path):
    from transformers import AutoTokenizer

    tok = build_compact_tokenizer()
    assert len(tok) == len(VOCAB) == 17
    assert (tok.pad_token_id, tok.bos_token_id, tok.unk_token_id) == (0, 1, 2)
    assert tok.convert_ids_to_tokens(tok.eos_token_id) == "E"
    f = make_formatter("compact", tok)
    t = tasks()["017c7c7b"]
    r = f.render_train(t.train[:-1], t.train[-1])
    enc = tok(r.text, return_offsets_mapping=True)
    assert enc["input_ids"][0] == tok.bos_token_id and len(enc["input_ids"]) == len(r.text) + 1
    assert tok.decode(enc["input_ids"], skip_special_tokens=False) == "<s>" + r.text
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    assert again(r.text)["input_ids"] == enc["input_ids"]
    assert again("I1x")["input_ids"][-1] == tok.unk_token_id  # stray characters stay visible
    # Loss mask from offsets: exactly the span characters are covered.
    mask = token_loss_mask(enc["offset_mapping"], r.loss_spans)
    covered = "".join(r.text[s:e] for (s, e), m in zip(enc["offset_mapping"], mask) if m)
    assert covered == "".join(r.text[a:b] for a, b in r.loss_spans)


def test_token_loss_mask_with_bpe_offsets():
    tok, f = bpe_tokenizer(), formatter("marc")
    t = tasks()["017c7c7b"]
    r = f.render_train(t.train[:-1], t.train[-1])
    enc = tok(r.text, return_offsets_mapping=True, add_special_tokens=f.add_special_tokens)
    mask = token_loss_mask(enc["offset_mapping"], r.loss_spans)
    assert 0 < sum(mask) < len(mask)
    for (s, e), m in zip(enc["offset_mapping"], mask):
        inside = any(a < e and s < b for a, b in r.loss_spans)
        assert m == (inside and e > s)

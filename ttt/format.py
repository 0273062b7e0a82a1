"""Grid text formats for the TTT model: render pseudo-tasks to text with loss spans, parse strictly.

Four formats (``FORMATS``, ``make_formatter``):

* ``plain``   any tokenizer, no chat template. One digit per cell separated by single spaces, rows
  on their own lines, ``input:``/``output:`` headers, ``#`` ends each output::

      input:\\n0 1\\n2 3\\noutput:\\n4 5\\n#\\n

  Spaces keep every cell its own token under the common byte-level BPE pre-tokenizers.
* ``compact`` the project's own 17-token vocabulary (``ttt.tokenizer``): ``I<grid>O<grid>E`` with a
  digit per cell and a newline between rows, no separator between examples.
* ``marc``    what MIT's released TTT checkpoints were trained on: numpy-style rows
  (``[[0 1]\\n [2 3]]``), ``<in> -> <out>#`` per demonstration, the fixed instruction and all
  demonstrations in the system turn, ``<query input> ->`` as the user turn, ``<out>#`` as the
  assistant turn, written in Llama 3's chat layout by this module (``llama3_turn``), never through
  the checkpoint's chat template: Llama-3.1/3.2 templates add knowledge and today's date to the
  system turn, which marc's training never saw. Needs a Llama-3 tokenizer (its special tokens).
* ``barc``    BARC's transduction prompt: rows of colour words, numbered examples in the user message,
  answer ``The output grid for the test input grid is:\\n\\n```\\n<grid>\\n```.`` The fixed lead-in up
  to the opening fence is part of the prompt, so the model generates only ``<grid>\\n```.``

Loss spans are character ranges of ``Rendered.text``. With ``loss="demo"`` they cover the outputs of
demonstrations 2..K and the query output, each with its end marker (BARC's demonstrations have no
end marker; their span is the grid text alone). ``loss="output"`` covers only the query output.
``marc``'s query span is its whole assistant turn, header and ``<|eot_id|>`` included, as marc's
torchtune training had it (a model that never learns ``<|eot_id|>`` does not end its turn).
``token_loss_mask`` turns spans into a per-token mask from a tokenizer's offset mapping.

Parsing is strict and never raises: the text up to the first end marker must be exactly a grid
in the format (rectangular, 1..30 a side, colours 0..9). A generation with no end marker is a
failure ("no end marker": it was cut off, and a cut-off grid can look rectangular) unless the
caller knows generation stopped on eos and passes ``require_end=False``.
For chat formats tokenize texts with ``add_special_tokens=False`` (the text already holds bos);
``Formatter.add_special_tokens`` says which. ``stop_token_ids`` gives the vocabulary ids a backend
stops on for an end marker: every token whose text contains it (``#\\n`` is one Llama-3 token).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from arc.barc import COLOR_WORDS, REFERENCE_LEAD
from arc.grid import MAX_SIDE, Grid
from arc.task import Example

Piece = tuple[str, bool]  # (text, carries loss)


@dataclass(frozen=True)
class Rendered:
    """A pseudo-task as text; ``loss_spans`` are [start, end) character ranges that carry loss."""

    text: str
    loss_spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ParseResult:
    """A parsed grid, or None with the reason."""

    grid: Grid | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.grid is not None


def _fail(reason: str) -> ParseResult:
    return ParseResult(None, reason)


def _check_rows(rows: list[list[int]]) -> ParseResult:
    if not rows or not rows[0]:
        return _fail("empty grid")
    width = len(rows[0])
    for r, row in enumerate(rows):
        if len(row) != width:
            return _fail(f"ragged: row {r} has {len(row)} cells, row 0 has {width}")
    if len(rows) > MAX_SIDE or width > MAX_SIDE:
        return _fail(f"grid is {len(rows)}x{width}, each side must be 1..{MAX_SIDE}")
    return ParseResult(tuple(tuple(row) for row in rows))


def _digit_cells(cells: list[str], r: int) -> list[int] | str:
    out = []
    for c, cell in enumerate(cells):
        if len(cell) != 1 or cell not in "0123456789":
            return f"row {r} cell {c} is {cell!r}, expected one digit 0..9"
        out.append(int(cell))
    return out


def token_loss_mask(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> list[bool]:
    """True for each token whose character range overlaps a loss span (empty ranges, e.g. bos, never)."""
    return [e > s and any(s < b and a < e for a, b in spans) for s, e in offsets]


# Per tokenizer (held weakly, so a dropped tokenizer is not kept alive): {(vocab size, stops): ids}.
_STOP_IDS: "weakref.WeakKeyDictionary[Any, dict[tuple, frozenset[int]]]" = weakref.WeakKeyDictionary()


def stop_token_ids(tokenizer, stops: Sequence[str]) -> frozenset[int]:
    """Ids of every vocabulary token whose text contains one of ``stops``.

    A backend stops on these, not only on the one token that spells a stop string: a BPE model can
    write the end marker merged with what follows (Llama 3 has ``#\\n``, `` #``, ``##``), and
    stopping on the bare ``#`` alone lets it run on to the token budget. Multi-character stops
    that a model writes across tokens still need a string check on top. Computed once per
    tokenizer and set of stops (one decode of the whole vocabulary).
    """
    key = (len(tokenizer), tuple(sorted({s for s in stops if s})))
    try:
        cache = _STOP_IDS.setdefault(tokenizer, {})
    except TypeError:  # not weakly referenceable: compute every time
        cache = {}
    if key not in cache:
        texts = tokenizer.batch_decode([[i] for i in range(key[0])], skip_special_tokens=False,
                                       clean_up_tokenization_spaces=False)
        cache[key] = frozenset(i for i, t in enumerate(texts) if any(s in t for s in key[1]))
    return cache[key]


class Formatter:
    """Base: a format is a list of pieces; subclasses say how grids and examples are written."""

    name: str = ""
    end_marker: str = ""
    add_special_tokens: bool = True

    def grid_text(self, grid: Grid) -> str:
        raise NotImplementedError

    def parse_body(self, body: str) -> ParseResult:
        """Parse the text before the end marker."""
        raise NotImplementedError

    def output_text(self, grid: Grid) -> str:
        """What the model should generate for a query whose answer is ``grid``."""
        return self.grid_text(grid) + self.end_marker

    def parse(self, generated: str, *, require_end: bool = True) -> ParseResult:
        """Strictly parse a generation (text after the prompt); stops at the first end marker."""
        if not isinstance(generated, str):
            return _fail(f"expected text, got {type(generated).__name__}")
        cut = generated.find(self.end_marker)
        if cut < 0:
            if require_end:
                return _fail("no end marker (generation cut off?)")
            cut = len(generated)
        return self.parse_body(generated[:cut])

    def render_train(self, examples: Sequence[Example], query: Example, *, loss: str = "demo") -> Rendered:
        if loss not in ("demo", "output"):
            raise ValueError(f"loss must be 'demo' or 'output', got {loss!r}")
        if query.output is None:
            raise ValueError("the query of a training text needs an output")
        return self._render(examples, query, loss)

    def render_prompt(self, examples: Sequence[Example], query_input: Grid) -> str:
        raise NotImplementedError

    def _render(self, examples: Sequence[Example], query: Example, loss: str) -> Rendered:
        raise NotImplementedError


def _check_demos(examples: Sequence[Example]) -> None:
    for i, ex in enumerate(examples):
        if ex.output is None:
            raise ValueError(f"demonstration {i} has no output")


def _join(pieces: Sequence[Piece], base: int = 0) -> tuple[str, list[tuple[int, int]]]:
    text, spans, pos = [], [], base
    for piece, carries in pieces:
        if carries and piece:
            spans.append((pos, pos + len(piece)))
        text.append(piece)
        pos += len(piece)
    return "".join(text), spans


class _TextFormatter(Formatter):
    """Formats without a chat template: examples concatenated, the query last."""

    input_head = output_head = example_tail = ""

    def _pieces(self, examples: Sequence[Example], loss: str) -> list[Piece]:
        _check_demos(examples)
        pieces: list[Piece] = []
        for i, ex in enumerate(examples):
            pieces += [(self.input_head + self.grid_text(ex.input) + self.output_head, False),
                       (self.output_text(ex.output), loss == "demo" and i > 0),
                       (self.example_tail, False)]
        return pieces

    def render_prompt(self, examples: Sequence[Example], query_input: Grid) -> str:
        text, _ = _join(self._pieces(examples, "output"))
        return text + self.input_head + self.grid_text(query_input) + self.output_head

    def _render(self, examples: Sequence[Example], query: Example, loss: str) -> Rendered:
        pieces = self._pieces(examples, loss) + [
            (self.input_head + self.grid_text(query.input) + self.output_head, False),
            (self.output_text(query.output), True),
            (self.example_tail, False),
        ]
        text, spans = _join(pieces)
        return Rendered(text, tuple(spans))


class PlainFormatter(_TextFormatter):
    name = "plain"
    end_marker = "#"
    input_head, output_head, example_tail = "input:\n", "\noutput:\n", "\n"

    def grid_text(self, grid: Grid) -> str:
        return "\n".join(" ".join(str(v) for v in row) for row in grid)

    def output_text(self, grid: Grid) -> str:
        return self.grid_text(grid) + "\n" + self.end_marker

    def parse_body(self, body: str) -> ParseResult:
        if not body.endswith("\n"):
            return _fail("the end marker must follow a newline")
        rows = []
        for r, line in enumerate(body[:-1].split("\n")):
            cells = _digit_cells(line.split(" "), r)
            if isinstance(cells, str):
                return _fail(cells)
            rows.append(cells)
        return _check_rows(rows)


class CompactFormatter(_TextFormatter):
    name = "compact"
    input_head, output_head, example_tail = "I", "O", ""

    def __init__(self) -> None:
        from ttt.tokenizer import END_MARK

        self.end_marker = END_MARK

    def grid_text(self, grid: Grid) -> str:
        return "\n".join("".join(str(v) for v in row) for row in grid)

    def parse_body(self, body: str) -> ParseResult:
        rows = []
        for r, line in enumerate(body.split("\n")):
            cells = _digit_cells(list(line), r)
            if isinstance(cells, str):
                return _fail(cells)
            rows.append(cells)
        return _check_rows(rows)


class _ChatFormatter(Formatter):
    """Formats rendered through the tokenizer's chat template (``apply_chat_template(tokenize=False)``).

    Subclasses give the system and user messages as pieces; loss spans inside them are found by
    locating each message's text in the rendered template (templates may trim it) and checked.
    """

    add_special_tokens = False
    answer_lead = ""  # fixed start of the assistant message, part of the prompt

    def __init__(self, tokenizer) -> None:
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ValueError(f"format {self.name!r} needs a tokenizer with a chat template")
        self.tokenizer = tokenizer

    def _messages(self, examples: Sequence[Example], query_input: Grid, loss: str) -> list[tuple[str, list[Piece]]]:
        raise NotImplementedError

    def _chat(self, messages: list[tuple[str, str]], generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(
            [{"role": role, "content": content} for role, content in messages],
            tokenize=False,
            add_generation_prompt=generation_prompt,
        )

    def render_prompt(self, examples: Sequence[Example], query_input: Grid) -> str:
        _check_demos(examples)
        msgs = [(role, _join(pieces)[0]) for role, pieces in self._messages(examples, query_input, "output")]
        return self._chat(msgs, True) + self.answer_lead

    def _render(self, examples: Sequence[Example], query: Example, loss: str) -> Rendered:
        _check_demos(examples)
        msgs = self._messages(examples, query.input, loss)
        answer = self.output_text(query.output)
        full = self._chat([(role, _join(p)[0]) for role, p in msgs] + [("assistant", self.answer_lead + answer)], False)
        prompt = self.render_prompt(examples, query.input)
        if not full.startswith(prompt) or full[len(prompt) : len(prompt) + len(answer)] != answer:
            raise ValueError(f"format {self.name!r}: this chat template does not render the prompt as a prefix "
                             "of the training text, so the loss cannot be placed")
        spans = [(len(prompt), len(prompt) + len(answer))]
        pos = 0
        for _, pieces in msgs:
            content = _join(pieces)[0]
            core = content.strip()
            at = full.find(core, pos)
            if at < 0:
                raise ValueError(f"format {self.name!r}: the chat template rewrote a message; cannot place the loss")
            base = at - (len(content) - len(content.lstrip()))
            for a, b in _join(pieces, base)[1]:
                if not (at <= a and b <= at + len(core)):
                    raise ValueError(f"format {self.name!r}: the chat template trimmed a loss span")
                spans.append((a, b))
            pos = at + len(core)
        return Rendered(full, tuple(sorted(spans)))


# Llama 3's chat layout (Meta's reference tokenizer, torchtune and the Llama-3 chat template all write
# it): bos, then per turn a header, the content trimmed of surrounding whitespace, and <|eot_id|>.
LLAMA3_BOS = "<|begin_of_text|>"
LLAMA3_EOT = "<|eot_id|>"
LLAMA3_SPECIALS = (LLAMA3_BOS, "<|start_header_id|>", "<|end_header_id|>", LLAMA3_EOT)


def llama3_header(role: str) -> str:
    """The header that opens a ``role`` turn; a generation prompt ends with the assistant's."""
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n"


def _trimmed(pieces: Sequence[Piece]) -> list[Piece]:
    """``pieces`` without the whitespace around their joined text, as Llama 3 trims a turn's content."""
    text = "".join(t for t, _ in pieces)
    start, stop = len(text) - len(text.lstrip()), len(text.rstrip())
    out, pos = [], 0
    for t, carries in pieces:
        a, b = max(start - pos, 0), min(stop - pos, len(t))
        if a < b:
            out.append((t[a:b], carries))
        pos += len(t)
    return out


def llama3_turn(role: str, pieces: Sequence[Piece]) -> list[Piece]:
    """One whole turn (header, trimmed content, ``<|eot_id|>``) as pieces; only content carries loss."""
    return [(llama3_header(role), False), *_trimmed(pieces), (LLAMA3_EOT, False)]


def _check_llama3(tokenizer) -> None:
    for special in LLAMA3_SPECIALS:
        if len(tokenizer(special, add_special_tokens=False)["input_ids"]) != 1:
            raise ValueError(f"format 'marc' is written in Llama 3's chat layout, and this tokenizer does not know "
                             f"{special} as one token (not a Llama-3 tokenizer?)")


MARC_INSTRUCTION = (
    "Figure out the underlying transformation in the following examples and apply it to the test case. "
    "Here are some examples from this transformation, your answer must follow the format.\n"
    "The input-output grids are provided as python arrays:\n"
)


class MarcFormatter(Formatter):
    """marc's token sequence whatever chat template the checkpoint ships (see the module docstring).

    The training text ends with the assistant's ``<|eot_id|>``. marc's torchtune data also appends
    ``<|end_of_text|>`` with no loss; it is left out here on purpose: a masked last token changes
    neither the loss nor any earlier token's logits (attention is causal), so training is the same,
    and without it the training text stays exactly the prompt plus the assistant's answer.
    """

    name = "marc"
    end_marker = "#"
    add_special_tokens = False  # the text starts with <|begin_of_text|> itself

    def __init__(self, tokenizer=None) -> None:
        # The text needs no tokenizer; one given must read the layout's specials as single tokens.
        if tokenizer is not None:
            _check_llama3(tokenizer)

    def grid_text(self, grid: Grid) -> str:
        # numpy's str() of a 2-D array of single digits: "[[0 1]\n [2 3]]"
        return "[" + "\n ".join("[" + " ".join(str(v) for v in row) + "]" for row in grid) + "]"

    def parse_body(self, body: str) -> ParseResult:
        if not (body.startswith("[[") and body.endswith("]]")):
            return _fail("expected [[...]] around the grid")
        rows = []
        for r, line in enumerate(body[1:-1].split("\n")):
            if r > 0:
                if not line.startswith(" "):
                    return _fail(f"row {r} does not start with one space")
                line = line[1:]
            if not (line.startswith("[") and line.endswith("]")):
                return _fail(f"row {r} is not bracketed")
            cells = _digit_cells(line[1:-1].split(" "), r)
            if isinstance(cells, str):
                return _fail(cells)
            rows.append(cells)
        return _check_rows(rows)

    def _context(self, examples: Sequence[Example], query_input: Grid, loss: str) -> list[Piece]:
        """bos, the system turn (instruction and demonstrations) and the user turn (the query input)."""
        _check_demos(examples)
        system: list[Piece] = [(MARC_INSTRUCTION, False)]
        for i, ex in enumerate(examples):
            system += [(self.grid_text(ex.input) + " -> ", False),
                       (self.output_text(ex.output), loss == "demo" and i > 0),
                       ("\n", False)]
        user = [(self.grid_text(query_input) + " -> ", False)]
        return [(LLAMA3_BOS, False), *llama3_turn("system", system), *llama3_turn("user", user)]

    def render_prompt(self, examples: Sequence[Example], query_input: Grid) -> str:
        return _join(self._context(examples, query_input, "output"))[0] + llama3_header("assistant")

    def _render(self, examples: Sequence[Example], query: Example, loss: str) -> Rendered:
        # The whole assistant turn carries loss, header and <|eot_id|> included (marc's training).
        answer = llama3_header("assistant") + self.output_text(query.output) + LLAMA3_EOT
        text, spans = _join(self._context(examples, query.input, loss) + [(answer, True)])
        return Rendered(text, tuple(spans))


BARC_SYSTEM = ("You are a world-class puzzle solver with exceptional pattern recognition skills. "
               "Your task is to analyze puzzles, spot patterns, and provide direct solutions.")
BARC_ASK = ("Directly provide the output grids corresponding to the given test input grids, "
            "based on the patterns observed in the reference examples.")


class BarcFormatter(_ChatFormatter):
    name = "barc"
    end_marker = "\n```"
    answer_lead = "The output grid for the test input grid is:\n\n```\n"
    _word = {w: i for i, w in enumerate(COLOR_WORDS)}

    def grid_text(self, grid: Grid) -> str:
        return "\n".join(" ".join(COLOR_WORDS[v] for v in row) for row in grid)

    def parse(self, generated: str, *, require_end: bool = True) -> ParseResult:
        # Accept the whole assistant message too: the lead-in is fixed text, not part of the grid.
        if isinstance(generated, str) and generated.startswith(self.answer_lead):
            generated = generated[len(self.answer_lead):]
        return super().parse(generated, require_end=require_end)

    def parse_body(self, body: str) -> ParseResult:
        rows = []
        for r, line in enumerate(body.split("\n")):
            row = []
            for c, word in enumerate(line.split(" ")):
                if word not in self._word:
                    return _fail(f"row {r} cell {c} is {word!r}, not a colour word")
                row.append(self._word[word])
            rows.append(row)
        return _check_rows(rows)

    def _messages(self, examples, query_input, loss):
        user: list[Piece] = [(REFERENCE_LEAD, False)]
        for i, ex in enumerate(examples):
            user += [(f"Example {i + 1}\nInput:\n{self.grid_text(ex.input)}\n\nOutput:\n", False),
                     (self.grid_text(ex.output), loss == "demo" and i > 0),
                     ("\n\n\n", False)]
        # Three newlines before the instruction (BARC's prompt: one token, 1432 in Llama 3).
        user.append((f"Here is the input grid for the test example:\nInput:\n{self.grid_text(query_input)}\n\n\n{BARC_ASK}", False))
        return [("system", [(BARC_SYSTEM, False)]), ("user", user)]


FORMATS: dict[str, Callable[..., Formatter]] = {
    "plain": lambda tokenizer=None: PlainFormatter(),
    "compact": lambda tokenizer=None: CompactFormatter(),
    "marc": lambda tokenizer=None: MarcFormatter(tokenizer),
    "barc": lambda tokenizer=None: BarcFormatter(tokenizer),
}


def make_formatter(name: str, tokenizer=None) -> Formatter:
    """The formatter called ``name``; barc needs a tokenizer with a chat template, marc a Llama-3 one."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return FORMATS[name](tokenizer)

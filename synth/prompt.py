"""BARC's induction prompt, built from an ``arc.Task``.

Layout (the facts BARC's induction models were fine-tuned on): a system message, then one user
message with a fixed preamble, ``Example k`` blocks each holding ``Input:`` and ``Output:`` grids,
the test input, and the instruction to write a Python function ``transform``. Grids are colour
words, one row per line, cells separated by spaces. The fixed sentences are kept verbatim because
the fine-tuned model keys on them; everything else (the optional helper-library section, the
plain-text rendering for models without a chat template) is ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from arc.barc import COLOR_WORDS, REFERENCE_LEAD
from arc.errors import GridError
from arc.grid import Grid, as_grid
from arc.task import Task

_WORD_TO_COLOR = {w: i for i, w in enumerate(COLOR_WORDS)}

# Fixed instructions of BARC's induction prompt (the fine-tuned model depends on them).
SYSTEM_PROMPT = (
    "You are a world-class puzzle solver with exceptional pattern recognition skills and expertise "
    "in Python programming. Your task is to analyze puzzles and provide Python solutions."
)
INSTRUCTION = (
    "Write a Python function `transform` that can convert any given input grid to its corresponding "
    "output grid based on the pattern observed in the reference examples."
)


def grid_to_words(grid: Grid) -> str:
    """Render a grid as colour words: one row per line, cells separated by single spaces."""
    return "\n".join(" ".join(COLOR_WORDS[v] for v in row) for row in as_grid(grid))


def words_to_grid(text: str) -> Grid:
    """Parse colour-word text back into a Grid (the inverse of ``grid_to_words``).

    Blank lines around the grid and repeated spaces are tolerated; an unknown word, a ragged row
    or a size outside 1..30 raises ``GridError`` naming the row and the word.
    """
    rows = []
    for r, line in enumerate(text.strip().splitlines()):
        row = []
        for c, word in enumerate(line.split()):
            if word not in _WORD_TO_COLOR:
                raise GridError(f"row {r}, cell {c}: {word!r} is not a colour word ({', '.join(COLOR_WORDS)})")
            row.append(_WORD_TO_COLOR[word])
        rows.append(row)
    return as_grid(rows)


@dataclass(frozen=True)
class Prompt:
    """A two-message chat prompt; ``messages`` for chat models, ``text`` for plain ones."""

    system: str
    user: str

    @property
    def messages(self) -> list[dict[str, str]]:
        """Fresh list of ``{"role", "content"}`` dicts (callers may mutate it safely)."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]

    @property
    def text(self) -> str:
        """The same prompt for models without a chat template."""
        return messages_to_text(self.messages)


def messages_to_text(messages: Sequence[dict[str, str]]) -> str:
    """Plain-text rendering of chat messages: contents separated by blank lines, ending in one."""
    return "\n\n".join(m["content"].strip("\n") for m in messages) + "\n\n"


def build_prompt(
    task: Task,
    *,
    test_index: int = 0,
    include_api_section: bool = False,
    api_text: str | None = None,
) -> Prompt:
    """BARC's induction prompt for ``task``, asking for a ``transform`` that solves test input ``test_index``.

    ``include_api_section`` prepends the helper library's reference (from ``api_text`` when given,
    else ``api_section()``): BARC's fine-tuned model learned the library and does not need it, a
    general LLM does.
    """
    if not task.train:
        raise ValueError(f"task {task.id} has no demonstrations")
    if not 0 <= test_index < len(task.test):
        raise ValueError(f"task {task.id} has {len(task.test)} test inputs, no index {test_index}")
    parts = []
    if include_api_section:
        parts.append(_api_preface(api_text if api_text is not None else api_section()))
    parts.append(REFERENCE_LEAD)
    for k, ex in enumerate(task.train, start=1):
        parts.append(f"Example {k}\nInput:\n{grid_to_words(ex.input)}\n\nOutput:\n{grid_to_words(ex.output)}\n\n\n")
    parts.append(f"Here is the input grid for the test example:\nInput:\n{grid_to_words(task.test[test_index].input)}\n\n")
    parts.append(INSTRUCTION)
    return Prompt(system=SYSTEM_PROMPT, user="".join(parts))


def _api_preface(api: str) -> str:
    return (
        "Your program starts with `from common import *`, which provides the helper library below "
        "(grids are 2-D numpy integer arrays: `grid[x, y]` is row x, column y of the grids shown below; "
        "colours are `Color.BLACK` .. `Color.BROWN`).\n"
        f"```\n{api.strip()}\n```\n\n"
    )


def api_section() -> str:
    """The helper library's reference (signatures and docstrings), from the DSL itself, so that
    prompt and library never drift."""
    from dsl import api_reference

    return api_reference()

"""BARC induction prompt: colour-word grids (with their inverse), layout, API section."""

import re
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arc
from arc.errors import GridError
from synth.prompt import (
    COLOR_WORDS,
    INSTRUCTION,
    SYSTEM_PROMPT,
    Prompt,
    api_section,
    build_prompt,
    grid_to_words,
    messages_to_text,
    words_to_grid,
)

grids = st.integers(1, 30).flatmap(
    lambda h: st.integers(1, 30).flatmap(
        lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=h, max_size=h)
    )
)


@pytest.fixture(scope="module")
def tasks():
    return arc.load_dataset("arc1-train")


@settings(max_examples=200, deadline=None)
@given(grids)
def test_words_round_trip(rows):
    grid = arc.as_grid(rows)
    text = grid_to_words(grid)
    assert words_to_grid(text) == grid
    lines = text.split("\n")
    assert len(lines) == len(grid)
    assert all(len(line.split(" ")) == len(grid[0]) for line in lines)


@settings(max_examples=50, deadline=None)
@given(grids)
def test_words_parse_tolerates_surrounding_whitespace(rows):
    grid = arc.as_grid(rows)
    padded = "\n\n" + grid_to_words(grid).replace(" ", "   ") + "\n\n"
    assert words_to_grid(padded) == grid


def test_colour_words_are_barcs():
    assert COLOR_WORDS == ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple", "Brown")
    assert grid_to_words([[0, 1, 2], [7, 8, 9]]) == "Black Blue Red\nOrange Purple Brown"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Black Teal", "'Teal'"),
        ("Black Blue\nBlack", "not rectangular"),
        ("", "no rows"),
        ("black", "'black'"),
        ("Black 3", "'3'"),
    ],
)
def test_words_parse_rejects_bad_text(text, fragment):
    with pytest.raises(GridError, match=re.escape(fragment)):
        words_to_grid(text)


def _parse_user_message(user: str):
    """Read demonstrations and the test input back out of a rendered prompt."""
    examples = re.findall(r"Example (\d+)\nInput:\n(.*?)\n\nOutput:\n(.*?)\n\n\n", user, re.DOTALL)
    test = re.search(r"Here is the input grid for the test example:\nInput:\n(.*?)\n\n", user, re.DOTALL)
    return examples, test.group(1)


def test_prompt_layout_on_real_tasks(tasks):
    for task_id in sorted(tasks)[:25]:
        task = tasks[task_id]
        prompt = build_prompt(task)
        messages = prompt.messages
        assert [m["role"] for m in messages] == ["system", "user"]
        assert messages[0]["content"] == SYSTEM_PROMPT
        user = messages[1]["content"]
        assert user.startswith("Given input-output grid pairs as reference examples")
        assert user.endswith(INSTRUCTION)
        examples, test_text = _parse_user_message(user)
        assert [int(k) for k, _, _ in examples] == list(range(1, len(task.train) + 1))
        for (_, inp, out), ex in zip(examples, task.train):
            assert words_to_grid(inp) == ex.input
            assert words_to_grid(out) == ex.output
        assert words_to_grid(test_text) == task.test[0].input
        assert "```" not in user  # no API section unless asked for


def test_prompt_picks_test_input_and_rejects_bad_index(tasks):
    task = next(t for t in (tasks[k] for k in sorted(tasks)) if len(t.test) > 1)
    _, test_text = _parse_user_message(build_prompt(task, test_index=1).user)
    assert words_to_grid(test_text) == task.test[1].input
    with pytest.raises(ValueError, match="no index 5"):
        build_prompt(task, test_index=5)


def test_plain_text_rendering_holds_both_messages(tasks):
    prompt = build_prompt(tasks[sorted(tasks)[0]])
    assert prompt.text == messages_to_text(prompt.messages)
    assert prompt.text.startswith(SYSTEM_PROMPT + "\n\n")
    assert prompt.text.endswith(INSTRUCTION + "\n\n")
    assert prompt.user in prompt.text


def test_messages_are_fresh_copies():
    prompt = Prompt(system="s", user="u")
    prompt.messages[0]["content"] = "changed"
    assert prompt.messages[0]["content"] == "s"


def test_api_section_is_optional_and_comes_first(tasks):
    task = tasks[sorted(tasks)[0]]
    plain = build_prompt(task).user
    with_api = build_prompt(task, include_api_section=True, api_text="def helper(grid):\n    '''Does a thing.'''").user
    assert with_api.endswith(plain)
    head = with_api[: len(with_api) - len(plain)]
    assert "from common import *" in head and "def helper(grid):" in head and head.count("```") == 2


def test_api_section_comes_from_the_dsl():
    import dsl

    text = api_section()
    assert "Color" in text and "BLACK" in text
    if hasattr(dsl, "api_reference"):
        assert text == dsl.api_reference()
    prompt_api = build_prompt(arc.load_dataset("arc1-train")["6150a2bd"], include_api_section=True).user
    assert text.strip() in prompt_api



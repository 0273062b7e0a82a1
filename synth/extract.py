"""Program extraction from LLM completions: find the code, check it compiles, de-duplicate.

Code is only parsed (``ast.parse``), never executed here; running it is the sandbox's job.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from typing import Iterable, Literal

Status = Literal["ok", "no_code", "syntax_error", "no_transform"]
COMMON_IMPORT = "from common import *"

# An opening fence (``` or ~~~, optional language tag) up to the matching closing fence or the
# end of the text: a completion cut off by max_tokens leaves its last block unclosed.
_FENCE = re.compile(
    r"^[ \t]*(?P<fence>```|~~~)[ \t]*(?P<lang>[\w+.-]*)[^\n]*\n(?P<body>.*?)(?:^[ \t]*(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)
_PYTHON_TAGS = {"", "python", "py", "python3"}
_DEFINES_TRANSFORM = re.compile(r"^def[ \t]+transform[ \t]*\(", re.MULTILINE)
_CODE_START = re.compile(r"^(from[ \t]+\S+[ \t]+import\b|import[ \t]+\w|def[ \t]+\w|class[ \t]+\w|@\w)")
# A top-level line that reads as Python: a statement keyword, a comment, a decorator, a closing
# bracket or string, or a name followed by an assignment / call / subscript / annotation.
_CODE_LINE = re.compile(
    r"^(#|@|[)\]}'\"]|(from|import|def|class|if|elif|else|for|while|try|except|finally|with|return|"
    r"assert|raise|pass|global|del|async|await|lambda|match|case)\b|[A-Za-z_][\w.]*\s*(=|\(|\[|:|,|\+=|-=|\*=|/=))"
)


@dataclass(frozen=True)
class Extracted:
    """The program found in one completion.

    ``source`` is set only when ``status == "ok"``: the code as the model wrote it, with
    ``from common import *`` prepended when missing. ``key`` identifies the program up to
    comments and formatting (a hash of its AST), for de-duplication.
    """

    source: str | None
    status: Status
    message: str = ""
    key: str | None = None


def extract_program(completion: str) -> Extracted:
    """Find the ``transform`` program in one completion and check that it compiles."""
    candidates = _candidates(completion)
    if not candidates:
        return Extracted(None, "no_code", "no code block and no Python code in the completion")
    # Prefer the last candidate that defines transform and parses: models often restate an
    # improved version at the end, and a block cut off by max_tokens is the last one.
    defining = [c for c in candidates if _DEFINES_TRANSFORM.search(c)] or candidates
    latest_failure: Extracted | None = None
    for code in reversed(defining):
        result = _check(code)
        if result.status == "ok":
            return result
        latest_failure = latest_failure or result
    assert latest_failure is not None
    return latest_failure


def extract_programs(completions: Iterable[str]) -> list[Extracted]:
    """``extract_program`` over many completions, one result per completion, in order."""
    return [extract_program(c) for c in completions]


def unique_programs(extracted: Iterable[Extracted]) -> list[str]:
    """Sources of the ``ok`` programs, duplicates (same AST) removed, first-seen order kept."""
    seen: set[str] = set()
    out = []
    for ex in extracted:
        if ex.status == "ok" and ex.key not in seen:
            seen.add(ex.key)
            out.append(ex.source)
    return out


def program_key(source: str) -> str:
    """Identity of a program up to comments and formatting (raises SyntaxError if it does not parse)."""
    return hashlib.sha256(ast.dump(ast.parse(source)).encode("utf-8")).hexdigest()


def _candidates(text: str) -> list[str]:
    blocks = [m.group("body") for m in _FENCE.finditer(text) if m.group("lang").lower() in _PYTHON_TAGS]
    blocks = [b for b in blocks if b.strip()]
    if blocks:
        return blocks
    bare = _bare_code(text)
    return [bare] if bare else []


def _bare_code(text: str) -> str | None:
    """Code written without fences: from the first import/def line to the first top-level prose line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return None
    end = len(lines)
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line[0].isspace() and not _CODE_LINE.match(line):
            end = i
            break
    return "\n".join(lines[start:end]).rstrip() + "\n"


def _check(code: str) -> Extracted:
    code = code.strip("\n") + "\n"
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return Extracted(None, "syntax_error", f"{where}{exc.msg}")
    except ValueError as exc:  # e.g. null bytes in the source
        return Extracted(None, "syntax_error", str(exc))
    if not any(isinstance(node, ast.FunctionDef) and node.name == "transform" for node in tree.body):
        return Extracted(None, "no_transform", "no top-level 'def transform'")
    if not any(_is_common_star_import(node) for node in tree.body):
        code = f"{COMMON_IMPORT}\n\n{code}"
    return Extracted(code, "ok", "", program_key(code))


def _is_common_star_import(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.ImportFrom)
        and node.module == "common"
        and node.level == 0
        and any(alias.name == "*" for alias in node.names)
    )

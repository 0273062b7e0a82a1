"""The DSL's API reference, rendered from the helpers' own signatures and docstrings so the
synthesizer's prompt and the code never drift apart."""

from __future__ import annotations

import inspect
import textwrap

from dsl import common


def _signature(obj) -> str:
    if inspect.isclass(obj):
        if obj.__init__ is object.__init__:
            return f"class {obj.__name__}"
        params = list(inspect.signature(obj.__init__).parameters.values())[1:]
        return f"class {obj.__name__}({', '.join(_param(p) for p in params)})"
    params = inspect.signature(obj).parameters.values()
    return f"{obj.__name__}({', '.join(_param(p) for p in params)})"


def _param(p: inspect.Parameter) -> str:
    # Annotations stay out: the prompt shows BARC's plain call signatures.
    if p.kind is p.VAR_POSITIONAL:
        return f"*{p.name}"
    if p.kind is p.VAR_KEYWORD:
        return f"**{p.name}"
    if p.default is inspect.Parameter.empty:
        return p.name
    return f"{p.name}={_default(p.name, p.default)}"


def _default(name: str, value) -> str:
    # Colour defaults read as Color.BLACK, as programs write them.
    if name == "background" and value == 0 and not isinstance(value, bool):
        return "Color.BLACK"
    if name == "ignore_colors" and value == [0]:
        return "[Color.BLACK]"
    return repr(value)


# Between BARC's helpers and the search's operations, so the BARC part reads as it always did.
OPERATIONS_HEADING = (
    "# Grid operations (numpy grid in, a new grid or None when they do not apply out; "
    "background=None means the grid's most common colour)"
)


def _block(name: str) -> str:
    obj = getattr(common, name)
    doc = textwrap.indent(inspect.cleandoc(obj.__doc__ or ""), "    ")
    return f"{_signature(obj)}\n{doc}"


def api_reference() -> str:
    """``signature`` + indented docstring for every public helper: common.BARC_HELPERS in order,
    then a heading and common.OPERATIONS in order."""
    blocks = [_block(name) for name in common.BARC_HELPERS]
    blocks.append(OPERATIONS_HEADING)
    blocks += [_block(name) for name in common.OPERATIONS]
    return "\n\n".join(blocks) + "\n"

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


def api_reference() -> str:
    """``signature`` + indented docstring for every public helper, in common.HELPERS order."""
    blocks = []
    for name in common.HELPERS:
        obj = getattr(common, name)
        doc = textwrap.indent(inspect.cleandoc(obj.__doc__ or ""), "    ")
        blocks.append(f"{_signature(obj)}\n{doc}")
    return "\n\n".join(blocks) + "\n"

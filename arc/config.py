"""``ConfigMixin``: what every configuration dataclass of the project shares (in the spirit of
peft's ``PeftConfigMixin``): one-line help in field metadata, ``to_json``/``from_json`` that
round-trip nested configs and tuples, and ``override`` for presets.

A config is a frozen dataclass whose fields all have defaults and are declared with ``option``;
its ``__post_init__`` rejects impossible values with ``check``, whose message names the field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Mapping, TypeVar

C = TypeVar("C", bound="ConfigMixin")

# Values shared by the TTT and synthesizer configs (both load models on the same devices).
DTYPES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def option(default: Any = dataclasses.MISSING, help: str = "", *, factory: Any = dataclasses.MISSING) -> Any:
    """A config field with its one-line help (``factory`` for a mutable or nested default)."""
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


def check(ok: bool, field: str, message: str) -> None:
    """Raise ValueError naming ``field`` when ``ok`` is false."""
    if not ok:
        raise ValueError(f"{field} {message}")


class ConfigMixin:
    """Help, JSON round-trip and overrides for a frozen config dataclass."""

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> one-line help (for ``--help`` texts and the docs)."""
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}

    @classmethod
    def default(cls, name: str) -> Any:
        """The default value of field ``name``."""
        f = {f.name: f for f in dataclasses.fields(cls)}[name]
        return f.default_factory() if f.default is dataclasses.MISSING else f.default

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: nested configs become objects, tuples become lists."""
        return _to_json(self)

    @classmethod
    def from_json(cls: type[C], data: Mapping[str, Any]) -> C:
        """Inverse of ``to_json``. Unknown or mistyped keys raise ValueError naming the field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
        return cls(**{name: _from_json(hints[name], value, f"{cls.__name__}.{name}") for name, value in data.items()})

    def override(self: C, changes: Mapping[str, Any]) -> C:
        """A copy with ``changes`` applied; a nested mapping overrides a nested config field by
        field (a nested config that is None stays None)."""
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in {f.name for f in dataclasses.fields(self)}:
                raise ValueError(f"{type(self).__name__}: unknown field {name}")
            current = getattr(self, name)
            if isinstance(value, Mapping) and isinstance(current, ConfigMixin):
                values[name] = current.override(value)
            elif isinstance(value, Mapping) and current is None:
                continue
            else:
                values[name] = value
        return dataclasses.replace(self, **values)


def _to_json(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [_to_json(v) for v in obj]
    return obj


def _from_json(hint: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _from_json(inner[0], value, where) if len(inner) == 1 else value
    if isinstance(hint, type) and issubclass(hint, ConfigMixin):
        try:
            return hint.from_json(value)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return tuple(_from_json(item, v, where) for v in value)
    return value

"""Option values that need no Pydantic: Typer 0.29 coerces every parameter through a
Pydantic TypeAdapter, and importing Pydantic is a third of `awsprov validate`'s start-up.

The values our commands take are plain: a string, a path, a member of a str Enum, a
list of those, or a default already of its type. Those are coerced here exactly as
Pydantic would; anything else (a string for an int option, a value that is not a
member: whatever may need Typer's own error message) goes to Typer's adapter as before.
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer import _coercion, core

_MISSING = object()


def _plain(annotation: Any) -> Any:
    """`X | None` as X; None for an annotation this module does not handle."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else None
    return annotation


def _coerced(annotation: Any, value: Any) -> Any:
    """The value Pydantic would give, or _MISSING where this is not certain."""
    if typing.get_origin(annotation) is list and isinstance(value, (list, tuple)):
        (item,) = typing.get_args(annotation) or (_MISSING,)
        items = [_coerced(_plain(item), v) for v in value]
        return _MISSING if any(i is _MISSING for i in items) else items
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if isinstance(value, annotation):
            return value
        if issubclass(annotation, str) and isinstance(value, str):
            return annotation._value2member_map_.get(value, _MISSING)
        return _MISSING
    if annotation is str and isinstance(value, str):
        return value
    if annotation is Path and isinstance(value, (str, Path)):
        return Path(value)
    if annotation in (int, float) and type(value) is annotation:
        return value  # a default; a string from the command line goes to Typer
    return _MISSING


@dataclass(frozen=True)
class PlainRuntimeParam(_coercion.RuntimeParam):
    descriptor: Any = None
    _fallback: list = field(default_factory=list)

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        plain = _plain(self.annotation)
        result = _coerced(plain, value) if plain is not None else _MISSING
        if result is not _MISSING and self._in_range(result):
            return result
        if not self._fallback:
            self._fallback.append(_original(self.descriptor))
        return self._fallback[0]._coerce_value(value, param=param, ctx=ctx)


    def _in_range(self, value: Any) -> bool:
        low, high = self.parameter_info.min, self.parameter_info.max
        if low is None and high is None:
            return True
        return (low is None or value >= low) and (high is None or value <= high)


_original = _coercion.build_runtime_param


def _build(descriptor: Any) -> Any:
    if descriptor.is_file or descriptor.is_tuple or descriptor.is_datetime:
        return _original(descriptor)
    return PlainRuntimeParam(parameter_info=descriptor.parameter_info,
                             annotation=descriptor.annotation, descriptor=descriptor)


def install() -> None:
    core.build_runtime_param = _build

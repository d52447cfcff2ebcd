"""The reference syntax: `${...}` in spec values, static values at load time, resource
references at plan time."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from awsprov.core.changes import KNOWN_AFTER_APPLY

TOKEN = re.compile(r"(?<!\$)\$\{([^}]*)\}")
ESCAPED = "$${"
# A whole value that is one reference: ${SECTION.NAME} or ${SECTION.NAME.ATTRIBUTE}.
REFERENCE = r"^\$\{[a-z_]+\.[a-z][a-z0-9_-]*(\.[a-z_]+)?\}$"
LATE_NAMES = ("account_id",)


@dataclass(frozen=True)
class Reference:
    section: str
    logical: str
    attribute: str  # "arn" when the reference names no attribute

    @property
    def address(self) -> str:
        return f"{self.section}.{self.logical}"


def parse_reference(expr: str, sections: set[str]) -> Reference | None:
    parts = expr.strip().split(".")
    if len(parts) in (2, 3) and parts[0] in sections:
        return Reference(parts[0], parts[1], parts[2] if len(parts) == 3 else "arn")
    return None


def references_in(value: Any, sections: set[str]) -> list[Reference]:
    """Every resource reference in a value, in order of appearance."""
    found: list[Reference] = []
    for text in _strings(value):
        for match in TOKEN.finditer(text):
            ref = parse_reference(match.group(1), sections)
            if ref:
                found.append(ref)
    return found


def substitute(text: str, lookup: Callable[[str], Any]) -> Any:
    """Replace each ${expr} via lookup(expr); lookup returns None to leave a token as it is.

    A string that is exactly one token keeps the looked-up value's type.
    """
    whole = TOKEN.fullmatch(text)
    if whole:
        value = lookup(whole.group(1).strip())
        return text if value is None else value
    unknown = False

    def replace(match: re.Match) -> str:
        nonlocal unknown
        value = lookup(match.group(1).strip())
        if value is None:
            return match.group(0)
        if value is KNOWN_AFTER_APPLY:
            unknown = True
            return ""
        return _to_text(value)

    result = TOKEN.sub(replace, text)
    return KNOWN_AFTER_APPLY if unknown else result


def unescape(value: Any) -> Any:
    """`$${` is a literal `${` (for dashboard bodies and the like)."""
    if isinstance(value, str):
        return value.replace(ESCAPED, "${")
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape(v) for v in value]
    return value


def map_strings(value: Any, fn: Callable[[str, tuple], Any], path: tuple = ()) -> Any:
    if isinstance(value, str):
        return fn(value, path)
    if isinstance(value, dict):
        return {k: map_strings(v, fn, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [map_strings(v, fn, (*path, i)) for i, v in enumerate(value)]
    return value


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

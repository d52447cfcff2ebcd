"""The two consoles: data on stdout, progress and errors on stderr."""

from __future__ import annotations

import os

from rich.console import Console
from rich.theme import Theme

THEME = Theme({
    "create": "green", "update": "yellow", "replace": "bold magenta", "delete": "red",
    "adopt": "cyan", "restore": "cyan", "refused": "bold red", "no-op": "dim",
    "note": "dim", "warn": "yellow", "error": "bold red", "ok": "green",
})

_state = {"no_color": False}


def set_no_color(value: bool) -> None:
    _state["no_color"] = value


def _no_color() -> bool:
    return _state["no_color"] or bool(os.environ.get("NO_COLOR"))


def stdout() -> Console:
    # emoji off: names and tag keys such as `aws:x:` must print as written, not as ❌
    return Console(theme=THEME, no_color=_no_color(), highlight=False, soft_wrap=True,
                   emoji=False)


def stderr() -> Console:
    return Console(theme=THEME, no_color=_no_color(), highlight=False, stderr=True,
                   soft_wrap=True, emoji=False)

"""The two consoles: data on stdout, progress and errors on stderr.

rich is imported when a console is first asked for: `validate` prints one line with typer
and never needs it (a tenth of its start-up)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.theme import Theme

STYLES = {
    "create": "green", "update": "yellow", "replace": "bold magenta", "delete": "red",
    "adopt": "cyan", "restore": "cyan", "refused": "bold red", "no-op": "dim",
    "note": "dim", "warn": "yellow", "error": "bold red", "ok": "green",
}

_state = {"no_color": False}


def set_no_color(value: bool) -> None:
    _state["no_color"] = value


def _no_color() -> bool:
    return _state["no_color"] or bool(os.environ.get("NO_COLOR"))


@functools.lru_cache(maxsize=1)
def theme() -> Theme:
    from rich.theme import Theme

    return Theme(STYLES)


def stdout() -> Console:
    from rich.console import Console

    # emoji off: names and tag keys such as `aws:x:` must print as written, not as ❌
    return Console(theme=theme(), no_color=_no_color(), highlight=False, soft_wrap=True,
                   emoji=False)


def stderr() -> Console:
    from rich.console import Console

    return Console(theme=theme(), no_color=_no_color(), highlight=False, stderr=True,
                   soft_wrap=True, emoji=False)

"""The stack's one Resource Groups Tagging API read, shared by every type's `read`."""

from __future__ import annotations

import threading
from collections.abc import Callable


class TagIndex:
    """Tags of every resource tagged with one stack, from one paginated Resource Groups
    Tagging API read that runs in the background while the plan's reads start.

    That API is eventually consistent: a resource missing from it is read per resource,
    and the planner confirms any tag difference with the type's own tag call."""

    def __init__(self, load: Callable[[], dict[str, dict[str, str]]]):
        self._load = load
        self._done = threading.Event()
        self._tags: dict[str, dict[str, str]] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tag-index", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._tags = self._load()
        except BaseException as exc:  # re-raised in the thread that asks for the tags
            self._error = exc
        finally:
            self._done.set()

    def all(self) -> dict[str, dict[str, str]]:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._tags

    def get(self, arn: str) -> dict[str, str] | None:
        tags = self.all().get(arn)
        return dict(tags) if tags is not None else None

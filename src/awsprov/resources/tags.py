"""awsprov:* ownership tags and tag-set arithmetic shared by every type."""

from __future__ import annotations

import threading
from collections.abc import Callable

STACK_TAG = "awsprov:stack"
ADDRESS_TAG = "awsprov:address"


def is_ownership_key(key: str) -> bool:
    return key.startswith("awsprov:")


def ownership_tags(stack: str, address: str) -> dict[str, str]:
    return {STACK_TAG: stack, ADDRESS_TAG: address}


def desired_tags(stack: str, address: str, stack_tags: dict, resource_tags: dict) -> dict[str, str]:
    """Stack tags, then the resource's own, then ownership (which nobody may override)."""
    merged = {str(k): str(v) for k, v in (stack_tags or {}).items()}
    merged.update({str(k): str(v) for k, v in (resource_tags or {}).items()})
    merged.update(ownership_tags(stack, address))
    return merged


def tag_delta(live: dict[str, str], desired: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove) that turn live into desired."""
    to_set = {k: v for k, v in desired.items() if live.get(k) != v}
    to_remove = sorted(k for k in live if k not in desired and not k.startswith("aws:"))
    return to_set, to_remove


def owner_of(tags: dict[str, str]) -> str | None:
    return tags.get(STACK_TAG)


def as_dict(pairs: list[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {p[key]: p[value] for p in pairs or []}


def as_pairs(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


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

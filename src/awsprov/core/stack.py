"""What a resource type may read of the loaded stack in its cross-resource checks
(`check_stack`): a view, so that the types below the spec package never import it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ResourceView(Protocol):
    section: str
    logical: str
    props: dict[str, Any]

    @property
    def address(self) -> str: ...


class StackView(Protocol):
    name: str
    env: str | None
    region: str | None
    resources: Mapping[str, ResourceView]
    # Lookups derived once from `resources` (resources/service_access.referrers).
    memo: dict[str, Any]

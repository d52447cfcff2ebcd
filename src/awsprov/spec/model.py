"""A loaded stack: resources with their props and the file:line of every value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awsprov.errors import Location
from awsprov.spec.yamlfile import Positions, locate


@dataclass
class ResourceSpec:
    section: str
    logical: str
    props: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.section}.{self.logical}"


@dataclass
class Stack:
    name: str
    env: str | None
    region: str | None
    tags: dict[str, str]
    resources: dict[str, ResourceSpec]
    positions: Positions
    sources: dict[str, str] = field(default_factory=dict)
    uses_account_id: bool = False
    warnings: list[str] = field(default_factory=list)  # "FILE:LINE: path: message"
    # Lookups derived from `resources` once, for checks that would otherwise scan the whole
    # stack per resource (resources/service_access.referrers).
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def location(self, *path: Any) -> Location | None:
        return locate(self.positions, tuple(path))

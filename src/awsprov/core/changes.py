"""What a plan is made of: per-resource changes, each a list of attribute changes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class _KnownAfterApply:
    """A value that depends on a resource not created yet."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self):
        return (_KnownAfterApply, ())


KNOWN_AFTER_APPLY = _KnownAfterApply()


def is_unknown(value: Any) -> bool:
    """True when value is, or contains, a (known after apply) placeholder."""
    if value is KNOWN_AFTER_APPLY:
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False


class FieldKind(str, enum.Enum):
    """How a property can change on a live resource (DESIGN.md, resource type contract)."""

    UPDATE = "update"              # in place
    REPLACE = "replace"            # delete + create: data loss for stateful types
    REFUSE = "refuse"              # no safe way: plan says why, nothing happens
    IRREVERSIBLE = "irreversible"  # allowed once, never back; needs --allow-irreversible
    COMPUTED = "computed"          # never diffed


class Severity(str, enum.Enum):
    """How much a problem or a baseline finding matters."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class BaselineFinding:
    """One security-baseline rule a live resource breaks (`verify --baseline`)."""

    rule: str
    severity: Severity
    message: str


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ADOPT = "adopt"
    RESTORE = "restore"
    NOOP = "no-op"
    REFUSED = "refused"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {
    Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-",
    Action.ADOPT: "<=", Action.RESTORE: "^", Action.NOOP: " ", Action.REFUSED: "!",
}

# The order of the plan summary in text and JSON. `orphans_kept`: orphans (and duplicates)
# the plan lists but leaves in place (all of them without --prune; with it they count as
# the deletes or refusals they are).
SUMMARY_KEYS = ("create", "update", "replace", "delete", "adopt", "restore", "refused",
                "unchanged", "orphans_kept")


@dataclass
class AttributeChange:
    """One property's before → after. `before`/`after` are normalized values."""

    path: str
    before: Any
    after: Any
    kind: FieldKind = FieldKind.UPDATE
    sensitive: bool = False
    note: str = ""
    source: str = ""  # where a sensitive value comes from ("from_file PATH"), safe to print

    @property
    def prop(self) -> str:
        """The top-level state key this change is under ("indexes" for "indexes.by-x")."""
        return self.path.split(".", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": None if self.sensitive else _json_value(self.before),
            "after": None if self.sensitive else _json_value(self.after),
            "sensitive": self.sensitive,
            "kind": self.kind.value,
            **({"note": self.note} if self.note else {}),
            **({"source": self.source} if self.source else {}),
        }


@dataclass
class ResourceChange:
    """The plan for one resource (or one orphan).

    `address` is always the user's address (an orphan's is the one it is tagged with);
    `key` is unique in a plan: the address for the spec's own entry, `ADDRESS#NAME` for an
    orphan, so nothing a live resource carries can take the place of the spec's entry."""

    address: str
    section: str
    name: str
    action: Action
    reason: str = ""
    attributes: list[AttributeChange] = field(default_factory=list)
    data_at_risk: str | None = None
    # What an update destroys by configuration (retention cut, backups off): apply needs
    # --allow-data-loss. data_at_risk then says the same, joined, for older readers.
    data_loss: list[str] = field(default_factory=list)
    orphan: bool = False
    warnings: list[str] = field(default_factory=list)
    key: str = ""
    # Another live resource tagged with a spec address that the spec's name does not
    # resolve to (a second key from a lost CreateKey answer); always an orphan too.
    duplicate: bool = False
    arn: str | None = None
    created: str | None = None  # creation date, when the type can tell it
    name_points_at: str | None = None  # a duplicate: the ARN the spec's name resolves to
    renamed_from: str | None = None  # the spec's entry: the old name still tagged with it
    duplicates: list[str] = field(default_factory=list)  # the spec's entry: their ARNs

    def __post_init__(self) -> None:
        self.key = self.key or self.address

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NOOP

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "address": self.address,
            "action": self.action.value,
            "reason": self.reason,
            "name": self.name,
            "attributes": [a.to_json() for a in self.attributes],
        }
        if self.data_at_risk:
            doc["data_at_risk"] = self.data_at_risk
        if self.data_loss:
            doc["data_loss"] = list(self.data_loss)
        if self.orphan:
            doc["orphan"] = True
            doc["key"] = self.key
        if self.duplicate:
            doc["duplicate"] = True
            doc["name_points_at"] = self.name_points_at
        if self.renamed_from:
            doc["renamed_from"] = self.renamed_from
        if self.duplicates:
            doc["duplicates"] = list(self.duplicates)
        if self.arn and (self.orphan or self.duplicates):
            doc["arn"] = self.arn
        if self.created and (self.orphan or self.duplicates):
            doc["created"] = self.created
        if self.warnings:
            doc["warnings"] = list(self.warnings)
        return doc


@dataclass
class Plan:
    stack: str
    env: str | None
    region: str
    changes: list[ResourceChange]
    prune: bool = False
    cost_delta: dict[str, Any] | None = None  # monthly cost before → after, when priced

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SUMMARY_KEYS, 0)
        for change in self.changes:
            if change.orphan and not self.prune:
                counts["orphans_kept"] += 1
                continue
            key = "unchanged" if change.action is Action.NOOP else change.action.value
            counts[key] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(c.is_change and (self.prune or not c.orphan) for c in self.changes)

    def by_address(self) -> dict[str, ResourceChange]:
        """The spec's entries: exactly one per address (orphans are left out)."""
        return {c.address: c for c in self.changes if not c.orphan}

    def by_key(self) -> dict[str, ResourceChange]:
        """Every entry, orphans and duplicates included, by its unique key."""
        return {c.key: c for c in self.changes}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "stack": self.stack,
            "env": self.env,
            "region": self.region,
            "changes": [c.to_json() for c in self.changes if c.is_change],
            "summary": self.summary(),
            "cost_delta": self.cost_delta,
        }


def _json_value(value: Any) -> Any:
    if value is KNOWN_AFTER_APPLY:
        return "(known after apply)"
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value

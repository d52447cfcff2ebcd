"""A type's properties, each declared once (Terraform's schema.Schema in spirit): its JSON
Schema, how it may change on a live resource, the AWS default that means "unset", whether
its value is secret, and for the simple ones where AWS takes and shows it. The base class
derives the rest from the table: the schema's `properties`, the diff's field kinds, the
sensitive set, the simple keys of desired and live state, and `export`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awsprov.core.changes import FieldKind

UNSET = object()  # no AWS default: the property is absent (None) when the spec omits it


@dataclass(frozen=True)
class Prop:
    """One spec property.

    `change`: how a live resource takes a new value (FieldKind: update in place, replace,
    refuse = create-only, irreversible, computed = never diffed, such as a delete-time
    setting). `default`: the value AWS has when it was never set; desired state fills it
    in and `export` leaves it out. `sensitive`: the value never reaches output, logs or
    plan files, on any diff path. `exported`: False for what `export` cannot read back
    (delete-time settings, values AWS never returns). `state`: False for a spec-only
    property that is not part of the compared state (a setting for `delete`).
    `request`/`describe`: for a property AWS takes and answers as it is, the request
    parameter and the dotted path in the describe answer; the base then builds its
    desired and live values without code in the type. `grant_targets`: see below."""

    schema: dict[str, Any]
    change: FieldKind = FieldKind.UPDATE
    default: Any = UNSET
    sensitive: bool = False
    exported: bool = True
    state: bool = True
    request: str | None = None
    describe: str | None = None
    # Whole-value references anywhere in this property resolve to the referenced
    # resource's grant target (core/grants.py) instead of its ARN: for a type that turns
    # what it names into IAM statements through the named resource's own type.
    grant_targets: bool = False

    @property
    def unset(self) -> Any:
        """The value of this property when the spec leaves it out."""
        return None if self.default is UNSET else self.default

    def json_schema(self) -> dict[str, Any]:
        """The schema fragment, with the AWS default shown to editors."""
        if self.default is UNSET or self.default is None or "default" in self.schema:
            return dict(self.schema)
        return {**self.schema, "default": self.default}


def dig(document: Any, path: str, default: Any = None) -> Any:
    """`document["a"]["b"]` for path "a.b"; `default` where any step is missing."""
    value = document
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return default
        value = value[step]
    return value

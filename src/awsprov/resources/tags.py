"""awsprov:* ownership tags and tag-set arithmetic shared by every type."""

from __future__ import annotations

STACK_TAG = "awsprov:stack"
ADDRESS_TAG = "awsprov:address"


def is_marker(key: str) -> bool:
    """An awsprov:* tag other than ownership: a type's own marker (a generated secret
    value). Tag diffs leave markers to their type."""
    return key.startswith("awsprov:") and key not in (STACK_TAG, ADDRESS_TAG)


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
    to_remove = sorted(k for k in live if k not in desired and not k.startswith("aws:")
                       and not is_marker(k))
    return to_set, to_remove


def owner_of(tags: dict[str, str]) -> str | None:
    return tags.get(STACK_TAG)


def as_dict(pairs: list[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {p[key]: p[value] for p in pairs or []}


def as_pairs(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]

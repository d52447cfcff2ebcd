"""awsprov:* ownership tags and tag-set arithmetic shared by every type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STACK_TAG = "awsprov:stack"
ADDRESS_TAG = "awsprov:address"
# Set when the stack is planned with --env: two environments of one stack in one region
# (names carrying ${env}) must not see each other's resources as orphans or take them over.
ENV_TAG = "awsprov:env"
OWNERSHIP = (STACK_TAG, ADDRESS_TAG, ENV_TAG)


def is_marker(key: str) -> bool:
    """An awsprov:* tag other than ownership: a type's own marker (a generated secret
    value). Tag diffs leave markers to their type."""
    return key.startswith("awsprov:") and key not in OWNERSHIP


def is_ownership_key(key: str) -> bool:
    """Any awsprov:* key: ownership or a type's marker, never a user's tag."""
    return key.startswith("awsprov:")


# Every service awsprov manages takes at most 50 tags per resource, its ownership tags
# included; CreateTable, CreateBucket, ... refuse more.
MAX_TAGS = 50


def too_many_tags(stack_tags: dict, resource_tags: dict, env: str | None) -> str | None:
    """Why the merged tag set is more than AWS accepts (None when it fits)."""
    count = len(desired_tags("x", "x", stack_tags, resource_tags, env))
    if count <= MAX_TAGS:
        return None
    return (f"{count} tags with the stack's tags and awsprov's ownership tags; AWS accepts "
            f"at most {MAX_TAGS} per resource")


def ownership_tags(stack: str, address: str, env: str | None = None) -> dict[str, str]:
    tags = {STACK_TAG: stack, ADDRESS_TAG: address}
    if env:
        tags[ENV_TAG] = env
    return tags


def desired_tags(stack: str, address: str, stack_tags: dict, resource_tags: dict,
                 env: str | None = None) -> dict[str, str]:
    """Stack tags, then the resource's own, then ownership (which nobody may override)."""
    merged = {str(k): str(v) for k, v in (stack_tags or {}).items()}
    merged.update({str(k): str(v) for k, v in (resource_tags or {}).items()})
    merged.update(ownership_tags(stack, address, env))
    return merged


def tag_delta(live: dict[str, str], desired: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove) that turn live into desired."""
    to_set = {k: v for k, v in desired.items() if live.get(k) != v}
    to_remove = sorted(k for k in live if k not in desired and not k.startswith("aws:")
                       and not is_marker(k))
    return to_set, to_remove


def made_for(live: dict[str, str], desired: dict[str, str]) -> bool:
    """True when a resource found where a create expected none carries the ownership tags
    this create sends: the create's own earlier attempt, whose answer was lost and which
    botocore resent ("already exists" is then that attempt's success)."""
    return all(live.get(key) == desired.get(key) for key in OWNERSHIP) and \
        live.get(STACK_TAG) is not None


def owner_of(tags: dict[str, str]) -> str | None:
    return tags.get(STACK_TAG)


def env_of(tags: dict[str, str]) -> str | None:
    return tags.get(ENV_TAG)


def owned_by(tags: dict[str, str], stack: str, env: str | None) -> bool:
    """Tagged with this stack, and with this environment or none (a resource made before
    environments were tagged is still ours; its next apply adds the env tag)."""
    return owner_of(tags) == stack and env_of(tags) in (None, env)


def owner_label(tags: dict[str, str]) -> str:
    """`stack 'vaultlink'` or `stack 'vaultlink' environment 'prod'`, for messages."""
    env = env_of(tags)
    return f"stack '{owner_of(tags)}'" + (f" environment '{env}'" if env else "")


def as_dict(pairs: list[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {p[key]: p[value] for p in pairs or []}


def as_pairs(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def write_tag_delta(live: dict[str, str], desired: dict[str, str],
                    untag: Callable[[list[str]], Any],
                    tag: Callable[[dict[str, str]], Any]) -> None:
    """Turn live's tags into desired with the service's own calls: untag first (keys to
    remove), then tag (keys to set); a call with nothing to do is not made."""
    to_set, to_remove = tag_delta(live, desired)
    if to_remove:
        untag(to_remove)
    if to_set:
        tag(to_set)

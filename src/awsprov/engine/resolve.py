"""Desired state and its diff against live: one home for both, used by the planner (with
what is known at plan time) and by the executor (again at apply time, with the attributes
of the resources made earlier in the apply, so a reference to one resolves to its new
value before its dependents are written)."""

from __future__ import annotations

from typing import Any

from awsprov.aws.context import AwsContext
from awsprov.core import references
from awsprov.core.changes import KNOWN_AFTER_APPLY, AttributeChange
from awsprov.resources import registry
from awsprov.resources import tags as tagging
from awsprov.resources.base import Desired, Live, ResourceType, leaf_diff
from awsprov.spec.model import ResourceSpec, Stack


def build_desired(stack: Stack, spec: ResourceSpec, rtype: ResourceType, name: str,
                  attributes: dict[str, dict[str, Any]], aws: AwsContext,
                  live: Live | None = None) -> Desired:
    """Resolve references with what is known now; unknown values stay (known after apply).
    With `ignore_changes: [tags]`, an existing resource keeps its live tags; only the
    awsprov:* ownership tags are still managed (they are its identity)."""
    sections = set(registry.sections())

    def lookup(expr: str) -> Any:
        if expr == "account_id":
            return aws.account_id
        ref = references.parse_reference(expr, sections)
        if ref is None:
            return None
        known = attributes.get(ref.address)
        if known is None:
            return KNOWN_AFTER_APPLY
        return known.get(ref.attribute, KNOWN_AFTER_APPLY)

    def resolve(text: str, path: tuple) -> Any:
        if path and path[0] in rtype.grant_target_props:
            target = _grant_target(stack, text, sections, attributes, aws, lookup)
            if target is not None:
                return target
        return references.substitute(text, lookup)

    props = references.unescape(references.map_strings(spec.props, resolve))
    if "name" in props:
        props["name"] = name  # with ${account_id} resolved
    user_tags = {**stack.tags, **{str(k): str(v) for k, v in (props.get("tags") or {}).items()}}
    ignore = frozenset(props.get("ignore_changes") or ())
    if "tags" in ignore and live is not None:
        user_tags = {k: v for k, v in live.tags.items() if not tagging.is_ownership_key(k)}
    return Desired(
        section=spec.section, logical=spec.logical, name=name, props=props,
        state=rtype.desired_state(props),
        tags=tagging.desired_tags(stack.name, spec.address, {}, user_tags, stack.env),
        ignore=ignore,
    )


def _grant_target(stack: Stack, text: str, sections: set[str],
                  attributes: dict[str, dict[str, Any]], aws: AwsContext,
                  lookup: Any) -> dict[str, Any] | None:
    """The grant target (core/grants.py) a whole-value reference to a resource names, its
    properties resolved as far as known and its sensitive ones left out; None for any
    other value."""
    whole = references.TOKEN.fullmatch(text)
    ref = whole and references.parse_reference(whole.group(1), sections)
    if not ref or ref.attribute != "arn" or ref.address not in stack.resources:
        return None
    target = stack.resources[ref.address]
    target_type = registry.get(target.section)
    visible = {k: v for k, v in target.props.items() if k not in target_type.sensitive_fields}
    props = references.unescape(references.map_strings(
        visible, lambda value, _path: references.substitute(value, lookup)))
    known = attributes.get(ref.address) or {}
    return {"section": target.section, "name": known.get("name", props.get("name")),
            "arn": known.get("arn", KNOWN_AFTER_APPLY), "props": props,
            "region": aws.region, "account": aws.account_id}


def diff_with_tags(rtype: ResourceType, desired: Desired, live: Live) -> list[AttributeChange]:
    """Every change from live to desired (update, replace, restore and verify all diff
    through here), each under a sensitive property marked so whatever made it."""
    changes = rtype.sensitive_marked(rtype.diff(desired, live))
    if rtype.taggable:  # ignore_changes: [tags] is in desired.tags already (live's own)
        changes.extend(AttributeChange(path, before, after) for path, before, after
                       in leaf_diff("tags", managed_tags(live.tags), desired.tags))
    return changes


def managed_tags(tags: dict[str, str]) -> dict[str, str]:
    """Live tags without a type's markers (a generated secret's): types manage those."""
    return {k: v for k, v in tags.items() if not tagging.is_marker(k)}

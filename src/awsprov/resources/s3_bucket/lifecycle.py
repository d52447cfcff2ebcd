"""Lifecycle rules: their schema, the checks S3 would refuse (or bill for), the one shape
desired and live rules are compared in, the request, export, and which rules expire every
object of the bucket (data loss). Pure: no AWS call."""

from __future__ import annotations

from typing import Any

from awsprov.core.changes import Severity
from awsprov.resources.base import Problem
from awsprov.resources.sizes import plural

STORAGE_CLASSES = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR",
                   "GLACIER", "DEEP_ARCHIVE")
# S3's transition waterfall: a later transition must go to a colder class.
_COLDNESS = {c: i for i, c in enumerate(STORAGE_CLASSES)}
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MIN_DAYS = 30
# Minimum storage durations: deleting earlier is billed as if stored that long.
MIN_DURATION_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30, "GLACIER_IR": 90, "GLACIER": 90,
                     "DEEP_ARCHIVE": 180}
MIN_OBJECT_SIZES = ("all_storage_classes_128K", "varies_by_storage_class")
DEFAULT_MIN_OBJECT_SIZE = "all_storage_classes_128K"  # AWS's default since Sep 2024
_ACTIONS = ("transitions", "expiration_days", "noncurrent_transitions",
            "noncurrent_expiration_days", "abort_incomplete_multipart_days")
_DAYS = {"type": "integer", "minimum": 1}


def _transitions_schema(description: str, days: str) -> dict:
    return {
        "type": "array", "minItems": 1, "description": description,
        "items": {"type": "object", "additionalProperties": False,
                  "required": ["days", "storage_class"],
                  "properties": {"days": {"type": "integer", "minimum": 0, "description": days},
                                 "storage_class": {"enum": list(STORAGE_CLASSES),
                                                   "description": "The colder storage class "
                                                                  "objects move to"}}},
    }


RULE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["id"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 255,
               "description": "The rule's unique name within the bucket"},
        "prefix": {"type": "string", "default": "",
                   "description": "Only objects whose key starts with this (default: all)"},
        "enabled": {"type": "boolean", "default": True,
                    "description": "false keeps the rule but suspends it"},
        "transitions": _transitions_schema("Moves of current objects to colder storage classes",
                                           "Days after an object's creation"),
        "expiration_days": {**_DAYS, "description": "Days after creation an object expires"},
        "noncurrent_transitions": _transitions_schema(
            "Moves of noncurrent versions to colder storage classes",
            "Days after a version became noncurrent"),
        "noncurrent_expiration_days": {**_DAYS, "description": "Days after becoming "
                                       "noncurrent a version is deleted"},
        "abort_incomplete_multipart_days": {**_DAYS, "description": "Days after which an "
                                            "unfinished multipart upload is aborted"},
    },
}


# ---- checks ------------------------------------------------------------------------------

def check_rules(props: dict) -> list[Problem]:
    rules = props.get("lifecycle") or []
    problems: list[Problem] = []
    if "lifecycle_min_object_size" in props and not rules:
        problems.append(Problem(("lifecycle_min_object_size",),
                                "lifecycle_min_object_size needs lifecycle rules"))
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        path = ("lifecycle", i)
        if rule.get("id") in seen:
            problems.append(Problem((*path, "id"), f"lifecycle rule id '{rule['id']}' "
                                                   f"is used twice"))
        seen.add(rule.get("id"))
        if not any(k in rule for k in _ACTIONS):
            problems.append(Problem(path, f"lifecycle rule '{rule.get('id')}' has no "
                                          f"action (transitions, expiration_days, ...)"))
        problems.extend(_check_transitions(rule.get("transitions") or [],
                                           rule.get("expiration_days"),
                                           (*path, "transitions"), "expiration_days"))
        problems.extend(_check_transitions(rule.get("noncurrent_transitions") or [],
                                           rule.get("noncurrent_expiration_days"),
                                           (*path, "noncurrent_transitions"),
                                           "noncurrent_expiration_days"))
        noncurrent = ("noncurrent_transitions", "noncurrent_expiration_days")
        if any(k in rule for k in noncurrent) and not props.get("versioning") \
                and "object_lock" not in props:
            problems.append(Problem(path, f"lifecycle rule '{rule.get('id')}' acts on "
                                          f"noncurrent versions of an unversioned bucket",
                                    Severity.WARNING))
    return problems


def _check_transitions(transitions: list[dict], expiration: int | None, path: tuple,
                       expiration_key: str) -> list[Problem]:
    problems = []
    last_days, last_rank = -1, -1
    for i, step in enumerate(sorted(transitions, key=lambda t: t["days"])):
        days, klass = step["days"], step["storage_class"]
        where = (*path, transitions.index(step))
        if klass in IA_CLASSES and days < IA_MIN_DAYS:
            problems.append(Problem((*where, "days"), f"a transition to {klass} needs at "
                                    f"least {IA_MIN_DAYS} days (S3 refuses fewer)"))
        if days == last_days:
            problems.append(Problem((*where, "days"), f"two transitions on day {days}"))
        if _COLDNESS[klass] <= last_rank:
            problems.append(Problem((*where, "storage_class"), f"transition {i + 1} goes to "
                                    f"{klass}, not colder than the one before it"))
        last_days, last_rank = days, _COLDNESS[klass]
    if transitions and expiration is not None:
        problems.extend(_check_expiration(transitions, expiration, path, expiration_key))
    return problems


def _check_expiration(transitions: list[dict], expiration: int, path: tuple,
                      expiration_key: str) -> list[Problem]:
    last = max(transitions, key=lambda t: t["days"])
    if expiration <= last["days"]:
        return [Problem((*path[:-1], expiration_key),
                        f"expiration ({expiration} days) must come after the last "
                        f"transition ({last['days']} days)")]
    minimum = MIN_DURATION_DAYS.get(last["storage_class"], 0)
    if expiration - last["days"] < minimum:
        return [Problem((*path[:-1], expiration_key),
                        f"objects expire {expiration - last['days']} days after "
                        f"moving to {last['storage_class']}, which bills at "
                        f"least {minimum} days", Severity.WARNING)]
    return []


# ---- one shape for desired and live rules -------------------------------------------------

def _transitions(items: list[dict] | None) -> list[dict]:
    return sorted(({"days": t["days"], "storage_class": t["storage_class"]}
                   for t in items or []), key=lambda t: t["days"])


def desired_rules(rules: list[dict]) -> dict[str, dict] | None:
    """{rule id: rule}, or None without rules (how S3 shows a bucket without any)."""
    return {rule["id"]: _desired_rule(rule) for rule in rules} or None


def _desired_rule(rule: dict) -> dict:
    return {
        "prefix": rule.get("prefix", ""),
        "enabled": bool(rule.get("enabled", True)),
        "transitions": _transitions(rule.get("transitions")),
        "expiration_days": rule.get("expiration_days"),
        "noncurrent_transitions": _transitions(rule.get("noncurrent_transitions")),
        "noncurrent_expiration_days": rule.get("noncurrent_expiration_days"),
        "abort_incomplete_multipart_days": rule.get("abort_incomplete_multipart_days"),
    }


def live_rules(document: dict | None) -> dict[str, dict] | None:
    if not document:
        return None
    return {rule.get("ID", ""): _live_rule(rule) for rule in document["Rules"]}


def _live_rule(rule: dict) -> dict:
    """A lifecycle rule as AWS returns it, in the shape of _desired_rule; whatever the spec
    cannot express (tag filters, dates, size filters) is kept under `other` so it shows."""
    filt = dict(rule.get("Filter") or {})
    prefix = filt.pop("Prefix", rule.get("Prefix", ""))
    expiration = dict(rule.get("Expiration") or {})
    if expiration.get("ExpiredObjectDeleteMarker") is False:
        expiration.pop("ExpiredObjectDeleteMarker")
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    other = {k: v for k, v in (("filter", filt), ("expiration", {
        k: v for k, v in expiration.items() if k != "Days"})) if v}
    out = {
        "prefix": prefix or "",
        "enabled": rule.get("Status") == "Enabled",
        "transitions": _transitions([{"days": t.get("Days"), "storage_class":
                                      t.get("StorageClass")}
                                     for t in rule.get("Transitions") or []]),
        "expiration_days": expiration.get("Days"),
        "noncurrent_transitions": _transitions([
            {"days": t.get("NoncurrentDays"), "storage_class": t.get("StorageClass")}
            for t in rule.get("NoncurrentVersionTransitions") or []]),
        "noncurrent_expiration_days": noncurrent.get("NoncurrentDays"),
        "abort_incomplete_multipart_days":
            (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
    }
    if other:
        out["other"] = other
    return out


def rule_request(rule_id: str, rule: dict) -> dict:
    request: dict[str, Any] = {"ID": rule_id, "Status": "Enabled" if rule["enabled"]
                               else "Disabled", "Filter": {"Prefix": rule["prefix"]}}
    if rule["transitions"]:
        request["Transitions"] = [{"Days": t["days"], "StorageClass": t["storage_class"]}
                                  for t in rule["transitions"]]
    if rule["expiration_days"] is not None:
        request["Expiration"] = {"Days": rule["expiration_days"]}
    if rule["noncurrent_transitions"]:
        request["NoncurrentVersionTransitions"] = [
            {"NoncurrentDays": t["days"], "StorageClass": t["storage_class"]}
            for t in rule["noncurrent_transitions"]]
    if rule["noncurrent_expiration_days"] is not None:
        request["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["noncurrent_expiration_days"]}
    if rule["abort_incomplete_multipart_days"] is not None:
        request["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule["abort_incomplete_multipart_days"]}
    return request


def export_rule(rule_id: str, rule: dict) -> dict:
    out: dict[str, Any] = {"id": rule_id}
    if rule["prefix"]:
        out["prefix"] = rule["prefix"]
    if not rule["enabled"]:
        out["enabled"] = False
    for key in _ACTIONS:
        if rule[key] not in (None, []):
            out[key] = rule[key]
    return out


# ---- data loss ---------------------------------------------------------------------------

def _expire_all_days(rules: dict | None, key: str) -> dict[str, int]:
    """{rule id: days} of the enabled rules that expire (`key`) every object of the bucket:
    no prefix and no other filter (tags, sizes) narrowing them."""
    return {rule_id: rule[key] for rule_id, rule in (rules or {}).items()
            if rule.get("enabled") and not rule.get("prefix") and not rule.get("other")
            and isinstance(rule.get(key), int)}


def new_expire_all(desired: dict, live: dict) -> list[str]:
    """Whole-bucket expirations the spec adds or shortens against what live already
    expires: objects that live keeps longer (or forever) are deleted sooner."""
    kinds = [("expiration_days", "expires every object after {days}")]
    if desired.get("versioning"):
        kinds.append(("noncurrent_expiration_days", "expires every noncurrent object version "
                                                    "{days} after it is replaced"))
    reasons = []
    for key, text in kinds:
        before = _expire_all_days(live.get("lifecycle"), key)
        shortest = min(before.values(), default=None)
        for rule_id, days in sorted(_expire_all_days(desired.get("lifecycle"), key).items()):
            if shortest is None or days < shortest:
                was = "" if shortest is None else f" (was {plural(shortest, 'day')})"
                reasons.append(f"lifecycle rule '{rule_id}' "
                               + text.format(days=plural(days, "day")) + was)
    return reasons

"""What is known of a table's change before any AWS call: spec checks, the index diff,
refusals, notes, data loss and the security baseline. Pure: a hook reads only the spec,
the live state and the live read's details (settings.TableDetails)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from awsprov.core.changes import AttributeChange, BaselineFinding, Severity
from awsprov.resources.base import Desired, Live, Problem, leaf_diff
from awsprov.resources.dynamodb_table import settings
from awsprov.resources.sizes import plural

MAX_PROJECTED_ATTRIBUTES = 100  # non-key attributes, summed over all indexes of a table
SWITCHES_TO_ON_DEMAND_PER_DAY = 4
TTL_IN_PROGRESS = ("ENABLING", "DISABLING")
# Adding TTL: one Scan page of at most this many items looks for expiry times already
# past (a few read units); a table-wide scan would cost as much as reading the table.
TTL_SAMPLE_ITEMS = 100


# ---- the spec (check) --------------------------------------------------------------------

def check(props: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    declared: dict[str, str] = props.get("attributes") or {}
    used: dict[str, tuple] = {}

    def use(attr: str | None, path: tuple) -> None:
        if attr is None:
            return
        used.setdefault(attr, path)
        if attr not in declared:
            problems.append(Problem(path, f"key attribute '{attr}' is not declared in "
                                          f"`attributes` (declare it as S, N or B)"))

    use(props.get("hash_key"), ("hash_key",))
    use(props.get("range_key"), ("range_key",))
    gsis = props.get("global_indexes") or {}
    lsis = props.get("local_indexes") or {}
    for name, index in gsis.items():
        use(index.get("hash_key"), ("global_indexes", name, "hash_key"))
        use(index.get("range_key"), ("global_indexes", name, "range_key"))
    for name, index in lsis.items():
        path = ("local_indexes", name)
        if not props.get("range_key"):
            problems.append(Problem(path, "a local index needs a table with a range_key"))
        if index.get("hash_key", props.get("hash_key")) != props.get("hash_key"):
            problems.append(Problem((*path, "hash_key"),
                                    "a local index shares the table's hash_key"))
        use(index.get("range_key"), (*path, "range_key"))
    for name in set(gsis) & set(lsis):
        problems.append(Problem(("local_indexes", name),
                                f"index name '{name}' is also a global index"))
    for attr in declared:
        if attr not in used:
            problems.append(Problem(("attributes", attr),
                                    f"attribute '{attr}' is declared but no key of the "
                                    f"table or an index uses it (DynamoDB rejects it)"))
    problems.extend(_check_capacity(props, gsis))
    problems.extend(_check_projected_total(gsis, lsis))
    return problems


def _check_capacity(props: dict, gsis: dict) -> list[Problem]:
    provisioned = props.get("billing_mode") == "PROVISIONED"
    problems = []
    if provisioned and "capacity" not in props:
        problems.append(Problem(("billing_mode",),
                                "billing_mode PROVISIONED needs `capacity: {read, write}`"))
    if not provisioned and "capacity" in props:
        problems.append(Problem(("capacity",), "capacity is only for billing_mode "
                                               "PROVISIONED (this table is on-demand)"))
    if provisioned and "on_demand_throughput" in props:
        problems.append(Problem(("on_demand_throughput",), "on_demand_throughput is only "
                                "for billing_mode PAY_PER_REQUEST"))
    for name, index in gsis.items():
        if provisioned and "capacity" not in index:
            problems.append(Problem(("global_indexes", name),
                                    "a PROVISIONED table's indexes need `capacity`"))
        if not provisioned and "capacity" in index:
            problems.append(Problem(("global_indexes", name, "capacity"),
                                    "index capacity is only for billing_mode PROVISIONED"))
    return problems


def _check_projected_total(gsis: dict, lsis: dict) -> list[Problem]:
    """CreateTable and UpdateTable refuse more than 100 non-key attributes projected, summed
    over every index (each index's own list is bounded by the schema)."""
    total, where = 0, None
    for section, indexes in (("global_indexes", gsis), ("local_indexes", lsis)):
        for name, index in indexes.items():
            projection = index.get("projection")
            if isinstance(projection, list):
                total += len(projection)
                if total > MAX_PROJECTED_ATTRIBUTES and where is None:
                    where = (section, name, "projection")
    if where is None:
        return []
    return [Problem(where, f"{total} non-key attributes projected across the indexes; "
                           f"DynamoDB allows at most {MAX_PROJECTED_ATTRIBUTES} in all")]


def missing_attribute(attribute: str, props: dict[str, Any]) -> str | None:
    if attribute == "stream_arn" and not props.get("stream"):
        return "has no stream_arn: it sets no `stream`"
    return None


# ---- the global indexes' diff ------------------------------------------------------------

def index_identity(index: dict) -> tuple:
    """What cannot change in place: keys and projection (a change means a rebuild)."""
    return index["hash_key"], index["range_key"], str(index["projection"])


@dataclass(frozen=True)
class IndexOperations:
    """The global index creates and deletes a change needs, in the order UpdateTable
    takes them (one each): a rebuilt index is deleted, then created."""

    deletes: tuple[str, ...] = ()  # the removed, then the rebuilt
    creates: tuple[str, ...] = ()  # the new, then the rebuilt
    resized: frozenset[str] = frozenset()  # kept, with a capacity change only

    @property
    def count(self) -> int:
        """Index operations, a rebuild counted once (as the plan shows it)."""
        return len({*self.deletes, *self.creates})


def index_operations(want: dict, have: dict, changes: list[AttributeChange]) -> IndexOperations:
    """From the desired and live states, for the indexes `changes` touch."""
    wanted, had = want["global_indexes"], have["global_indexes"]
    touched = {_index_of(c.path, {*wanted, *had}) for c in changes
               if c.prop == "global_indexes" and c.path != "global_indexes"}
    rebuilt = sorted(n for n in touched if n in had and n in wanted
                     and index_identity(had[n]) != index_identity(wanted[n]))
    deletes = (*sorted(n for n in touched if n not in wanted), *rebuilt)
    creates = (*sorted(n for n in touched if n not in had), *rebuilt)
    return IndexOperations(deletes, creates, frozenset(touched - {*deletes, *creates}))


def _index_of(path: str, names: set[str]) -> str:
    """The index a change path is under: "global_indexes.NAME" or a leaf of its capacity
    (index names may hold dots)."""
    rest = path.removeprefix("global_indexes.")
    for suffix in ("", ".capacity", ".capacity.read", ".capacity.write"):
        if rest.endswith(suffix) and rest[:len(rest) - len(suffix)] in names:
            return rest[:len(rest) - len(suffix)]
    return rest.split(".", 1)[0]


def index_changes(before: dict, after: dict, ignore_capacity: bool) -> list[AttributeChange]:
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        path = f"global_indexes.{name}"
        if old is None:
            changes.append(AttributeChange(path, None, new, note=f"index {name} is created: "
                                           f"it serves queries only once its backfill ends"))
        elif new is None:
            changes.append(AttributeChange(path, old, None, note=f"index {name} is deleted"))
        elif index_identity(old) != index_identity(new):
            changes.append(AttributeChange(path, old, new, note=f"index rebuild: {name} is "
                                           f"deleted, then created; unavailable until backfilled"))
        elif old["capacity"] != new["capacity"] and not ignore_capacity:
            changes.extend(AttributeChange(p, b, a) for p, b, a in
                           leaf_diff(f"{path}.capacity", old["capacity"], new["capacity"]))
    return changes


# ---- refusals, data loss, notes ----------------------------------------------------------

def refusal(live: Live, changes: list[AttributeChange]) -> str | None:
    ttl_changes = [c for c in changes if c.path == "ttl"]
    if not ttl_changes:
        return None
    status = settings.details_of(live).ttl_status
    if status in TTL_IN_PROGRESS:
        return (f"TTL changed less than an hour ago (status {status}); AWS allows one TTL "
                f"change per table per hour")
    before, after = ttl_changes[0].before, ttl_changes[0].after
    if before and after:
        return (f"TTL attribute change {before} -> {after} needs TTL disabled, then enabled "
                f"at least an hour later (one TTL change per table per hour): remove `ttl`, "
                f"apply, and set the new attribute an hour later")
    return None


def data_loss(desired: Desired, live: Live, changes: list[AttributeChange]) -> list[str]:
    reasons = []
    pitr_before = live.state["point_in_time_recovery"]
    pitr_after = desired.state["point_in_time_recovery"]
    if any(c.path.startswith("point_in_time_recovery") for c in changes) \
            and pitr_before["enabled"]:
        kept = pitr_before["recovery_period_days"]
        if not pitr_after["enabled"]:
            reasons.append(f"point-in-time recovery turned off: the continuous backups "
                           f"of the last {plural(kept, 'day')} are lost")
        elif pitr_after["recovery_period_days"] < kept:
            days = plural(pitr_after["recovery_period_days"], "day")
            reasons.append(f"point-in-time recovery period {kept} → {days}: "
                           f"restore points older than {days} are lost")
    attribute = _ttl_added(changes)
    expired = _sampled_expired(live, attribute) if attribute else 0
    if expired:
        reasons.append(f"TTL on `{attribute}`: {plural(expired, 'item')} of a "
                       f"{TTL_SAMPLE_ITEMS}-item sample already hold a past expiry time; "
                       f"DynamoDB deletes them, and every other such item, within days")
    return reasons


def change_notes(desired: Desired, live: Live, changes: list[AttributeChange]) -> list[str]:
    notes = [c.note for c in changes if c.note]
    attribute = _ttl_added(changes)
    sampled = _sampled_expired(live, attribute) if attribute else None
    if attribute and not sampled:
        known = (f"a sample of {TTL_SAMPLE_ITEMS} items found none, the rest is unknown"
                 if sampled == 0 else "not sampled (no dynamodb:Scan permission)")
        notes.append(f"data at risk: items whose `{attribute}` holds a past time (epoch "
                     f"seconds) are deleted within days; {known}")
    index_ops = index_operations(desired.state, live.state, changes).count
    if index_ops > 1:
        notes.append(f"{index_ops} index operations: one UpdateTable each, awaited in turn "
                     f"(AWS allows one index create or delete per UpdateTable)")
    stream = next((c for c in changes if c.path == "stream"), None)
    if stream and stream.before and stream.after:
        notes.append("stream view type change disables and re-enables the stream: it gets "
                     "a new ARN, and consumers (Lambda event sources) must be re-pointed")
    billing = next((c for c in changes if c.path == "billing_mode"), None)
    if billing and billing.after == "PAY_PER_REQUEST":
        last = settings.details_of(live).last_switch_to_on_demand
        if last and _within_a_day(last):
            notes.append(f"last switched to on-demand at {last:%Y-%m-%d %H:%M} UTC: AWS "
                         f"allows {SWITCHES_TO_ON_DEMAND_PER_DAY} such switches per rolling "
                         f"24 hours")
    return notes


def _ttl_added(changes: list[AttributeChange]) -> str | None:
    """The attribute TTL is being turned on for, where it was off."""
    ttl = next((c for c in changes if c.path == "ttl"), None)
    return ttl.after if ttl and ttl.after and not ttl.before else None


def _sampled_expired(live: Live, attribute: str) -> int | None:
    """How many sampled items TTL would delete at once, None when unknown."""
    return settings.details_of(live).expired_sample(attribute)


def _within_a_day(when: Any) -> bool:
    if not isinstance(when, dt.datetime):
        return False
    now = dt.datetime.now(tz=when.tzinfo or dt.timezone.utc)
    return now - when < dt.timedelta(days=1)


# ---- verify --baseline -------------------------------------------------------------------

def baseline(live: Live) -> list[BaselineFinding]:
    state = live.state
    findings = []
    if not state["point_in_time_recovery"]["enabled"]:
        findings.append(BaselineFinding(
            "table-pitr", Severity.WARNING,
            "point-in-time recovery is off: a bad write or delete cannot be rolled back"))
    if not state["deletion_protection"]:
        findings.append(BaselineFinding(
            "table-deletion-protection", Severity.INFO, "deletion protection is off"))
    if state["encryption"] == "aws-owned":
        findings.append(BaselineFinding(
            "table-kms", Severity.INFO,
            "encrypted with an AWS-owned key: no key policy or CloudTrail record of its use"))
    return findings

"""Spec + live → Plan. Reads run in parallel, bounded; the planner never writes."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from awsprov.aws import errors
from awsprov.aws.context import AwsContext
from awsprov.aws.tag_index import TagIndex
from awsprov.core import references
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    Action,
    AttributeChange,
    FieldKind,
    Plan,
    ResourceChange,
)
from awsprov.core.run import RunOptions
from awsprov.engine import guards
from awsprov.engine.resolve import build_desired, diff_with_tags, managed_tags
from awsprov.errors import AwsprovError, SpecError
from awsprov.resources import registry
from awsprov.resources import tags as tagging
from awsprov.resources.base import Deletion, Desired, Live, Owner, ResourceType
from awsprov.spec import graph
from awsprov.spec.model import ResourceSpec, Stack


@dataclass
class PlannedResource:
    """Everything apply needs about one resource, beyond what the plan shows."""

    spec: ResourceSpec | None
    rtype: ResourceType
    desired: Desired | None
    live: Live | None
    # How a planned delete goes (the type's `deletion`, decided with the plan).
    deletion: Deletion | None = None


@dataclass
class PlanResult:
    plan: Plan
    resources: dict[str, PlannedResource]
    deps: dict[str, set[str]]
    order: list[list[str]]
    fingerprints: dict[str, str] = field(default_factory=dict)


def make_plan(stack: Stack, aws: AwsContext, options: RunOptions) -> PlanResult:
    aws.account_id  # noqa: B018 - proves credentials and endpoint before any other call
    deps = graph.dependencies(stack)
    selected = _select(stack, deps, options.targets)
    order = [[a for a in layer if a in selected] for layer in graph.batches(deps)]
    order = [layer for layer in order if layer]
    names = {a: _physical_name(stack, a, aws) for a in selected}
    find_orphans = options.find_orphans and not options.targets
    # The orphan search reads every tag of the stack anyway (one paginated call): started
    # now, it also spares each resource its own tag read.
    aws.tag_index = _start_tag_index(aws, stack.name) if find_orphans else None
    try:
        lives = _read_all(aws, [(a, stack.resources[a].section, names[a],
                                 Owner(stack.name, a, stack.env)) for a in selected],
                          options.parallelism)
        resources: dict[str, PlannedResource] = {}
        changes: list[ResourceChange] = []
        attributes: dict[str, dict[str, Any]] = {}
        for layer in order:
            for address in layer:
                spec = stack.resources[address]
                rtype = registry.get(spec.section)
                live = lives[address]
                desired = build_desired(stack, spec, rtype, names[address], attributes, aws,
                                        live)
                if options.compare:
                    _confirm_indexed_tags(aws, rtype, desired, live)
                    change = classify(stack, rtype, desired, live, options)
                else:
                    change = ResourceChange(address, spec.section, desired.name, Action.NOOP)
                attributes[address] = _attributes_after(change, desired, live)
                resources[address] = PlannedResource(spec, rtype, desired, live)
                changes.append(change)
        if find_orphans:
            claimed = {live.arn for live in lives.values() if live is not None}
            orphans = _orphans(stack, aws, names, claimed, options)
            _label_claims(stack, names, {c.key: c for c in changes}, resources, orphans)
            for change, planned in orphans:
                changes.append(change)
                resources[change.key] = planned
    finally:
        aws.tag_index = None  # apply's own reads must see tags as they are after its writes
    plan = Plan(stack.name, stack.env, aws.region, changes, prune=options.prune)
    fingerprints = {k: fingerprint(r.live) for k, r in resources.items()}
    result = PlanResult(plan, resources, deps, order, fingerprints)
    if options.compare:  # destroy decides its deletes first, then holds them
        guards.hold_deletes_for_users(result)
    return result


def _select(stack: Stack, deps: dict[str, set[str]], targets: tuple[str, ...]) -> set[str]:
    """The targets and everything they reference (so a target plans as it would apply)."""
    if not targets:
        return set(stack.resources)
    guards.check_targets(stack, targets)
    selected: set[str] = set()
    frontier = set(targets)
    while frontier:
        selected |= frontier
        frontier = {d for a in frontier for d in deps[a]} - selected
    return selected


def _physical_name(stack: Stack, address: str, aws: AwsContext) -> str:
    spec = stack.resources[address]
    name = registry.get(spec.section).physical_name(spec.props)
    resolved = references.substitute(name, lambda e: aws.account_id if e == "account_id"
                                      else None)
    if not isinstance(resolved, str) or references.TOKEN.search(resolved):
        raise SpecError("a name may not reference another resource",
                        stack.location(spec.section, spec.logical, "name"), f"{address}.name")
    return resolved


ReadItem = tuple[str, str, str, "Owner | None"]  # address, section, physical name, owner


def _read_all(aws: AwsContext, items: list[ReadItem],
              parallelism: int) -> dict[str, Live | None]:
    """Every live resource, read `parallelism` tasks at a time. A type with a batch read
    (DescribeAlarms takes 100 names) gets one task per batch instead of one per resource."""
    tasks: list[list[ReadItem]] = []
    by_section: dict[str, list[ReadItem]] = {}
    for item in items:
        by_section.setdefault(item[1], []).append(item)
    for section, group in by_section.items():
        size = registry.get(section).batch_size
        tasks.extend(group[i:i + size] for i in range(0, len(group), size))

    def run(task: list[ReadItem]) -> list[tuple[str, Live | None]]:
        rtype = registry.get(task[0][1])
        what = task[0][0] if len(task) == 1 else f"{len(task)} {task[0][1]}"
        try:
            if len(task) == 1:
                address, _section, name, owner = task[0]
                return [(address, rtype.read(aws, name, owner))]
            found = rtype.read_batch(aws, [(name, owner) for _a, _s, name, owner in task])
            return [(address, found.get(name)) for address, _s, name, _o in task]
        except AwsprovError:
            raise
        except Exception as exc:
            raise errors.describe(exc, f"reading {what}") from None

    if parallelism <= 1 or len(tasks) <= 1:
        results = list(map(run, tasks))
    else:
        with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="read") as pool:
            results = list(pool.map(run, tasks))
    return {address: live for batch in results for address, live in batch}


def classify(stack: Stack, rtype: ResourceType, desired: Desired, live: Live | None,
             options: RunOptions) -> ResourceChange:
    change = _classify(stack, rtype, desired, live, options)
    _show_file_sources(change, rtype, desired.props)
    return change


def _show_file_sources(change: ResourceChange, rtype: ResourceType, props: dict) -> None:
    """A sensitive value read from a file names that file (never the value), so a reviewer
    sees which file goes where."""
    for attribute in change.attributes:
        if not attribute.sensitive:
            continue
        for path in rtype.relative_paths:
            if path[0] != attribute.path:
                continue
            value: Any = props
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str):
                attribute.source = f"{path[-1]} {value}"


def _classify(stack: Stack, rtype: ResourceType, desired: Desired, live: Live | None,
              options: RunOptions) -> ResourceChange:
    change = ResourceChange(desired.address, desired.section, desired.name, Action.NOOP)
    if live is None:
        change.action, change.reason = Action.CREATE, "not found"
        change.attributes = [AttributeChange(key, None, value,
                                             sensitive=key in rtype.sensitive_fields)
                             for key, value in desired.state.items() if value is not None]
        if desired.tags:
            change.attributes.append(AttributeChange("tags", None, dict(desired.tags)))
        return change
    owner = tagging.owner_of(live.tags)
    foreign = owner is not None and not tagging.owned_by(live.tags, stack.name, stack.env)
    if foreign and not options.force_adopt:
        change.action = Action.REFUSED
        change.reason = (f"{rtype.kind} '{desired.name}' belongs to "
                         f"{tagging.owner_label(live.tags)} (awsprov:* tags); --force-adopt "
                         f"takes it over")
        return change
    changes = diff_with_tags(rtype, desired, live)
    change.attributes = changes
    change.warnings = rtype.change_notes(desired, live, changes)
    refused = [c for c in changes if c.kind is FieldKind.REFUSE]
    replacing = [c for c in changes if c.kind is FieldKind.REPLACE]
    refusal = rtype.refusal(desired, live, changes)
    if live.pending_deletion:
        change.action, change.reason = Action.RESTORE, "pending deletion; restored in place"
    elif refused or refusal:
        change.action = Action.REFUSED
        change.reason = refusal or "; ".join(f"{c.path} cannot be changed" for c in refused)
    elif replacing:
        paths = ", ".join(sorted({c.prop for c in replacing}))
        change.data_at_risk = live.data_at_risk
        if live.deletion_protected:
            change.action = Action.REFUSED
            change.reason = (f"{paths} changed: replacement needed, but deletion protection "
                             f"is on; turn it off first")
        else:
            change.action, change.reason = Action.REPLACE, f"{paths} changed"
    elif owner is None:
        change.action = Action.ADOPT
        change.reason = "exists without awsprov tags; tagged and brought to spec"
    elif foreign:
        change.action = Action.ADOPT
        change.reason = f"taken over from {tagging.owner_label(live.tags)} (--force-adopt)"
    elif changes:
        change.action = Action.UPDATE
        change.reason = ", ".join(sorted({c.prop for c in changes})) + " changed"
    if change.action in (Action.UPDATE, Action.ADOPT, Action.RESTORE):
        _mark_data_loss(change, rtype.data_loss(desired, live, changes))
    return change


def _mark_data_loss(change: ResourceChange, reasons: list[str]) -> None:
    """An in-place change that destroys data by configuration shows it as data at risk."""
    if reasons:
        change.data_loss = list(reasons)
        change.data_at_risk = "; ".join(reasons)


def _attributes_after(change: ResourceChange, desired: Desired,
                      live: Live | None) -> dict[str, Any]:
    if live is not None and change.action not in (Action.CREATE, Action.REPLACE):
        return {**live.attributes, **_volatile_unknown(change, live)}
    return {"name": desired.name}


def _volatile_unknown(change: ResourceChange, live: Live) -> dict[str, Any]:
    """Attributes an update will change (a stream re-enabled gets a new ARN)."""
    return {key: KNOWN_AFTER_APPLY for key in live.attributes
            if any(c.path == key.removesuffix("_arn") for c in change.attributes)}


def _start_tag_index(aws: AwsContext, stack: str) -> TagIndex:
    types = registry.all_types()
    return TagIndex(lambda: dict(_tagged_with_stack(aws, stack, types)))


def _confirm_indexed_tags(aws: AwsContext, rtype: ResourceType, desired: Desired,
                          live: Live | None) -> None:
    """Tags from the Tagging API may lag behind: a difference is confirmed at the source
    (one call, only for resources whose tags seem to differ)."""
    if live is not None and live.tags_indexed and managed_tags(live.tags) != desired.tags:
        try:
            live.tags = rtype.read_tags(aws, live)
        except Exception as exc:
            raise errors.describe(exc, f"reading the tags of {desired.address}") from None
        live.tags_indexed = False


def _orphans(stack: Stack, aws: AwsContext, names: dict[str, str], claimed: set[str],
             options: RunOptions) -> list[tuple[ResourceChange, PlannedResource]]:
    """Resources tagged with this stack that the spec's names do not resolve to: gone from
    the spec, the old half of a rename, or a duplicate. `claimed` are the ARNs the spec's
    own reads found (a key found by its tags while its alias is missing). Each gets a key
    of its own (ADDRESS#NAME): several may carry one address, and none may take the place
    of the spec's entry."""
    types = registry.all_types()
    in_spec = {(stack.resources[a].section, n) for a, n in names.items()}
    found: list[tuple[str, str, ResourceType, str]] = []  # key, address, type, name
    index = aws.tag_index or _start_tag_index(aws, stack.name)
    try:
        tagged = {**index.all(), **_listed_by_types(aws, stack.name, types)}
    except AwsprovError:
        raise
    except Exception as exc:
        raise errors.describe(exc, "finding this stack's resources by tag") from None
    for arn, tag_map in tagged.items():
        rtype = next((t for t in types.values() if t.taggable and _arn_matches(t, arn)), None)
        if rtype is None or tagging.env_of(tag_map) not in (None, stack.env):
            continue
        name = rtype.name_from_arn(arn)
        if (rtype.section, name) in in_spec or arn in claimed:
            continue
        address = tag_map.get(tagging.ADDRESS_TAG) or f"{rtype.section}.{name}"
        found.append((f"{address}#{name}", address, rtype, name))
    lives = _read_all(aws, [(k, t.section, n, None) for k, _a, t, n in found],
                      options.parallelism)
    out = []
    for key, address, rtype, _name in found:
        live = lives[key]
        if live is None or live.pending_deletion or live.arn in claimed or \
                not tagging.owned_by(live.tags, stack.name, stack.env):
            continue
        change = ResourceChange(address, rtype.section, live.name, Action.DELETE, orphan=True,
                                reason="orphan: tagged with this stack, gone from the spec; "
                                       "apply --prune deletes it",
                                data_at_risk=live.data_at_risk if rtype.holds_data else None,
                                key=key, arn=live.arn, created=rtype.created(live))
        how = rtype.deletion(live, None)
        if live.deletion_protected or how.refusal:
            change.action = Action.REFUSED
            change.reason = f"orphan: {how.refusal or 'deletion protection is on'}; not deleted"
        out.append((change, PlannedResource(None, rtype, None, live, how)))
    return out


def _label_claims(stack: Stack, names: dict[str, str], entries: dict[str, ResourceChange],
                  resources: dict[str, PlannedResource],
                  orphans: list[tuple[ResourceChange, PlannedResource]]) -> None:
    """Orphans tagged with an address the spec still has are the old half of a rename
    (the spec's entry is created, "renamed from" the old name) or, for a type whose read
    also finds by tags, duplicates of the one the spec's name resolves to."""
    for orphan, planned in orphans:
        entry = entries.get(orphan.address)
        if entry is None or orphan.address not in stack.resources or \
                stack.resources[orphan.address].section != orphan.section:
            continue
        own = resources[orphan.address].live
        name = names[orphan.address]
        if planned.rtype.found_by_tags and own is not None:
            _mark_duplicate(orphan, entry, own, name, planned.rtype)
        else:
            _mark_renamed(orphan, entry, planned.live, name)


def _mark_duplicate(orphan: ResourceChange, entry: ResourceChange, own: Live, name: str,
                    rtype: ResourceType) -> None:
    orphan.duplicate = True
    orphan.name_points_at = own.arn if own.name == name else None
    where = (f"{name} points at {own.arn}" if orphan.name_points_at
             else f"the stack's is {own.arn} ({name} points at none yet)")
    if orphan.action is Action.DELETE:
        orphan.reason = (f"duplicate: also tagged {orphan.address}, but {where}; never "
                         f"updated in its place; apply --prune deletes it")
    else:
        orphan.reason = f"duplicate of {orphan.address} ({where}); {orphan.reason}"
    entry.arn, entry.created = own.arn, rtype.created(own)
    entry.duplicates.append(orphan.arn or orphan.key)
    note = f"{orphan.arn} is also tagged {entry.address}: a duplicate, listed with the orphans"
    entry.warnings.append(note)


def _mark_renamed(orphan: ResourceChange, entry: ResourceChange, old: Live | None,
                  name: str) -> None:
    if orphan.action is Action.DELETE:
        orphan.reason = (f"orphan: the old name of {orphan.address} (now {name}); apply "
                         f"--prune deletes it once {name} exists")
    if entry.action is not Action.CREATE:
        return
    entry.renamed_from = orphan.name if entry.renamed_from is None \
        else f"{entry.renamed_from}, {orphan.name}"
    entry.reason = f"renamed from {entry.renamed_from}"
    entry.warnings.append(f"{orphan.name} keeps its data (nothing is copied) and is kept "
                          f"as an orphan; apply --prune deletes it once {name} exists")
    if old is not None and old.data_at_risk and orphan.data_at_risk:
        held = f"{orphan.name} (the old name) holds {old.data_at_risk}"
        entry.data_at_risk = held if entry.data_at_risk is None \
            else f"{entry.data_at_risk}; {held}"


def _listed_by_types(aws: AwsContext, stack: str,
                     types: dict[str, ResourceType]) -> dict[str, dict[str, str]]:
    """{ARN: tags} of the stack's resources of the types the Tagging API does not list
    (tagging_type None), each asked through its own `list_owned`."""
    found: dict[str, dict[str, str]] = {}
    for rtype in types.values():
        if rtype.taggable and rtype.tagging_type is None:
            found.update(rtype.list_owned(aws, stack))
    return found


def _tagged_with_stack(aws: AwsContext, stack: str, types: dict[str, ResourceType]):
    """(ARN, tags) of everything tagged with the stack, as one query while it takes at most
    two pages (no extra call for the usual stack). Past two pages of several types, the
    rest is read by type, every type's pages at once (one type filter each, from their
    first page: a split cannot resume the joint query), so the chain is as long as the
    largest type's pages rather than all of them. A stack of one type gains nothing from
    a split: its pages go on as one query."""
    client = aws.client("resourcegroupstaggingapi")
    filters = sorted({t.tagging_type for t in types.values() if t.taggable and t.tagging_type})
    found: dict[str, dict[str, str]] = {}
    token = None
    for _page in range(2):
        page = client.get_resources(**_tag_query(stack, filters),
                                    **({"PaginationToken": token} if token else {}))
        found.update(_tag_mappings(page))
        token = page.get("PaginationToken")
        if not token:
            break
    if token and (len(filters) == 1 or _one_type(found, types)):
        found.update(_tag_pages(client, stack, filters, token))
    elif token:
        with ThreadPoolExecutor(max_workers=len(filters), thread_name_prefix="tags") as pool:
            for part in pool.map(lambda f: _tag_pages(client, stack, [f], None), filters):
                found.update(part)
    yield from found.items()


def _one_type(found: dict[str, Any], types: dict[str, ResourceType]) -> bool:
    kinds = {next((t.section for t in types.values() if t.taggable and _arn_matches(t, arn)),
                  None) for arn in found}
    return len(kinds) == 1


def _tag_query(stack: str, filters: list[str]) -> dict[str, Any]:
    return {"TagFilters": [{"Key": tagging.STACK_TAG, "Values": [stack]}],
            "ResourceTypeFilters": filters, "ResourcesPerPage": 100}


def _tag_pages(client: Any, stack: str, filters: list[str],
               token: str | None) -> dict[str, dict[str, str]]:
    """The pages of one query, from its first (token None) or from `token` on."""
    found: dict[str, dict[str, str]] = {}
    while True:
        page = client.get_resources(**_tag_query(stack, filters),
                                    **({"PaginationToken": token} if token else {}))
        found.update(_tag_mappings(page))
        token = page.get("PaginationToken")
        if not token:
            return found


def _tag_mappings(page: dict[str, Any]):
    for item in page.get("ResourceTagMappingList", []):
        yield item["ResourceARN"], tagging.as_dict(item.get("Tags"))


def _arn_matches(rtype: ResourceType, arn: str) -> bool:
    if rtype.tagging_type is None:  # its list_owned answers for it: matched by service
        return arn.split(":", 5)[2:3] == [rtype.service]
    service, _, resource = rtype.tagging_type.partition(":")
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != service:
        return False
    return not resource or parts[5].startswith(resource)


def fingerprint(live: Live | None) -> str:
    """A digest of what the plan was made against; volatile counters are left out."""
    if live is None:
        return "absent"
    material = {"state": live.state, "tags": live.tags, "pending": live.pending_deletion}
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_destroy_plan(stack: Stack, aws: AwsContext, options: RunOptions) -> PlanResult:
    """Delete what this stack owns, dependents first; the data-loss guards still apply.
    With targets: the targets and what depends on them, never what they depend on. The
    whole stack is read even then, so that a resource still used by one left standing is
    refused rather than deleted under it."""
    result = make_plan(stack, aws, replace(options, targets=(), force_adopt=False, prune=True,
                                           find_orphans=not options.targets, compare=False))
    chosen = guards.destroy_selection(stack, result.deps, options.targets)
    for change in result.plan.changes:
        if change.orphan:
            continue
        planned = result.resources[change.key]
        live = planned.live
        change.attributes, change.warnings = [], []
        if change.address not in chosen:
            change.action, change.reason = Action.NOOP, "not targeted"
        elif live is None:
            change.action, change.reason = Action.NOOP, "does not exist"
        elif live.pending_deletion:
            change.action, change.reason = Action.NOOP, "already scheduled for deletion"
        elif not tagging.owned_by(live.tags, stack.name, stack.env):
            change.action = Action.NOOP
            change.reason = "not managed by this stack (awsprov:* tags): left alone"
        else:
            change.data_at_risk = live.data_at_risk if planned.rtype.holds_data else None
            planned.deletion = how = planned.rtype.deletion(live, planned.spec.props)
            if live.deletion_protected:
                change.action = Action.REFUSED
                change.reason = "deletion protection is on: not deleted"
            elif how.refusal:
                change.action, change.reason = Action.REFUSED, how.refusal
            else:
                change.action, change.reason = Action.DELETE, "destroy"
    result.deps = _reverse(result.deps)
    guards.hold_deletes_for_users(result)
    # Orphans too: a resource of the spec may have to wait for an orphan that uses it.
    result.order = guards.execution_layers(result, [c.key for c in result.plan.changes])
    return result


def _reverse(deps: dict[str, set[str]]) -> dict[str, set[str]]:
    """For destroy: a resource waits for everything that depends on it."""
    reversed_deps: dict[str, set[str]] = {a: set() for a in deps}
    for node, edges in deps.items():
        for edge in edges:
            reversed_deps.setdefault(edge, set()).add(node)
    return reversed_deps

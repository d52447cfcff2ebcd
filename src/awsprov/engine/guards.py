"""What a delete must respect beyond the type's own guards.

- `destroy --target X` takes X and everything that depends on X, transitively, and never
  what X depends on (Terraform's rule): `destroy_selection`.
- A resource that another live resource of the stack still uses (a key a table, bucket,
  queue... is encrypted with) is deleted only after each of its users is deleted or moved
  off it in the same apply; otherwise its change is refused and names them:
  `hold_deletes_for_users`. "Uses" is read from live state, for any type: a user's state
  holds one of the resource's identifiers (`ResourceType.identifiers`: its ARN, and for a
  key its id and alias).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awsprov.core.changes import Action, ResourceChange
from awsprov.errors import SpecError
from awsprov.spec import graph

if TYPE_CHECKING:
    from awsprov.engine.planner import PlannedResource, PlanResult
    from awsprov.spec.model import Stack

# The actions after which a resource's state is its desired state (what "moved off" reads).
_WRITES_DESIRED = (Action.UPDATE, Action.ADOPT, Action.RESTORE, Action.REPLACE)


def destroy_selection(stack: Stack, deps: dict[str, set[str]],
                      targets: tuple[str, ...]) -> set[str]:
    """The targets and everything that depends on them, transitively; all without targets."""
    if not targets:
        return set(stack.resources)
    check_targets(stack, targets)
    selected = set(targets)
    for target in targets:
        selected |= graph.dependents(deps, target)
    return selected


def check_targets(stack: Stack, targets: tuple[str, ...]) -> None:
    """--target names addresses of the spec; the first that is not one is the error."""
    unknown = [t for t in targets if t not in stack.resources]
    if unknown:
        raise SpecError(f"--target {unknown[0]}: no such resource in stack {stack.name} "
                        f"(addresses look like tables.documents)")


def hold_deletes_for_users(result: PlanResult) -> None:
    """Every planned delete waits for the resources that still use it (an edge in
    `result.deps`, so a failed user skips it), or is refused when one of them stays.
    Repeated until stable: a refused resource stays, and so keeps what it uses."""
    changes = result.plan.by_key()
    settled = False
    while not settled:
        settled = True
        for key, change in changes.items():
            if change.action is not Action.DELETE:
                continue
            users = users_of(result, key)
            staying = sorted(u for u in users if not _leaves(changes[u], result.resources[u],
                                                             _identifiers(result, key)))
            if staying:
                _refuse(change, staying)
                settled = False
            else:
                result.deps.setdefault(key, set()).update(users)


def users_of(result: PlanResult, key: str) -> set[str]:
    """The other entries of the plan (by key) whose live state names `key`'s resource."""
    ids = _identifiers(result, key)
    if not ids:
        return set()
    return {other for other, planned in result.resources.items()
            if other != key and planned.live is not None
            and mentions(planned.live.state, ids)}


def orphans_in_use(result: PlanResult) -> list[tuple[ResourceChange, list[str]]]:
    """(orphan, the entries still using it) for each orphan something still uses."""
    out = []
    for change in result.plan.changes:
        if change.orphan and change.key in result.resources:
            users = users_of(result, change.key)
            if users:
                out.append((change, sorted(users)))
    return out


def execution_layers(result: PlanResult, keys: list[str]) -> list[list[str]]:
    """`keys` (plan entries) in batches, each after what it waits for among them
    (`result.deps`)."""
    nodes = set(keys)
    return graph.batches({a: result.deps.get(a, set()) & nodes for a in nodes})


def mentions(value: Any, ids: frozenset[str]) -> bool:
    """Whether `value` (a state, nested maps and lists) holds one of `ids` as a string."""
    if isinstance(value, str):
        return value in ids
    if isinstance(value, dict):
        return any(mentions(v, ids) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(mentions(v, ids) for v in value)
    return False


def _identifiers(result: PlanResult, key: str) -> frozenset[str]:
    planned = result.resources[key]
    if planned.live is None:
        return frozenset()
    return planned.rtype.identifiers(planned.live)


def _leaves(change: ResourceChange, planned: PlannedResource, ids: frozenset[str]) -> bool:
    """Whether this apply deletes the user, or moves it off the resource (its state after
    the apply no longer names it; an ignored property keeps its live value)."""
    if change.action is Action.DELETE:
        return True
    if change.action not in _WRITES_DESIRED or planned.desired is None:
        return False
    desired, live = planned.desired, planned.live
    after = {key: live.state.get(key) if key in desired.ignore and live is not None
             else value for key, value in desired.state.items()}
    return not mentions(after, ids)


def _refuse(change: ResourceChange, staying: list[str]) -> None:
    which = "which stays" if len(staying) == 1 else "which stay"
    why = (f"still used by {', '.join(staying)} ({which}): not deleted until "
           f"{'it is' if len(staying) == 1 else 'they are'} deleted or moved off it first")
    change.action = Action.REFUSED
    change.reason = f"orphan: {why}" if change.orphan else why

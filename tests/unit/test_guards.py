"""engine/guards.py without AWS: which deletes wait for their users, which are refused."""

from __future__ import annotations

from awsprov.core.changes import Action, Plan, ResourceChange
from awsprov.engine import guards
from awsprov.engine.planner import PlannedResource, PlanResult
from awsprov.resources import registry
from awsprov.resources.base import Desired, Live

QUEUES = registry.get("queues")


def _arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:123456789012:{name}"


def _queue(name: str, action: Action, uses: str | None = None, orphan: bool = False,
           desired_uses: str | None = None, ignore: frozenset[str] = frozenset()):
    live = Live(name, _arn(name), {"redrive": {"queue": _arn(uses)} if uses else None}, {})
    desired = None if orphan else Desired(
        "queues", name, name, {}, {"redrive": {"queue": _arn(desired_uses)}
                                   if desired_uses else None}, {}, ignore)
    change = ResourceChange(f"queues.{name}", "queues", name, action, orphan=orphan,
                            key=f"queues.{name}#{name}" if orphan else "")
    return change, PlannedResource(None, QUEUES, desired, live)


def _result(*items) -> PlanResult:
    changes = [c for c, _ in items]
    return PlanResult(Plan("s", None, "us-east-1", changes),
                      {c.key: p for c, p in items}, {}, [])


def test_a_delete_waits_for_users_that_are_deleted_or_moved_off_it():
    result = _result(_queue("dlq", Action.DELETE, orphan=True),
                     _queue("gone", Action.DELETE, uses="dlq", orphan=True),
                     _queue("moved", Action.UPDATE, uses="dlq", desired_uses="other"))
    guards.hold_deletes_for_users(result)
    assert result.plan.by_key()["queues.dlq#dlq"].action is Action.DELETE
    assert result.deps["queues.dlq#dlq"] == {"queues.gone#gone", "queues.moved"}
    assert guards.execution_layers(result, ["queues.dlq#dlq", "queues.gone#gone"]) == [
        ["queues.gone#gone"], ["queues.dlq#dlq"]]


def test_a_user_that_stays_refuses_the_delete_and_a_refusal_keeps_what_it_uses():
    # work (kept, unchanged) uses dlq; dlq uses last: dlq stays, so last must stay too
    result = _result(_queue("last", Action.DELETE, orphan=True),
                     _queue("dlq", Action.DELETE, uses="last", orphan=True),
                     _queue("work", Action.NOOP, uses="dlq", desired_uses="dlq"))
    guards.hold_deletes_for_users(result)
    changes = result.plan.by_key()
    assert changes["queues.dlq#dlq"].action is Action.REFUSED
    assert changes["queues.dlq#dlq"].reason.startswith("orphan: still used by queues.work")
    assert changes["queues.last#last"].action is Action.REFUSED
    assert "queues.dlq#dlq" in changes["queues.last#last"].reason
    in_use = [(orphan.key, users) for orphan, users in guards.orphans_in_use(result)]
    assert in_use == [("queues.last#last", ["queues.dlq#dlq"]),
                      ("queues.dlq#dlq", ["queues.work"])]


def test_an_update_that_still_names_it_or_ignores_the_property_does_not_move_off_it():
    still = _result(_queue("dlq", Action.DELETE, orphan=True),
                    _queue("work", Action.UPDATE, uses="dlq", desired_uses="dlq"))
    ignored = _result(_queue("dlq", Action.DELETE, orphan=True),
                      _queue("work", Action.UPDATE, uses="dlq",
                             ignore=frozenset({"redrive"})))
    for result in (still, ignored):
        guards.hold_deletes_for_users(result)
        assert result.plan.by_key()["queues.dlq#dlq"].action is Action.REFUSED


def test_a_key_is_named_by_arn_id_alias_and_alias_arn():
    keys = registry.get("keys")
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    live = Live("alias/k", arn, {"alias": "alias/k"}, {},
                attributes={"id": "1234abcd-12ab-34cd-56ef-1234567890ab", "alias": "alias/k"})
    assert keys.identifiers(live) == {arn, "1234abcd-12ab-34cd-56ef-1234567890ab",
                                      "alias/k", "arn:aws:kms:us-east-1:123456789012:alias/k"}

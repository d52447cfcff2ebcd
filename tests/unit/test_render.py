"""Plan and verify renderers (text and JSON), and the plan file round trip."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    Action,
    AttributeChange,
    FieldKind,
    Plan,
    ResourceChange,
)
from awsprov.engine import planfile
from awsprov.engine.planner import PlanResult
from awsprov.engine.verify import verify
from awsprov.errors import PlanStaleError
from awsprov.render import text


def _plan(prune: bool = False) -> Plan:
    return Plan("shop", "prod", "eu-west-2", [
        ResourceChange("tables.orders", "tables", "orders", Action.CREATE, "not found",
                       [AttributeChange("hash_key", None, "id (S)"),
                        AttributeChange("point_in_time_recovery", None,
                                        {"enabled": True, "recovery_period_days": 7}),
                        AttributeChange("tags", None, {"Peer": KNOWN_AFTER_APPLY})]),
        ResourceChange("tables.users", "tables", "users", Action.UPDATE, "ttl changed",
                       [AttributeChange("ttl", None, "expires")]),
        ResourceChange("tables.keys", "tables", "keys", Action.REPLACE, "range_key changed",
                       [AttributeChange("range_key", "a (S)", "b (S)", FieldKind.REPLACE)],
                       data_at_risk="120 items, 1.2 MiB",
                       warnings=["stream gets a new ARN"]),
        ResourceChange("tables.same", "tables", "same", Action.NOOP),
        ResourceChange("tables.old", "tables", "old", Action.DELETE, "orphan", orphan=True),
        ResourceChange("tables.secret", "tables", "secret", Action.UPDATE, "value changed",
                       [AttributeChange("value", "s3cr3t-old", "s3cr3t-new", sensitive=True)]),
    ], prune=prune)


def _text(plan: Plan) -> str:
    buffer = io.StringIO()
    text.render_plan(plan, Console(file=buffer, no_color=True, width=200, soft_wrap=True))
    return buffer.getvalue()


def test_plan_text_shows_actions_attributes_risk_and_summary():
    out = _text(_plan())
    lines = out.splitlines()
    assert lines[0] == "Stack shop · region eu-west-2 · env prod"
    assert "  + tables.orders (create) orders — not found" in lines
    assert '      hash_key: "id (S)"' in lines
    assert "      point_in_time_recovery.enabled: true" in lines
    assert "      tags.Peer: (known after apply)" in lines
    assert '      ttl: null → "expires"' in lines
    assert '      range_key: "a (S)" → "b (S)" # forces replacement' in lines
    assert "      data at risk: 120 items, 1.2 MiB" in lines
    assert "      note: stream gets a new ARN" in lines
    assert "tables.same" not in out
    assert "Orphans (tagged with this stack, gone from the spec; apply --prune deletes them):" \
        in lines
    assert lines[-1] == ("Plan: 1 to create, 2 to update, 1 to replace, 0 to delete, 0 to "
                         "adopt, 0 to restore, 0 refused, 1 unchanged; 1 orphan kept (apply "
                         "--prune deletes it).")


def test_sensitive_values_never_appear_in_text_or_json():
    plan = _plan()
    assert "s3cr3t" not in _text(plan)
    assert "value: (sensitive, changed)" in _text(plan)
    doc = json.dumps(plan.to_json())
    assert "s3cr3t" not in doc


def test_plan_without_changes_says_so():
    plan = Plan("shop", None, "us-east-1", [ResourceChange("tables.a", "tables", "a",
                                                           Action.NOOP)])
    assert _text(plan).splitlines()[-1] == "No changes. Live matches the spec (1 resources)."
    assert _text(plan).splitlines()[0] == "Stack shop · region us-east-1 · env -"


def test_plan_json_document():
    doc = _plan().to_json()
    assert doc["version"] == 1
    assert (doc["stack"], doc["env"], doc["region"]) == ("shop", "prod", "eu-west-2")
    assert [c["address"] for c in doc["changes"]] == [
        "tables.orders", "tables.users", "tables.keys", "tables.old", "tables.secret"]
    orders = doc["changes"][0]
    assert orders["action"] == "create"
    assert orders["attributes"][2] == {"path": "tags", "before": None,
                                       "after": {"Peer": "(known after apply)"},
                                       "sensitive": False, "kind": "update"}
    secret = doc["changes"][-1]["attributes"][0]
    assert (secret["before"], secret["after"], secret["sensitive"]) == (None, None, True)
    assert doc["changes"][2]["data_at_risk"] == "120 items, 1.2 MiB"
    assert doc["changes"][3]["orphan"] is True
    # an orphan counts as a delete only when --prune will delete it; else as kept
    assert doc["summary"] == {"create": 1, "update": 2, "replace": 1, "delete": 0, "adopt": 0,
                              "restore": 0, "refused": 0, "unchanged": 1, "orphans_kept": 1}
    assert _plan(prune=True).to_json()["summary"]["delete"] == 1
    assert _plan(prune=True).to_json()["summary"]["orphans_kept"] == 0
    assert doc["cost_delta"] is None
    json.dumps(doc)  # serializable as it is


def _result(plan: Plan) -> PlanResult:
    fingerprints = {c.address: f"fp-{c.address}" for c in plan.changes}
    return PlanResult(plan, {}, {}, [], fingerprints)


def test_verify_text_and_json():
    result = _result(_plan())
    report = verify(result)
    assert not report.clean
    doc = report.to_json()
    assert doc["version"] == 1 and doc["clean"] is False
    assert [d["address"] for d in doc["drift"]] == ["tables.orders", "tables.users",
                                                   "tables.keys", "tables.secret"]
    assert doc["findings"] == [{"address": "tables.old", "rule": "orphan", "severity": "warning",
                                "message": "old: orphan"}]
    buffer = io.StringIO()
    text.render_verify(report, Console(file=buffer, no_color=True, width=200))
    assert buffer.getvalue().splitlines()[-1] == \
        "Drift: 4 resources differ from the spec, 1 finding."
    assert "s3cr3t" not in buffer.getvalue()


def test_planfile_round_trip_and_staleness(tmp_path):
    result = _result(_plan())
    path = tmp_path / "plan.json"
    place = {"account": "123456789012", "partition": "aws", "region": "eu-west-2",
             "endpoint": "aws"}
    settings = planfile.PlanSettings(env="prod", spec="s.yaml", region="eu-west-2")
    planfile.save(path, result, {"s.yaml": "stack: shop\n"}, settings, place)
    assert path.stat().st_mode & 0o777 == 0o600
    assert planfile.is_plan_file(path)
    assert not planfile.is_plan_file(tmp_path / "nope.json")
    saved = planfile.load(path)
    assert saved.sources == {"s.yaml": "stack: shop\n"}
    assert saved.settings == settings
    assert "s3cr3t" not in path.read_text()
    planfile.check_fresh(saved, _result(_plan()))  # same live: accepted
    moved = _result(_plan())
    moved.fingerprints["tables.users"] = "changed"
    with pytest.raises(PlanStaleError, match=r"live state of tables\.users changed"):
        planfile.check_fresh(saved, moved)


def test_planfile_refuses_what_is_not_a_plan(tmp_path):
    from awsprov.errors import SpecError

    path = tmp_path / "x.json"
    path.write_text('{"format": "something-else"}')
    with pytest.raises(SpecError, match="not an awsprov plan file"):
        planfile.load(path)


def _saved_file(tmp_path, settings: planfile.PlanSettings):
    path = tmp_path / "plan.json"
    place = {"account": "123456789012", "partition": "aws", "region": "eu-west-2",
             "endpoint": "aws"}
    planfile.save(path, _result(_plan()), {"s.yaml": "stack: shop\n"}, settings, place)
    return path


def test_plan_settings_come_back_typed(tmp_path):
    settings = planfile.PlanSettings(spec="s.yaml", env=None, region="eu-west-2",
                                     targets=("tables.users",), force_adopt=True, prune=True,
                                     profile="ops", local=False, endpoint_url="http://e:1")
    saved = planfile.load(_saved_file(tmp_path, settings))
    assert saved.settings == settings
    assert saved.settings.targets == ("tables.users",)
    assert json.loads((tmp_path / "plan.json").read_text())["settings"]["targets"] == \
        ["tables.users"]


def test_plan_settings_of_an_older_file_default_what_it_lacks(tmp_path):
    """A version-2 file saved before --prune, --profile and the endpoint were kept."""
    path = _saved_file(tmp_path, planfile.PlanSettings(spec="s.yaml", env="prod",
                                                       region="eu-west-2"))
    document = json.loads(path.read_text())
    for key in ("prune", "profile", "local", "endpoint_url"):
        del document["settings"][key]
    body = {k: v for k, v in document.items() if k != "digest"}
    document["digest"] = planfile._sha256(planfile._canonical(body))
    path.write_text(json.dumps(document))
    assert planfile.load(path).settings == planfile.PlanSettings(spec="s.yaml", env="prod",
                                                                 region="eu-west-2")


@pytest.mark.parametrize("edit", [lambda s: s.pop("spec"), lambda s: s.update(targets="a"),
                                  lambda s: s.update(targets=[1])])
def test_malformed_plan_settings_are_refused(tmp_path, edit):
    path = _saved_file(tmp_path, planfile.PlanSettings(spec="s.yaml", env="prod",
                                                       region="eu-west-2"))
    document = json.loads(path.read_text())
    edit(document["settings"])
    path.write_text(json.dumps(document))
    with pytest.raises(PlanStaleError, match="missing or malformed"):
        planfile.load(path)

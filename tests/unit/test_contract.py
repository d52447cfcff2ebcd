"""The resource type contract: a registered type missing a hook it needs is refused when
the registry loads; the per-type test tables name every registered type; a property
declared once in a Prop table gives the schema, the field kinds and the sensitivity; and a
sensitive property never shows its value on any diff path (update, replace, restore),
whichever type declares it."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from rich.console import Console

from awsprov.core.changes import Action, FieldKind, Plan
from awsprov.core.run import RunOptions
from awsprov.engine.planner import classify, make_plan
from awsprov.render import text
from awsprov.resources import registry
from awsprov.resources.base import Deletion, Desired, Live, ResourceType, contract_problems
from awsprov.resources.props import Prop

OLD_SECRET, NEW_SECRET = "old-s3cr3t-value-3141", "new-s3cr3t-value-2718"


class Vault(ResourceType):
    """A tenth type in the fewest lines the contract allows: a property table, the AWS
    calls, nothing else. It relies on the base for schema, diff, sensitivity and export."""

    section, kind, service, tagging_type = "vaults", "test vault", "vault", "vault"
    props: ClassVar = {
        "name": Prop({"type": "string"}, change=FieldKind.REPLACE),
        "size": Prop({"type": "integer"}, change=FieldKind.REPLACE, default=1),
        "token": Prop({"type": "string"}, sensitive=True),
        "note": Prop({"type": "string"}, default=""),
        "force_destroy": Prop({"type": "boolean"}, change=FieldKind.COMPUTED, default=False,
                              exported=False),
    }

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        return [f"arn:aws:vault:{region}:{account}:{name}"]

    def read(self, aws, name, owner=None):
        return None

    def create(self, aws, desired, progress):
        pass

    def update(self, aws, desired, live, changes, progress):
        pass

    def delete(self, aws, live, how: Deletion, progress):
        pass

    def set_tags(self, aws, live, tags):
        pass


# ---- the contract is checked when the registry loads -------------------------------------

def test_every_registered_type_meets_the_contract():
    for section, rtype in registry.all_types().items():
        assert contract_problems(type(rtype)) == [], section


def test_a_type_without_a_required_hook_is_refused_at_registry_load():
    class NoCreate(Vault):
        create = None  # type: ignore[assignment]

    del NoCreate.create
    NoCreate.__abstractmethods__ = frozenset({"create"})
    with pytest.raises(registry.ContractError, match="NoCreate: create is not implemented"):
        registry.check_contract(NoCreate, "vaults")


def test_the_hooks_a_type_declares_it_needs_are_checked():
    class Unlisted(Vault):
        tagging_type = None  # the Tagging API does not list it: it must list its own
        batch_size = 50

    problems = contract_problems(Unlisted)
    assert "list_owned is not implemented" in problems
    assert "read_batch is not implemented" in problems
    with pytest.raises(registry.ContractError, match="not 'tables'"):
        registry.check_contract(Vault, "tables")


def test_a_type_without_a_property_table_must_export_itself():
    class Bare(ResourceType):
        section, kind, service, tagging_type, properties = "bare", "b", "b", "b", {}
        arn_pattern = read = create = update = delete = set_tags = Vault.read

    assert contract_problems(Bare) == ["export is not implemented"]


# The per-type tables of the test suite: each must name every registered type, so that a
# new type cannot be missed by the tests that walk them.
def _per_type_tables() -> dict[str, Any]:
    from tests.resources.test_iam_export_all_types import NAMES
    from tests.resources.test_rename_lifecycle import CASES
    from tests.unit.test_baseline import MINIMAL

    return {"test_rename_lifecycle.CASES": CASES, "test_baseline.MINIMAL": MINIMAL,
            "test_iam_export_all_types.NAMES": NAMES}


@pytest.mark.parametrize("table", sorted(_per_type_tables()))
def test_every_per_type_test_table_names_every_type(table):
    assert set(_per_type_tables()[table]) == set(registry.sections())


# ---- one declaration per property ---------------------------------------------------------

def test_the_property_table_gives_schema_kinds_sensitivity_and_defaults():
    assert Vault.properties["size"] == {"type": "integer", "default": 1}
    assert Vault.fields == {"name": FieldKind.REPLACE, "size": FieldKind.REPLACE,
                            "force_destroy": FieldKind.COMPUTED}
    assert Vault.sensitive_fields == frozenset({"token"})
    assert Vault().desired_state({"name": "v"}) == {
        "name": "v", "size": 1, "token": None, "note": "", "force_destroy": False}


def test_export_leaves_out_defaults_and_what_cannot_be_read_back():
    live = Live(name="v", arn="arn:v", tags={"team": "a", "awsprov:stack": "s"},
                state={"name": "v", "size": 3, "token": None, "note": "",
                       "force_destroy": True})
    assert Vault().export(live) == {"name": "v", "size": 3, "tags": {"team": "a"}}


# ---- a sensitive value never shows ---------------------------------------------------------

STACK = SimpleNamespace(name="s", env=None, region="us-east-1", resources={})


def _desired(rtype: ResourceType, state: dict[str, Any]) -> Desired:
    return Desired(rtype.section, "x", "v", {"name": "v"}, state, {})


def _rendered(change) -> str:
    plan = Plan("s", None, "us-east-1", [change])
    out = Console(file=io.StringIO(), width=200, no_color=True)
    text.render_plan(plan, out)
    return out.file.getvalue() + json.dumps(plan.to_json())


def _states() -> tuple[dict[str, Any], dict[str, Any]]:
    """(live, desired) states of a vault that differ only in its sensitive token."""
    base = Vault().desired_state({"name": "v"})
    return {**base, "token": OLD_SECRET}, {**base, "token": NEW_SECRET}


# A type relying on the base diff (as the next type would): before the base marked
# sensitivity on every diff path, its update showed the old and the new value.
@pytest.mark.parametrize("how", ["create", "update", "replace", "restore"])
def test_a_sensitive_property_never_shows_its_value(how):
    rtype = Vault()
    before, after = _states()
    live = Live(name="v", arn="arn:v", state=dict(before),
                tags={"awsprov:stack": "s", "awsprov:address": "vaults.x"},
                pending_deletion=how == "restore")
    if how == "replace":
        after["size"] = 2
    change = classify(STACK, rtype, _desired(rtype, after), None if how == "create" else live,
                      RunOptions())
    shown = _rendered(change)
    assert change.action is Action(how), change.reason
    assert [a.path for a in change.attributes if a.sensitive] == ["token"]
    assert OLD_SECRET not in shown and NEW_SECRET not in shown
    assert "token: (sensitive" in shown


# ---- a type the Tagging API does not list finds its own orphans ---------------------------

class UnlistedVault(Vault):
    """As IAM roles are: tagged, but not listed by the Resource Groups Tagging API."""

    tagging_type = None
    listed: ClassVar[dict[str, dict[str, str]]] = {}

    def list_owned(self, aws, stack):
        return {arn: tags for arn, tags in self.listed.items()
                if tags.get("awsprov:stack") == stack}

    def read(self, aws, name, owner=None):
        arn = f"arn:aws:vault:us-east-1:123456789012:{name}"
        tags = self.listed.get(arn)
        return None if tags is None else Live(name=name, arn=arn, state={}, tags=dict(tags))


def test_the_orphan_search_asks_a_type_the_tagging_api_does_not_list(moto, tmp_path,
                                                                     monkeypatch):

    from awsprov.spec.loader import load_stack
    from tests.helpers import make_context, write_spec

    monkeypatch.setitem(registry.all_types(), "vaults", UnlistedVault())
    monkeypatch.setattr(UnlistedVault, "listed", {
        "arn:aws:vault:us-east-1:123456789012:old-vault":
            {"awsprov:stack": "s", "awsprov:address": "vaults.old"},
        "arn:aws:vault:us-east-1:123456789012:other-stack":
            {"awsprov:stack": "t", "awsprov:address": "vaults.x"}})
    stack = load_stack(write_spec(tmp_path, "stack: s\nregion: us-east-1\n"
                                            "queues:\n  q: {name: s-q}\n"))
    aws, _log = make_context()
    orphans = [c for c in make_plan(stack, aws, RunOptions(prune=True)).plan.changes
               if c.orphan]
    assert [(c.address, c.name, c.action) for c in orphans] == [
        ("vaults.old", "old-vault", Action.DELETE)]

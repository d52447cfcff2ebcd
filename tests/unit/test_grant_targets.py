"""A property declared with Prop(grant_targets=True) has its whole-value references resolved
to the named resource's grant target (core/grants.py): its section, name, ARN (known after
apply before create), its properties with their own references resolved and its sensitive
ones left out. A type that declares itself grantable must implement `grant`."""

from __future__ import annotations

from typing import ClassVar

import pytest

from awsprov.core.changes import KNOWN_AFTER_APPLY, FieldKind
from awsprov.core.grants import GrantTarget, is_resolved_target
from awsprov.engine.resolve import build_desired
from awsprov.resources import registry
from awsprov.resources.base import contract_problems
from awsprov.resources.props import Prop
from awsprov.spec.loader import load_stack
from awsprov.spec.model import ResourceSpec
from tests.helpers import make_context, write_spec
from tests.unit.test_contract import Vault

SPEC = """\
stack: s
region: us-east-1
keys:
  data: {alias: alias/s-data}
tables:
  docs:
    name: s-docs
    hash_key: pk
    attributes: {pk: S}
    encryption: ${keys.data}
secrets:
  token:
    name: s/token
    value: {from_env: GRANT_TEST_TOKEN}
"""


class Granter(Vault):
    section = "vaults"
    props: ClassVar = {
        "name": Prop({"type": "string"}, change=FieldKind.REPLACE),
        "grants": Prop({"type": "array"}, grant_targets=True),
        "note": Prop({"type": "string"}),
    }


def _desired(tmp_path, props, attributes):
    stack = load_stack(write_spec(tmp_path, SPEC))
    aws, _log = make_context()
    spec = ResourceSpec("vaults", "g", {"name": "g", **props})
    return build_desired(stack, spec, Granter(), "g", attributes, aws)


def test_a_grant_reference_resolves_to_the_target_with_its_references(moto, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("GRANT_TEST_TOKEN", "x")
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    desired = _desired(tmp_path, {"grants": [{"resource": "${tables.docs}", "access": "read"}],
                                  "note": "${tables.docs}"},
                       {"keys.data": {"arn": key_arn, "name": "alias/s-data"},
                        "tables.docs": {"name": "s-docs"}})
    [grant] = desired.props["grants"]
    assert is_resolved_target(grant["resource"])
    target = GrantTarget.from_resolved(grant["resource"])
    assert (target.section, target.name, target.region) == ("tables", "s-docs", "us-east-1")
    assert target.arn is KNOWN_AFTER_APPLY  # the table is not created yet
    assert target.props["encryption"] == key_arn
    assert target.account == "123456789012"
    assert desired.props["note"] is KNOWN_AFTER_APPLY  # outside grant_targets: an ARN


def test_a_grant_target_never_carries_a_sensitive_property(moto, tmp_path, monkeypatch):
    monkeypatch.setenv("GRANT_TEST_TOKEN", "not-to-be-seen-4242")
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s/token-AbCdEf"
    desired = _desired(tmp_path, {"grants": [{"resource": "${secrets.token}",
                                              "access": "read"}]},
                       {"secrets.token": {"arn": arn, "name": "s/token"}})
    target = desired.props["grants"][0]["resource"]
    assert target["arn"] == arn
    assert "value" not in target["props"]
    assert "not-to-be-seen-4242" not in repr(desired)


def test_a_grantable_type_must_implement_grant():
    class Unfinished(Vault):
        grantable = True

    assert "grant is not implemented" in contract_problems(Unfinished)


@pytest.mark.parametrize("section", [s for s, t in registry.all_types().items()
                                     if t.grantable])
def test_every_grantable_type_implements_grant(section):
    assert not contract_problems(type(registry.get(section)))

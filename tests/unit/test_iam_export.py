"""`awsprov iam-policy` (offline, from the registry) and `awsprov export` (live → spec)."""

from __future__ import annotations

import json

import boto3
import yaml

from awsprov.cli.app import main
from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.export import export_resources, logical_name
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_iam_policy_scopes_table_actions_to_the_spec_tables(capsys):
    code, out, _ = _run(capsys, "iam-policy", "specs/auditflow.yaml",
                        "--account-id", "123456789012")
    assert code == 0
    statements = {s["Sid"]: s for s in json.loads(out)["Statement"]}
    tables = statements["AwsprovTables"]
    assert "arn:aws:dynamodb:ap-south-1:123456789012:table/AuditFlow-Documents" in \
        tables["Resource"]
    assert "arn:aws:dynamodb:ap-south-1:123456789012:table/AuditFlow-Documents/index/*" in \
        tables["Resource"]
    assert "dynamodb:DeleteTable" in tables["Action"]
    assert statements["AwsprovDiscovery"]["Resource"] == "*"
    assert "kms:DescribeKey" in statements["AwsprovLookups"]["Action"]


def test_iam_policy_read_only_has_no_writes(capsys):
    code, out, _ = _run(capsys, "iam-policy", "specs/p2p-automation.yaml", "--read-only")
    assert code == 0
    actions = {a for s in json.loads(out)["Statement"] for a in s["Action"]}
    assert "dynamodb:DescribeTable" in actions
    assert not {a for a in actions if a.split(":")[1].startswith(("Create", "Update",
                                                                   "Delete", "Tag"))}


def test_exported_spec_adopts_hand_made_tables_with_only_tag_changes(aws, tmp_path):
    ctx, _log = aws
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName="HandMade", BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 2},
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        Tags=[{"Key": "Owner", "Value": "ops"}])
    ddb.update_time_to_live(TableName="HandMade", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    document = export_resources(ctx, "tables", ["HandMade"])
    exported = document["tables"]["hand_made"]
    assert exported["global_indexes"]["by-g"]["projection"] == ["x"]
    assert exported["tags"] == {"Owner": "ops"}
    spec = write_spec(tmp_path, yaml.safe_dump({**document, "stack": "adopted"}))
    plan = make_plan(load_stack(spec), ctx, RunOptions()).plan
    [change] = plan.changes
    assert change.action is Action.ADOPT
    assert {a.path for a in change.attributes} == {"tags.awsprov:stack", "tags.awsprov:address"}


def test_logical_names_are_legal_and_unique():
    taken: dict = {}
    for name in ("VendorsTable", "AuditFlow-Documents", "9lives", "VendorsTable"):
        taken[logical_name(name, taken)] = True
    assert list(taken) == ["vendors_table", "audit_flow_documents", "r_9lives",
                           "vendors_table_2"]


def test_iam_policy_for_keys_and_secrets(capsys):
    code, out, _ = _run(capsys, "iam-policy", "specs/threat-engine.yaml",
                        "--account-id", "123456789012")
    assert code == 0
    statements = {s["Sid"]: s for s in json.loads(out)["Statement"]}
    keys, secrets = statements["AwsprovKeys"], statements["AwsprovSecrets"]
    assert "arn:aws:kms:ap-south-1:123456789012:alias/threat-engine-secrets" in \
        keys["Resource"]
    assert {"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"} <= set(keys["Action"])
    assert "arn:aws:secretsmanager:ap-south-1:123456789012:secret:threat-engine/account/" \
           "210987654321-??????" in secrets["Resource"]
    assert "kms:CreateKey" in statements["AwsprovLookups"]["Action"]
    code, out, _ = _run(capsys, "iam-policy", "specs/threat-engine.yaml", "--read-only")
    lookups = {s["Sid"]: s for s in json.loads(out)["Statement"]}["AwsprovLookups"]
    assert "kms:CreateKey" not in lookups["Action"]
    assert "secretsmanager:GetSecretValue" in {
        a for s in json.loads(out)["Statement"] for a in s["Action"]}


def test_exported_key_and_secret_adopt_with_only_tag_changes(aws, tmp_path):
    ctx, _log = aws
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key(Description="made by hand", KeySpec="RSA_2048",
                         KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.create_alias(AliasName="alias/hand-made", TargetKeyId=key["KeyId"])
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.create_secret(Name="hand/made", Description="by hand", KmsKeyId=key["Arn"],
                     SecretString="never-exported", Tags=[{"Key": "Owner", "Value": "ops"}])
    for section, name in (("keys", "alias/hand-made"), ("secrets", "hand/made")):
        document = export_resources(ctx, section, [name])
        assert "never-exported" not in yaml.safe_dump(document)
        path = write_spec(tmp_path, yaml.safe_dump(document), f"{section}.yaml")
        result = make_plan(load_stack(path), ctx, RunOptions())
        change = next(c for c in result.plan.changes if not c.orphan)
        assert change.action is Action.ADOPT, change
        assert {a.path.split(".")[0] for a in change.attributes} == {"tags"}

"""What moto cannot show about tables, against botocore's Stubber (KNOWN_EMULATOR_GAPS).

Each test scripts the exact calls AWS would see, in order, and the answers AWS gives,
including the ones moto gets wrong: TableClassSummary, SSE updates and their UPDATING
status, stream re-enable, OnDemandThroughput read back, TTL ENABLING, PITR "Backups are
being enabled"."""

from __future__ import annotations

import pytest
from botocore.stub import ANY, Stubber

from awsprov.core.changes import KNOWN_AFTER_APPLY, Action
from awsprov.core.run import RunOptions
from awsprov.engine.planner import _attributes_after, classify, diff_with_tags
from awsprov.resources import registry
from awsprov.resources.base import Desired
from awsprov.spec.loader import load_stack
from tests.helpers import KNOWN_EMULATOR_GAPS, make_context

NAME = "stub-table"
ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{NAME}"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-111122223333"
# a customer key: ARNs never change owner, so awsprov caches the answer per ARN
CUSTOMER_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/9a8b7c6d-dddd-eeee-ffff-444455556666"
TABLES = registry.get("tables")


def described(status: str = "ACTIVE", **extra) -> dict:
    table = {"TableName": NAME, "TableArn": ARN, "TableStatus": status,
             "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
             "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
             "ItemCount": 0, "TableSizeBytes": 0, "DeletionProtectionEnabled": False}
    table.update(extra)
    return {"Table": table}


class Script:
    """A Stubber on the context's own dynamodb (and kms) client, with shorthands."""

    def __init__(self):
        self.ctx, self.log = make_context("us-east-1")
        self.ddb = Stubber(self.ctx.client("dynamodb"))
        self.kms = Stubber(self.ctx.client("kms"))
        self.ddb.activate()
        self.kms.activate()

    def describe(self, times: int = 1, **table) -> None:
        for _ in range(times):
            self.ddb.add_response("describe_table", described(**table), {"TableName": NAME})

    def update(self, **params) -> None:
        response = {"TableDescription": described("UPDATING")["Table"]}
        self.ddb.add_response("update_table", response, {"TableName": NAME, **params})

    def read(self, table: dict | None = None, ttl: dict | None = None,
             pitr: dict | None = None, tags: dict | None = None) -> None:
        """The four reads of a no-op plan."""
        self.ddb.add_response("describe_table", described(**(table or {})),
                              {"TableName": NAME})
        self.ddb.add_response("describe_time_to_live", {"TimeToLiveDescription": ttl or {
            "TimeToLiveStatus": "DISABLED"}}, {"TableName": NAME})
        self.ddb.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr or {
                "PointInTimeRecoveryStatus": "DISABLED"}}}, {"TableName": NAME})
        pairs = [{"Key": k, "Value": v} for k, v in (tags or OWNED).items()]
        self.ddb.add_response("list_tags_of_resource", {"Tags": pairs}, {"ResourceArn": ARN})

    def done(self) -> None:
        self.ddb.assert_no_pending_responses()
        self.kms.assert_no_pending_responses()


OWNED = {"awsprov:stack": "stub", "awsprov:address": "tables.t"}


@pytest.fixture
def script():
    s = Script()
    yield s
    s.ddb.deactivate()
    s.kms.deactivate()


def desired(extra: str = "") -> tuple:
    text = f"stack: stub\ntables:\n  t:\n    name: {NAME}\n    hash_key: id\n" \
           f"    attributes: {{id: S}}\n{extra}"
    stack = load_stack("s.yaml", sources={"s.yaml": text})
    props = stack.resources["tables.t"].props
    return stack, Desired("tables", "t", NAME, props, TABLES.desired_state(props), dict(OWNED))


def plan_and_update(script: Script, extra: str):
    """Read live (scripted), diff, and run the update; returns (change, steps)."""
    stack, want = desired(extra)
    live = TABLES.read(script.ctx, NAME)
    change = classify(stack, TABLES, want, live, RunOptions())
    steps: list[str] = []
    if change.action is Action.UPDATE:
        TABLES.update(script.ctx, want, live, diff_with_tags(TABLES, want, live), steps.append)
    return change, steps


def test_every_stubbed_gap_is_recorded():
    stubbed = [g for g, _why, where in KNOWN_EMULATOR_GAPS if "test_table_stubbed" in where]
    assert set(stubbed) >= {"tables.table_class", "tables.encryption (update)",
                            "tables.stream (re-enable / view type change)",
                            "tables.on_demand_throughput"}


def test_table_class_is_changed_in_its_own_update_table(script):
    script.read()
    script.describe(1)                       # ACTIVE before changing it: one read
    script.update(TableClass="STANDARD_INFREQUENT_ACCESS")
    script.describe(2)
    script.update(DeletionProtectionEnabled=True)
    script.describe(2)
    change, steps = plan_and_update(script, "    table_class: STANDARD_INFREQUENT_ACCESS\n"
                                            "    deletion_protection: true\n")
    assert {a.path for a in change.attributes} == {"table_class", "deletion_protection"}
    assert steps[0] == "UpdateTable (table class → STANDARD_INFREQUENT_ACCESS)"
    script.done()


def test_table_class_read_back_from_table_class_summary(script):
    script.read(table={"TableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"}})
    change, steps = plan_and_update(script, "    table_class: STANDARD_INFREQUENT_ACCESS\n")
    assert (change.action, steps) == (Action.NOOP, [])
    script.done()


def test_sse_update_then_waits_for_the_sse_status(script):
    script.read()
    script.describe(1)
    script.update(SSESpecification={"Enabled": True, "SSEType": "KMS"})
    script.describe(2)
    updating = {"Status": "UPDATING", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN}
    enabled = {**updating, "Status": "ENABLED"}
    script.describe(SSEDescription=updating)
    script.describe(SSEDescription=updating)
    script.describe(2, SSEDescription=enabled)  # settled: twice in a row
    change, steps = plan_and_update(script, "    encryption: aws-managed\n")
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        ("encryption", "aws-owned", "aws-managed")]
    assert "waiting: encryption change to settle" in steps
    script.done()


def test_sse_key_read_back_as_aws_managed_through_kms(script):
    sse = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN}
    script.read(table={"SSEDescription": sse})
    script.kms.add_response("describe_key", {"KeyMetadata": {
        "KeyId": KEY_ARN.rsplit("/", 1)[1], "Arn": KEY_ARN, "KeyManager": "AWS"}},
        {"KeyId": KEY_ARN})
    script.kms.add_response("list_aliases", {"Aliases": [{"AliasName": "alias/aws/dynamodb"}]},
                            {"KeyId": KEY_ARN.rsplit("/", 1)[1]})
    change, _ = plan_and_update(script, "    encryption: aws-managed\n")
    assert change.action is Action.NOOP
    script.done()


def test_sse_back_to_aws_owned_disables(script):
    sse = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": CUSTOMER_KEY_ARN}
    script.read(table={"SSEDescription": sse})
    script.kms.add_response("describe_key", {"KeyMetadata": {
        "KeyId": "k", "Arn": CUSTOMER_KEY_ARN, "KeyManager": "CUSTOMER"}},
        {"KeyId": CUSTOMER_KEY_ARN})
    script.kms.add_response("list_aliases", {"Aliases": []}, {"KeyId": "k"})
    script.describe(1, SSEDescription=sse)
    script.update(SSESpecification={"Enabled": False})
    script.describe(2, SSEDescription={**sse, "Status": "DISABLING"})  # table ACTIVE, SSE not
    script.describe(2)                           # SSE gone: AWS-owned again
    change, steps = plan_and_update(script, "")
    assert [(a.before, a.after) for a in change.attributes] == [(CUSTOMER_KEY_ARN, "aws-owned")]
    assert "waiting: encryption change to settle" in steps
    script.done()


def test_stream_view_type_change_disables_then_enables(script):
    stream = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
              "LatestStreamArn": f"{ARN}/stream/2026-01-01T00:00:00.000"}
    script.read(table=stream)
    script.describe(1, **stream)
    script.update(StreamSpecification={"StreamEnabled": False})
    script.describe(2)
    script.update(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    script.describe(2)
    stack, want = desired("    stream: KEYS_ONLY\n")
    live = TABLES.read(script.ctx, NAME)
    change = classify(stack, TABLES, want, live, RunOptions())
    assert any("new ARN" in w for w in change.warnings)
    # what references see before apply: the stream ARN is not known yet
    assert _attributes_after(change, want, live)["stream_arn"] is KNOWN_AFTER_APPLY
    TABLES.update(script.ctx, want, live, diff_with_tags(TABLES, want, live), lambda _: None)
    script.done()


def test_on_demand_throughput_read_back_and_updated(script):
    limits = {"OnDemandThroughput": {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}}
    script.read(table=limits)
    change, steps = plan_and_update(script, "    on_demand_throughput: {max_reads: 100, "
                                            "max_writes: 50}\n")
    assert (change.action, steps) == (Action.NOOP, [])
    script.read(table=limits)
    script.describe(1, **limits)
    script.update(OnDemandThroughput={"MaxReadRequestUnits": 200, "MaxWriteRequestUnits": -1})
    script.describe(2)
    change, steps = plan_and_update(script, "    on_demand_throughput: {max_reads: 200}\n")
    assert {(a.path, a.before, a.after) for a in change.attributes} == {
        ("on_demand_throughput.max_reads", 100, 200),
        ("on_demand_throughput.max_writes", 50, -1)}
    assert steps == ["UpdateTable (table settings)"]
    script.done()


def test_on_demand_limits_removed_from_the_spec_are_lifted(script):
    """No limits is AWS's -1, the same as unset: a create plan lists none, and removing
    `on_demand_throughput` sends -1 for both (the only way UpdateTable lifts them)."""
    limits = {"OnDemandThroughput": {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}}
    script.read(table=limits)
    script.describe(1, **limits)
    script.update(OnDemandThroughput={"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1})
    script.describe(2)
    change, steps = plan_and_update(script, "")
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        ("on_demand_throughput", {"max_reads": 100, "max_writes": 50}, None)]
    assert steps == ["UpdateTable (table settings)"]
    script.done()
    assert TABLES.desired_state({"hash_key": "id"})["on_demand_throughput"] is None


def test_ttl_change_refused_while_enabling(script):
    script.read(ttl={"TimeToLiveStatus": "ENABLING", "AttributeName": "expires_at"})
    change, steps = plan_and_update(script, "")
    assert change.action is Action.REFUSED
    assert change.reason.startswith("TTL changed less than an hour ago (status ENABLING)")
    assert steps == []
    script.done()


def test_ttl_enabling_counts_as_on(script):
    script.read(ttl={"TimeToLiveStatus": "ENABLING", "AttributeName": "expires_at"})
    change, _ = plan_and_update(script, "    ttl: expires_at\n")
    assert change.action is Action.NOOP
    script.done()


def test_pitr_retried_while_backups_are_being_enabled(script):
    script.read()
    script.describe(1)
    spec = {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}
    for _ in range(2):
        script.ddb.add_client_error("update_continuous_backups",
                                    "ContinuousBackupsUnavailableException",
                                    "Backups are being enabled for the table: stub-table. "
                                    "Please retry later",
                                    expected_params={"TableName": NAME,
                                                     "PointInTimeRecoverySpecification": spec})
    script.ddb.add_response("update_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED"}},
        {"TableName": NAME, "PointInTimeRecoverySpecification": spec})
    script.ddb.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {
            "PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 7}}},
        {"TableName": NAME})
    change, steps = plan_and_update(script, "    point_in_time_recovery: "
                                            "{enabled: true, recovery_period_days: 7}\n")
    assert change.action is Action.UPDATE
    assert steps == ["UpdateContinuousBackups (PITR on)"]
    script.done()


def test_other_errors_from_pitr_are_not_retried(script):
    script.read()
    script.describe(1)
    script.ddb.add_client_error("update_continuous_backups", "ValidationException", "no",
                                expected_params={"TableName": NAME,
                                                 "PointInTimeRecoverySpecification": ANY})
    with pytest.raises(Exception, match="ValidationException"):
        plan_and_update(script, "    point_in_time_recovery: true\n")
    script.done()


def test_switch_to_on_demand_within_a_day_of_the_last_one_is_noted(script):
    import datetime as dt

    recent = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)
    script.read(table={"BillingModeSummary": {
        "BillingMode": "PROVISIONED", "LastUpdateToPayPerRequestDateTime": recent},
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    stack, want = desired("")
    change = classify(stack, TABLES, want, TABLES.read(script.ctx, NAME), RunOptions())
    assert change.action is Action.UPDATE
    assert any("allows 4 such switches per rolling 24 hours" in w for w in change.warnings)
    script.done()


def test_active_read_right_after_update_table_is_confirmed(script):
    """AWS can answer ACTIVE just after UpdateTable, before the change starts."""
    script.read()
    script.describe(1)
    script.update(DeletionProtectionEnabled=True)
    script.describe(1)                      # ACTIVE: too early to believe
    script.describe(1, status="UPDATING")   # the change has started
    script.describe(1)                      # the real ACTIVE
    change, steps = plan_and_update(script, "    deletion_protection: true\n")
    assert change.action is Action.UPDATE
    assert steps == ["UpdateTable (table settings)",
                     "waiting: table ACTIVE after table settings"]
    script.done()

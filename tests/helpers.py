"""Shared test helpers: the moto context, call counting, and the ONE list of emulator gaps.

Never loosen an assertion to get past an emulator gap: add the gap here, with its reason,
and test the real-AWS behaviour with botocore's Stubber instead.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from awsprov.aws.context import AwsContext
from awsprov.aws.session import ClientFactory, Target
from awsprov.aws.waiters import WaitPolicy

# (resource property, why moto cannot show it, how the behaviour is tested instead)
KNOWN_EMULATOR_GAPS: list[tuple[str, str, str]] = [
    ("tables.table_class",
     "moto drops TableClass on CreateTable and UpdateTable; no TableClassSummary is returned",
     "Stubber: tests/resources/test_table_stubbed.py (own UpdateTable; read back)"),
    ("tables.encryption (update)",
     "moto silently ignores UpdateTable SSESpecification and never reports UPDATING",
     "Stubber: tests/resources/test_table_stubbed.py (update, SSE wait, AWS-managed key)"),
    ("tables.stream (re-enable / view type change)",
     "moto refuses re-enabling a disabled stream with ResourceInUseException; AWS allows it",
     "Stubber: tests/resources/test_table_stubbed.py (disable, then enable; new ARN)"),
    ("tables: CREATING/UPDATING/DELETING, index backfill",
     "moto is ACTIVE at once; no transitional states",
     "moto's DynamoDB backend patched in-process: tests/resources/test_table_gsi_sequence.py"),
    ("tables.ttl (ENABLING)",
     "moto goes straight to ENABLED and accepts a second TTL change within the hour",
     "Stubber: tests/resources/test_table_stubbed.py (refused while ENABLING)"),
    ("tables.point_in_time_recovery (new table)",
     "moto never answers ContinuousBackupsUnavailableException 'Backups are being enabled'",
     "Stubber: tests/resources/test_table_stubbed.py (retried, other errors not)"),
    ("tables.on_demand_throughput",
     "moto accepts OnDemandThroughput but never returns it from DescribeTable",
     "Stubber: tests/resources/test_table_stubbed.py; example xfails strictly"),
    ("tables: one index create/delete per UpdateTable",
     "moto accepts two index operations in one UpdateTable; AWS refuses them",
     "the patched backend refuses them: tests/resources/test_table_gsi_sequence.py"),
    ("tables.billing_mode (switches to on-demand per day)",
     "moto keeps no LastUpdateToPayPerRequestDateTime and no switch limit",
     "Stubber: tests/resources/test_table_stubbed.py (the plan notes the limit)"),
    ("keys.rotation_period_days",
     "moto ignores EnableKeyRotation's RotationPeriodInDays and never returns it",
     "Stubber: tests/resources/test_kms_key_stubbed.py; examples keep the 365-day default"),
    ("keys: alias/aws/*, deletion window 7-30, key spec/usage pairs, disabled-key rotation",
     "moto creates alias/aws/* aliases, accepts PendingWindowInDays=3, invalid spec/usage "
     "pairs and rotation changes on a disabled key; AWS refuses all four",
     "awsprov refuses them before any call: tests/cli/test_bad_input_keys_secrets.py and "
     "tests/resources/test_kms_key.py "
     "(test_rotation_change_on_a_key_that_stays_disabled_is_refused)"),
    ("cost --pricing api (AWS Price List GetProducts)",
     "moto has no pricing service; the Price List answers only from us-east-1",
     "Stubber: tests/cost/test_price_list.py"),
    ("buckets: AWS defaults (SSE-S3, public access block, BucketOwnerEnforced)",
     "moto creates buckets with no default encryption, no public access block and no "
     "ownership controls; AWS has had all three on every new bucket since 2023",
     "moto's create_bucket patched in-process to AWS's defaults: "
     "tests/resources/test_bucket_unit.py (aws_like_defaults)"),
    ("buckets.tags (in CreateBucket)",
     "moto ignores CreateBucketConfiguration.Tags; awsprov's converge step after "
     "CreateBucket then sets them with PutBucketTagging",
     "the CreateBucket request is asserted to carry the tags: tests/resources/test_bucket_unit.py; "
     "moto patched to keep them (honour_create_bucket_tags): tests/cli/kill9.py"),
    ("buckets.lifecycle_min_object_size",
     "moto ignores TransitionDefaultMinimumObjectSize on Put and always returns "
     "all_storage_classes_128K",
     "request parameter and read-back mapping asserted in tests/resources/test_bucket_unit.py; "
     "convergence xfails strictly there"),
    ("buckets.enforce_tls (object writes)",
     "moto evaluates the deny-insecure-transport statement without its aws:SecureTransport "
     "condition: every PutObject into a TLS-enforced bucket gets 403 (also under awsprov local)",
     "tests that write objects set enforce_tls: false; the statement is asserted in "
     "tests/resources/test_bucket_lifecycle.py"),
    ("buckets.object_lock (existing bucket holding objects)",
     "moto refuses PutObjectLockConfiguration on a bucket with objects (BucketNeedsToBeNew); "
     "AWS allows enabling object lock on an existing versioned bucket",
     "enabled on an existing empty bucket: tests/resources/test_bucket_lifecycle.py"),
    ("buckets.versioning (suspend under object lock)",
     "moto accepts suspending versioning on an object-locked bucket; AWS refuses "
     "(InvalidBucketState)",
     "awsprov refuses before the call: tests/resources/test_bucket_lifecycle.py"),
    ("buckets.encryption (deleted)",
     "after DeleteBucketEncryption moto has no configuration; AWS falls back to SSE-S3",
     "drift shows either way for a non-default spec: tests/resources/test_bucket_drift.py"),
    ("buckets: orphan search across regions",
     "moto's Resource Groups Tagging API returns buckets of every region in every region's "
     "query",
     "read() skips other regions' buckets when looking for orphans: "
     "tests/resources/test_bucket_unit.py"),
    ("buckets: NoSuchBucket right after CreateBucket",
     "moto's buckets are readable at once; AWS sub-reads may answer NoSuchBucket for a while",
     "a sub-read patched to fail once: tests/resources/test_bucket_unit.py"),
    ("topics.subscriptions (pending confirmation)",
     "moto confirms email/http subscriptions at once; AWS lists them as PendingConfirmation "
     "and refuses to delete them",
     "an after-call hook rewrites ListSubscriptionsByTopic: tests/resources/"
     "test_topic_lifecycle.py"),
    ("queues: QueueDeletedRecently",
     "moto re-creates a deleted queue's name at once; AWS refuses it for 60 s",
     "Stubber: tests/resources/test_queue_lifecycle.py"),
    ("queues: attribute propagation",
     "moto applies SetQueueAttributes at once; AWS takes up to 60 s (retention 15 min)",
     "Stubber (stale read, then two matching): tests/resources/test_queue_lifecycle.py"),
    ("queues.policy (SetQueueAttributes without it)",
     "moto clears a queue's Policy on any SetQueueAttributes that does not carry it; AWS "
     "changes only the attributes named (an update of another attribute then waits forever "
     "for the policy to come back)",
     "moto's Queue patched in-process to AWS's behaviour: tests/cli/test_kill9_update.py"),
    ("log_groups.kms_key (update)",
     "moto does not implement AssociateKmsKey/DisassociateKmsKey (NotImplementedError)",
     "Stubber: tests/resources/test_log_group_lifecycle.py; creates with a key use moto"),
    ("dashboards: DashboardValidationMessages",
     "moto validates no dashboard body and always answers with no messages",
     "Stubber: tests/resources/test_dashboard_lifecycle.py"),
    ("alarms: tags by ResourceARNList",
     "moto pages GetResources answers at 100 tags even for an ARN list; AWS answers up to "
     "100 ARNs whole and refuses pagination parameters with one",
     "calls counted with moto's paging: tests/resources/test_alarm_lifecycle.py"),
    ("alarms: concurrent PutMetricAlarm and DescribeAlarms",
     "moto's CloudWatch backend iterates its alarm dict while other threads insert "
     "(RuntimeError: dictionary changed size during iteration); AWS serves them concurrently",
     "thread_safe_moto() snapshots the dict for iteration (tests/conftest.py `moto`)"),
    ("log_groups: Tagging API filter logs:log-group",
     "moto's GetResources answers nothing for ResourceTypeFilters logs:log-group, only for logs",
     "log groups filter on logs (AWS accepts both): tests/resources/test_messaging_orphans.py"),
    ("tables: UpdateTable for an index that exists or is gone",
     "moto raises a Python ValueError (in process; a 500 from its server) for an index Create "
     "that exists or a Delete of one that is gone, as botocore resending an UpdateTable after "
     "a lost answer sends; AWS refuses it with an error (ResourceInUseException while the "
     "table is UPDATING, ValidationException)",
     "moto patched to answer ValidationException: tests/lost_answers.py "
     "(index_changes_refused_as_on_aws), used by tests/resources/test_lost_answer_sweep.py"),
    ("keys: service grants in key policies",
     "moto never checks a key policy (a topic, queue or log group with a key CloudWatch, "
     "SNS or Logs cannot use is accepted)",
     "the cross-resource checks, offline: tests/unit/test_messaging_checks.py"),
    ("tables: index update rules of a switch to PROVISIONED",
     "moto crashes on an Update of an index it does not have and needs no capacity for "
     "existing indexes on a switch to PROVISIONED; AWS refuses both",
     "moto's backend patched in-process to refuse them: tests/resources/test_table_aws_rules.py"),
    ("tables: indexed-table CREATING limit",
     "moto creates any number of tables with indexes at once; AWS answers "
     "LimitExceededException beyond its limit",
     "moto's CreateTable limited in-process: tests/resources/test_table_aws_rules.py"),
    ("tables.ttl (up to an hour to settle)",
     "moto is ENABLED at once; AWS may take up to an hour",
     "ENABLING for 50 minutes on a fake clock: tests/resources/test_table_aws_rules.py"),
    ("queues: deletion lag",
     "moto forgets a deleted queue at once; AWS shows it for up to 60 s",
     "moto's SQS keeps it visible for a while: tests/resources/test_queue_aws_rules.py"),
    ("log_groups.kms_key (AssociateKmsKey takes effect late)",
     "moto lacks AssociateKmsKey; AWS shows the new key up to 5 minutes later",
     "Stubber (stale reads first): tests/resources/test_log_group_lifecycle.py"),
    ("keys: policy and enabled eventually consistent",
     "moto shows PutKeyPolicy and EnableKey/DisableKey at once; AWS reads can lag minutes",
     "moto's KMS made to lag in-process: tests/resources/test_kms_propagation.py"),
    ("throttling bursts and the retry quota",
     "moto never throttles",
     "before-send answers ThrottlingException across 32 threads: "
     "tests/unit/test_retry_quota.py"),
]

# Realism-layer behaviours (tests/realism) switched off in the AWSPROV_REALISM=1 pass until
# awsprov copes with them: (behaviour, what fails under it, who fixes it). Tests of the
# behaviour itself switch it on explicitly; never weaken an assertion instead.
REALISM_PENDING: list[tuple[str, str, str]] = []


class _SnapshotDict(dict):
    """A dict whose iteration works on a copy, so readers never see it change size."""

    def values(self):
        return list(super().values())

    def items(self):
        return list(super().items())

    def __iter__(self):
        return iter(list(super().keys()))


def thread_safe_moto() -> None:
    """Parallel applies write alarms from several threads (KNOWN_EMULATOR_GAPS)."""
    from moto.cloudwatch.models import CloudWatchBackend

    if getattr(CloudWatchBackend.__init__, "_snapshots", False):
        return
    original = CloudWatchBackend.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.alarms = _SnapshotDict(self.alarms)

    init._snapshots = True
    CloudWatchBackend.__init__ = init


WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Tag", "Untag", "Enable", "Disable",
                  "Schedule", "Cancel", "Restore", "Set", "Associate", "Disassociate",
                  "Subscribe", "Unsubscribe", "Add", "Remove", "Rotate")


def is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES)


@dataclass
class CallLog:
    """Every AWS operation made through a ClientFactory, in order, counted by botocore hooks."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def record(self, model=None, params=None, **_: object) -> None:
        if model is not None:
            name = model.name
            if _names_lock_table(params):
                name = f"Lease.{name}"  # the apply lease: the account's, never a stack write
            self.calls.append((model.service_model.service_name, name))

    @property
    def operations(self) -> list[str]:
        return [op for _, op in self.calls]

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if is_write(op)]

    def count(self) -> Counter:
        return Counter(self.operations)

    def clear(self) -> None:
        self.calls.clear()


FAST_WAITS = WaitPolicy(delay=0.01, timeout=10)


def make_context(region: str = "us-east-1", endpoint: str | None = None) -> tuple[AwsContext,
                                                                                   CallLog]:
    from tests.realism import install_current

    factory = ClientFactory(Target(region, None, endpoint))
    log = CallLog()
    factory.on("before-call", log.record)
    install_current(factory)  # the realism layer, when a test has one active
    return AwsContext(factory, region, wait=FAST_WAITS), log


def _tagged_arns(client, stack: str) -> set[str]:
    pages = client.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "awsprov:stack", "Values": [stack]}])
    return {m["ResourceARN"] for page in pages for m in page["ResourceTagMappingList"]}


def wait_for_tag_index(stack: str, region: str = "us-east-1", timeout: float = 30.0) -> None:
    """Let time pass, as it does between two commands, until the Resource Groups Tagging
    API lists every resource tagged with `stack`. AWS gives that index no freshness promise
    (the realism layer's `tagging.get-resources-lag`), and a stateless plan finds through it
    alone what the spec no longer names (a renamed resource's old name, one removed from
    the spec): a plan at once after the apply that made them may not see them yet. The
    index as awsprov sees it (through the active realism layer, on a context of its own so
    no test's CallLog counts these reads) is compared with moto's own, unlagged, answer."""
    import time

    import boto3

    seen = make_context(region)[0].client("resourcegroupstaggingapi")
    truth = boto3.client("resourcegroupstaggingapi", region_name=region)
    deadline = time.monotonic() + timeout
    while not _tagged_arns(truth, stack) <= _tagged_arns(seen, stack):
        assert time.monotonic() < deadline, f"the Tagging API never listed all of {stack}"
        time.sleep(0.05)


# apply and destroy take their lease in this table (src/awsprov/engine/lease.py): it is the
# account's, never a stack's resource, so tests counting a stack's tables leave it out.
LOCK_TABLE = "awsprov-locks"


def _names_lock_table(request: object) -> bool:
    """Whether a request (before-call's serialized request dict) is about the lock table."""
    body = request.get("body") if isinstance(request, dict) else None
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return isinstance(body, str) and any(
        f'"TableName":{space}"{LOCK_TABLE}"' in body for space in ("", " "))


def stack_tables(client) -> list[str]:
    """The tables a DynamoDB client lists, the lock table left out."""
    return [t for t in client.list_tables()["TableNames"] if t != LOCK_TABLE]


def write_spec(folder: Path, text: str, name: str = "stack.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def honour_create_bucket_tags(patcher) -> None:
    """moto storing CreateBucketConfiguration.Tags as AWS does (KNOWN_EMULATOR_GAPS
    "buckets.tags (in CreateBucket)"); `patcher` is a pytest MonkeyPatch."""
    import xmltodict
    from moto.s3.responses import S3Response

    real = S3Response._bucket_response_put

    def put(self, request, bucket_name, querystring):
        result = real(self, request, bucket_name, querystring)
        if not querystring and self.body:
            config = xmltodict.parse(self.body, force_list={"Tag": True}).get(
                "CreateBucketConfiguration") or {}
            tags = (config.get("Tags") or {}).get("Tag") or []
            if tags:
                self.backend.put_bucket_tagging(
                    bucket_name, {t["Key"]: t.get("Value") or "" for t in tags})
        return result

    patcher.setattr(S3Response, "_bucket_response_put", put)


def keep_queue_policy_on_set_attributes(patcher) -> None:
    """moto leaving a queue's Policy alone when SetQueueAttributes does not name it, as AWS
    does (KNOWN_EMULATOR_GAPS "queues.policy (SetQueueAttributes without it)")."""
    from moto.sqs.models import Queue

    real = Queue._set_attributes

    def set_attributes(self, attributes, now=None):
        policy = getattr(self, "policy", None)  # none yet inside CreateQueue
        real(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = policy

    patcher.setattr(Queue, "_set_attributes", set_attributes)


def emulator_gap(subject: str) -> str:
    """The recorded reason for a known gap, for pytest.mark.xfail(strict=True, reason=...)."""
    for name, reason, _instead in KNOWN_EMULATOR_GAPS:
        if name == subject:
            return f"emulator gap: {reason}"
    raise KeyError(f"{subject} is not in KNOWN_EMULATOR_GAPS; record it there first")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """The real entry point, in process: (exit code, stdout, stderr)."""
    from awsprov.cli.app import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out = capsys.readouterr()
    return code, out.out, out.err


def forbid_aws_clients(monkeypatch) -> list[str]:
    """Make building any AWS client fail the test: proves bad input never reaches AWS.
    Returns the list of services asked for (empty when none was)."""
    from awsprov.aws.session import ClientFactory

    asked: list[str] = []

    def refuse(self, service, region=None):
        asked.append(service)
        raise AssertionError(f"an AWS client ({service}) was built for bad input")

    monkeypatch.setattr(ClientFactory, "client", refuse)
    return asked


# ---- crash safety: an apply killed before its k-th write, then run again -------------------

class Killed(BaseException):
    """Stands for kill -9: nothing in awsprov catches it (it is no Exception)."""


def apply_killing_at(path: Path, kill_at: int | None = None, *, region: str = "us-east-1",
                     prune: bool = False, allow_replace: bool = False,
                     allow_data_loss: bool = False) -> list[str]:
    """Plan and apply the spec at `path` with one worker, so the order of writes is the
    same every run. With `kill_at`, a botocore before-call hook raises Killed just before
    the write with that index (0-based). Returns the writes sent, in order."""
    from awsprov.core.run import RunOptions
    from awsprov.engine.executor import apply_plan
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack

    stack = load_stack(path)
    ctx, _log = make_context(region)
    writes: list[str] = []

    def maybe_kill(model=None, **_):
        if model is not None and is_write(model.name):
            if kill_at is not None and len(writes) == kill_at:
                raise Killed(model.name)
            writes.append(model.name)

    ctx.clients.on("before-call", maybe_kill)
    result = make_plan(stack, ctx, RunOptions(parallelism=1, prune=prune))
    report = apply_plan(stack, result, ctx, RunOptions(parallelism=1, prune=prune,
                                                         allow_replace=allow_replace,
                                                         allow_data_loss=allow_data_loss))
    assert report.failures == []
    return writes


def assert_plans_clean(path: Path, region: str = "us-east-1", *, prune: bool = False) -> None:
    """A fresh plan of the spec at `path` shows no change and sends no write (with
    `prune`, no orphan left to delete either)."""
    from awsprov.core.run import RunOptions
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack

    ctx, log = make_context(region)
    assert not make_plan(load_stack(path), ctx, RunOptions(prune=prune)).plan.has_changes
    assert log.writes == []


def assert_converges_after_each_kill(path: Path, *, region: str = "us-east-1",
                                     setup: Callable[[], object] | None = None,
                                     check: Callable[[], object] | None = None,
                                     prune: bool = False,
                                     allow_replace: bool = False,
                                     allow_data_loss: bool = False) -> list[str]:
    """Apply the spec at `path` once cleanly to learn its writes; then, for every k, in a
    fresh moto: `setup()`, an apply killed before write k, the same apply again, and
    assert it converged: plan empty, zero writes, and `check()` (no duplicates). Returns
    the clean apply's writes, for the caller to assert there were steps to cut between.
    `prune`, `allow_replace` and `allow_data_loss` are the apply flags of every run (and
    `prune` that of the final plan, so no orphan may be left)."""
    import pytest
    from moto import mock_aws

    flags = {"prune": prune, "allow_replace": allow_replace,
             "allow_data_loss": allow_data_loss}
    with mock_aws():
        if setup:
            setup()
        writes = apply_killing_at(path, region=region, **flags)
    assert writes, "the clean apply sent no write: nothing to kill"
    for k in range(len(writes)):
        with mock_aws():
            if setup:
                setup()
            with pytest.raises(Killed):
                apply_killing_at(path, k, region=region, **flags)
            apply_killing_at(path, region=region, **flags)
            assert_plans_clean(path, region, prune=prune)
            if check:
                check()
    return writes

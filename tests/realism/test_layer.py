"""The realism layer itself: each behaviour acts as its source says, in process and on the
wire (a ThreadedMotoServer with the middleware in front)."""

from __future__ import annotations

import json
import time
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.helpers import make_context
from tests.realism import Realism, activate, behaviours, is_public_policy, wrap_server

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}]


def _code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_every_behaviour_cites_a_source():
    table = behaviours()
    assert len({b.name for b in table}) == len(table)
    for behaviour in table:
        assert behaviour.source.page and len(behaviour.source.sentence) > 30, behaviour.name


def test_describe_table_right_after_create_is_not_found_then_creating_then_active(moto,
                                                                                  realism):
    aws, _ = make_context()
    ddb = aws.client("dynamodb")
    ddb.create_table(TableName="t", KeySchema=KEY, AttributeDefinitions=ATTRS,
                     BillingMode="PAY_PER_REQUEST")
    with pytest.raises(ClientError) as caught:
        ddb.describe_table(TableName="t")
    assert _code(caught.value) == "ResourceNotFoundException"
    time.sleep(0.5)
    assert ddb.describe_table(TableName="t")["Table"]["TableStatus"] == "CREATING"
    with pytest.raises(ClientError) as refused:
        ddb.delete_table(TableName="t")
    assert _code(refused.value) == "ResourceInUseException"
    time.sleep(0.2)
    assert ddb.describe_table(TableName="t")["Table"]["TableStatus"] == "ACTIVE"
    ddb.delete_table(TableName="t")
    assert ddb.describe_table(TableName="t")["Table"]["TableStatus"] == "DELETING"
    assert ddb.list_tables()["TableNames"] == ["t"]
    time.sleep(0.5)
    with pytest.raises(ClientError):
        ddb.describe_table(TableName="t")


def test_a_new_queue_is_not_found_for_a_second(moto, realism):
    aws, _ = make_context()
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert _code(caught.value) == "AWS.SimpleQueueService.NonExistentQueue"
    time.sleep(1.0)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_a_deleted_queue_stays_listed_for_a_while(moto, realism):
    aws, _ = make_context()
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="gone")["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    assert sqs.list_queues()["QueueUrls"] == [url]
    assert sqs.get_queue_url(QueueName="gone")["QueueUrl"] == url
    time.sleep(1.0)
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_kms_key_and_alias_lag(moto, realism):
    aws, _ = make_context()
    kms = aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.describe_key(KeyId=key)
    assert _code(caught.value) == "NotFoundException"
    time.sleep(0.6)
    kms.create_alias(AliasName="alias/a", TargetKeyId=key)
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/a"] == []
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="alias/a")
    time.sleep(0.6)
    assert kms.describe_key(KeyId="alias/a")["KeyMetadata"]["KeyId"] == key


def test_bucket_writes_right_after_create_get_no_such_bucket(moto, realism):
    aws, _ = make_context()
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="b-realism")
    s3.head_bucket(Bucket="b-realism")  # exists at once
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_versioning(Bucket="b-realism",
                                 VersioningConfiguration={"Status": "Enabled"})
    assert _code(caught.value) == "NoSuchBucket"
    time.sleep(0.5)
    s3.put_bucket_versioning(Bucket="b-realism", VersioningConfiguration={"Status": "Enabled"})


def test_tagging_api_lags_a_create(moto, realism):
    aws, _ = make_context()
    aws.client("sqs").create_queue(QueueName="tagged", tags={"k": "v"})
    tagging = aws.client("resourcegroupstaggingapi")
    assert tagging.get_resources()["ResourceTagMappingList"] == []
    time.sleep(1.0)
    assert len(tagging.get_resources()["ResourceTagMappingList"]) == 1


def test_tagging_api_lags_a_new_alarm_but_not_an_updated_one(moto, realism):
    aws, _ = make_context()
    cloudwatch, tagging = aws.client("cloudwatch"), aws.client("resourcegroupstaggingapi")
    alarm = {"Namespace": "AWS/SQS", "MetricName": "m", "Threshold": 1.0, "Period": 60,
             "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1,
             "Statistic": "Sum", "Tags": [{"Key": "k", "Value": "v"}]}

    def listed() -> list[str]:
        return sorted(m["ResourceARN"].rsplit(":", 1)[-1]
                      for m in tagging.get_resources()["ResourceTagMappingList"])

    cloudwatch.put_metric_alarm(AlarmName="new", **alarm)
    assert listed() == [] and realism["tagging.get-resources-lag"].fired == 1
    time.sleep(1.0)
    assert listed() == ["new"]
    cloudwatch.put_metric_alarm(AlarmName="new", **{**alarm, "Threshold": 2.0})
    # made without the layer, then described through it: known, so its put is an update
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_alarm(AlarmName="old",
                                                                         **alarm)
    cloudwatch.describe_alarms(AlarmNames=["old"])
    cloudwatch.put_metric_alarm(AlarmName="old", **{**alarm, "Threshold": 2.0})
    assert listed() == ["new", "old"]  # an update's Tags are ignored: nothing new to index


PUBLIC = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                         "Resource": "arn:aws:s3:::b/*"}]}


@pytest.mark.parametrize(("condition", "public"), [
    (None, True),
    ({"StringEquals": {"aws:Referer": "https://example.com"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, True),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"}}, False),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
    ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, False),
])
def test_public_policy_rule(condition, public):
    statement = dict(PUBLIC["Statement"][0])
    if condition:
        statement["Condition"] = condition
    assert is_public_policy(json.dumps({"Statement": [statement]})) is public


def test_block_public_access_refuses_a_public_bucket_policy(moto, realism):
    aws, _ = make_context()
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="b-public")
    time.sleep(0.5)
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket="b-public", Policy=json.dumps(PUBLIC))
    assert _code(caught.value) == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3.put_public_access_block(Bucket="b-public", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    s3.put_bucket_policy(Bucket="b-public", Policy=json.dumps(PUBLIC))


def test_throttled_attempts_are_retried_by_botocore(moto):
    layer = Realism()
    layer["throttling.bursts"].every = 3
    layer["throttling.bursts"].burst = 1
    previous = activate(layer)
    try:
        aws, _ = make_context()
        logs = aws.client("logs")
        for _ in range(4):
            logs.describe_log_groups()
    finally:
        activate(previous)
    assert layer["throttling.bursts"].fired >= 1


def test_indexed_creates_beyond_the_limit_are_refused(moto, realism):
    aws, _ = make_context()
    ddb = aws.client("dynamodb")
    gsi = [{"IndexName": "gsi", "KeySchema": KEY, "Projection": {"ProjectionType": "ALL"}}]
    for name in ("a", "b"):
        ddb.create_table(TableName=name, KeySchema=KEY, AttributeDefinitions=ATTRS,
                         BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=gsi)
    with pytest.raises(ClientError) as caught:
        ddb.create_table(TableName="c", KeySchema=KEY, AttributeDefinitions=ATTRS,
                         BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=gsi)
    assert _code(caught.value) == "LimitExceededException"


@pytest.fixture(scope="module")
def wire():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    wrap_server(server)
    yield f"http://127.0.0.1:{server._server.server_port}"
    server.stop()


def _wire_client(url: str, service: str):
    return boto3.client(service, region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_on_the_wire(wire, realism):
    urllib.request.urlopen(urllib.request.Request(f"{wire}/moto-api/reset", method="POST"))
    ddb, sqs, s3 = (_wire_client(wire, s) for s in ("dynamodb", "sqs", "s3"))
    ddb.create_table(TableName="w", KeySchema=KEY, AttributeDefinitions=ATTRS,
                     BillingMode="PAY_PER_REQUEST")
    with pytest.raises(ClientError) as caught:
        ddb.describe_table(TableName="w")
    assert _code(caught.value) == "ResourceNotFoundException"
    url = sqs.create_queue(QueueName="wq")["QueueUrl"]
    with pytest.raises(ClientError) as queue:
        sqs.get_queue_attributes(QueueUrl=url)
    assert _code(queue.value) == "AWS.SimpleQueueService.NonExistentQueue"
    s3.create_bucket(Bucket="wire-bucket")
    with pytest.raises(ClientError) as bucket:
        s3.put_bucket_tagging(Bucket="wire-bucket", Tagging={"TagSet": []})
    assert _code(bucket.value) == "NoSuchBucket"
    time.sleep(0.6)
    assert ddb.describe_table(TableName="w")["Table"]["TableStatus"] == "ACTIVE"
    with pytest.raises(ClientError) as public:
        s3.put_bucket_policy(Bucket="wire-bucket", Policy=json.dumps(PUBLIC))
    assert _code(public.value) == "AccessDenied"


def test_a_rewritten_dynamodb_answer_is_taken_at_the_first_attempt(wire, realism):
    # The layer rewrites DescribeTable's body (CREATING); DynamoDB answers carry a CRC32 of
    # the body, which botocore checks and, on a mismatch, resends the request for.
    urllib.request.urlopen(urllib.request.Request(f"{wire}/moto-api/reset", method="POST"))
    ddb = _wire_client(wire, "dynamodb")
    ddb.create_table(TableName="crc", KeySchema=KEY, AttributeDefinitions=ATTRS,
                     BillingMode="PAY_PER_REQUEST")
    time.sleep(0.5)
    answer = ddb.describe_table(TableName="crc")
    assert answer["Table"]["TableStatus"] == "CREATING"
    assert answer["ResponseMetadata"]["RetryAttempts"] == 0


def test_realism_pending_names_real_behaviours_with_reasons():
    from tests.helpers import REALISM_PENDING

    names = {b.name for b in behaviours()}
    for name, fails, owner in REALISM_PENDING:
        assert name in names, name
        assert fails and owner, name


def test_the_env_switch_builds_a_layer_without_the_pending_behaviours(monkeypatch):
    from tests.helpers import REALISM_PENDING
    from tests.realism import from_env

    monkeypatch.delenv("AWSPROV_REALISM", raising=False)
    assert from_env() is None
    monkeypatch.setenv("AWSPROV_REALISM", "1")
    monkeypatch.setenv("AWSPROV_REALISM_SCALE", "2")
    layer = from_env()
    assert layer.scale == 2
    assert {b.name for b in layer.active} == \
        {b.name for b in behaviours()} - {name for name, *_ in REALISM_PENDING}


def test_kms_policy_and_state_changes_are_slow_to_show(moto):
    layer = Realism(off=frozenset({"kms.key-eventually-consistent"}))
    previous = activate(layer)
    try:
        aws, _ = make_context()
        kms = aws.client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
        changed = json.loads(before)
        changed["Statement"][0]["Sid"] = "Changed"
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(changed))
        assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before
        kms.disable_key(KeyId=key)
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
        time.sleep(0.6)
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
        assert "Changed" in kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    finally:
        activate(previous)


def test_a_deleted_queue_still_answers_its_attributes_and_tags(moto, realism):
    aws, _ = make_context()
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="ghost", tags={"team": "a"})["QueueUrl"]
    time.sleep(1.0)  # past the new queue's not-found second
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["QueueArn"]
    sqs.list_queue_tags(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"] \
        == {"QueueArn": arn}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    time.sleep(1.0)
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert _code(caught.value) == "AWS.SimpleQueueService.NonExistentQueue"


def test_ttl_is_enabling_then_enabled_and_disabling_then_disabled(moto, realism):
    aws, _ = make_context()
    ddb = aws.client("dynamodb")
    ddb.create_table(TableName="ttl", KeySchema=KEY, AttributeDefinitions=ATTRS,
                     BillingMode="PAY_PER_REQUEST")
    time.sleep(0.6)  # ACTIVE: UpdateTimeToLive is refused while CREATING

    def status() -> str:
        return ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"][
            "TimeToLiveStatus"]

    for enabled, changing, settled in ((True, "ENABLING", "ENABLED"),
                                       (False, "DISABLING", "DISABLED")):
        ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={
            "Enabled": enabled, "AttributeName": "expires"})
        assert status() == changing
        time.sleep(0.5)
        assert status() == settled
    assert realism["dynamodb.ttl-transition"].fired == 2


def test_a_throttling_storm_throttles_each_call_a_few_times_then_stops(moto, monkeypatch):
    from botocore.retries.standard import ExponentialBackoff

    from tests.realism import throttling_storm

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    layer = Realism(table=[throttling_storm(window=0.3, per_call=3)])
    previous = activate(layer)
    try:
        ddb = make_context()[0].client("dynamodb")
        answer = ddb.list_tables()
        assert answer["ResponseMetadata"]["RetryAttempts"] == 3
        assert layer["throttling.storm"].fired == 3
        time.sleep(0.3)
        assert ddb.list_tables()["ResponseMetadata"]["RetryAttempts"] == 0
    finally:
        activate(previous)

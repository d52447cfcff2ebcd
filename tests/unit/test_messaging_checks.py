"""The cross-resource checks no other tool makes, run before any AWS call: each error or
warning names the file, the line and the property, and offers the statement that fixes
it. One test per check (and the case that passes it)."""

from __future__ import annotations

import json

import pytest

from awsprov.errors import SpecError
from awsprov.spec.loader import load_stack
from tests.helpers import forbid_aws_clients, run_cli, write_spec

HEAD = "stack: chk\nregion: eu-west-2\n"


def _statement(service: str, *actions: str) -> str:
    return json.dumps({"Effect": "Allow", "Principal": {"Service": service},
                       "Action": list(actions), "Resource": "*"})


ROOT = ('{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:'
        'root"}, "Action": "kms:*", "Resource": "*"}')


def _key(*statements: str) -> str:
    if not statements:
        return "keys:\n  alerts: {alias: alias/chk-alerts}\n"
    body = ", ".join([ROOT, *statements])
    return (f"keys:\n  alerts:\n    alias: alias/chk-alerts\n"
            f"    policy: {{Version: '2012-10-17', Statement: [{body}]}}\n")


def _load(tmp_path, text: str):
    return load_stack(write_spec(tmp_path, HEAD + text))


def _error(tmp_path, text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        _load(tmp_path, text)
    return caught.value


ALARM_ON_TOPIC = """
topics:
  alerts: {name: chk-alerts, kms_key: "KEY"}
alarms:
  errors:
    name: chk-errors
    namespace: AWS/Lambda
    metric: Errors
    threshold: 5
    actions: ["${topics.alerts}"]
"""


def test_alarm_on_a_topic_under_the_aws_managed_key_cannot_deliver(tmp_path):
    error = _error(tmp_path, ALARM_ON_TOPIC.replace("KEY", "alias/aws/sns"))
    assert error.path == "alarms.errors.actions[0]"
    assert error.location.line == 12
    assert "alias/aws/sns" in error.message and "cannot deliver" in error.message


def test_alarm_on_a_topic_whose_key_does_not_let_cloudwatch_in(tmp_path):
    error = _error(tmp_path, _key() + ALARM_ON_TOPIC.replace("KEY", "${keys.alerts}"))
    assert error.path == "topics.alerts.kms_key"
    assert "default key policy" in error.message
    assert '"Principal": {"Service": "cloudwatch.amazonaws.com"}' in error.message
    assert '"kms:GenerateDataKey*"' in error.message
    # A grant for another service does not count; one for CloudWatch does.
    wrong = _key(_statement("sns.amazonaws.com", "kms:Decrypt", "kms:GenerateDataKey*"))
    assert "cloudwatch.amazonaws.com" in _error(
        tmp_path, wrong + ALARM_ON_TOPIC.replace("KEY", "${keys.alerts.arn}")).message
    right = _key(_statement("cloudwatch.amazonaws.com", "kms:Decrypt", "kms:GenerateDataKey*"))
    stack = _load(tmp_path, right + ALARM_ON_TOPIC.replace("KEY", "${keys.alerts}"))
    assert stack.warnings == []


def test_a_topic_no_alarm_publishes_to_needs_no_cloudwatch_grant(tmp_path):
    text = _key() + "topics:\n  alerts: {name: chk-alerts, kms_key: '${keys.alerts}'}\n"
    assert "topics.alerts" in _load(tmp_path, text).resources


TOPIC_TO_QUEUE = """
topics:
  events:
    name: chk-events
    subscriptions:
      - {protocol: sqs, endpoint: "${queues.work}"}
queues:
  work:
    name: chk-work
    kms_key: "${keys.alerts}"
    POLICY
"""

QUEUE_POLICY = ("policy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: "
                "{Service: sns.amazonaws.com}, Action: 'sqs:SendMessage', Resource: '*', "
                "Condition: {ArnEquals: {'aws:SourceArn': 'TOPIC_ARN'}}}]}")


def test_queue_whose_key_does_not_let_sns_deliver(tmp_path):
    error = _error(tmp_path, _key() + TOPIC_TO_QUEUE.replace("POLICY", ""))
    assert error.path == "queues.work.kms_key"
    assert "SNS cannot deliver messages from topics.events" in error.message
    assert '"Principal": {"Service": "sns.amazonaws.com"}' in error.message
    right = _key(_statement("sns.amazonaws.com", "kms:Decrypt", "kms:GenerateDataKey*"))
    policy = QUEUE_POLICY.replace("TOPIC_ARN", "arn:aws:sns:eu-west-2:${account_id}:chk-events")
    stack = _load(tmp_path, right + TOPIC_TO_QUEUE.replace("POLICY", policy))
    assert stack.warnings == []


def test_queue_under_the_aws_managed_key_cannot_receive_from_sns(tmp_path):
    text = TOPIC_TO_QUEUE.replace("POLICY", "").replace('"${keys.alerts}"', "alias/aws/sqs")
    error = _error(tmp_path, text)
    assert error.path == "queues.work.kms_key"
    assert "alias/aws/sqs" in error.message and "SNS cannot deliver" in error.message


def test_topic_delivering_to_a_queue_whose_policy_does_not_allow_it_is_a_warning(tmp_path):
    grant = _key(_statement("sns.amazonaws.com", "kms:*"))
    stack = _load(tmp_path, grant + TOPIC_TO_QUEUE.replace("POLICY", ""))
    assert len(stack.warnings) == 1
    warning = stack.warnings[0]
    assert ":14: queues.work: topics.events delivers to this queue, but this queue has no " \
           "policy" in warning
    assert '"aws:SourceArn": "arn:aws:sns:eu-west-2:${account_id}:chk-events"' in warning
    # A policy for another topic still warns, at the policy's line.
    other = QUEUE_POLICY.replace("TOPIC_ARN", "arn:aws:sns:eu-west-2:123456789012:chk-other")
    stack = _load(tmp_path, grant + TOPIC_TO_QUEUE.replace("POLICY", other))
    assert [w.split(": ")[1] for w in stack.warnings] == ["queues.work.policy"]
    # The account written out, or a reference-free wildcard, both allow the topic.
    for arn in ("arn:aws:sns:eu-west-2:123456789012:chk-events", "arn:aws:sns:*:*:chk-*"):
        allowed = QUEUE_POLICY.replace("TOPIC_ARN", arn).replace("ArnEquals", "ArnLike")
        assert _load(tmp_path, grant + TOPIC_TO_QUEUE.replace("POLICY", allowed)).warnings == []


def test_the_warning_reaches_stderr_and_validate_still_passes(tmp_path, capsys, monkeypatch):
    asked = forbid_aws_clients(monkeypatch)
    grant = _key(_statement("sns.amazonaws.com", "kms:*"))
    file = write_spec(tmp_path, HEAD + grant + TOPIC_TO_QUEUE.replace("POLICY", ""))
    code, out, err = run_cli(capsys, "validate", str(file))
    assert code == 0 and "valid" in out
    assert "warning:" in err and "SNS will drop its messages" in err
    assert asked == []


LOG_GROUP = "log_groups:\n  api:\n    name: /aws/apigateway/chk\n    kms_key: '${keys.alerts}'\n"


def test_log_group_key_must_let_cloudwatch_logs_of_the_region_in(tmp_path):
    error = _error(tmp_path, _key() + LOG_GROUP)
    assert error.path == "log_groups.api.kms_key"
    assert '"Service": "logs.eu-west-2.amazonaws.com"' in error.message
    actions = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
               "kms:Describe*")
    other_region = _key(_statement("logs.us-east-1.amazonaws.com", *actions))
    assert "logs.eu-west-2" in _error(tmp_path, other_region + LOG_GROUP).message
    partial = _key(_statement("logs.eu-west-2.amazonaws.com", "kms:Encrypt*", "kms:Decrypt*"))
    assert "(kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*)" in _error(
        tmp_path, partial + LOG_GROUP).message
    right = _key(_statement("logs.eu-west-2.amazonaws.com", *actions))
    assert _load(tmp_path, right + LOG_GROUP).warnings == []


DEAD_LETTER = """
queues:
  work:
    name: chk-work
    dead_letter: {queue: DLQ, max_receive_count: 3}
  dlq: {name: chk-dlq}
  fifo_dlq: {name: chk-dlq.fifo, fifo: true}
"""


@pytest.mark.parametrize(("dlq", "words"), [
    ("'${queues.fifo_dlq}'", "is a FIFO queue but this is a standard queue"),
    ("'arn:aws:sqs:us-east-1:123456789012:chk-dlq'", "is in us-east-1, this queue in eu-west-2"),
    ("'arn:aws:sqs:eu-west-2:123456789012:chk-dlq.fifo'", "is a FIFO queue"),
    ("'${queues.work}'", "cannot be its own dead-letter queue"),
    ("'${queues.dlq.url}'", "given by its ARN"),
])
def test_dead_letter_queue_of_another_kind_or_region(tmp_path, dlq, words):
    error = _error(tmp_path, DEAD_LETTER.replace("DLQ", dlq))
    assert error.path == "queues.work.dead_letter.queue"
    assert error.location.line == 7
    assert words in error.message


def test_dead_letter_queue_of_the_same_kind_and_region_passes(tmp_path):
    for dlq in ("'${queues.dlq}'", "'arn:aws:sqs:eu-west-2:123456789012:chk-dlq'"):
        assert _load(tmp_path, DEAD_LETTER.replace("DLQ", dlq)).warnings == []


def test_a_standard_topic_cannot_deliver_to_a_fifo_queue(tmp_path):
    error = _error(tmp_path, """
topics:
  events:
    name: chk-events
    subscriptions: [{protocol: sqs, endpoint: "${queues.orders}"}]
queues:
  orders: {name: chk-orders.fifo, fifo: true}
""")
    assert error.path == "topics.events.subscriptions[0].endpoint"
    assert "only a FIFO topic" in error.message

"""Bad input for topics, queues, log groups, alarms and dashboards: one line with
FILE:LINE and the property path, exit 1, and no AWS client ever built."""

from __future__ import annotations

import pytest

from tests.helpers import forbid_aws_clients, run_cli, write_spec

HEAD = "stack: bad\nregion: us-east-1\n"
TOPIC = "topics:\n  alerts:\n    name: bad-alerts\n"
QUEUE = "queues:\n  work:\n    name: bad-work\n"
ALARM = ("alarms:\n  depth:\n    name: bad-depth\n    namespace: AWS/SQS\n"
         "    metric: ApproximateNumberOfMessagesVisible\n    threshold: 10\n")
LOGS = "log_groups:\n  api:\n    name: /aws/apigateway/bad\n"
BOARD = "dashboards:\n  ops:\n    name: bad-ops\n"

OTHER_REGION_KEY = ("'arn:aws:kms:eu-west-1:123456789012:key/"
                    "1234abcd-12ab-34cd-56ef-1234567890ab'")
# (id, spec after HEAD, the line the error names, path, words the message contains)
CASES = [
    ("fifo-topic-without-suffix", TOPIC + "    fifo: true\n", 5,
     "topics.alerts.name", "must end in .fifo"),
    ("fifo-suffix-without-fifo", "topics:\n  alerts:\n    name: bad-alerts.fifo\n", 5,
     "topics.alerts.name", "set `fifo: true`"),
    ("unknown-protocol", TOPIC + "    subscriptions:\n      - {protocol: pigeon, endpoint: x}\n",
     7, "topics.alerts.subscriptions[0].protocol", "pigeon"),
    ("raw-delivery-on-email", TOPIC + "    subscriptions:\n"
     "      - {protocol: email, endpoint: a@b.c, raw_message_delivery: true}\n", 7,
     "topics.alerts.subscriptions[0].raw_message_delivery", "raw message delivery"),
    ("queue-url-as-endpoint", TOPIC + "    subscriptions:\n"
     "      - {protocol: sqs, endpoint: '${queues.work.url}'}\n" + QUEUE, 7,
     "topics.alerts.subscriptions[0].endpoint", "ARN"),
    ("duplicate-subscription", TOPIC + "    subscriptions:\n"
     "      - {protocol: email, endpoint: a@b.c}\n      - {protocol: email, endpoint: a@b.c}\n",
     8, "topics.alerts.subscriptions[1]", "same subscription"),
    ("fifo-queue-without-suffix", QUEUE + "    fifo: true\n", 5,
     "queues.work.name", "a FIFO queue's name must end in .fifo"),
    ("queue-suffix-with-fifo-false", "queues:\n  work:\n    name: bad-work.fifo\n"
     "    fifo: false\n", 6, "queues.work.fifo", "only FIFO queues may use the suffix"),
    ("visibility-too-long", QUEUE + "    visibility_timeout: 50000\n", 6,
     "queues.work.visibility_timeout", "43200"),
    ("long-poll-over-20", QUEUE + "    receive_wait_seconds: 21\n", 6,
     "queues.work.receive_wait_seconds", "20"),
    ("dead-letter-without-count", QUEUE + "    dead_letter: {queue: '${queues.dlq}'}\n"
     "  dlq: {name: bad-dlq}\n", 6, "queues.work.dead_letter", "max_receive_count"),
    ("dead-letter-of-other-kind", QUEUE + "    dead_letter: {queue: '${queues.dlq}', "
     "max_receive_count: 3}\n  dlq: {name: bad-dlq.fifo, fifo: true}\n", 6,
     "queues.work.dead_letter.queue", "FIFO queue"),
    ("dead-letter-in-another-region", QUEUE + "    dead_letter: {queue: "
     "'arn:aws:sqs:eu-west-1:123456789012:dlq', max_receive_count: 3}\n", 6,
     "queues.work.dead_letter.queue", "eu-west-1"),
    ("unknown-queue-property", QUEUE + "    visibility: 30\n", 6,
     "queues.work.visibility", "unknown property"),
    ("retention-cloudwatch-refuses", LOGS + "    retention_days: 2\n", 6,
     "log_groups.api.retention_days", "2"),
    ("log-key-as-alias", LOGS + "    kms_key: alias/logs\n", 6,
     "log_groups.api.kms_key", "not a key ARN"),
    ("median-statistic", ALARM + "    statistic: Median\n", 9,
     "alarms.depth.statistic", "'Median' is not a statistic"),
    ("bad-comparison", ALARM + "    comparison: '=>'\n", 9,
     "alarms.depth.comparison", "=>"),
    ("period-not-multiple-of-60", ALARM + "    period: 45\n", 9,
     "alarms.depth.period", "10, 20, 30 or a multiple of 60"),
    ("datapoints-over-periods", ALARM + "    evaluation_periods: 2\n"
     "    datapoints_to_alarm: 3\n", 10, "alarms.depth.datapoints_to_alarm",
     "3 datapoints cannot be found in 2"),
    ("six-actions", ALARM + "    actions: [" + ", ".join(
        f"'arn:aws:sns:us-east-1:123456789012:t{i}'" for i in range(6)) + "]\n", 9,
     "alarms.depth.actions", "6 items; at most 5 allowed"),
    ("action-to-a-queue", ALARM + "    actions: ['${queues.work}']\n" + QUEUE, 9,
     "alarms.depth.actions[0]", "not an SNS topic"),
    ("alarm-without-threshold", "alarms:\n  depth:\n    name: d\n    namespace: N\n"
     "    metric: M\n", 4, "alarms.depth", "threshold"),
    ("body-without-widgets", BOARD + "    body: {start: -PT3H}\n", 6,
     "dashboards.ops.body", "widgets"),
    ("unknown-widget-type", BOARD + "    body:\n      widgets:\n        - {type: pie}\n", 8,
     "dashboards.ops.body.widgets[0].type", "pie"),
    ("dashboard-name-with-space", "dashboards:\n  ops:\n    name: my board\n"
     "    body: {widgets: []}\n", 5, "dashboards.ops.name", "my board"),
    ("queue-key-typo", QUEUE + "    kms_key: arn:aws:kms:us-east-1:123:key/x\n", 6,
     "queues.work.kms_key", "is not a KMS key"),
    ("alarm-action-not-an-arn", ALARM + "    actions: [alerts]\n", 9,
     "alarms.depth.actions[0]", "neither ${topics.NAME} nor an action ARN"),
    ("queue-policy-refers-to-itself", QUEUE + "    policy: {Statement: [{Effect: Allow, "
     "Principal: '*', Action: 'sqs:*', Resource: '${queues.work}'}]}\n", 6,
     "queues.work.policy.Statement[0].Resource", "refers to this queue itself"),
    ("topic-policy-refers-to-itself", TOPIC + "    policy: {Statement: [{Effect: Allow, "
     "Principal: '*', Action: 'sns:Publish', Resource: '${topics.alerts.arn}'}]}\n", 6,
     "topics.alerts.policy.Statement[0].Resource", "refers to this topic itself"),
    ("dashboard-tags", BOARD + "    body: {widgets: []}\n    tags: {a: b}\n", 7,
     "dashboards.ops.tags", "cannot be tagged"),
    # ---- rules added by the refusals audit (docs/refusals.md)
    ("fifo-topic-email-subscription", "topics:\n  alerts:\n    name: bad-alerts.fifo\n"
     "    fifo: true\n    subscriptions:\n      - {protocol: email, endpoint: a@b.c}\n", 8,
     "topics.alerts.subscriptions[0].protocol", "a FIFO topic delivers only to SQS queues"),
    ("log-group-reserved-prefix", "log_groups:\n  api:\n    name: aws/mine\n", 5,
     "log_groups.api.name", "cannot start with aws/"),
    ("alarm-window-over-a-day", ALARM + "    evaluation_periods: 300\n", 9,
     "alarms.depth.evaluation_periods", "at most a day (86400 s)"),
    ("alarm-window-over-seven-days", ALARM + "    period: 3600\n    evaluation_periods: 169\n",
     10, "alarms.depth.evaluation_periods", "at most seven days (604800 s)"),
    ("alarm-window-from-the-period", ALARM + "    period: 86400\n    evaluation_periods: 8\n",
     10, "alarms.depth.evaluation_periods", "691200 s"),
    ("alarm-action-in-another-region", ALARM + "    actions: "
     "['arn:aws:sns:eu-west-1:123456789012:pager']\n", 9, "alarms.depth.actions[0]",
     "the action is in eu-west-1, the alarm in us-east-1"),
    ("alarm-dimension-value-too-long", ALARM + "    dimensions: {QueueName: " + "q" * 1025
     + "}\n", 9, "alarms.depth.dimensions.QueueName", "1025 characters; at most 1024"),
    ("dashboard-body-over-1-mb", BOARD + "    body:\n      widgets:\n        - type: text\n"
     "          properties: {markdown: " + "m" * (1024 * 1024) + "}\n", 6,
     "dashboards.ops.body", "PutDashboard accepts at most 1048576"),
    ("queue-dead-letter-receive-count-over-1000", QUEUE + "    dead_letter: {queue: "
     "'arn:aws:sqs:us-east-1:123456789012:dlq', max_receive_count: 1001}\n", 6,
     "queues.work.dead_letter.max_receive_count", "1000"),
    ("queue-retention-under-a-minute", QUEUE + "    retention_seconds: 59\n", 6,
     "queues.work.retention_seconds", "60"),
    ("queue-delay-over-15-minutes", QUEUE + "    delay_seconds: 901\n", 6,
     "queues.work.delay_seconds", "900"),
    ("queue-message-size-over-1-mib", QUEUE + "    max_message_size: 1048577\n", 6,
     "queues.work.max_message_size", "1048576"),
    ("missing-data-bogus", ALARM + "    treat_missing_data: bogus\n", 9,
     "alarms.depth.treat_missing_data", "bogus"),
    ("percentile-p950", ALARM + "    statistic: p950\n", 9,
     "alarms.depth.statistic", "'p950' is not a statistic"),
    ("filter-policy-six-keys", TOPIC + "    subscriptions:\n      - protocol: email\n"
     "        endpoint: a@b.c\n        filter_policy: {a: [1], b: [1], c: [1], d: [1], e: [1], "
     "f: [1]}\n", 9, "topics.alerts.subscriptions[0].filter_policy",
     "6 keys; at most 5 allowed"),
    ("filter-policy-151-combinations", TOPIC + "    subscriptions:\n      - protocol: email\n"
     "        endpoint: a@b.c\n        filter_policy: {a: [" + ", ".join(map(str, range(151)))
     + "]}\n", 9, "topics.alerts.subscriptions[0].filter_policy", "151 value combinations"),
    ("topic-display-name-over-100", TOPIC + "    display_name: " + "d" * 101 + "\n", 6,
     "topics.alerts.display_name", "101 characters; at most 100"),
    ("queue-name-over-80", "queues:\n  work:\n    name: " + "q" * 81 + "\n", 5,
     "queues.work.name", "1-80 of"),
    ("log-group-name-over-512", "log_groups:\n  api:\n    name: " + "l" * 513 + "\n", 5,
     "log_groups.api.name", "1-512 of"),
    ("alarm-31-dimensions", ALARM + "    dimensions: {" + ", ".join(f"d{i}: v" for i in range(31))
     + "}\n", 9, "alarms.depth.dimensions", "31 keys; at most 30"),
    ("alarm-description-over-1024", ALARM + "    description: " + "d" * 1025 + "\n", 9,
     "alarms.depth.description", "1025 characters; at most 1024"),
    ("dashboard-501-widgets", BOARD + "    body:\n      widgets:\n"
     + "        - {type: text}\n" * 501, 7, "dashboards.ops.body.widgets",
     "501 items; at most 500"),
    ("queue-key-in-another-region", QUEUE + "    kms_key: " + OTHER_REGION_KEY + "\n",
     6,
     "queues.work.kms_key", "the key is in eu-west-1, the queue in us-east-1"),
    ("topic-key-in-another-region", TOPIC + "    kms_key: " + OTHER_REGION_KEY + "\n",
     6,
     "topics.alerts.kms_key", "the key is in eu-west-1, the topic in us-east-1"),
    ("log-group-key-in-another-region", LOGS + "    kms_key: " + OTHER_REGION_KEY + "\n",
     6,
     "log_groups.api.kms_key", "the key is in eu-west-1, the log group in us-east-1"),
    ("statistic-trimmed-mean-without-bounds", ALARM + "    statistic: 'TM(:)'\n", 9,
     "alarms.depth.statistic", "is not a statistic"),
    ("alarm-name-with-a-control-character", ALARM.replace("name: bad-depth",
                                                          'name: "bad\\tdepth"'), 5,
     "alarms.depth.name", "no control characters"),
    ("topic-tag-value-too-long", TOPIC + "    tags: {team: " + "t" * 257 + "}\n", 6,
     "topics.alerts.tags.team", "257 characters; at most 256"),
]


@pytest.mark.parametrize(("spec", "line", "path", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_located_line_and_no_aws_call(tmp_path, capsys, monkeypatch, spec,
                                                       line, path, words):
    asked = forbid_aws_clients(monkeypatch)
    file = write_spec(tmp_path, HEAD + spec)
    code, out, err = run_cli(capsys, "validate", str(file))
    assert code == 1, out + err
    first = err.strip().splitlines()[0]
    assert f"{file}:{line}: {path}: " in first, err
    assert words in first, err
    assert "Traceback" not in err
    assert asked == []


@pytest.mark.parametrize("statistic", ["p99.9", "tm90", "IQM", "TM(10%:90%)", "WM(:95%)",
                                       "TC(150:1000)", "TS(5%:)", "PR(:300)", "PR(100:2000)"])
def test_every_extended_statistic_form_cloudwatch_takes_is_accepted(tmp_path, capsys,
                                                                    monkeypatch, statistic):
    """Refusing what AWS accepts is as wrong as sending what it refuses."""
    asked = forbid_aws_clients(monkeypatch)
    file = write_spec(tmp_path, HEAD + ALARM + f"    statistic: '{statistic}'\n")
    code, out, err = run_cli(capsys, "validate", str(file))
    assert code == 0, out + err
    assert asked == []


@pytest.mark.parametrize("action", ["${topics.alerts}",
                                    "arn:aws:sns:us-east-1:123456789012:pager.fifo"])
def test_an_alarm_action_to_a_fifo_topic_is_a_located_warning(tmp_path, capsys, monkeypatch,
                                                              action):
    asked = forbid_aws_clients(monkeypatch)
    file = write_spec(tmp_path, HEAD + ALARM + f"    actions: ['{action}']\n"
                      "topics:\n  alerts:\n    name: bad-alerts.fifo\n    fifo: true\n")
    code, out, err = run_cli(capsys, "validate", str(file))
    assert code == 0, out + err
    assert f"warning: {file}:9: alarms.depth.actions[0]: " in err
    assert "which a FIFO topic refuses" in err
    assert asked == []

"""`verify --baseline` over live resources of all nine types, read back from moto: the
rules of tests/unit/test_baseline.py fire on what `read` returns, through the real CLI."""

from __future__ import annotations

import json

from tests.helpers import run_cli, write_spec

SPEC = """
stack: baseline
region: us-east-1
keys:
  k: {alias: alias/baseline-k, rotation: false}
tables:
  t: {name: baseline-t, hash_key: id, attributes: {id: S}}
buckets:
  b: {name: baseline-b-4711, enforce_tls: false}
secrets:
  s: {name: baseline/s}
topics:
  open:
    name: baseline-open
    policy:
      Statement:
        - {Effect: Allow, Principal: "*", Action: "sns:Publish",
           Resource: "arn:aws:sns:us-east-1:${account_id}:baseline-open"}
queues:
  q: {name: baseline-q}
log_groups:
  l: {name: /baseline/l}
alarms:
  a: {name: baseline-a, namespace: AWS/SQS, metric: NumberOfMessagesSent, threshold: 1}
dashboards:
  d:
    name: baseline-d
    body:
      widgets:
        - {type: text, x: 0, y: 0, width: 6, height: 2,
           properties: {markdown: "deploy key AKIAIOSFODNN7EXAMPLE"}}
"""

EXPECTED = {
    "keys.k": {"key-rotation"},
    "tables.t": {"table-pitr", "table-deletion-protection", "table-kms"},
    "buckets.b": {"bucket-versioning", "bucket-tls", "bucket-access-logging"},
    "secrets.s": {"secret-cmk"},
    "topics.open": {"topic-kms", "topic-policy-public"},
    "queues.q": {"queue-kms"},
    "log_groups.l": {"log-retention", "log-kms"},
    "alarms.a": {"alarm-actions"},
    "dashboards.d": {"dashboard-credentials"},
}


def test_baseline_findings_of_every_type_from_live(moto, fast_cli, tmp_path, capsys):
    spec = str(write_spec(tmp_path, SPEC))
    code, _out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, err
    code, out, err = run_cli(capsys, "verify", spec, "--output", "json")
    assert code == 0, out + err  # without --baseline: clean, no findings
    code, out, _err = run_cli(capsys, "verify", spec, "--baseline", "--output", "json")
    assert code == 2
    report = json.loads(out)
    assert report["drift"] == []
    found: dict[str, set[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["address"], set()).add(finding["rule"])
    assert found == EXPECTED
    assert "AKIAIOSFODNN7EXAMPLE" not in out


INFO_ONLY = """
stack: baseline-info
region: us-east-1
tables:
  t:
    name: baseline-info-t
    hash_key: id
    attributes: {id: S}
    point_in_time_recovery: true
"""


def test_info_findings_are_reported_but_do_not_fail_verify(moto, fast_cli, tmp_path, capsys):
    spec = str(write_spec(tmp_path, INFO_ONLY))
    code, _out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, err
    code, out, _err = run_cli(capsys, "verify", spec, "--baseline", "--output", "json")
    report = json.loads(out)
    assert {f["rule"] for f in report["findings"]} == {"table-deletion-protection",
                                                        "table-kms"}
    assert {f["severity"] for f in report["findings"]} == {"info"}
    assert (code, report["clean"]) == (0, True)
    code, out, _err = run_cli(capsys, "verify", spec, "--baseline")
    assert code == 0
    assert "[table-deletion-protection]" in out
    assert out.rstrip().endswith("(2 info findings).")
    code, out, _err = run_cli(capsys, "verify", spec, "--baseline", "--output", "junit")
    assert code == 0
    assert 'failures="0"' in out and "info [table-kms]" in out

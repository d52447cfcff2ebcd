"""Malformed bucket specs: exit 1, one line `FILE:LINE: path: message`, and no AWS call.

Each case is a spec whose offending line carries `#!`; the error must point at it.
"""

from __future__ import annotations

import pytest

from tests.helpers import forbid_aws_clients, run_cli, write_spec

HEADER = "stack: bad\nregion: us-east-1\nbuckets:\n"

CASES = {
    "uppercase name": ("""
  a:
    name: Payments_Bucket  #!
""", "buckets.a.name", "only lowercase letters, digits"),
    "name too short": ("""
  a:
    name: ab  #!
""", "buckets.a.name", "3-63 characters"),
    "name too long": (f"""
  a:
    name: {"x" * 64}  #!
""", "buckets.a.name", "3-63 characters long"),
    "ip address name": ("""
  a:
    name: 192.168.10.1  #!
""", "buckets.a.name", "IP address"),
    "xn-- prefix": ("""
  a:
    name: xn--payments  #!
""", "buckets.a.name", "may not start with 'xn--'"),
    "-s3alias suffix": ("""
  a:
    name: payments-s3alias  #!
""", "buckets.a.name", "may not end with '-s3alias'"),
    "--ol-s3 suffix": ("""
  a:
    name: payments--ol-s3  #!
""", "buckets.a.name", "may not end with '--ol-s3'"),
    "adjacent periods": ("""
  a:
    name: pay..ments  #!
""", "buckets.a.name", "two adjacent periods"),
    "name ends with hyphen": ("""
  a:
    name: payments-  #!
""", "buckets.a.name", "begins and ends with a letter or digit"),
    "unknown property": ("""
  a:
    name: payments-1
    versoning: true  #!
""", "buckets.a.versoning", "unknown property 'versoning'"),
    "unknown sse algorithm": ("""
  a:
    name: payments-1
    encryption:
      sse: SSE-C  #!
""", "buckets.a.encryption.sse", "is not one of"),
    "AES256 with a kms key": ("""
  a:
    name: payments-1
    encryption:
      sse: AES256
      kms_key: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab  #!
""", "buckets.a.encryption.kms_key", "kms_key means SSE-KMS"),
    "kms key not an ARN or reference": ("""
  a:
    name: payments-1
    encryption:
      kms_key: my-key  #!
""", "buckets.a.encryption.kms_key", "my-key"),
    "kms key in another region": ("""
  a:
    name: payments-1
    encryption:
      kms_key: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab  #!
""", "buckets.a.encryption.kms_key", "the key is in eu-west-1"),
    "IA transition before 30 days": ("""
  a:
    name: payments-1
    lifecycle:
      - id: ia
        transitions:
          - days: 10  #!
            storage_class: STANDARD_IA
""", "buckets.a.lifecycle[0].transitions[0].days", "at least 30 days"),
    "expiration before the last transition": ("""
  a:
    name: payments-1
    lifecycle:
      - id: archive
        transitions: [{days: 90, storage_class: GLACIER}]
        expiration_days: 60  #!
""", "buckets.a.lifecycle[0].expiration_days", "must come after the last transition"),
    "unknown storage class": ("""
  a:
    name: payments-1
    lifecycle:
      - id: cold
        transitions:
          - days: 30
            storage_class: COLD  #!
""", "buckets.a.lifecycle[0].transitions[0].storage_class", "is not one of"),
    "transition to a warmer class": ("""
  a:
    name: payments-1
    lifecycle:
      - id: back
        transitions:
          - {days: 30, storage_class: GLACIER}
          - {days: 90, storage_class: STANDARD_IA}  #!
""", "buckets.a.lifecycle[0].transitions[1].storage_class", "not colder"),
    "lifecycle rule without action": ("""
  a:
    name: payments-1
    lifecycle:
      - id: nothing  #!
        prefix: tmp/
""", "buckets.a.lifecycle[0]", "has no action"),
    "lifecycle rule id twice": ("""
  a:
    name: payments-1
    lifecycle:
      - id: same
        expiration_days: 30
      - id: same  #!
        expiration_days: 60
""", "buckets.a.lifecycle[1].id", "used twice"),
    "min object size without lifecycle": ("""
  a:
    name: payments-1
    lifecycle_min_object_size: varies_by_storage_class  #!
""", "buckets.a.lifecycle_min_object_size", "needs lifecycle rules"),
    "cors without methods": ("""
  a:
    name: payments-1
    cors:
      - allowed_origins: ["https://example.com"]  #!
""", "buckets.a.cors[0]", "'allowed_methods' is a required property"),
    "cors unknown method": ("""
  a:
    name: payments-1
    cors:
      - allowed_origins: ["https://example.com"]
        allowed_methods: [GET, PATCH]  #!
""", "buckets.a.cors[0].allowed_methods[1]", "is not one of"),
    "object lock with days and years": ("""
  a:
    name: payments-1
    object_lock: {mode: GOVERNANCE, days: 1, years: 1}  #!
""", "buckets.a.object_lock", "exactly one of `days` or `years`"),
    "object lock without versioning": ("""
  a:
    name: payments-1
    versioning: false  #!
    object_lock: {mode: COMPLIANCE, years: 1}
""", "buckets.a.versioning", "object lock needs versioning"),
    "unknown ownership": ("""
  a:
    name: payments-1
    ownership: Private  #!
""", "buckets.a.ownership", "is not one of"),
    "policy without statements": ("""
  a:
    name: payments-1
    policy: {Version: "2012-10-17"}  #!
""", "buckets.a.policy", "'Statement' is a required property"),
    "public policy while the block is on": ("""
  a:
    name: payments-1
    policy:  #!
      Statement:
        - {Sid: Public, Effect: Allow, Principal: "*", Action: "s3:GetObject",
           Resource: "arn:aws:s3:::payments-1/*"}
""", "buckets.a.policy", "while public_access_block is on"),
    "public policy conditioned on TLS only while the block is on": ("""
  a:
    name: payments-1
    policy:  #!
      Statement:
        - {Sid: Tls, Effect: Allow, Principal: "*", Action: "s3:GetObject",
           Resource: "arn:aws:s3:::payments-1/*",
           Condition: {Bool: {"aws:SecureTransport": "true"}}}
""", "buckets.a.policy", "statement Tls is public"),
    "public policy conditioned on the referer while the block is on": ("""
  a:
    name: payments-1
    policy:  #!
      Statement:
        - {Effect: Allow, Principal: "*", Action: "s3:GetObject",
           Resource: "arn:aws:s3:::payments-1/*",
           Condition: {StringLike: {"aws:Referer": "https://example.com/*"}}}
""", "buckets.a.policy", "while public_access_block is on"),
    "wildcard SourceArn while the block is on": ("""
  a:
    name: payments-1
    policy:  #!
      Statement:
        - {Effect: Allow, Principal: "*", Action: "s3:PutObject",
           Resource: "arn:aws:s3:::payments-1/*",
           Condition: {ArnLike: {"aws:SourceArn": "arn:aws:s3:::*"}}}
""", "buckets.a.policy", "while public_access_block is on"),
    "logging target of the stack named literally": ("""
  logs:
    name: payments-logs
  a:
    name: payments-1
    logging:
      target_bucket: payments-logs  #!
""", "buckets.a.logging.target_bucket", "${buckets.logs.name}"),
    "logging into an object-locked bucket": ("""
  logs:
    name: payments-logs
    object_lock: {mode: GOVERNANCE, days: 1}
  a:
    name: payments-1
    logging:
      target_bucket: ${buckets.logs.name}  #!
""", "buckets.a.logging.target_bucket", "S3 cannot deliver access logs"),
    "logging into an SSE-KMS bucket": ("""
  logs:
    name: payments-logs
    encryption: {sse: aws:kms}
  a:
    name: payments-1
    logging:
      target_bucket: ${buckets.logs.name}  #!
""", "buckets.a.logging.target_bucket", "SSE-S3 (AES256)"),
    "logging into itself": ("""
  a:
    name: payments-1
    logging:
      target_bucket: payments-1  #!
""", "buckets.a.logging.target_bucket", "logging to itself"),
    "versioning not a boolean": ("""
  a:
    name: payments-1
    versioning: "yes"  #!
""", "buckets.a.versioning", "expected boolean"),
    # ---- rules added by the refusals audit (docs/refusals.md)
    "more than 1000 lifecycle rules": ("""
  a:
    name: payments-1
    lifecycle:  #!
""" + "".join(f"      - {{id: r{i}, expiration_days: 1}}\n" for i in range(1001)),
        "buckets.a.lifecycle", "1001 items; at most 1000 allowed"),
    "policy over 20 KB": ("""
  a:
    name: payments-1
    policy:  #!
      Statement:
""" + "".join(f"        - {{Sid: S{i}, Effect: Deny, Principal: {{AWS: '123456789012'}}, "
              f"Action: 's3:PutObject', Resource: 'arn:aws:s3:::payments-1/p{i}/*'}}\n"
              for i in range(200)),
        "buckets.a.policy", "S3 accepts at most 20480"),
    "more than 100 cors rules": ("""
  a:
    name: payments-1
    cors:  #!
""" + "      - {allowed_methods: [GET], allowed_origins: ['*']}\n" * 101,
        "buckets.a.cors", "101 items; at most 100 allowed"),
    "lifecycle rule id over 255 characters": (f"""
  a:
    name: payments-1
    lifecycle:
      - {{id: {"r" * 256}, expiration_days: 1}}  #!
""", "buckets.a.lifecycle[0].id", "256 characters; at most 255"),
    "cors origin with two wildcards": ("""
  a:
    name: payments-1
    cors:
      - allowed_methods: [GET]
        allowed_origins: ['https://*.*.example.com']  #!
""", "buckets.a.cors[0].allowed_origins[0]", "at most one * wildcard"),
    "cors header with two wildcards": ("""
  a:
    name: payments-1
    cors:
      - allowed_methods: [GET]
        allowed_origins: ['*']
        allowed_headers: ['x-*-*']  #!
""", "buckets.a.cors[0].allowed_headers[0]", "at most one * wildcard"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_bucket_spec_is_refused_before_any_aws_call(case, tmp_path, capsys,
                                                              monkeypatch):
    body, path, fragment = CASES[case]
    text = HEADER + body.lstrip("\n")
    spec = write_spec(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "#!" in row)
    asked = forbid_aws_clients(monkeypatch)
    code, out, err = run_cli(capsys, "validate", str(spec))
    assert code == 1, out + err
    assert f"{spec}:{line}: {path}: " in err, err
    assert fragment in err, err
    assert "Traceback" not in err
    assert asked == []


def test_there_are_at_least_fifteen_cases():
    assert len(CASES) >= 15

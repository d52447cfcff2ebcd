"""The one policy comparer: same meaning, same canonical form."""

from __future__ import annotations

import pytest

from awsprov.resources import policy

BASE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
     "Action": "kms:*", "Resource": "*"}]}


def _with(**changes):
    statement = {**BASE["Statement"][0], **changes}
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize(("a", "b"), [
    # an account id is stored as its root ARN
    (_with(Principal={"AWS": "111122223333"}), BASE),
    # a single value equals a one-item list
    (_with(Action=["kms:*"], Resource=["*"]), BASE),
    (_with(Principal={"AWS": ["arn:aws:iam::111122223333:root"]}), BASE),
    # a statement given as a map rather than a list
    ({"Version": "2012-10-17", "Statement": BASE["Statement"][0]}, BASE),
    # policy as JSON text, as AWS returns it
    ('{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow",'
     '"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}',
     BASE),
    # action names ignore case; list order and duplicates do not matter
    (_with(Action=["KMS:Decrypt", "kms:Encrypt", "kms:decrypt"]),
     _with(Action=["kms:Encrypt", "kms:Decrypt"])),
], ids=["account-id", "single-vs-list", "principal-list", "statement-map", "json-text",
        "action-case-order"])
def test_same_meaning_compares_equal(a, b):
    assert policy.same(a, b)
    assert policy.canonical(a) == policy.canonical(b)


def test_principal_star_equals_aws_star():
    assert policy.same(_with(Principal="*"), _with(Principal={"AWS": "*"}))
    assert policy.same(_with(Principal="*"), _with(Principal={"AWS": ["*"]}))


def test_condition_values_compare_as_strings_and_sets():
    a = _with(Condition={"Bool": {"aws:SecureTransport": False},
                         "NumericLessThan": {"s3:max-keys": 10},
                         "StringEquals": {"aws:SourceAccount": ["2", "1", "1"]}})
    b = _with(Condition={"Bool": {"aws:SecureTransport": "false"},
                         "NumericLessThan": {"s3:max-keys": "10"},
                         "StringEquals": {"aws:SourceAccount": ["1", "2"]}})
    assert policy.same(a, b)


def test_statement_order_does_not_matter():
    one = {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::b/*"}
    two = {"Sid": "B", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
           "Resource": "arn:aws:s3:::b/*"}
    assert policy.same({"Statement": [one, two]}, {"Statement": [two, one]})


@pytest.mark.parametrize("different", [
    _with(Effect="Deny"),
    _with(Action="kms:Decrypt"),
    _with(Principal={"AWS": "arn:aws:iam::999999999999:root"}),
    _with(Principal={"Service": "logs.amazonaws.com"}),
    _with(Resource="arn:aws:kms:us-east-1:111122223333:key/abc"),
    _with(Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}}),
    _with(Sid="Other"),
], ids=["effect", "action", "account", "principal-kind", "resource", "condition", "sid"])
def test_different_meaning_compares_different(different):
    assert not policy.same(different, BASE)


def test_none_equals_only_none():
    assert policy.same(None, None)
    assert not policy.same(None, BASE)
    assert not policy.same(BASE, None)


def test_not_a_policy_is_refused():
    with pytest.raises(policy.PolicyError):
        policy.canonical("not json")
    with pytest.raises(policy.PolicyError):
        policy.canonical(["a list"])


def test_with_statements_replaces_by_sid_and_allows_checks_service_principals():
    added = {"Sid": "Root", "Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt"], "Resource": "*"}
    doc = policy.with_statements(BASE, [added])
    assert len(doc["Statement"]) == 1
    assert policy.allows(doc, "logs.amazonaws.com", "kms:GenerateDataKey") is False
    assert policy.allows(doc, "logs.amazonaws.com", "kms:EncryptDataKey") is True
    assert policy.allows(doc, "logs.amazonaws.com", "kms:Encrypt") is True
    assert policy.allows(doc, "sns.amazonaws.com", "kms:Decrypt") is False


def _open(condition=None):
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::b/*"}
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


# S3's "meaning of public": a condition makes "*" non-public only when it pins one of the
# listed keys to fixed values.
@pytest.mark.parametrize("condition", [
    None,
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringLike": {"aws:Referer": "https://example.com/*"}},
    {"StringEquals": {"aws:Referer": "https://example.com/"}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}},
    {"StringLike": {"aws:SourceAccount": "1234*"}},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
    {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
    {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-abc"]}},
], ids=["none", "secure-transport", "referer-like", "referer-equals", "wildcard-source-arn",
        "wildcard-account", "every-ip", "negated", "if-exists", "for-all-values"])
def test_conditions_that_leave_a_statement_public(condition):
    assert len(policy.public_statements(_open(condition))) == 1


@pytest.mark.parametrize("condition", [
    {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7/32"]}},
    {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"}},
    {"StringEquals": {"aws:SourceVpc": "vpc-111bbb22"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
    {"StringEquals": {"aws:SourceOwner": "111122223333"}},
    {"StringEquals": {"aws:SourceAccount": "111122223333"}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
    {"StringEquals": {"aws:PrincipalAccount": "111122223333"}},
    {"StringEquals": {"aws:userid": "AIDAEXAMPLE"}},
    {"StringEquals": {"kms:CallerAccount": "111122223333"}},
    # one limiting condition is enough: every condition of a statement must hold
    {"Bool": {"aws:SecureTransport": "true"},
     "StringEquals": {"aws:SourceAccount": "111122223333"}},
])
def test_conditions_that_limit_a_statement_to_fixed_sources(condition):
    assert policy.public_statements(_open(condition)) == []

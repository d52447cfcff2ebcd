"""Policy documents compared by meaning, not text: the one comparer keys, buckets, topics
and queues share.

AWS hands a policy back rewritten: a single statement or action becomes a list or the
other way round, `"Principal": "*"` may come back as `{"AWS": "*"}`, an account id comes
back as `arn:PARTITION:iam::ID:root`, condition values come back as strings, statements and
list items in another order. `canonical()` maps every such spelling to one form, so
`same(desired, live)` is true exactly when AWS would enforce the same thing.
"""

from __future__ import annotations

import json
import re
from typing import Any

VERSION = "2012-10-17"
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
# An account's root, in any partition (aws, aws-cn, aws-us-gov, ...).
_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")


class PolicyError(ValueError):
    """A policy that is not a JSON object with statements."""


def parse(document: Any) -> dict[str, Any]:
    """A policy given as a map or as JSON text (as AWS returns it), as a map."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise PolicyError(f"policy is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyError("a policy must be a map with Statement")
    return document


def canonical(document: Any) -> dict[str, Any]:
    """One spelling of a policy: lists sorted and deduplicated, principals and condition
    values normalized, statements in a stable order. Sids are kept (they are visible in
    the console and in errors), the Id is dropped (AWS ignores it for evaluation)."""
    doc = parse(document)
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    normalized = [_statement(s) for s in statements]
    unique: dict[str, dict[str, Any]] = {}
    for statement in normalized:
        unique.setdefault(_statement_key(statement), statement)
    return {"Version": doc.get("Version", VERSION),
            "Statement": [unique[k] for k in sorted(unique)]}


def same(a: Any, b: Any) -> bool:
    """True when two policies mean the same (None equals None only)."""
    if a is None or b is None:
        return a is None and b is None
    return canonical(a) == canonical(b)


def to_json(document: Any) -> str:
    """Compact JSON for a Put*Policy call."""
    return json.dumps(parse(document), separators=(",", ":"), sort_keys=True)


def with_statements(document: Any | None, statements: list[dict[str, Any]]) -> dict[str, Any]:
    """`document` plus `statements`, replacing any statement with the same Sid."""
    doc = dict(parse(document)) if document is not None else {"Version": VERSION}
    existing = doc.get("Statement", [])
    if isinstance(existing, dict):
        existing = [existing]
    sids = {s.get("Sid") for s in statements if s.get("Sid")}
    kept = [s for s in existing if not (s.get("Sid") and s.get("Sid") in sids)]
    doc["Statement"] = [*kept, *statements]
    doc.setdefault("Version", VERSION)
    return doc


def statements_of(document: Any | None) -> list[dict[str, Any]]:
    if document is None:
        return []
    return canonical(document)["Statement"]


def allows(document: Any | None, principal_service: str, action: str,
           context: dict[str, str] | None = None) -> bool:
    """Whether some Allow statement grants `action` to the service principal (used by the
    cross-resource checks: may CloudWatch use this key?). Conditions on the keys given in
    `context` (e.g. {"aws:SourceArn": topic ARN}) are evaluated with the String/Arn
    Equals/Like operators; conditions on other keys are not: such a statement still
    counts as allowing, since awsprov cannot know their values offline."""
    for statement in statements_of(document):
        if statement.get("Effect") != "Allow":
            continue
        principals = statement.get("Principal", {})
        services = principals.get("Service", []) if isinstance(principals, dict) else []
        everyone = principals.get("AWS") == ["*"] if isinstance(principals, dict) else False
        if principal_service not in services and not everyone:
            continue
        if not any(_action_matches(pattern, action) for pattern in statement.get("Action", [])):
            continue
        if _conditions_hold(statement.get("Condition"), context or {}):
            return True
    return False


def grants_to_some_aws_principal(document: Any | None, action: str) -> bool:
    """Whether some Allow statement may give `action` to an IAM principal (an account,
    user, role or "*"). NotAction and NotPrincipal statements count as granting: this
    answers "is it certainly impossible?", for refusing what AWS would refuse."""
    for statement in statements_of(document):
        if statement.get("Effect") != "Allow":
            continue
        principals = statement.get("Principal", {})
        to_iam = "NotPrincipal" in statement or (
            isinstance(principals, dict) and bool(principals.get("AWS")))
        actions = statement.get("Action", [])
        if to_iam and ("NotAction" in statement
                       or any(_action_matches(p, action) for p in actions)):
            return True
    return False


_EQUALS = ("stringequals", "arnequals", "stringequalsignorecase")
_LIKE = ("stringlike", "arnlike")


def _conditions_hold(condition: Any, context: dict[str, str]) -> bool:
    if not isinstance(condition, dict) or not context:
        return True
    known = {k.lower(): v for k, v in context.items()}
    for operator, keys in condition.items():
        op = operator.lower().removeprefix("forallvalues:").removeprefix("foranyvalue:")
        for key, values in (keys or {}).items():
            actual = known.get(key.lower())
            if actual is None or op not in (*_EQUALS, *_LIKE):
                continue
            if op in _EQUALS and actual not in values:
                return False
            if op in _LIKE and not any(_action_matches(v, actual) for v in values):
                return False
    return True


def _statement(statement: Any) -> dict[str, Any]:
    if not isinstance(statement, dict):
        raise PolicyError("each Statement must be a map")
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _LIST_KEYS:
            items = _as_list(value)
            if key in ("Action", "NotAction"):
                items = [ActionName(i) for i in items]  # IAM action names ignore case
            out[key] = sorted(dict.fromkeys(ActionName(i) if isinstance(i, ActionName)
                                            else str(i) for i in items))
        elif key in _PRINCIPAL_KEYS:
            out[key] = _principal(value)
        elif key == "Condition":
            out[key] = _condition(value)
        else:
            out[key] = value
    return out


class ActionName(str):
    """An IAM action as the user wrote it (`kms:Decrypt`, shown so), equal to and sorted
    with every other spelling of its case, as IAM reads action names."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.lower() == other.lower()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.lower())

    def __lt__(self, other: object) -> bool:
        return self.lower() < str(other).lower()

    def __gt__(self, other: object) -> bool:
        return self.lower() > str(other).lower()


def _statement_key(statement: dict[str, Any]) -> str:
    """The identity of a statement for deduplication and order: action case ignored."""
    lowered = {k: [str(a).lower() for a in v] if k in ("Action", "NotAction") else v
               for k, v in statement.items()}
    return json.dumps(lowered, sort_keys=True)


def _principal(value: Any) -> Any:
    if value == "*":
        return {"AWS": ["*"]}
    if not isinstance(value, dict):
        return value
    out = {}
    for kind, ids in value.items():
        items = [_account_id(str(i)) if kind == "AWS" else str(i) for i in _as_list(ids)]
        out[kind] = sorted(set(items))
    return out


def _account_id(principal: str) -> str:
    """AWS stores `123456789012` as `arn:PARTITION:iam::123456789012:root`; the canonical
    form is the account id, which means the same in every partition (a policy only names
    principals of its own partition), so the spec need not know the partition."""
    root = _ACCOUNT_ROOT.match(principal)
    return root.group(1) if root else principal


def _condition(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {op: {key: sorted({_condition_value(v) for v in _as_list(vals)})
                 for key, vals in (keys or {}).items()}
            for op, keys in value.items()}


def _condition_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _action_matches(pattern: str, action: str) -> bool:
    regex = "^" + re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, action.lower()) is not None


def without_statements(document: Any | None, sids: set[str]) -> dict[str, Any] | None:
    """`document` minus the statements with these Sids; None when nothing else is left
    (`export` hands back only what the user wrote, not what awsprov merged in)."""
    if document is None:
        return None
    doc = dict(parse(document))
    existing = doc.get("Statement", [])
    if isinstance(existing, dict):
        existing = [existing]
    kept = [s for s in existing if not (isinstance(s, dict) and s.get("Sid") in sids)]
    if not kept:
        return None
    doc["Statement"] = kept
    return doc


# The condition keys that make an Allow for "*" non-public when they hold fixed values: the
# S3 User Guide, "Blocking public access" > "The meaning of public" (also quoted in the
# S3 API's PublicAccessBlockConfiguration), plus the principal/caller keys IAM Access
# Analyzer treats alike (aws:PrincipalOrgID and its organization siblings,
# aws:PrincipalAccount, kms:CallerAccount) and the access point keys of the same page.
LIMITING_KEYS = frozenset(k.lower() for k in (
    "aws:SourceIp", "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner",
    "aws:SourceAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn",
    "aws:userid", "kms:CallerAccount", "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:DataAccessPointArn", "s3:DataAccessPointAccount"))
# Operators that only hold for the values listed ("fixed values"); the *Like ones only
# when the value has no wildcard. Negations (StringNotEquals, NotIpAddress), ...IfExists
# (holds when the key is absent) and ForAllValues: (holds for an empty set) limit nothing.
_FIXED_OPERATORS = ("stringequals", "stringequalsignorecase", "arnequals", "ipaddress")
_PATTERN_OPERATORS = ("stringlike", "arnlike")
_EVERYWHERE = ("0.0.0.0/0", "::/0")


def public_statements(document: Any | None) -> list[dict[str, Any]]:
    """Allow statements open to everyone (`Principal: "*"`) that no condition limits to
    fixed values of one of LIMITING_KEYS: what S3's Block Public Policy refuses and what
    SNS, SQS and KMS policies expose. A condition on aws:SecureTransport or aws:Referer, a
    wildcard aws:SourceArn or aws:SourceIp 0.0.0.0/0 leaves a statement public."""
    found = []
    for statement in statements_of(document):
        principals = statement.get("Principal", {})
        everyone = isinstance(principals, dict) and "*" in principals.get("AWS", [])
        if statement.get("Effect") == "Allow" and everyone \
                and not _limited(statement.get("Condition")):
            found.append(statement)
    return found


def _limited(condition: Any) -> bool:
    """Whether one condition (they all must hold) pins a limiting key to fixed values."""
    if not isinstance(condition, dict):
        return False
    for operator, keys in condition.items():
        op = operator.lower().removeprefix("foranyvalue:")
        if op not in (*_FIXED_OPERATORS, *_PATTERN_OPERATORS):
            continue
        for key, values in (keys or {}).items():
            items = [str(v) for v in _as_list(values)]
            if key.lower() in LIMITING_KEYS and items and all(
                    _fixed_value(op, key, v) for v in items):
                return True
    return False


def _fixed_value(operator: str, key: str, value: str) -> bool:
    if key.lower() == "aws:sourceip":
        return operator == "ipaddress" and value not in _EVERYWHERE
    if operator in _PATTERN_OPERATORS:
        return "*" not in value and "?" not in value
    return True

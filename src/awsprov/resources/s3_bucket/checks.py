"""What is known about a bucket's change before any call: the spec's checks (alone and
against the stack), how each change may be made, what AWS would refuse, the notes, the
data a change destroys, how a bucket is deleted, and the security baseline. Pure."""

from __future__ import annotations

import re
from typing import Any

from awsprov.core.changes import AttributeChange, BaselineFinding, FieldKind, Severity
from awsprov.resources import policy as policies
from awsprov.resources.base import Deletion, Desired, Live, Problem
from awsprov.resources.s3_bucket import lifecycle, tls
from awsprov.resources.s3_bucket.live import BucketLive, ObjectCount, details_of
from awsprov.resources.s3_bucket.settings import bucket_name_of

# PutBucketPolicy refuses a policy over 20 KB.
POLICY_MAX_BYTES = 20 * 1024
LOGGING_PRINCIPAL = "logging.s3.amazonaws.com"
_IP_FORM = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ACCOUNT_PLACEHOLDER = "123456789012"


def name_problems(name: str) -> list[str]:
    """S3's naming rules for general purpose buckets, checked before any call."""
    name = name.replace("${account_id}", _ACCOUNT_PLACEHOLDER)
    if "${" in name:
        return []
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append(f"bucket names are 3-63 characters long ('{name}' has {len(name)})")
    if not re.fullmatch(r"[a-z0-9.-]*", name):
        problems.append("bucket names use only lowercase letters, digits, '.' and '-'")
    elif name and not (name[0].isalnum() and name[-1].isalnum()):
        problems.append("a bucket name begins and ends with a letter or digit")
    if ".." in name:
        problems.append("a bucket name may not contain two adjacent periods")
    if _IP_FORM.match(name):
        problems.append("a bucket name may not look like an IP address")
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            problems.append(f"bucket names may not start with '{prefix}' (reserved by S3)")
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            problems.append(f"bucket names may not end with '{suffix}' (reserved by S3)")
    return problems


# ---- the spec ----------------------------------------------------------------------------

def check(props: dict[str, Any]) -> list[Problem]:
    problems = [Problem(("name",), p) for p in name_problems(props.get("name", ""))]
    problems.extend(_check_encryption(props.get("encryption") or {}))
    problems.extend(lifecycle.check_rules(props))
    problems.extend(_check_lock(props))
    problems.extend(_check_policy(props))
    problems.extend(_check_logging_name(props))
    return problems


def _check_encryption(encryption: dict) -> list[Problem]:
    if encryption.get("sse") == "AES256" and "kms_key" in encryption:
        return [Problem(("encryption", "kms_key"),
                        "kms_key means SSE-KMS: drop `sse: AES256` (or the key)")]
    return []


def _check_lock(props: dict) -> list[Problem]:
    lock = props.get("object_lock")
    if lock is None:
        return []
    problems = []
    if ("days" in lock) == ("years" in lock):
        problems.append(Problem(("object_lock",), "object_lock needs exactly one of "
                                                  "`days` or `years` (default retention)"))
    if props.get("versioning") is False:
        problems.append(Problem(("versioning",), "object lock needs versioning: a locked "
                                                 "bucket's versioning stays enabled"))
    return problems


def _check_policy(props: dict) -> list[Problem]:
    document = props.get("policy")
    if document is None:
        return []
    try:
        public = policies.public_statements(document)
        size = len(policies.to_json(document).encode())
    except (policies.PolicyError, TypeError) as exc:
        return [Problem(("policy",), str(exc))]
    if size > POLICY_MAX_BYTES:
        return [Problem(("policy",), f"the bucket policy is {size} bytes; S3 accepts at "
                                     f"most {POLICY_MAX_BYTES} (20 KB)")]
    if public and props.get("public_access_block", True):
        sid = public[0].get("Sid")
        return [Problem(("policy",), f"statement {sid + ' ' if sid else ''}is public "
                        f"(Principal \"*\", no condition pinning aws:SourceArn, "
                        f"aws:SourceIp, aws:SourceVpce... to fixed values) while "
                        f"public_access_block is on: S3 refuses it with 403; set "
                        f"public_access_block: false to publish")]
    return []


def _check_logging_name(props: dict) -> list[Problem]:
    target = (props.get("logging") or {}).get("target_bucket")
    if not isinstance(target, str) or "${" in target:
        return []
    path = ("logging", "target_bucket")
    problems = [Problem(path, problem) for problem in name_problems(bucket_name_of(target))]
    if bucket_name_of(target) == props.get("name"):
        problems.append(Problem(path, "a bucket logging to itself logs its own log writes "
                                      "forever; use another bucket"))
    return problems


def check_stack(section: str, props: dict[str, Any], stack) -> list[Problem]:
    problems = []
    region = stack.region or ""
    key = (props.get("encryption") or {}).get("kms_key")
    if isinstance(key, str) and key.startswith("arn:") and region \
            and key.split(":")[3] != region:
        problems.append(Problem(("encryption", "kms_key"),
                                f"the key is in {key.split(':')[3]}, the bucket in "
                                f"{region}: S3 needs a key in the bucket's region"))
    problems.extend(_check_logging_target(section, props, stack))
    return problems


def _check_logging_target(section: str, props: dict, stack) -> list[Problem]:
    target = (props.get("logging") or {}).get("target_bucket")
    if not isinstance(target, str):
        return []
    path = ("logging", "target_bucket")
    spec = _target_spec(target, stack)
    if spec is None:
        if "${" in target:
            return []
        for other in stack.resources.values():
            if other.section == section and other.props.get("name") == bucket_name_of(target):
                return [Problem(path, f"'{target}' is {other.address}: write "
                                      f"${{{other.address}.name}} so it is created first")]
        return [Problem(path, f"'{target}' is not a bucket of this stack: it must exist, "
                              f"in this region, when apply sets logging", Severity.WARNING)]
    problems = []
    if spec.props.get("object_lock"):
        problems.append(Problem(path, f"{spec.address} has object lock: S3 cannot deliver "
                                      f"access logs to an object-locked bucket"))
    encryption = spec.props.get("encryption") or {}
    if encryption.get("kms_key") or encryption.get("sse") == "aws:kms":
        problems.append(Problem(path, f"{spec.address} uses SSE-KMS: access logs can only "
                                      f"be delivered to an SSE-S3 (AES256) bucket"))
    if not policies.allows(spec.props.get("policy"), LOGGING_PRINCIPAL, "s3:PutObject"):
        problems.append(Problem(path, f"{spec.address}'s policy does not allow "
                                      f"{LOGGING_PRINCIPAL} s3:PutObject: S3 delivers no "
                                      f"logs there", Severity.WARNING))
    return problems


def _target_spec(target: str, stack):
    """The spec of the bucket a ${buckets.X...} logging target refers to, if any."""
    match = re.fullmatch(r"\$\{buckets\.([a-z][a-z0-9_-]*)(?:\.(?:name|arn))?\}", target)
    return stack.resources.get(f"buckets.{match.group(1)}") if match else None


# ---- a change ----------------------------------------------------------------------------

def field_kind(key: str, before: Any, after: Any, live: Live) -> FieldKind:
    """Irreversible only where AWS allows no way back from *this* change."""
    details = details_of(live)
    if details.creating and key in ("versioning", "object_lock") and after:
        return FieldKind.UPDATE  # finishing a create a killed apply left half done
    if key == "versioning" and after and details.versioning_status is None:
        return FieldKind.IRREVERSIBLE   # never versioned → versioned: never back
    if key == "object_lock" and before is None and after is not None:
        return FieldKind.IRREVERSIBLE
    if key == "object_lock" and before is not None and after is None:
        return FieldKind.REFUSE
    return FieldKind.UPDATE


def refusal(desired: Desired, live: Live, changes: list[AttributeChange]) -> str | None:
    region, stack_region = details_of(live).region, details_of(live).stack_region
    if region and region != stack_region:
        return (f"bucket '{live.name}' exists in {region}, not in {stack_region}: S3 cannot "
                f"move a bucket (bucket names are global); use another name or plan in "
                f"{region}")
    props = {c.prop for c in changes}
    if "object_lock" in props and desired.state["object_lock"] is None:
        return ("object lock cannot be turned off once enabled: keep `object_lock` in the "
                "spec (only its default retention can change)")
    locked = live.state.get("object_lock") is not None or \
        desired.state["object_lock"] is not None
    if "versioning" in props and not desired.state["versioning"] and locked:
        return "versioning cannot be suspended on a bucket with object lock"
    return None


def change_notes(changes: list[AttributeChange]) -> list[str]:
    notes = []
    props = {c.prop for c in changes}
    if any(c.kind is FieldKind.IRREVERSIBLE for c in changes):
        notes.append("irreversible: a versioned bucket can later only be suspended, and "
                     "object lock stays on for good (apply needs --allow-irreversible)")
    if "encryption" in props:
        notes.append("default encryption applies to new objects only; existing objects "
                     "keep the encryption they were written with")
    if "lifecycle" in props or "lifecycle_min_object_size" in props:
        notes.append("the whole lifecycle document is replaced")
    return notes


def _count_of(live: Live) -> ObjectCount | None:
    return live.object_count() if isinstance(live, BucketLive) else None


def data_loss(desired: Desired, live: Live, changes: list[AttributeChange]) -> list[str]:
    if details_of(live).creating:
        return []  # finishing a create an earlier apply left half done: nothing stored
    props = {c.prop for c in changes}
    reasons = []
    if "lifecycle" in props:
        reasons.extend(lifecycle.new_expire_all(desired.state, live.state))
    if "versioning" in props and live.state.get("versioning") \
            and not desired.state["versioning"]:
        count = _count_of(live)
        if count is None or not count.empty:
            held = f"holding {count}" if count is not None else "that may hold objects"
            reasons.append(f"versioning suspended on a bucket {held}: an object "
                           f"overwritten or deleted from now on loses its previous "
                           f"content for good")
    return reasons


def deletion(live: Live, props: dict[str, Any] | None) -> Deletion:
    # A bucket gone from the spec is judged by the force_destroy its last apply left.
    force = live.state.get("force_destroy") if props is None else \
        bool(props.get("force_destroy", False))
    if force:
        return Deletion(empty_first=True)
    count = _count_of(live)
    if count is None or count.empty:
        return Deletion()
    if props is None:
        return Deletion(refusal=f"bucket holds {count}: not deleted; apply it with "
                                f"force_destroy: true before removing it from the spec, "
                                f"or empty it first")
    return Deletion(refusal=f"bucket holds {count}: not deleted; set force_destroy: true "
                            f"(every version and delete marker is removed first) or "
                            f"empty it")


def baseline(live: Live) -> list[BaselineFinding]:
    state = live.state
    findings = []
    if not state["versioning"]:
        findings.append(BaselineFinding(
            "bucket-versioning", Severity.WARNING,
            "versioning is off: an overwrite or delete cannot be undone"))
    if state["public_access_block"] is not True:
        findings.append(BaselineFinding(
            "bucket-public-access", Severity.WARNING, "public access is not fully blocked"))
        if policies.public_statements(state["policy"]):
            findings.append(BaselineFinding(
                "bucket-policy-public", Severity.ERROR,
                "the bucket policy is public (anyone, not limited to fixed sources), and "
                "public access is not blocked"))
    if not tls.has_tls_statement(state["policy"]):
        findings.append(BaselineFinding(
            "bucket-tls", Severity.WARNING,
            "requests without TLS are not denied (enforce_tls)"))
    if state["logging"] is None:
        findings.append(BaselineFinding(
            "bucket-access-logging", Severity.INFO, "server access logging is off"))
    return findings

"""S3 buckets (SPEC.md "buckets"; reference/aws-behaviour.md §1.2 and the S3 rows of §2).

One `buckets:` block covers what Terraform splits over fifteen resources. Reading a bucket
is HeadBucket, then ten independent sub-reads run concurrently (versioning, encryption,
public access block, ownership, policy, lifecycle, CORS, object lock, logging, tags), so a
no-op plan of one bucket costs about two round trips, not eleven.

Writes run in an order AWS accepts: tags (first, so a converge cut short leaves a bucket
this stack owns) → ownership → versioning → object lock → encryption →
public access block → policy (a public policy is refused with 403 while the block is on,
TF #31363) → lifecycle → CORS → logging. Create is CreateBucket (tags, ownership and
object lock in the call itself), then the same converge step against what AWS reports, so
a new bucket on real AWS (SSE-S3, block on, BucketOwnerEnforced already) gets no write for
those, and one on an emulator that lacks the defaults gets them set.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import partition_of
from awsprov.aws.waiters import botocore_wait, retry_when, visible, wait_until
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    AttributeChange,
    BaselineFinding,
    FieldKind,
    Severity,
    is_unknown,
)
from awsprov.core.references import REFERENCE
from awsprov.cost import s3 as pricing
from awsprov.errors import AwsprovError
from awsprov.resources import policy as policies
from awsprov.resources import sub_reads
from awsprov.resources import tags as tagging
from awsprov.resources.base import (
    Deletion,
    Desired,
    Live,
    Problem,
    Progress,
    ResourceType,
    leaf_diff,
)
from awsprov.resources.sizes import human_bytes, plural

TLS_SID = "AwsprovDenyInsecureTransport"
FORCE_DESTROY_TAG = "awsprov:force-destroy"
# On a bucket from CreateBucket until its first converge completes: an apply killed in
# between, run again, still treats versioning and object lock as part of the create
# (not as irreversible changes to an existing bucket needing --allow-irreversible).
CREATING_TAG = "awsprov:creating"
_MARKER_TAGS = (FORCE_DESTROY_TAG, CREATING_TAG)
OWNERSHIPS = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")
# What S3 does with objects when no ownership controls exist (buckets made before 2023).
OWNERSHIP_WITHOUT_CONTROLS = "ObjectWriter"
SSE_ALGORITHMS = ("AES256", "aws:kms")
STORAGE_CLASSES = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR",
                   "GLACIER", "DEEP_ARCHIVE")
# S3's transition waterfall: a later transition must go to a colder class.
_COLDNESS = {c: i for i, c in enumerate(STORAGE_CLASSES)}
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MIN_DAYS = 30
# Minimum storage durations: deleting earlier is billed as if stored that long.
MIN_DURATION_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30, "GLACIER_IR": 90, "GLACIER": 90,
                     "DEEP_ARCHIVE": 180}
MIN_OBJECT_SIZES = ("all_storage_classes_128K", "varies_by_storage_class")
DEFAULT_MIN_OBJECT_SIZE = "all_storage_classes_128K"  # AWS's default since Sep 2024
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
             "RestrictPublicBuckets")
LOGGING_PRINCIPAL = "logging.s3.amazonaws.com"

# A bounded listing: the plan says "≥ 10,000 objects" rather than scanning a huge bucket.
COUNT_PAGE_SIZE = 1000
COUNT_MAX_PAGES = 10
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys
# Right after CreateBucket, sub-reads may answer NoSuchBucket for a while (TF
# retryWhenNoSuchBucketError; s3BucketPropagationTimeout 2 min).
BUCKET_PROPAGATION_TIMEOUT = 120
# Versioning and lifecycle reads lag their writes (TF bucketVersioningStableTimeout 1 min,
# lifecycleConfigurationRulesSteadyTimeout 2 min, two identical reads in a row).
VERSIONING_STABLE_TIMEOUT = 60
LIFECYCLE_STEADY_TIMEOUT = 180
PUBLIC_POLICY_TIMEOUT = 60

_IP_FORM = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ACCOUNT_PLACEHOLDER = "123456789012"

_KMS_KEY = {
    "type": "string",
    "description": "A KMS key ARN (same region as the bucket) or a ${keys.NAME} reference",
    "anyOf": [{"pattern": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"},
              {"pattern": REFERENCE}],
}
_DAYS = {"type": "integer", "minimum": 1}


def _transitions_schema(description: str, days: str) -> dict:
    return {
        "type": "array", "minItems": 1, "description": description,
        "items": {"type": "object", "additionalProperties": False,
                  "required": ["days", "storage_class"],
                  "properties": {"days": {"type": "integer", "minimum": 0, "description": days},
                                 "storage_class": {"enum": list(STORAGE_CLASSES),
                                                   "description": "The colder storage class "
                                                                  "objects move to"}}},
    }


_LIFECYCLE_RULE = {
    "type": "object", "additionalProperties": False, "required": ["id"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 255,
               "description": "The rule's unique name within the bucket"},
        "prefix": {"type": "string", "default": "",
                   "description": "Only objects whose key starts with this (default: all)"},
        "enabled": {"type": "boolean", "default": True,
                    "description": "false keeps the rule but suspends it"},
        "transitions": _transitions_schema("Moves of current objects to colder storage classes",
                                    "Days after an object's creation"),
        "expiration_days": {**_DAYS, "description": "Days after creation an object expires"},
        "noncurrent_transitions": _transitions_schema(
            "Moves of noncurrent versions to colder storage classes",
            "Days after a version became noncurrent"),
        "noncurrent_expiration_days": {**_DAYS, "description": "Days after becoming "
                                       "noncurrent a version is deleted"},
        "abort_incomplete_multipart_days": {**_DAYS, "description": "Days after which an "
                                            "unfinished multipart upload is aborted"},
    },
}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
# PutBucketCors: each AllowedOrigin and AllowedHeader holds at most one * wildcard.
_ONE_WILDCARD = {"type": "array", "items": {
    "type": "string", "minLength": 1, "pattern": r"^[^*]*(\*[^*]*)?$",
    "description": "at most one * wildcard per entry (S3 refuses more)"}}
_CORS_RULE = {
    "type": "object", "additionalProperties": False,
    "required": ["allowed_origins", "allowed_methods"],
    "properties": {
        "allowed_origins": {**_ONE_WILDCARD, "minItems": 1,
                            "description": "Origins allowed to make cross-origin requests "
                                           "(https://example.com, or *)"},
        "allowed_methods": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "description": "HTTP methods allowed: GET PUT POST DELETE HEAD",
                            "items": {"enum": list(CORS_METHODS)}},
        "allowed_headers": {**_ONE_WILDCARD, "description": "Headers a preflight request "
                            "may ask for (Access-Control-Request-Headers)"},
        "expose_headers": {**_STRINGS, "description": "Response headers browsers may read"},
        "max_age_seconds": {"type": "integer", "minimum": 0,
                            "description": "Seconds a browser caches the preflight answer"},
    },
}


def bucket_arn(name: str, region: str | None = None) -> str:
    return f"arn:{partition_of(region)}:s3:::{name}"


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


# PutBucketPolicy refuses a policy over 20 KB.
POLICY_MAX_BYTES = 20 * 1024


class ObjectCount:
    """What a bucket holds, from a bounded ListObjectVersions (at most 10 pages)."""

    def __init__(self, objects: int, versions: int, markers: int, size: int, complete: bool):
        self.objects, self.versions, self.markers = objects, versions, markers
        self.size, self.complete = size, complete

    @property
    def empty(self) -> bool:
        return self.complete and self.versions == 0 and self.markers == 0

    def __str__(self) -> str:
        if self.empty:
            return "empty (no objects, versions or delete markers)"
        at_least = "" if self.complete else "≥ "
        entries = self.versions + self.markers
        if not self.complete:
            return (f"{at_least}{entries:,} objects, versions and delete markers "
                    f"(listing stopped at {entries:,}), {at_least}{human_bytes(self.size)}")
        return (f"{plural(self.objects, 'object')} ({plural(self.versions, 'version')}, "
                f"{plural(self.markers, 'delete marker')}), {human_bytes(self.size)}")


class BucketLive(Live):
    """A bucket as AWS has it. What it holds is listed only when someone asks (a destroy or
    a prune plan), so a no-op plan does not pay for a ListObjectVersions."""

    def __init__(self, *, counter=None, **kwargs: Any):
        self._counter = counter
        self._count: ObjectCount | None = None
        super().__init__(**kwargs)

    @property
    def object_count(self) -> ObjectCount | None:
        if self._count is None and self._counter is not None:
            self._count = self._counter()
        return self._count

    @property  # type: ignore[override]
    def data_at_risk(self) -> str | None:
        count = self.object_count
        return None if count is None else str(count)

    @data_at_risk.setter
    def data_at_risk(self, _value: str | None) -> None:
        pass  # always computed from the listing

    def __repr__(self) -> str:  # never lists objects just to print itself
        return f"BucketLive(name={self.name!r}, state={self.state!r}, tags={self.tags!r})"

    __eq__ = object.__eq__
    __hash__ = object.__hash__


class S3Bucket(ResourceType):
    section = "buckets"
    kind = "S3 bucket"
    service = "s3"
    tagging_type = "s3"
    holds_data = True
    reference_attributes = ("arn", "name", "domain_name")
    properties = {
        # The naming rules are checked in check(), one clear message per rule.
        "name": {"type": "string", "minLength": 1,
                 "description": "Bucket name (globally unique): 3-63 of a-z 0-9 . -"},
        "versioning": {"type": "boolean", "default": False,
                       "description": "Enabling is irreversible (it can only be suspended)"},
        "encryption": {
            "type": "object", "additionalProperties": False,
            "description": "Default encryption: SSE-S3 (AES256, the default) or SSE-KMS",
            "properties": {"sse": {"enum": list(SSE_ALGORITHMS), "default": "AES256",
                                   "description": "AES256 (SSE-S3) or aws:kms (SSE-KMS; "
                                                  "implied by kms_key)"},
                           "kms_key": _KMS_KEY,
                           "bucket_key": {"type": "boolean", "default": False,
                                          "description": "S3 Bucket Key: fewer KMS requests "
                                                         "(and lower cost) under SSE-KMS"}}},
        "public_access_block": {"type": "boolean", "default": True,
                                "description": "All four block flags (default true)"},
        "enforce_tls": {"type": "boolean", "default": True,
                        "description": "Deny requests without TLS (default true)"},
        "policy": {"type": "object", "required": ["Statement"],
                   "description": "A bucket policy document, compared by meaning"},
        "ownership": {"enum": list(OWNERSHIPS), "default": "BucketOwnerEnforced",
                      "description": "Object Ownership: BucketOwnerEnforced disables ACLs"},
        "lifecycle": {"type": "array", "maxItems": 1000, "items": _LIFECYCLE_RULE,
                      "description": "Lifecycle rules: transitions and expirations"},
        "lifecycle_min_object_size": {"enum": list(MIN_OBJECT_SIZES),
                                      "default": DEFAULT_MIN_OBJECT_SIZE,
                                      "description": "Objects under 128 KB are not "
                                                     "transitioned unless "
                                                     "varies_by_storage_class"},
        "cors": {"type": "array", "minItems": 1, "maxItems": 100, "items": _CORS_RULE,
                 "description": "CORS rules (at most 100)"},
        "object_lock": {
            "type": "object", "additionalProperties": False, "required": ["mode"],
            "description": "Object Lock with a default retention (implies versioning; "
                           "irreversible)",
            "properties": {"mode": {"enum": list(LOCK_MODES),
                                    "description": "GOVERNANCE (bypassable with a "
                                                   "permission) or COMPLIANCE (nobody)"},
                           "days": {"type": "integer", "minimum": 1, "maximum": 36500,
                                    "description": "Default retention in days (or years)"},
                           "years": {"type": "integer", "minimum": 1, "maximum": 100,
                                     "description": "Default retention in years (or days)"}}},
        "logging": {
            "type": "object", "additionalProperties": False, "required": ["target_bucket"],
            "description": "Server access logging into another bucket",
            "properties": {"target_bucket": {"type": "string", "minLength": 3,
                                             "description": "The bucket receiving the logs "
                                                            "(a name or ${buckets.NAME})"},
                           "prefix": {"type": "string", "default": "",
                                      "description": "Key prefix of the log objects"}}},
        "force_destroy": {"type": "boolean", "default": False,
                          "description": "Empty the bucket (every version) before deleting"},
    }
    permissions = {
        "read": ("s3:ListBucket", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration",
                 "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
                 "s3:GetBucketPolicy", "s3:GetLifecycleConfiguration", "s3:GetBucketCORS",
                 "s3:GetBucketObjectLockConfiguration", "s3:GetBucketLogging",
                 "s3:GetBucketTagging", "s3:ListBucketVersions"),
        "write": ("s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketVersioning",
                  "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
                  "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy",
                  "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration",
                  "s3:PutBucketCORS", "s3:PutBucketObjectLockConfiguration",
                  "s3:PutBucketLogging", "s3:PutBucketTagging", "s3:TagResource",
                  "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
                  "s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload"),
    }
    fields = {
        "versioning": FieldKind.IRREVERSIBLE,   # refined per change in diff()
        "object_lock": FieldKind.IRREVERSIBLE,
    }
    usage_properties = pricing.USAGE_PROPERTIES

    def cost(self, props, usage, prices):
        return pricing.bucket_cost(props, usage, prices)

    # ---- validation (pure) -----------------------------------------------------------

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems = [Problem(("name",), p) for p in name_problems(props.get("name", ""))]
        problems.extend(self._check_encryption(props.get("encryption") or {}))
        problems.extend(self._check_lifecycle(props))
        problems.extend(self._check_lock(props))
        problems.extend(self._check_policy(props))
        logging = props.get("logging") or {}
        target = logging.get("target_bucket")
        if isinstance(target, str) and "${" not in target:
            for problem in name_problems(_bucket_name_of(target)):
                problems.append(Problem(("logging", "target_bucket"), problem))
            if _bucket_name_of(target) == props.get("name"):
                problems.append(Problem(("logging", "target_bucket"),
                                        "a bucket logging to itself logs its own log writes "
                                        "forever; use another bucket"))
        return problems

    @staticmethod
    def _check_encryption(encryption: dict) -> list[Problem]:
        if encryption.get("sse") == "AES256" and "kms_key" in encryption:
            return [Problem(("encryption", "kms_key"),
                            "kms_key means SSE-KMS: drop `sse: AES256` (or the key)")]
        return []

    @staticmethod
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

    @staticmethod
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

    def _check_lifecycle(self, props: dict) -> list[Problem]:
        rules = props.get("lifecycle") or []
        problems: list[Problem] = []
        if "lifecycle_min_object_size" in props and not rules:
            problems.append(Problem(("lifecycle_min_object_size",),
                                    "lifecycle_min_object_size needs lifecycle rules"))
        seen: set[str] = set()
        for i, rule in enumerate(rules):
            path = ("lifecycle", i)
            if rule.get("id") in seen:
                problems.append(Problem((*path, "id"), f"lifecycle rule id '{rule['id']}' "
                                                       f"is used twice"))
            seen.add(rule.get("id"))
            actions = ("transitions", "expiration_days", "noncurrent_transitions",
                       "noncurrent_expiration_days", "abort_incomplete_multipart_days")
            if not any(k in rule for k in actions):
                problems.append(Problem(path, f"lifecycle rule '{rule.get('id')}' has no "
                                              f"action (transitions, expiration_days, ...)"))
            problems.extend(_check_transitions(rule.get("transitions") or [],
                                               rule.get("expiration_days"),
                                               (*path, "transitions"), "expiration_days"))
            problems.extend(_check_transitions(rule.get("noncurrent_transitions") or [],
                                               rule.get("noncurrent_expiration_days"),
                                               (*path, "noncurrent_transitions"),
                                               "noncurrent_expiration_days"))
            noncurrent = ("noncurrent_transitions", "noncurrent_expiration_days")
            if any(k in rule for k in noncurrent) and not props.get("versioning") \
                    and "object_lock" not in props:
                problems.append(Problem(path, f"lifecycle rule '{rule.get('id')}' acts on "
                                              f"noncurrent versions of an unversioned bucket",
                                        Severity.WARNING))
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        problems = []
        region = stack.region or ""
        key = (props.get("encryption") or {}).get("kms_key")
        if isinstance(key, str) and key.startswith("arn:") and region \
                and key.split(":")[3] != region:
            problems.append(Problem(("encryption", "kms_key"),
                                    f"the key is in {key.split(':')[3]}, the bucket in "
                                    f"{region}: S3 needs a key in the bucket's region"))
        problems.extend(self._check_logging_target(props, stack))
        return problems

    def _check_logging_target(self, props: dict, stack) -> list[Problem]:
        target = (props.get("logging") or {}).get("target_bucket")
        if not isinstance(target, str):
            return []
        path = ("logging", "target_bucket")
        spec = _target_spec(target, stack)
        if spec is None:
            if "${" in target:
                return []
            in_spec = [s for s in stack.resources.values() if s.section == self.section]
            for other in in_spec:
                if other.props.get("name") == _bucket_name_of(target):
                    return [Problem(path, f"'{target}' is {other.address}: write "
                                          f"${{{other.address}.name}} so it is created first")]
            return [Problem(path, f"'{target}' is not a bucket of this stack: it must exist, "
                                  f"in this region, when apply sets logging", Severity.WARNING)]
        problems = []
        if spec.props.get("object_lock"):
            problems.append(Problem(path, f"{spec.address} has object lock: S3 cannot deliver "
                                          f"access logs to an object-locked bucket"))
        if (spec.props.get("encryption") or {}).get("kms_key") or \
                (spec.props.get("encryption") or {}).get("sse") == "aws:kms":
            problems.append(Problem(path, f"{spec.address} uses SSE-KMS: access logs can only "
                                          f"be delivered to an SSE-S3 (AES256) bucket"))
        if not policies.allows(spec.props.get("policy"), LOGGING_PRINCIPAL, "s3:PutObject"):
            problems.append(Problem(path, f"{spec.address}'s policy does not allow "
                                          f"{LOGGING_PRINCIPAL} s3:PutObject: S3 delivers no "
                                          f"logs there", Severity.WARNING))
        return problems

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        name = props["name"]
        lock = props.get("object_lock")
        rules = props.get("lifecycle") or []
        return {
            "ownership": props.get("ownership", "BucketOwnerEnforced"),
            "versioning": bool(props.get("versioning", lock is not None)),
            "object_lock": _lock_state(lock),
            "encryption": _desired_encryption(props.get("encryption") or {}),
            "public_access_block": bool(props.get("public_access_block", True)),
            "policy": _desired_policy(name, props.get("policy"),
                                      props.get("enforce_tls", True)),
            "lifecycle": {r["id"]: _desired_rule(r) for r in rules} or None,
            "lifecycle_min_object_size":
                props.get("lifecycle_min_object_size", DEFAULT_MIN_OBJECT_SIZE)
                if rules else None,
            "cors": [_desired_cors(r) for r in props.get("cors") or []] or None,
            "logging": _desired_logging(props.get("logging")),
            "force_destroy": bool(props.get("force_destroy", False)),
        }

    def diff(self, desired: Desired, live: Live) -> list[AttributeChange]:
        changes: list[AttributeChange] = []
        ignore = set(desired.ignore)
        if "lifecycle" in ignore:  # the minimum size is part of the lifecycle document
            ignore.add("lifecycle_min_object_size")
        for key, after in desired.state.items():
            if key in ignore:
                continue
            before = live.state.get(key)
            if key == "policy":
                if "enforce_tls" in desired.ignore:  # the TLS statement lives in the policy
                    continue
                if not _same_policy(before, after):
                    changes.append(AttributeChange("policy", before, after))
                continue
            kind = self._kind(key, before, after, live)
            changes.extend(AttributeChange(p, b, a, kind)
                           for p, b, a in leaf_diff(key, before, after))
        if live.raw.get("creating"):
            changes.append(AttributeChange(f"tags.{CREATING_TAG}", "true", None,
                                           note="an earlier apply stopped mid-create"))
        return changes

    @staticmethod
    def _kind(key: str, before: Any, after: Any, live: Live) -> FieldKind:
        """Irreversible only where AWS allows no way back from *this* change."""
        if live.raw.get("creating") and key in ("versioning", "object_lock") and after:
            return FieldKind.UPDATE  # finishing a create a killed apply left half done
        if key == "versioning" and after and live.raw.get("versioning_status") is None:
            return FieldKind.IRREVERSIBLE   # never versioned → versioned: never back
        if key == "object_lock" and before is None and after is not None:
            return FieldKind.IRREVERSIBLE
        if key == "object_lock" and before is not None and after is None:
            return FieldKind.REFUSE
        return FieldKind.UPDATE

    def refusal(self, desired: Desired, live: Live,
                changes: list[AttributeChange]) -> str | None:
        region = live.raw.get("region")
        if region and region != live.raw.get("stack_region"):
            return (f"bucket '{live.name}' exists in {region}, not in "
                    f"{live.raw.get('stack_region')}: S3 cannot move a bucket (bucket names "
                    f"are global); use another name or plan in {region}")
        paths = {c.prop for c in changes}
        if "object_lock" in paths and desired.state["object_lock"] is None:
            return ("object lock cannot be turned off once enabled: keep `object_lock` in the "
                    "spec (only its default retention can change)")
        locked = live.state.get("object_lock") is not None or \
            desired.state["object_lock"] is not None
        if "versioning" in paths and not desired.state["versioning"] and locked:
            return "versioning cannot be suspended on a bucket with object lock"
        return None

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        notes = []
        paths = {c.prop for c in changes}
        if any(c.kind is FieldKind.IRREVERSIBLE for c in changes):
            notes.append("irreversible: a versioned bucket can later only be suspended, and "
                         "object lock stays on for good (apply needs --allow-irreversible)")
        if "encryption" in paths:
            notes.append("default encryption applies to new objects only; existing objects "
                         "keep the encryption they were written with")
        if "lifecycle" in paths or "lifecycle_min_object_size" in paths:
            notes.append("the whole lifecycle document is replaced")
        return notes

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        if live.raw.get("creating"):
            return []  # finishing a create an earlier apply left half done: nothing stored
        paths = {c.prop for c in changes}
        reasons = []
        if "lifecycle" in paths:
            reasons.extend(_new_expire_all(desired.state, live.state))
        if "versioning" in paths and live.state.get("versioning") \
                and not desired.state["versioning"]:
            count = live.object_count if isinstance(live, BucketLive) else None
            if count is None or not count.empty:
                held = f"holding {count}" if count is not None else "that may hold objects"
                reasons.append(f"versioning suspended on a bucket {held}: an object "
                               f"overwritten or deleted from now on loses its previous "
                               f"content for good")
        return reasons

    def deletion(self, live: Live, props: dict[str, Any] | None) -> Deletion:
        # A bucket gone from the spec is judged by the force_destroy its last apply left.
        force = live.state.get("force_destroy") if props is None else \
            bool(props.get("force_destroy", False))
        if force:
            return Deletion(empty_first=True)
        count = live.object_count if isinstance(live, BucketLive) else None
        if count is None or count.empty:
            return Deletion()
        if props is None:
            return Deletion(refusal=f"bucket holds {count}: not deleted; apply it with "
                                    f"force_destroy: true before removing it from the spec, "
                                    f"or empty it first")
        return Deletion(refusal=f"bucket holds {count}: not deleted; set force_destroy: true "
                                f"(every version and delete marker is removed first) or "
                                f"empty it")

    def baseline(self, live: Live) -> list[BaselineFinding]:
        state = live.state
        findings = []
        if not state["versioning"]:
            findings.append(BaselineFinding("bucket-versioning", Severity.WARNING,
                "versioning is off: an "
                             "overwrite or delete cannot be undone"))
        if state["public_access_block"] is not True:
            findings.append(BaselineFinding("bucket-public-access", Severity.WARNING,
                "public access is not fully "
                             "blocked"))
            if policies.public_statements(state["policy"]):
                findings.append(BaselineFinding("bucket-policy-public", Severity.ERROR,
                    "the bucket policy is "
                                 "public (anyone, not limited to fixed sources), and public "
                                 "access is not blocked"))
        if not _has_tls_statement(state["policy"]):
            findings.append(BaselineFinding("bucket-tls", Severity.WARNING,
                "requests without TLS are not denied "
                             "(enforce_tls)"))
        if state["logging"] is None:
            findings.append(BaselineFinding("bucket-access-logging", Severity.INFO,
                "server access logging is off"))
        return findings

    def name_from_arn(self, arn: str) -> str:
        return arn.rsplit(":", 1)[-1]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        arn = bucket_arn(name, region)
        return [arn, f"{arn}/*"]

    def export(self, live: Live) -> dict[str, Any]:
        state = live.state
        props: dict[str, Any] = {"name": live.name}
        if state["versioning"]:
            props["versioning"] = True
        encryption = state["encryption"] or {}
        if encryption.get("sse") == "aws:kms":
            props["encryption"] = {k: v for k, v in (("kms_key", encryption.get("kms_key")),
                                                     ("bucket_key", encryption["bucket_key"]))
                                   if v}
            if "kms_key" not in props["encryption"]:
                props["encryption"]["sse"] = "aws:kms"
        elif encryption.get("bucket_key"):
            props["encryption"] = {"bucket_key": True}
        if state["public_access_block"] is not True:
            props["public_access_block"] = False
        if state["ownership"] != "BucketOwnerEnforced":
            props["ownership"] = state["ownership"]
        if not _enforces_tls(state["policy"], live.name):
            props["enforce_tls"] = False
        user_policy = policies.without_statements(state["policy"], {TLS_SID})
        if user_policy:
            props["policy"] = user_policy
        if state["lifecycle"]:
            props["lifecycle"] = [_export_rule(rid, rule)
                                  for rid, rule in state["lifecycle"].items()]
            if state["lifecycle_min_object_size"] != DEFAULT_MIN_OBJECT_SIZE:
                props["lifecycle_min_object_size"] = state["lifecycle_min_object_size"]
        if state["cors"]:
            props["cors"] = [{k: v for k, v in rule.items() if v not in (None, [])}
                             for rule in state["cors"]]
        if state["object_lock"]:
            props["object_lock"] = {k: v for k, v in state["object_lock"].items() if v}
        if state["logging"]:
            props["logging"] = {k: v for k, v in state["logging"].items() if v}
        user_tags = {k: v for k, v in live.tags.items() if not k.startswith("awsprov:")}
        if user_tags:
            props["tags"] = user_tags
        return props

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> Live | None:
        head = _head_bucket(aws.client("s3"), name)
        if head is None:
            return None
        region = head.get("BucketRegion") or aws.region
        if region != aws.region and owner is None:
            return None  # an orphan search looks at this region's buckets only
        s3 = aws.client("s3", region)
        futures = {key: sub_reads.start(_settled_read, reader, s3, name, aws.wait)
                   for key, reader in _SUB_READS.items()}
        raw = {key: future.result() for key, future in futures.items()}
        return self._live(name, region, aws.region, raw,
                          counter=lambda: _count_objects(s3, name))

    def _live(self, name: str, region: str, stack_region: str, raw: dict[str, Any],
              counter=None) -> BucketLive:
        all_tags = raw["tags"]
        tags = {k: v for k, v in all_tags.items() if k not in _MARKER_TAGS}
        lifecycle = raw["lifecycle"]
        state = {
            "ownership": raw["ownership"] or OWNERSHIP_WITHOUT_CONTROLS,
            "versioning": raw["versioning"] == "Enabled",
            "object_lock": _live_lock(raw["object_lock"]),
            "encryption": _live_encryption(raw["encryption"]),
            "public_access_block": _live_pab(raw["public_access_block"]),
            "policy": policies.parse(raw["policy"]) if raw["policy"] else None,
            "lifecycle": {r.get("ID", ""): _live_rule(r) for r in lifecycle["Rules"]}
            if lifecycle else None,
            "lifecycle_min_object_size":
                lifecycle.get("TransitionDefaultMinimumObjectSize", DEFAULT_MIN_OBJECT_SIZE)
                if lifecycle else None,
            "cors": [_live_cors(r) for r in raw["cors"]] if raw["cors"] else None,
            "logging": _live_logging(raw["logging"]),
            "force_destroy": all_tags.get(FORCE_DESTROY_TAG) == "true",
        }
        arn = bucket_arn(name, region)
        return BucketLive(
            counter=counter, name=name, arn=arn, state=state, tags=tags,
            attributes={"arn": arn, "name": name,
                        "domain_name": f"{name}.s3.{region}.amazonaws.com"},
            raw={"region": region, "stack_region": stack_region,
                 "creating": all_tags.get(CREATING_TAG) == "true",
                 "versioning_status": raw["versioning"],
                 "object_lock_enabled": raw["object_lock"] is not None},
        )

    # ---- create ----------------------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        s3 = aws.client("s3")
        name, state = desired.name, desired.state
        if _head_bucket(s3, name) is None:
            self._create_bucket(aws, desired, progress)
        else:
            # In us-east-1 CreateBucket on a bucket we own succeeds and resets its ACLs:
            # never send it twice (a killed apply, run again, lands here).
            progress("bucket already exists (an earlier apply); converging it")
        progress("waiting: bucket exists")
        botocore_wait(s3, "bucket_exists", aws.wait, Bucket=name)
        live = self.read(aws, name)
        if live is None:
            raise AwsprovError(f"bucket {name} vanished right after CreateBucket")
        desired = dataclasses.replace(desired, ignore=frozenset())  # ignored once it exists
        changes = self.diff(desired, live) + [
            AttributeChange(p, b, a) for p, b, a in leaf_diff("tags", live.tags, desired.tags)]
        if state["object_lock"] and live.state["object_lock"] is None and \
                not live.raw.get("creating"):
            raise AwsprovError(f"bucket {name} exists without object lock; enabling it on an "
                               f"existing bucket needs apply --allow-irreversible")
        live.raw["creating"] = True
        # Right after CreateBucket its configuration writes may answer NoSuchBucket; each
        # is a PUT of the desired setting, so the whole converge step is safe to repeat.
        visible("s3.bucket", lambda: self.update(aws, desired, live, changes, progress),
                f"{name} writable after CreateBucket", aws.wait)

    def _create_bucket(self, aws, desired: Desired, progress: Progress) -> None:
        s3 = aws.client("s3")
        configuration: dict[str, Any] = {
            "Tags": tagging.as_pairs(self._tag_set(desired, creating=True))}
        if aws.region != "us-east-1":  # us-east-1 takes no LocationConstraint
            configuration["LocationConstraint"] = aws.region
        request: dict[str, Any] = {"Bucket": desired.name,
                                   "CreateBucketConfiguration": configuration,
                                   "ObjectOwnership": desired.state["ownership"]}
        if desired.state["object_lock"] is not None:
            request["ObjectLockEnabledForBucket"] = True
        progress("CreateBucket")
        try:
            try:
                self._send_create(aws, s3, request)
            except errors.ClientError as exc:
                # A partition without tags-on-create: create, and the converge step tags.
                if not errors.is_code(exc, "InvalidArgument", "MalformedXML",
                                      "NotImplemented"):
                    raise
                configuration.pop("Tags")
                self._send_create(aws, s3, request)
        except errors.ClientError as exc:
            if errors.is_code(exc, "BucketAlreadyOwnedByYou"):
                return
            if errors.is_code(exc, "BucketAlreadyExists"):
                raise AwsprovError(f"bucket name '{desired.name}' is taken by another AWS "
                                   f"account (bucket names are global): choose another") from None
            raise

    @staticmethod
    def _send_create(aws, s3, request: dict) -> None:
        # OperationAborted: a conflicting operation on this name (it was just freed).
        retry_when(lambda: s3.create_bucket(**request), ("OperationAborted",),
                   f"{request['Bucket']}: name free to create", aws.wait,
                   timeout=BUCKET_PROPAGATION_TIMEOUT)

    # ---- update ----------------------------------------------------------------------

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        creating = bool(live.raw.get("creating"))
        if not changes and not creating:
            return
        s3 = aws.client("s3", live.raw.get("region") or aws.region)
        name, want = desired.name, desired.state
        changed = {c.prop for c in changes}
        if is_unknown(want):
            raise AwsprovError(f"{desired.address}: a referenced value is still unknown")
        retag = any(c.path == "force_destroy" or (c.path.startswith("tags.") and
                                                  c.path != f"tags.{CREATING_TAG}")
                    for c in changes)
        if retag:
            # First: a converge cut short leaves a bucket this stack owns, not an adoptee.
            progress("PutBucketTagging")
            s3.put_bucket_tagging(Bucket=name, Tagging={
                "TagSet": tagging.as_pairs(self._tag_set(desired, creating))})
        self._apply_settings(aws, s3, desired, live, changed, progress)
        if creating:
            progress("PutBucketTagging (create complete)")
            s3.put_bucket_tagging(Bucket=name, Tagging={
                "TagSet": tagging.as_pairs(self._tag_set(desired))})

    def _apply_settings(self, aws, s3, desired: Desired, live: Live, changed: set[str],
                        progress: Progress) -> None:
        name, want = desired.name, desired.state
        if "ownership" in changed:
            progress(f"PutBucketOwnershipControls ({want['ownership']})")
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                "Rules": [{"ObjectOwnership": want["ownership"]}]})
        if "versioning" in changed or ("object_lock" in changed and not live.state["versioning"]):
            self._set_versioning(aws, s3, name, want["versioning"], progress)
        if "object_lock" in changed:
            progress("PutObjectLockConfiguration")
            s3.put_object_lock_configuration(Bucket=name,
                                             ObjectLockConfiguration=_lock_request(
                                                 want["object_lock"]))
        if "encryption" in changed:
            progress(f"PutBucketEncryption ({want['encryption']['sse']})")
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=(
                _encryption_request(want["encryption"])))
        if "public_access_block" in changed:
            self._set_public_access_block(s3, name, want["public_access_block"], progress)
        if "policy" in changed:
            self._set_policy(aws, s3, name, want["policy"], progress)
        if changed & {"lifecycle", "lifecycle_min_object_size"}:
            self._set_lifecycle(aws, s3, name, want, progress)
        if "cors" in changed:
            self._set_cors(s3, name, want["cors"], progress)
        if "logging" in changed:
            self._set_logging(aws, s3, name, want["logging"], progress)

    @staticmethod
    def _tag_set(desired: Desired, creating: bool = False) -> dict[str, str]:
        tags = dict(desired.tags)
        if desired.state["force_destroy"]:
            tags[FORCE_DESTROY_TAG] = "true"
        if creating:
            tags[CREATING_TAG] = "true"
        return tags

    @staticmethod
    def _set_versioning(aws, s3, name: str, enabled: bool, progress: Progress) -> None:
        status = "Enabled" if enabled else "Suspended"
        progress(f"PutBucketVersioning ({status})")
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        wait_until(lambda: s3.get_bucket_versioning(Bucket=name).get("Status"),
                   lambda s: s == status, f"{name}: versioning {status}", aws.wait,
                   timeout=VERSIONING_STABLE_TIMEOUT)

    @staticmethod
    def _set_public_access_block(s3, name: str, block: bool, progress: Progress) -> None:
        if block:
            progress("PutPublicAccessBlock (all four flags on)")
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(
                PAB_FLAGS, True))
        else:
            progress("DeletePublicAccessBlock")
            s3.delete_public_access_block(Bucket=name)

    @staticmethod
    def _set_policy(aws, s3, name: str, document: dict | None, progress: Progress) -> None:
        if document is None:
            progress("DeleteBucketPolicy")
            s3.delete_bucket_policy(Bucket=name)
            return
        progress("PutBucketPolicy")
        put = lambda: s3.put_bucket_policy(Bucket=name,  # noqa: E731
                                          Policy=policies.to_json(document))
        if not policies.public_statements(document):
            put()
            return
        # A public policy right after the block came off: S3 answers 403 until the
        # block's removal has propagated.
        retry_when(put, ("AccessDenied",), f"{name}: public access block lifted", aws.wait,
                   timeout=PUBLIC_POLICY_TIMEOUT)

    @staticmethod
    def _set_lifecycle(aws, s3, name: str, want: dict, progress: Progress) -> None:
        rules = want["lifecycle"]
        if not rules:
            progress("DeleteBucketLifecycle")
            s3.delete_bucket_lifecycle(Bucket=name)
            return
        progress(f"PutBucketLifecycleConfiguration ({len(rules)} rules, whole document)")
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={
                "Rules": [_rule_request(rid, rule) for rid, rule in rules.items()]},
            TransitionDefaultMinimumObjectSize=want["lifecycle_min_object_size"])
        # GET may return the old rules for a while: wait for two identical new answers.
        wait_until(lambda: _read_lifecycle(s3, name),
                   lambda doc: bool(doc) and {r.get("ID") for r in doc["Rules"]} == set(rules),
                   f"{name}: lifecycle rules", aws.wait, timeout=LIFECYCLE_STEADY_TIMEOUT,
                   consecutive=2)

    @staticmethod
    def _set_cors(s3, name: str, rules: list | None, progress: Progress) -> None:
        if not rules:
            progress("DeleteBucketCors")
            s3.delete_bucket_cors(Bucket=name)
            return
        progress(f"PutBucketCors ({len(rules)} rules)")
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={
            "CORSRules": [_cors_request(r) for r in rules]})

    @staticmethod
    def _set_logging(aws, s3, name: str, logging: dict | None, progress: Progress) -> None:
        if logging is None:
            progress("PutBucketLogging (off)")
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={})
            return
        target = logging["target_bucket"]
        if _head_bucket(s3, target) is None:
            raise AwsprovError(f"logging target bucket '{target}' does not exist")
        if _read_lock(s3, target) is not None:
            raise AwsprovError(f"logging target bucket '{target}' has object lock: S3 cannot "
                               f"deliver access logs to it")
        progress(f"PutBucketLogging (→ {target}/{logging['prefix']})")
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": target, "TargetPrefix": logging["prefix"]}})

    # ---- delete ----------------------------------------------------------------------

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        s3 = aws.client("s3", live.raw.get("region") or aws.region)
        if how.empty_first:
            _empty_bucket(s3, live.name, live.raw.get("object_lock_enabled", False), progress)
        progress("DeleteBucket")
        try:
            s3.delete_bucket(Bucket=live.name)
        except errors.ClientError as exc:
            if errors.is_code(exc, "NoSuchBucket"):
                return
            if errors.is_code(exc, "BucketNotEmpty"):
                raise AwsprovError(f"bucket {live.name} is not empty (objects were written "
                                   f"after the plan): not deleted") from None
            raise
        progress("waiting: bucket gone")
        botocore_wait(s3, "bucket_not_exists", aws.wait, Bucket=live.name)

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        s3 = aws.client("s3", live.raw.get("region") or aws.region)
        if live.state.get("force_destroy"):
            tags = {**tags, FORCE_DESTROY_TAG: "true"}
        s3.put_bucket_tagging(Bucket=live.name, Tagging={"TagSet": tagging.as_pairs(tags)})


RESOURCE_TYPE = S3Bucket


# ---- validation helpers ------------------------------------------------------------------

def _check_transitions(transitions: list[dict], expiration: int | None, path: tuple,
                       expiration_key: str) -> list[Problem]:
    problems = []
    last_days, last_rank = -1, -1
    for i, step in enumerate(sorted(transitions, key=lambda t: t["days"])):
        days, klass = step["days"], step["storage_class"]
        where = (*path, transitions.index(step))
        if klass in IA_CLASSES and days < IA_MIN_DAYS:
            problems.append(Problem((*where, "days"), f"a transition to {klass} needs at "
                                    f"least {IA_MIN_DAYS} days (S3 refuses fewer)"))
        if days == last_days:
            problems.append(Problem((*where, "days"), f"two transitions on day {days}"))
        if _COLDNESS[klass] <= last_rank:
            problems.append(Problem((*where, "storage_class"), f"transition {i + 1} goes to "
                                    f"{klass}, not colder than the one before it"))
        last_days, last_rank = days, _COLDNESS[klass]
    if transitions and expiration is not None:
        last = max(transitions, key=lambda t: t["days"])
        if expiration <= last["days"]:
            problems.append(Problem((*path[:-1], expiration_key),
                                    f"expiration ({expiration} days) must come after the last "
                                    f"transition ({last['days']} days)"))
        else:
            minimum = MIN_DURATION_DAYS.get(last["storage_class"], 0)
            if expiration - last["days"] < minimum:
                problems.append(Problem((*path[:-1], expiration_key),
                                        f"objects expire {expiration - last['days']} days after "
                                        f"moving to {last['storage_class']}, which bills at "
                                        f"least {minimum} days", Severity.WARNING))
    return problems


def _bucket_name_of(target: str) -> str:
    return target.split(":::", 1)[1] if target.startswith("arn:") else target


def _target_spec(target: str, stack):
    """The spec of the bucket a ${buckets.X...} logging target refers to, if any."""
    match = re.fullmatch(r"\$\{buckets\.([a-z][a-z0-9_-]*)(?:\.(?:name|arn))?\}", target)
    return stack.resources.get(f"buckets.{match.group(1)}") if match else None


# ---- normalization helpers ---------------------------------------------------------------

def _lock_state(lock: dict | None) -> dict | None:
    if lock is None:
        return None
    return {"mode": lock.get("mode"), "days": lock.get("days"), "years": lock.get("years")}


def _desired_encryption(encryption: dict) -> dict:
    key = encryption.get("kms_key")
    sse = "aws:kms" if key is not None else encryption.get("sse", "AES256")
    return {"sse": sse, "kms_key": key, "bucket_key": bool(encryption.get("bucket_key", False))}


def _desired_policy(name: str, document: Any, enforce_tls: bool) -> Any:
    if document is not None and is_unknown(document):
        return KNOWN_AFTER_APPLY
    if enforce_tls and not _enforces_tls(document, name):
        document = policies.with_statements(document, [_tls_statement(name)])
    # Kept as written (not canonical): PutBucketPolicy stores what it is sent, and people
    # read it in the console; diff compares by meaning (policies.same).
    return policies.parse(document) if document is not None else None


def _tls_statement(name: str) -> dict[str, Any]:
    arn = bucket_arn(name)
    return {"Sid": TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _enforces_tls(document: Any, name: str) -> bool:
    """Whether some statement already does what AwsprovDenyInsecureTransport does, whatever
    its Sid (a hand-written policy adopted by export): another one would only duplicate it
    and rewrite a policy that needs no change."""
    return any(_denies_plain_http(s, name) for s in policies.statements_of(document))


def _denies_plain_http(statement: dict[str, Any], name: str) -> bool:
    """Deny, to everyone, of every S3 action, on the bucket and its objects, when
    aws:SecureTransport is false, and on no other condition (which would narrow it)."""
    if statement.get("Effect") != "Deny" or \
            {"NotPrincipal", "NotAction", "NotResource"} & set(statement):
        return False
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or "*" not in principal.get("AWS", []):
        return False
    if not {"s3:*", "*"} & set(statement.get("Action", [])):
        return False
    arn = bucket_arn(name)
    patterns = statement.get("Resource", [])
    if not all(any(fnmatch.fnmatchcase(target, p) for p in patterns)
               for target in (arn, f"{arn}/*")):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    [(operator, keys)] = condition.items()
    return operator.lower() == "bool" and isinstance(keys, dict) and \
        {k.lower(): v for k, v in keys.items()} == {"aws:securetransport": ["false"]}


def _has_tls_statement(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    return any(s.get("Effect") == "Deny" and s.get("Condition", {}).get("Bool", {}).get(
        "aws:SecureTransport") == ["false"] for s in policies.statements_of(document))


def _same_policy(live: Any, desired: Any) -> bool:
    if desired is KNOWN_AFTER_APPLY:
        return False
    return policies.same(live, desired)


def _transitions(items: list[dict] | None) -> list[dict]:
    return sorted(({"days": t["days"], "storage_class": t["storage_class"]}
                   for t in items or []), key=lambda t: t["days"])


def _desired_rule(rule: dict) -> dict:
    return {
        "prefix": rule.get("prefix", ""),
        "enabled": bool(rule.get("enabled", True)),
        "transitions": _transitions(rule.get("transitions")),
        "expiration_days": rule.get("expiration_days"),
        "noncurrent_transitions": _transitions(rule.get("noncurrent_transitions")),
        "noncurrent_expiration_days": rule.get("noncurrent_expiration_days"),
        "abort_incomplete_multipart_days": rule.get("abort_incomplete_multipart_days"),
    }


def _live_rule(rule: dict) -> dict:
    """A lifecycle rule as AWS returns it, in the shape of _desired_rule; whatever the spec
    cannot express (tag filters, dates, size filters) is kept under `other` so it shows."""
    filt = dict(rule.get("Filter") or {})
    prefix = filt.pop("Prefix", rule.get("Prefix", ""))
    expiration = dict(rule.get("Expiration") or {})
    if expiration.get("ExpiredObjectDeleteMarker") is False:
        expiration.pop("ExpiredObjectDeleteMarker")
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    other = {k: v for k, v in (("filter", filt), ("expiration", {
        k: v for k, v in expiration.items() if k != "Days"})) if v}
    out = {
        "prefix": prefix or "",
        "enabled": rule.get("Status") == "Enabled",
        "transitions": _transitions([{"days": t.get("Days"), "storage_class":
                                      t.get("StorageClass")}
                                     for t in rule.get("Transitions") or []]),
        "expiration_days": expiration.get("Days"),
        "noncurrent_transitions": _transitions([
            {"days": t.get("NoncurrentDays"), "storage_class": t.get("StorageClass")}
            for t in rule.get("NoncurrentVersionTransitions") or []]),
        "noncurrent_expiration_days": noncurrent.get("NoncurrentDays"),
        "abort_incomplete_multipart_days":
            (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
    }
    if other:
        out["other"] = other
    return out


def _expire_all_days(rules: dict | None, key: str) -> dict[str, int]:
    """{rule id: days} of the enabled rules that expire (`key`) every object of the bucket:
    no prefix and no other filter (tags, sizes) narrowing them."""
    return {rule_id: rule[key] for rule_id, rule in (rules or {}).items()
            if rule.get("enabled") and not rule.get("prefix") and not rule.get("other")
            and isinstance(rule.get(key), int)}


def _new_expire_all(desired: dict, live: dict) -> list[str]:
    """Whole-bucket expirations the spec adds or shortens against what live already
    expires: objects that live keeps longer (or forever) are deleted sooner."""
    kinds = [("expiration_days", "expires every object after {days}")]
    if desired.get("versioning"):
        kinds.append(("noncurrent_expiration_days", "expires every noncurrent object version "
                                                    "{days} after it is replaced"))
    reasons = []
    for key, text in kinds:
        before = _expire_all_days(live.get("lifecycle"), key)
        shortest = min(before.values(), default=None)
        for rule_id, days in sorted(_expire_all_days(desired.get("lifecycle"), key).items()):
            if shortest is None or days < shortest:
                was = "" if shortest is None else f" (was {plural(shortest, 'day')})"
                reasons.append(f"lifecycle rule '{rule_id}' "
                               + text.format(days=plural(days, "day")) + was)
    return reasons


def _rule_request(rule_id: str, rule: dict) -> dict:
    request: dict[str, Any] = {"ID": rule_id, "Status": "Enabled" if rule["enabled"]
                               else "Disabled", "Filter": {"Prefix": rule["prefix"]}}
    if rule["transitions"]:
        request["Transitions"] = [{"Days": t["days"], "StorageClass": t["storage_class"]}
                                  for t in rule["transitions"]]
    if rule["expiration_days"] is not None:
        request["Expiration"] = {"Days": rule["expiration_days"]}
    if rule["noncurrent_transitions"]:
        request["NoncurrentVersionTransitions"] = [
            {"NoncurrentDays": t["days"], "StorageClass": t["storage_class"]}
            for t in rule["noncurrent_transitions"]]
    if rule["noncurrent_expiration_days"] is not None:
        request["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["noncurrent_expiration_days"]}
    if rule["abort_incomplete_multipart_days"] is not None:
        request["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule["abort_incomplete_multipart_days"]}
    return request


def _desired_cors(rule: dict) -> dict:
    return {"allowed_origins": sorted(rule["allowed_origins"]),
            "allowed_methods": sorted(rule["allowed_methods"]),
            "allowed_headers": sorted(rule.get("allowed_headers") or []),
            "expose_headers": sorted(rule.get("expose_headers") or []),
            "max_age_seconds": rule.get("max_age_seconds")}


def _live_cors(rule: dict) -> dict:
    return {"allowed_origins": sorted(rule.get("AllowedOrigins") or []),
            "allowed_methods": sorted(rule.get("AllowedMethods") or []),
            "allowed_headers": sorted(rule.get("AllowedHeaders") or []),
            "expose_headers": sorted(rule.get("ExposeHeaders") or []),
            "max_age_seconds": rule.get("MaxAgeSeconds")}


def _cors_request(rule: dict) -> dict:
    request: dict[str, Any] = {"AllowedOrigins": rule["allowed_origins"],
                               "AllowedMethods": rule["allowed_methods"]}
    if rule["allowed_headers"]:
        request["AllowedHeaders"] = rule["allowed_headers"]
    if rule["expose_headers"]:
        request["ExposeHeaders"] = rule["expose_headers"]
    if rule["max_age_seconds"] is not None:
        request["MaxAgeSeconds"] = rule["max_age_seconds"]
    return request


def _desired_logging(logging: dict | None) -> dict | None:
    if not logging:
        return None
    target = logging["target_bucket"]
    if isinstance(target, str):
        target = _bucket_name_of(target)
    return {"target_bucket": target, "prefix": logging.get("prefix", "")}


def _live_logging(status: dict | None) -> dict | None:
    enabled = (status or {}).get("LoggingEnabled")
    if not enabled:
        return None
    return {"target_bucket": enabled.get("TargetBucket"),
            "prefix": enabled.get("TargetPrefix", "")}


def _live_lock(config: dict | None) -> dict | None:
    if config is None:
        return None
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    # The emulator adds "Years": 0 beside Days; zero means unset.
    return {"mode": retention.get("Mode"), "days": retention.get("Days") or None,
            "years": retention.get("Years") or None}


def _lock_request(lock: dict) -> dict:
    retention: dict[str, Any] = {"Mode": lock["mode"]}
    if lock["days"]:
        retention["Days"] = lock["days"]
    if lock["years"]:
        retention["Years"] = lock["years"]
    return {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}


def _live_encryption(config: dict | None) -> dict | None:
    if not config:
        return None
    rule = (config.get("Rules") or [{}])[0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return {"sse": default.get("SSEAlgorithm"), "kms_key": default.get("KMSMasterKeyID"),
            "bucket_key": bool(rule.get("BucketKeyEnabled", False))}


def _encryption_request(encryption: dict) -> dict:
    default: dict[str, Any] = {"SSEAlgorithm": encryption["sse"]}
    if encryption["kms_key"]:
        default["KMSMasterKeyID"] = encryption["kms_key"]
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default,
                       "BucketKeyEnabled": encryption["bucket_key"]}]}


def _live_pab(config: dict | None) -> bool | dict:
    """True/False when all four flags agree (the spec's bool), else the flags themselves."""
    flags = {flag: bool((config or {}).get(flag, False)) for flag in PAB_FLAGS}
    values = set(flags.values())
    return values.pop() if len(values) == 1 else flags


def _export_rule(rule_id: str, rule: dict) -> dict:
    out: dict[str, Any] = {"id": rule_id}
    if rule["prefix"]:
        out["prefix"] = rule["prefix"]
    if not rule["enabled"]:
        out["enabled"] = False
    for key in ("transitions", "expiration_days", "noncurrent_transitions",
                "noncurrent_expiration_days", "abort_incomplete_multipart_days"):
        if rule[key] not in (None, []):
            out[key] = rule[key]
    return out


# ---- reads -------------------------------------------------------------------------------

def _head_bucket(s3, name: str) -> dict | None:
    """HeadBucket: None when no such bucket; a clear error when someone else owns it."""
    try:
        return s3.head_bucket(Bucket=name)
    except errors.ClientError as exc:
        if errors.is_code(exc, "404", "NoSuchBucket", "NotFound"):
            return None
        if errors.is_code(exc, "403", "AccessDenied", "Forbidden"):
            raise AwsprovError(f"bucket '{name}' exists but HeadBucket is denied: another "
                               f"AWS account owns that name (bucket names are global), or "
                               f"these credentials lack s3:ListBucket on it") from None
        raise


def _optional(call, *missing: str) -> Any:
    """A sub-read whose 'not configured' error means None."""
    try:
        return call()
    except errors.ClientError as exc:
        if errors.is_code(exc, *missing):
            return None
        raise


def _settled_read(reader, s3, name: str, wait) -> Any:
    # "HeadBucket can occasionally return no error after a bucket has been deleted" and
    # sub-reads right after CreateBucket may answer NoSuchBucket: retry, bounded.
    return retry_when(lambda: reader(s3, name), ("NoSuchBucket",), f"{name} readable",
                      wait, timeout=BUCKET_PROPAGATION_TIMEOUT)


def _read_versioning(s3, name: str) -> str | None:
    return s3.get_bucket_versioning(Bucket=name).get("Status")


def _read_encryption(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_bucket_encryption(Bucket=name),
                       "ServerSideEncryptionConfigurationNotFoundError")
    return result["ServerSideEncryptionConfiguration"] if result else None


def _read_pab(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_public_access_block(Bucket=name),
                       "NoSuchPublicAccessBlockConfiguration")
    return result["PublicAccessBlockConfiguration"] if result else None


def _read_ownership(s3, name: str) -> str | None:
    result = _optional(lambda: s3.get_bucket_ownership_controls(Bucket=name),
                       "OwnershipControlsNotFoundError")
    rules = (result or {}).get("OwnershipControls", {}).get("Rules") or []
    return rules[0].get("ObjectOwnership") if rules else None


def _read_policy(s3, name: str) -> str | None:
    result = _optional(lambda: s3.get_bucket_policy(Bucket=name), "NoSuchBucketPolicy")
    return result["Policy"] if result else None


def _read_lifecycle(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_bucket_lifecycle_configuration(Bucket=name),
                       "NoSuchLifecycleConfiguration")
    if not result or not result.get("Rules"):
        return None
    return {"Rules": result["Rules"], "TransitionDefaultMinimumObjectSize":
            result.get("TransitionDefaultMinimumObjectSize", DEFAULT_MIN_OBJECT_SIZE)}


def _read_cors(s3, name: str) -> list | None:
    result = _optional(lambda: s3.get_bucket_cors(Bucket=name), "NoSuchCORSConfiguration")
    return result.get("CORSRules") if result else None


def _read_lock(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_object_lock_configuration(Bucket=name),
                       "ObjectLockConfigurationNotFoundError")
    config = (result or {}).get("ObjectLockConfiguration")
    return config if config and config.get("ObjectLockEnabled") == "Enabled" else None


def _read_logging(s3, name: str) -> dict:
    return s3.get_bucket_logging(Bucket=name)


def _read_tags(s3, name: str) -> dict[str, str]:
    result = _optional(lambda: s3.get_bucket_tagging(Bucket=name), "NoSuchTagSet")
    return tagging.as_dict((result or {}).get("TagSet"))


_SUB_READS = {
    "versioning": _read_versioning, "encryption": _read_encryption,
    "public_access_block": _read_pab, "ownership": _read_ownership, "policy": _read_policy,
    "lifecycle": _read_lifecycle, "cors": _read_cors, "object_lock": _read_lock,
    "logging": _read_logging, "tags": _read_tags,
}


def _count_objects(s3, name: str) -> ObjectCount:
    objects = versions = markers = size = 0
    kwargs: dict[str, Any] = {"Bucket": name, "MaxKeys": COUNT_PAGE_SIZE}
    for _ in range(COUNT_MAX_PAGES):
        page = s3.list_object_versions(**kwargs)
        for version in page.get("Versions") or []:
            versions += 1
            size += version.get("Size", 0)
            objects += 1 if version.get("IsLatest") else 0
        markers += len(page.get("DeleteMarkers") or [])
        if not page.get("IsTruncated"):
            return ObjectCount(objects, versions, markers, size, complete=True)
        kwargs["KeyMarker"] = page.get("NextKeyMarker")
        kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")
    return ObjectCount(objects, versions, markers, size, complete=False)


def _empty_bucket(s3, name: str, locked: bool, progress: Progress) -> None:
    """Delete every object version and delete marker (force_destroy), 1000 per call.
    Governance-mode retention is bypassed; compliance-mode retention cannot be, and stops
    the delete with the count of what is left."""
    removed = 0
    while True:
        page = s3.list_object_versions(Bucket=name, MaxKeys=DELETE_BATCH)
        entries = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                   for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
        if not entries:
            break
        progress(f"DeleteObjects ({len(entries)} versions and markers; {removed} so far)")
        request: dict[str, Any] = {"Bucket": name,
                                   "Delete": {"Objects": entries, "Quiet": True}}
        if locked:
            request["BypassGovernanceRetention"] = True
        result = s3.delete_objects(**request)
        failed = result.get("Errors") or []
        if failed:
            first = failed[0]
            raise AwsprovError(f"bucket {name}: {len(failed)} versions could not be deleted "
                               f"({first.get('Code')}: {first.get('Message')}, e.g. "
                               f"{first.get('Key')}); the bucket is kept")
        removed += len(entries)
    uploads = s3.list_multipart_uploads(Bucket=name).get("Uploads") or []
    for upload in uploads:
        s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    if removed or uploads:
        progress(f"emptied: {removed} versions and markers, {len(uploads)} uploads aborted")

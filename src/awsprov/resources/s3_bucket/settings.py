"""A bucket's settings, each declared once (the Prop table), and the one shape desired and
live state are compared in: the spec's properties with AWS's defaults filled in, and the
sub-reads' answers normalised to match. Pure: no AWS call."""

from __future__ import annotations

from typing import Any

from awsprov.core.changes import FieldKind
from awsprov.core.references import REFERENCE
from awsprov.resources import policy as policies
from awsprov.resources.props import Prop
from awsprov.resources.s3_bucket import lifecycle, tls
from awsprov.resources.s3_bucket.lifecycle import DEFAULT_MIN_OBJECT_SIZE, MIN_OBJECT_SIZES

FORCE_DESTROY_TAG = "awsprov:force-destroy"
# On a bucket from CreateBucket until its first converge completes: an apply killed in
# between, run again, still treats versioning and object lock as part of the create
# (not as irreversible changes to an existing bucket needing --allow-irreversible).
CREATING_TAG = "awsprov:creating"
MARKER_TAGS = (FORCE_DESTROY_TAG, CREATING_TAG)
OWNERSHIPS = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")
# What S3 does with objects when no ownership controls exist (buckets made before 2023).
OWNERSHIP_WITHOUT_CONTROLS = "ObjectWriter"
SSE_ALGORITHMS = ("AES256", "aws:kms")
DEFAULT_SSE = "AES256"
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
             "RestrictPublicBuckets")

_KMS_KEY = {
    "type": "string",
    "description": "A KMS key ARN (same region as the bucket) or a ${keys.NAME} reference",
    "anyOf": [{"pattern": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"},
              {"pattern": REFERENCE}],
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

PROPS = {
    # The naming rules are checked in check(), one clear message per rule.
    "name": Prop({"type": "string", "minLength": 1,
                  "description": "Bucket name (globally unique): 3-63 of a-z 0-9 . -"},
                 state=False),
    # Irreversible kinds are refined per change (checks.field_kind).
    "versioning": Prop({"type": "boolean",
                        "description": "Enabling is irreversible (it can only be suspended)"},
                       FieldKind.IRREVERSIBLE, default=False),
    "encryption": Prop({
        "type": "object", "additionalProperties": False,
        "description": "Default encryption: SSE-S3 (AES256, the default) or SSE-KMS",
        "properties": {"sse": {"enum": list(SSE_ALGORITHMS), "default": DEFAULT_SSE,
                               "description": "AES256 (SSE-S3) or aws:kms (SSE-KMS; "
                                              "implied by kms_key)"},
                       "kms_key": _KMS_KEY,
                       "bucket_key": {"type": "boolean", "default": False,
                                      "description": "S3 Bucket Key: fewer KMS requests "
                                                     "(and lower cost) under SSE-KMS"}}}),
    "public_access_block": Prop({"type": "boolean",
                                 "description": "All four block flags (default true)"},
                                default=True),
    # Not a state key of its own: its statement is part of `policy`.
    "enforce_tls": Prop({"type": "boolean",
                         "description": "Deny requests without TLS (default true)"},
                        default=True, state=False),
    "policy": Prop({"type": "object", "required": ["Statement"],
                    "description": "A bucket policy document, compared by meaning"}),
    "ownership": Prop({"enum": list(OWNERSHIPS),
                       "description": "Object Ownership: BucketOwnerEnforced disables ACLs"},
                      default="BucketOwnerEnforced"),
    "lifecycle": Prop({"type": "array", "maxItems": 1000, "items": lifecycle.RULE_SCHEMA,
                       "description": "Lifecycle rules: transitions and expirations"}),
    "lifecycle_min_object_size": Prop({"enum": list(MIN_OBJECT_SIZES),
                                       "description": "Objects under 128 KB are not "
                                                      "transitioned unless "
                                                      "varies_by_storage_class"},
                                      default=DEFAULT_MIN_OBJECT_SIZE),
    "cors": Prop({"type": "array", "minItems": 1, "maxItems": 100, "items": _CORS_RULE,
                  "description": "CORS rules (at most 100)"}),
    "object_lock": Prop({
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
        FieldKind.IRREVERSIBLE),
    "logging": Prop({
        "type": "object", "additionalProperties": False, "required": ["target_bucket"],
        "description": "Server access logging into another bucket",
        "properties": {"target_bucket": {"type": "string", "minLength": 3,
                                         "description": "The bucket receiving the logs "
                                                        "(a name or ${buckets.NAME})"},
                       "prefix": {"type": "string", "default": "",
                                  "description": "Key prefix of the log objects"}}}),
    # Kept in a tag (FORCE_DESTROY_TAG), so a bucket gone from the spec is judged by it.
    "force_destroy": Prop({"type": "boolean",
                           "description": "Empty the bucket (every version) before deleting"},
                          default=False, exported=False),
}


def unset(name: str) -> Any:
    """The value of property `name` when the spec leaves it out."""
    return PROPS[name].unset


def bucket_name_of(target: str) -> str:
    return target.split(":::", 1)[1] if target.startswith("arn:") else target


# ---- desired -----------------------------------------------------------------------------

def desired_state(props: dict[str, Any]) -> dict[str, Any]:
    given = {name: props.get(name, prop.unset) for name, prop in PROPS.items()}
    lock, rules = given["object_lock"], given["lifecycle"] or []
    return {
        "ownership": given["ownership"],
        # Object lock implies versioning: AWS turns it on with the lock.
        "versioning": bool(props.get("versioning", lock is not None)),
        "object_lock": _lock_state(lock),
        "encryption": _desired_encryption(given["encryption"] or {}),
        "public_access_block": bool(given["public_access_block"]),
        "policy": tls.desired_policy(given["name"], given["policy"], given["enforce_tls"]),
        "lifecycle": lifecycle.desired_rules(rules),
        "lifecycle_min_object_size": given["lifecycle_min_object_size"] if rules else None,
        "cors": [_desired_cors(r) for r in given["cors"] or []] or None,
        "logging": _desired_logging(given["logging"]),
        "force_destroy": bool(given["force_destroy"]),
    }


def _lock_state(lock: dict | None) -> dict | None:
    if lock is None:
        return None
    return {"mode": lock.get("mode"), "days": lock.get("days"), "years": lock.get("years")}


def _desired_encryption(encryption: dict) -> dict:
    key = encryption.get("kms_key")
    sse = "aws:kms" if key is not None else encryption.get("sse", DEFAULT_SSE)
    return {"sse": sse, "kms_key": key, "bucket_key": bool(encryption.get("bucket_key", False))}


def _desired_cors(rule: dict) -> dict:
    return {"allowed_origins": sorted(rule["allowed_origins"]),
            "allowed_methods": sorted(rule["allowed_methods"]),
            "allowed_headers": sorted(rule.get("allowed_headers") or []),
            "expose_headers": sorted(rule.get("expose_headers") or []),
            "max_age_seconds": rule.get("max_age_seconds")}


def _desired_logging(logging: dict | None) -> dict | None:
    if not logging:
        return None
    target = logging["target_bucket"]
    if isinstance(target, str):
        target = bucket_name_of(target)
    return {"target_bucket": target, "prefix": logging.get("prefix", "")}


# ---- live --------------------------------------------------------------------------------

def live_state(answers: dict[str, Any]) -> dict[str, Any]:
    """State from the sub-reads' answers (api.SUB_READS), in the shape of desired_state."""
    document = answers["lifecycle"]
    return {
        "ownership": answers["ownership"] or OWNERSHIP_WITHOUT_CONTROLS,
        "versioning": answers["versioning"] == "Enabled",
        "object_lock": _live_lock(answers["object_lock"]),
        "encryption": _live_encryption(answers["encryption"]),
        "public_access_block": _live_pab(answers["public_access_block"]),
        "policy": policies.parse(answers["policy"]) if answers["policy"] else None,
        "lifecycle": lifecycle.live_rules(document),
        "lifecycle_min_object_size":
            document.get("TransitionDefaultMinimumObjectSize", DEFAULT_MIN_OBJECT_SIZE)
            if document else None,
        "cors": [_live_cors(r) for r in answers["cors"]] if answers["cors"] else None,
        "logging": _live_logging(answers["logging"]),
        "force_destroy": answers["tags"].get(FORCE_DESTROY_TAG) == "true",
    }


def _live_lock(config: dict | None) -> dict | None:
    if config is None:
        return None
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    # The emulator adds "Years": 0 beside Days; zero means unset.
    return {"mode": retention.get("Mode"), "days": retention.get("Days") or None,
            "years": retention.get("Years") or None}


def _live_encryption(config: dict | None) -> dict | None:
    if not config:
        return None
    rule = (config.get("Rules") or [{}])[0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return {"sse": default.get("SSEAlgorithm"), "kms_key": default.get("KMSMasterKeyID"),
            "bucket_key": bool(rule.get("BucketKeyEnabled", False))}


def _live_pab(config: dict | None) -> bool | dict:
    """True/False when all four flags agree (the spec's bool), else the flags themselves."""
    flags = {flag: bool((config or {}).get(flag, False)) for flag in PAB_FLAGS}
    values = set(flags.values())
    return values.pop() if len(values) == 1 else flags


def _live_cors(rule: dict) -> dict:
    return {"allowed_origins": sorted(rule.get("AllowedOrigins") or []),
            "allowed_methods": sorted(rule.get("AllowedMethods") or []),
            "allowed_headers": sorted(rule.get("AllowedHeaders") or []),
            "expose_headers": sorted(rule.get("ExposeHeaders") or []),
            "max_age_seconds": rule.get("MaxAgeSeconds")}


def _live_logging(status: dict | None) -> dict | None:
    enabled = (status or {}).get("LoggingEnabled")
    if not enabled:
        return None
    return {"target_bucket": enabled.get("TargetBucket"),
            "prefix": enabled.get("TargetPrefix", "")}


# ---- export ------------------------------------------------------------------------------

def export(name: str, state: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """Spec properties that reproduce a live bucket, AWS defaults left out."""
    props: dict[str, Any] = {"name": name}
    if state["versioning"]:
        props["versioning"] = True
    if encryption := _export_encryption(state["encryption"] or {}):
        props["encryption"] = encryption
    if state["public_access_block"] is not unset("public_access_block"):
        props["public_access_block"] = False
    if state["ownership"] != unset("ownership"):
        props["ownership"] = state["ownership"]
    if not tls.enforces_tls(state["policy"], name):
        props["enforce_tls"] = False
    if user_policy := tls.user_policy(state["policy"]):
        props["policy"] = user_policy
    if state["lifecycle"]:
        props["lifecycle"] = [lifecycle.export_rule(rule_id, rule)
                              for rule_id, rule in state["lifecycle"].items()]
        if state["lifecycle_min_object_size"] != unset("lifecycle_min_object_size"):
            props["lifecycle_min_object_size"] = state["lifecycle_min_object_size"]
    if state["cors"]:
        props["cors"] = [{k: v for k, v in rule.items() if v not in (None, [])}
                         for rule in state["cors"]]
    for key in ("object_lock", "logging"):
        if state[key]:
            props[key] = {k: v for k, v in state[key].items() if v}
    user_tags = {k: v for k, v in tags.items() if not k.startswith("awsprov:")}
    if user_tags:
        props["tags"] = user_tags
    return props


def _export_encryption(encryption: dict) -> dict | None:
    if encryption.get("sse") == "aws:kms":
        out = {k: v for k, v in (("kms_key", encryption.get("kms_key")),
                                 ("bucket_key", encryption["bucket_key"])) if v}
        if "kms_key" not in out:
            out["sse"] = "aws:kms"
        return out
    if encryption.get("bucket_key"):
        return {"bucket_key": True}
    return None

"""Secrets Manager secrets (SPEC.md "secrets"; reference/aws-behaviour.md §1.5 and §2).

A secret value never leaves memory: the spec names where it comes from (an environment
variable, a file next to the spec, or `generate`), the live value is read with
GetSecretValue and reduced at once to a keyed digest whose key lives only in this
process, and the plan shows `(sensitive)`. Nothing value-derived reaches Live.state
(which is fingerprinted into plan files): the AWSCURRENT version id stands for it there.

A generated value is made once (GetRandomPassword, then CreateSecret in one call with the
`awsprov:generated` marker tag); later plans leave a marked value alone.

Delete honours `recovery_window_days` (0 = ForceDeleteWithoutRecovery); a secret pending
deletion that is back in the spec is restored (RestoreSecret, then updated): same ARN.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as random_bytes
import string
from pathlib import Path
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.aws.waiters import retry_when, wait_until
from awsprov.cost import secrets as pricing
from awsprov.engine.changes import KNOWN_AFTER_APPLY, AttributeChange, is_unknown
from awsprov.errors import AwsprovError
from awsprov.resources import kms_refs, sub_reads
from awsprov.resources import service_access as access
from awsprov.resources import tags as tagging
from awsprov.resources.base import (
    Desired,
    Live,
    Owner,
    Problem,
    Progress,
    ResourceType,
    leaf_diff,
)
from awsprov.spec import interpolate
from awsprov.spec.schema import REFERENCE

GENERATED_TAG = "awsprov:generated"
DEFAULT_KEY_ALIAS = "alias/aws/secretsmanager"
DEFAULT_RECOVERY_WINDOW = 30
DEFAULT_LENGTH = 32
MAX_VALUE_BYTES = 65536
NAME_PATTERN = r"^(?:[A-Za-z0-9/_+=.@-]|\$\{account_id\})+$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# The characters GetRandomPassword draws from, by type (AWS API reference).
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
CHARACTER_TYPES = {"lowercase": string.ascii_lowercase, "uppercase": string.ascii_uppercase,
                   "digits": string.digits, "punctuation": PUNCTUATION}
EXCLUDE_FLAGS = {"lowercase": "ExcludeLowercase", "uppercase": "ExcludeUppercase",
                 "digits": "ExcludeNumbers", "punctuation": "ExcludePunctuation"}
# Right after a force delete AWS refuses the name for a moment.
NAME_NOT_FREE = ("scheduled for deletion", "was deleted")

# The digest key: random per process, so a digest is meaningless outside this process.
_DIGEST_KEY = random_bytes.token_bytes(32)

_KEY_REF = {
    "type": "string",
    "description": "A ${keys.NAME} reference, a KMS key or alias ARN, or an alias",
    "anyOf": [{"pattern": REFERENCE},
              {"pattern": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$"},
              {"pattern": r"^alias/[A-Za-z0-9/_-]+$"}],
}
_VALUE = {
    "description": "Where the value comes from; absent: the secret is created empty",
    "oneOf": [
        {"type": "object", "additionalProperties": False, "required": ["from_env"],
         "properties": {"from_env": {"type": "string", "pattern": ENV_NAME,
                                     "description": "An environment variable's name"}}},
        {"type": "object", "additionalProperties": False, "required": ["from_file"],
         "properties": {"from_file": {"type": "string", "minLength": 1,
                                      "description": "A file, relative to the spec file"}}},
        {"type": "object", "additionalProperties": False, "required": ["generate"],
         "properties": {"generate": {
             "type": "object", "additionalProperties": False,
             "properties": {
                 "length": {"type": "integer", "minimum": 1, "maximum": 4096},
                 "exclude_punctuation": {"type": "boolean"},
                 "exclude_characters": {"type": "string", "maxLength": 4096}}}}},
    ],
}


def digest(value: bytes) -> str:
    """A keyed digest: equal values give equal digests within this process only."""
    return hmac.new(_DIGEST_KEY, value, hashlib.sha256).hexdigest()


class Secret(ResourceType):
    section = "secrets"
    kind = "Secrets Manager secret"
    service = "secretsmanager"
    tagging_type = "secretsmanager:secret"
    holds_data = True
    sensitive_fields = frozenset({"value"})
    relative_paths = (("value", "from_file"),)
    properties = {
        "name": {"type": "string", "minLength": 1, "maxLength": 512, "pattern": NAME_PATTERN,
                 "description": "Secret name: 1-512 of A-Z a-z 0-9 / _ + = . @ -"},
        "description": {"type": "string", "maxLength": 2048},
        "kms_key": _KEY_REF,
        "value": _VALUE,
        "recovery_window_days": {"type": "integer", "minimum": 0, "maximum": 30,
                                 "description": "0 deletes at once; else 7-30 (default 30)"},
    }
    permissions = {
        "read": ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"),
        "write": ("secretsmanager:CreateSecret", "secretsmanager:UpdateSecret",
                  "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret",
                  "secretsmanager:RestoreSecret", "secretsmanager:TagResource",
                  "secretsmanager:UntagResource"),
        # a customer key's Decrypt (GetSecretValue) and GenerateDataKey (writes)
        "lookup": ("kms:DescribeKey", "kms:ListAliases", "kms:Decrypt"),
        "write_lookup": ("secretsmanager:GetRandomPassword", "kms:GenerateDataKey"),
    }

    usage_properties = pricing.USAGE_PROPERTIES

    def cost(self, props, usage, prices):
        return pricing.secret_cost(props, usage, prices)

    # ---- validation (pure: reads the environment and the file system, never AWS) -----

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems = [*_check_name(props.get("name")),
                    *_check_window(props.get("recovery_window_days")),
                    *_check_key_reference(props.get("kms_key"))]
        value = props.get("value") or {}
        if "from_env" in value:
            problems.extend(_check_env(value["from_env"]))
        if "from_file" in value:
            problems.extend(_check_file(value["from_file"]))
        if "generate" in value:
            problems.extend(_check_generate(value["generate"] or {}))
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        wrong_region = access.key_region_problem(props.get("kms_key"), stack.region, "secret")
        return [Problem(("kms_key",), wrong_region)] if wrong_region else []

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        key = props.get("kms_key")
        if isinstance(key, str) and (key == DEFAULT_KEY_ALIAS
                                     or key.endswith(f":{DEFAULT_KEY_ALIAS}")):
            key = None  # the default, however it is spelled
        return {
            "description": props.get("description", ""),
            "kms_key": key,
            "value": _source(props.get("value")),
        }

    def diff(self, desired: Desired, live: Live) -> list[AttributeChange]:
        changes: list[AttributeChange] = []
        want, have = desired.state, live.state
        if "description" not in desired.ignore:
            changes.extend(AttributeChange(p, b, a) for p, b, a in
                           leaf_diff("description", have["description"], want["description"]))
        if "kms_key" not in desired.ignore and not _same_key(want["kms_key"], live):
            changes.append(AttributeChange("kms_key", have["kms_key"], want["kms_key"]))
        if "value" not in desired.ignore:
            change = _value_change(desired, live)
            if change is not None:
                changes.append(change)
        return changes

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        return [c.note for c in changes if c.note]

    def name_from_arn(self, arn: str) -> str:
        # arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (names may hold "/")
        name = arn.split(":secret:", 1)[-1]
        return name[:-7] if re.search(r"-[A-Za-z0-9]{6}$", name) else name

    def export(self, live: Live) -> dict[str, Any]:
        """Never the value: it stays where it is (no `value`), or the user names its
        source (from_env, from_file) after export."""
        props: dict[str, Any] = {"name": live.name}
        if live.state["description"]:
            props["description"] = live.state["description"]
        if live.state["kms_key"]:
            props["kms_key"] = live.state["kms_key"]
        user_tags = {k: v for k, v in live.tags.items() if not k.startswith("awsprov:")}
        if user_tags:
            props["tags"] = user_tags
        return props

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        return [make_arn("secretsmanager", region, account, f"secret:{name}-??????")]

    def baseline(self, live: Live) -> list[tuple[str, str, str]]:
        if live.state["kms_key"] is None:
            return [("secret-cmk", "info", "encrypted with the AWS managed key "
                     "aws/secretsmanager: no key policy of your own")]
        return []

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner: Owner | None = None) -> Live | None:
        sm = aws.client("secretsmanager")
        try:
            secret = sm.describe_secret(SecretId=name)
        except errors.ClientError as exc:
            if errors.is_code(exc, "ResourceNotFoundException"):
                return None
            raise
        if secret.get("Name") != name:
            return None  # a partial-ARN match on another secret
        tags = tagging.as_dict(secret.get("Tags"))
        pending = "DeletedDate" in secret
        key = secret.get("KmsKeyId")
        # The key's names (DescribeKey + ListAliases) beside the value: both need only
        # DescribeSecret's answer.
        names_read = sub_reads.start(kms_refs.describe_key, aws, key) if key else None
        value_digest, version = (None, None) if pending else _read_value(sm, secret["ARN"])
        names = names_read.result() if names_read else None
        live_key = None
        if key and not (names and (names.aws_managed or DEFAULT_KEY_ALIAS in names.aliases)):
            live_key = names.arn if names else key
        versions = len(secret.get("VersionIdsToStages") or {})
        return Live(
            name=secret["Name"], arn=secret["ARN"],
            state={"description": secret.get("Description", ""), "kms_key": live_key,
                   "value": _live_source(tags, value_digest), "value_version": version},
            tags=tags,
            attributes={"arn": secret["ARN"], "name": secret["Name"]},
            pending_deletion=pending,
            data_at_risk=f"{versions} secret version{'s' if versions != 1 else ''} "
                         f"(recoverable during the recovery window unless it is 0)",
            raw={"value_digest": value_digest, "generated": GENERATED_TAG in tags,
                 "key_names": names.names() if names else frozenset()},
        )

    # ---- create ----------------------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        sm = aws.client("secretsmanager")
        state = desired.state
        request: dict[str, Any] = {"Name": desired.name, "Tags": []}
        if state["description"]:
            request["Description"] = state["description"]
        if state["kms_key"] is not None:
            request["KmsKeyId"] = _known(state["kms_key"], "kms_key")
        source = (desired.props.get("value") or {})
        tags = dict(desired.tags)
        if "generate" in source:
            progress("GetRandomPassword")
            request.update(_as_value(_generate(aws, source["generate"] or {}).encode()))
            tags[GENERATED_TAG] = "true"
        elif source:
            request.update(_as_value(_spec_value(source)))
        request["Tags"] = tagging.as_pairs(tags)
        progress("CreateSecret" + (" (with its value)" if source else " (empty)"))
        # A name just freed by a force delete is refused for a moment.
        retry_when(lambda: sm.create_secret(**request), ("InvalidRequestException",),
                   f"the name {desired.name} to be free", aws.wait, messages=NAME_NOT_FREE)

    # ---- update ----------------------------------------------------------------------

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        if not changes:
            return
        sm = aws.client("secretsmanager")
        changed = {c.path.split(".")[0] for c in changes}
        want = desired.state
        request: dict[str, Any] = {}
        if "description" in changed:
            request["Description"] = want["description"]
        if "kms_key" in changed:
            request["KmsKeyId"] = DEFAULT_KEY_ALIAS if want["kms_key"] is None \
                else _known(want["kms_key"], "kms_key")
        if request:
            progress("UpdateSecret (" + ", ".join(sorted(changed & {"description",
                                                                     "kms_key"})) + ")")
            sm.update_secret(SecretId=live.arn, **request)
        if "value" in changed:
            self._update_value(aws, desired, live, progress)
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)

    def _update_value(self, aws, desired: Desired, live: Live, progress: Progress) -> None:
        sm = aws.client("secretsmanager")
        source = desired.props.get("value") or {}
        generated = live.raw.get("generated")
        if "generate" in source:
            if live.raw.get("value_digest") is None:
                progress("GetRandomPassword")
                value = _generate(aws, source["generate"] or {}).encode()
                progress("PutSecretValue (generated)")
                sm.put_secret_value(SecretId=live.arn, **_as_value(value))
            if not generated:
                sm.tag_resource(SecretId=live.arn,
                                Tags=[{"Key": GENERATED_TAG, "Value": "true"}])
            return
        value = _spec_value(source)
        if digest(value) != live.raw.get("value_digest"):
            progress("PutSecretValue")
            sm.put_secret_value(SecretId=live.arn, **_as_value(value))
        if generated:
            sm.untag_resource(SecretId=live.arn, TagKeys=[GENERATED_TAG])

    # ---- delete, restore, tags -------------------------------------------------------

    def delete(self, aws, live: Live, progress: Progress) -> None:
        sm = aws.client("secretsmanager")
        window = (live.spec_props or {}).get("recovery_window_days", DEFAULT_RECOVERY_WINDOW)
        if window == 0:
            progress("DeleteSecret (force, no recovery)")
            request: dict[str, Any] = {"ForceDeleteWithoutRecovery": True}
        else:
            progress(f"DeleteSecret (recoverable for {window} days)")
            request = {"RecoveryWindowInDays": window}
        try:
            sm.delete_secret(SecretId=live.arn, **request)
        except errors.ClientError as exc:
            if errors.is_code(exc, "ResourceNotFoundException"):
                return
            if not (errors.is_code(exc, "InvalidRequestException")
                    and "scheduled for deletion" in errors.message(exc)):
                raise
        wait_until(lambda: _deleted(sm, live.arn), bool, f"secret {live.name} deleted",
                   aws.wait)

    def restore(self, aws, desired: Desired, live: Live, progress: Progress) -> None:
        sm = aws.client("secretsmanager")
        progress("RestoreSecret (same ARN, versions kept)")
        try:
            sm.restore_secret(SecretId=live.arn)
        except errors.ClientError as exc:
            if not errors.is_code(exc, "InvalidRequestException"):
                raise  # InvalidRequest: not pending deletion any more (a repeated restore)
        wait_until(lambda: "DeletedDate" not in sm.describe_secret(SecretId=live.arn),
                   bool, f"secret {live.name} restored", aws.wait)

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        sm = aws.client("secretsmanager")
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: sm.untag_resource(SecretId=live.arn, TagKeys=keys),
            tag=lambda new: sm.tag_resource(SecretId=live.arn, Tags=tagging.as_pairs(new)))


RESOURCE_TYPE = Secret


# ---- the value: sources, digests, generation ---------------------------------------------

def _source(value: dict | None) -> str | None:
    """What the spec says about the value, never the value itself."""
    if not value:
        return None
    if "from_env" in value:
        return f"from_env {value['from_env']}"
    if "from_file" in value:
        return f"from_file {value['from_file']}"
    return "generated"


def _live_source(tags: dict[str, str], value_digest: str | None) -> str | None:
    if value_digest is None:
        return None
    return "generated" if GENERATED_TAG in tags else "set"


def _value_change(desired: Desired, live: Live) -> AttributeChange | None:
    source = desired.props.get("value") or {}
    before, after = live.state["value"], desired.state["value"]
    if not source:
        return None  # the spec leaves the value to others
    if "generate" in source:
        if live.raw.get("value_digest") is None:
            return AttributeChange("value", before, after, sensitive=True,
                                   note="a value is generated (GetRandomPassword)")
        if not live.raw.get("generated"):
            return AttributeChange("value", before, after, sensitive=True,
                                   note="the current value is kept and marked generated")
        return None
    if digest(_spec_value(source)) != live.raw.get("value_digest"):
        return AttributeChange("value", before, after, sensitive=True)
    if live.raw.get("generated"):
        return AttributeChange("value", before, after, sensitive=True,
                               note="the value is no longer marked generated")
    return None


def _spec_value(source: dict) -> bytes:
    """The value the spec points at, as bytes. Checked at load; re-read here, so a value
    that went missing since is an error naming the variable or file, never the value."""
    if "from_env" in source:
        var = source["from_env"]
        if var not in os.environ:
            raise AwsprovError(f"environment variable {var} is not set")
        return os.environ[var].encode()
    path = Path(source["from_file"])
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AwsprovError(f"cannot read {path}: {exc.strerror}") from None


def _as_value(value: bytes) -> dict[str, Any]:
    try:
        return {"SecretString": value.decode("utf-8")}
    except UnicodeDecodeError:
        return {"SecretBinary": value}


def _read_value(sm, arn: str) -> tuple[str | None, str | None]:
    """(digest of AWSCURRENT, its version id); (None, None) for a secret with no value."""
    try:
        response = sm.get_secret_value(SecretId=arn)
    except errors.ClientError as exc:
        if errors.is_code(exc, "ResourceNotFoundException"):
            return None, None
        raise
    version = response.get("VersionId")
    if "SecretString" in response:
        value = response["SecretString"].encode()
    else:
        value = bytes(response.get("SecretBinary") or b"")
    del response  # the plaintext goes no further than this frame
    return digest(value), version


def _generate(aws, options: dict) -> str:
    sm = aws.client("secretsmanager")
    request: dict[str, Any] = {"PasswordLength": options.get("length", DEFAULT_LENGTH)}
    excluded = options.get("exclude_characters", "")
    if options.get("exclude_punctuation"):
        request["ExcludePunctuation"] = True
    if excluded:
        request["ExcludeCharacters"] = excluded
    for kind, chars in CHARACTER_TYPES.items():
        if all(c in excluded for c in chars):
            request[EXCLUDE_FLAGS[kind]] = True  # else AWS insists on one of each type
    return sm.get_random_password(**request)["RandomPassword"]


# ---- helpers ------------------------------------------------------------------------------

def _same_key(want: Any, live: Live) -> bool:
    if want is KNOWN_AFTER_APPLY or is_unknown(want):
        return False
    if want is None:
        return live.state["kms_key"] is None
    return want == live.state["kms_key"] or want in live.raw.get("key_names", ())


def _known(value: Any, what: str) -> Any:
    if is_unknown(value):
        raise AwsprovError(f"{what} is not known yet")
    return value


def _deleted(sm, arn: str) -> bool:
    try:
        return "DeletedDate" in sm.describe_secret(SecretId=arn)
    except errors.ClientError as exc:
        if errors.is_code(exc, "ResourceNotFoundException"):
            return True
        raise


def _sections() -> set[str]:
    from awsprov.resources import registry

    return set(registry.sections())


def _check_name(name: Any) -> list[Problem]:
    if isinstance(name, str) and re.search(r"-[A-Za-z0-9]{6}$", name):
        return [Problem(("name",), "a name ending in a hyphen and six characters looks like "
                        "an ARN's random suffix; AWS advises against it (lookups by partial "
                        "ARN may find another secret)", severity="warning")]
    return []


def _check_window(window: Any) -> list[Problem]:
    if isinstance(window, int) and 0 < window < 7:
        return [Problem(("recovery_window_days",), f"{window} is not allowed: 0 (delete at "
                        f"once, no recovery) or 7-30 days")]
    return []


def _check_key_reference(key: Any) -> list[Problem]:
    if not isinstance(key, str) or not key.startswith("${"):
        return []
    ref = interpolate.parse_reference(key[2:-1], _sections())
    if ref is not None and ref.section != "keys":
        return [Problem(("kms_key",), f"kms_key must name a key (${{keys.NAME}}), not "
                                      f"{ref.address}")]
    return []


def _check_env(var: str) -> list[Problem]:
    path = ("value", "from_env")
    if var not in os.environ:
        return [Problem(path, f"environment variable {var} is not set (the secret's value "
                              f"comes from it)", external_input=True)]
    if not os.environ[var]:
        return [Problem(path, f"environment variable {var} is empty (Secrets Manager needs "
                              f"at least one character)", external_input=True)]
    if len(os.environ[var].encode()) > MAX_VALUE_BYTES:
        return [Problem(path, f"environment variable {var} is longer than "
                              f"{MAX_VALUE_BYTES} bytes", external_input=True)]
    return []


def _check_file(name: str) -> list[Problem]:
    path, file = ("value", "from_file"), Path(name)
    if not file.is_file():
        return [Problem(path, f"file {file} does not exist (from_file is relative to the "
                              f"spec file)", external_input=True)]
    try:
        size = file.stat().st_size
        with file.open("rb"):
            pass
    except OSError as exc:
        return [Problem(path, f"cannot read {file}: {exc.strerror}", external_input=True)]
    if size == 0:
        return [Problem(path, f"file {file} is empty", external_input=True)]
    if size > MAX_VALUE_BYTES:
        return [Problem(path, f"file {file} is {size} bytes; a secret holds at most "
                              f"{MAX_VALUE_BYTES}", external_input=True)]
    return []


def _check_generate(options: dict) -> list[Problem]:
    path = ("value", "generate")
    excluded = options.get("exclude_characters", "")
    kinds = {k: c for k, c in CHARACTER_TYPES.items()
             if not (k == "punctuation" and options.get("exclude_punctuation"))}
    left = {k: [c for c in chars if c not in excluded] for k, chars in kinds.items()}
    left = {k: chars for k, chars in left.items() if chars}
    if not left:
        return [Problem(path, "no character is left to generate from: exclude_characters "
                              "(and exclude_punctuation) exclude every one", external_input=True)]
    length = options.get("length", DEFAULT_LENGTH)
    if length < len(left):
        return [Problem((*path, "length"), f"length {length} is too short: a generated "
                        f"value holds at least one of each of its {len(left)} character "
                        f"types ({', '.join(left)})")]
    return []

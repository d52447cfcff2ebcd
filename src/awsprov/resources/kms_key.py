"""KMS customer managed keys (docs/keys-and-secrets.md "Keys"; the AWS KMS developer guide).

A key has no name: its alias is its identity. A key is tagged in CreateKey itself and
gets its alias right after, so an apply killed between the two leaves a tagged key
without an alias; `read` then finds it by its awsprov:stack/awsprov:address tags instead
of creating a second key: through the Tagging API, and when that (lagging) API knows of
none, through the account's keys without an alias and their own tags.

CreateKey has no idempotency token, so botocore never resends it (a single-attempt
client): when its answer is lost, the key it may have made is found by the random
`awsprov:creation` marker the CreateKey put in the key's own tags, before any second
CreateKey (docs/keys-and-secrets.md "Lost answers").

Nothing here ever replaces a key: a key cannot be replaced without losing every piece of
data it encrypts. A key spec or usage change is refused with the reason; a delete only
schedules deletion (the alias goes first), and a key pending deletion that is back in the
spec is restored (CancelKeyDeletion + EnableKey): same key id, data still readable.

Update order follows Terraform's: EnableKey before every other change (AWS refuses to
modify a disabled key's rotation), DisableKey after them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.aws.waiters import WaitTimeout, retry_when, visible, wait_until
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    AttributeChange,
    BaselineFinding,
    FieldKind,
    Severity,
    is_unknown,
)
from awsprov.cost import kms as pricing
from awsprov.errors import AwsprovError
from awsprov.resources import kms_refs
from awsprov.resources import policy as policies
from awsprov.resources import tags as tagging
from awsprov.resources.base import (
    Deletion,
    Desired,
    Live,
    Owner,
    Problem,
    Progress,
    ResourceType,
)
from awsprov.resources.props import Prop

SYMMETRIC = "SYMMETRIC_DEFAULT"
# Key spec → the usages AWS accepts for it; the first is awsprov's default.
USAGES = {
    SYMMETRIC: ("ENCRYPT_DECRYPT",),
    "RSA_2048": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "RSA_3072": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "RSA_4096": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "ECC_NIST_P256": ("SIGN_VERIFY", "KEY_AGREEMENT"),
    "ECC_NIST_P384": ("SIGN_VERIFY", "KEY_AGREEMENT"),
    "ECC_NIST_P521": ("SIGN_VERIFY", "KEY_AGREEMENT"),
    "ECC_SECG_P256K1": ("SIGN_VERIFY",),
    "ECC_NIST_EDWARDS25519": ("SIGN_VERIFY",),
    "HMAC_224": ("GENERATE_VERIFY_MAC",),
    "HMAC_256": ("GENERATE_VERIFY_MAC",),
    "HMAC_384": ("GENERATE_VERIFY_MAC",),
    "HMAC_512": ("GENERATE_VERIFY_MAC",),
    "SM2": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"),
    "ML_DSA_44": ("SIGN_VERIFY",),
    "ML_DSA_65": ("SIGN_VERIFY",),
    "ML_DSA_87": ("SIGN_VERIFY",),
    "ML_KEM_512": ("ENCAPSULATE_DECAPSULATE",),
    "ML_KEM_768": ("ENCAPSULATE_DECAPSULATE",),
    "ML_KEM_1024": ("ENCAPSULATE_DECAPSULATE",),
}
KEY_USAGES = sorted({u for usages in USAGES.values() for u in usages})
DEFAULT_ROTATION_DAYS = 365
DEFAULT_DELETION_WINDOW = 30
RESERVED_ALIAS_PREFIX = "alias/aws/"
POLICY_MAX_BYTES = 32 * 1024
PENDING_STATES = ("PendingDeletion", "PendingReplicaDeletion")
ALIAS_PATTERN = r"^alias/[a-zA-Z0-9/_-]+$"
# A random token per CreateKey, in the key's own tags: finds the key a CreateKey whose answer
# was lost made, since CreateKey has no idempotency token (docs/keys-and-secrets.md).
CREATION_TAG = "awsprov:creation"
CREATE_KEY_ATTEMPTS = 3
MARKER_WINDOW_SECONDS = 30
# Keys without an alias asked for their tags when looking for a key by its tags.
SCAN_LIMIT = 200
THROTTLED = ("ThrottlingException",)
# IAM principals named in a new policy can take a while to become visible to KMS.
PRINCIPALS_NOT_VISIBLE = ("invalid principals",)
# KMS is eventually consistent: a change "is usually visible in less than a few seconds,
# in some cases several minutes" (KMS developer guide, "Eventual consistency"), and reads
# can answer from replicas that lag, the old value coming back between new ones. After
# PutKeyPolicy and EnableKey/DisableKey awsprov waits until that many reads in a row show
# the change (Terraform waits likewise), for up to SHOWN_TIMEOUT_S, so the next plan is
# clean.
SHOWN_READS = 3
SHOWN_TIMEOUT_S = 20 * 60
REFUSED_REASON = ("{fields} of a KMS key is fixed at creation, and replacing the key would "
                  "make everything it encrypts unreadable; create a second key under a new "
                  "alias, re-encrypt, then remove this one")


def default_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """The policy KMS gives a key created without one: the account root may do everything,
    which delegates access to IAM policies."""
    return {"Version": policies.VERSION, "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*", "Resource": "*"}]}


def _account_of(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[1]


def _default_usage(key_spec: str) -> str:
    return USAGES.get(key_spec, ("ENCRYPT_DECRYPT",))[0]


def _default_rotation(key_spec: str) -> bool:
    return key_spec == SYMMETRIC  # KMS rotates only symmetric key material


@dataclass(frozen=True)
class KeyDetails:
    """What the key's own calls need beyond its state: every KMS call names the key by id
    (its alias can be missing or about to change)."""

    key_id: str
    creation_date: datetime | None = None


class KmsKey(ResourceType):
    section = "keys"
    kind = "KMS key"
    service = "kms"
    tagging_type = "kms:key"
    holds_data = True  # not itself, but everything it encrypts
    required = ("alias",)
    reference_attributes = ("arn", "name", "id", "alias")
    props = {
        "alias": Prop({"type": "string", "maxLength": 256, "pattern": ALIAS_PATTERN,
                       "description": "The key's identity: alias/ then a-z A-Z 0-9 / _ - "
                                      "(alias/aws/ is reserved for AWS)"}),
        "description": Prop({"type": "string", "maxLength": 8192,
                             "description": "The key's description, as the KMS console "
                                            "shows it"},
                            default="", request="Description", describe="Description"),
        # Its default depends on key_spec (desired_state): none declared here.
        "rotation": Prop({"type": "boolean",
                          "description": "Automatic rotation (default true for symmetric "
                                         "keys)"}),
        "rotation_period_days": Prop({"type": "integer", "minimum": 90, "maximum": 2560,
                                      "description": "Days between rotations (default 365)"},
                                     default=DEFAULT_ROTATION_DAYS),
        # Absent: the account-root default policy, which key_changes fills in from the ARN.
        "policy": Prop({"type": "object", "description": "The key policy document; default: "
                                                         "the account-root default policy"}),
        "key_spec": Prop({"enum": list(USAGES),
                          "description": "Key material: symmetric AES, HMAC, RSA or "
                                         "elliptic-curve; fixed when the key is made"},
                         change=FieldKind.REFUSE, default=SYMMETRIC, request="KeySpec"),
        # Its default depends on key_spec (_default_usage).
        "key_usage": Prop({"enum": KEY_USAGES,
                           "description": "What the key does (default: the first its "
                                          "key_spec allows, ENCRYPT_DECRYPT for symmetric "
                                          "keys); fixed when the key is made"},
                          change=FieldKind.REFUSE, request="KeyUsage"),
        # A setting for `delete` (ScheduleKeyDeletion), never part of the compared state.
        "deletion_window_days": Prop({"type": "integer", "minimum": 7, "maximum": 30,
                                      "description": "Days between delete and the key's end "
                                                     "(default 30); a restore is possible "
                                                     "meanwhile"},
                                     default=DEFAULT_DELETION_WINDOW, exported=False,
                                     state=False),
        "enabled": Prop({"type": "boolean",
                         "description": "false disables the key: every use of it is refused"},
                        default=True),
    }
    permissions = {
        "read": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
                 "kms:ListResourceTags"),
        "write": ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
                  "kms:UpdateKeyDescription", "kms:PutKeyPolicy", "kms:EnableKeyRotation",
                  "kms:DisableKeyRotation", "kms:EnableKey", "kms:DisableKey",
                  "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:TagResource",
                  "kms:UntagResource"),
        "lookup": ("kms:ListAliases", "kms:ListKeys"),
        "write_lookup": ("kms:CreateKey",),
    }

    usage_properties = pricing.USAGE_PROPERTIES
    found_by_tags = True  # read() falls back to the awsprov:* tags when the alias is missing

    def physical_name(self, props: dict[str, Any]) -> str:
        return props["alias"]

    def cost(self, props, usage, prices):
        return pricing.key_cost(props, usage, prices)

    # ---- validation (pure) -----------------------------------------------------------

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        alias = props.get("alias", "")
        if isinstance(alias, str) and alias.startswith(RESERVED_ALIAS_PREFIX):
            problems.append(Problem(("alias",), f"{RESERVED_ALIAS_PREFIX} is reserved for "
                                                f"AWS managed keys; choose another alias"))
        spec = props.get("key_spec", self.props["key_spec"].default)
        usage = props.get("key_usage")
        if usage is not None and usage not in USAGES.get(spec, ()):
            allowed = ", ".join(USAGES.get(spec, ()))
            problems.append(Problem(("key_usage",), f"key_usage {usage} is not possible with "
                                                    f"key_spec {spec} (possible: {allowed})"))
        if props.get("rotation") and spec != SYMMETRIC:
            problems.append(Problem(("rotation",), f"automatic rotation needs a "
                                                   f"{SYMMETRIC} key, not {spec}"))
        rotation = props.get("rotation", _default_rotation(spec))
        if "rotation_period_days" in props and not rotation:
            problems.append(Problem(("rotation_period_days",),
                                    "rotation_period_days needs rotation: true"))
        if "policy" in props:
            problems.extend(_check_policy(props["policy"]))
        return problems

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        simple = self.simple_desired(props)
        spec = simple["key_spec"]
        rotation = bool(props.get("rotation", _default_rotation(spec)))
        document = props.get("policy")
        if document is None:
            policy = None  # the default policy, which diff fills in from the live ARN
        elif is_unknown(document):
            policy = KNOWN_AFTER_APPLY
        else:
            policy = policies.canonical(document)
        # In this order, the order a create's plan lists them in.
        return {
            "alias": simple["alias"],
            "key_spec": spec,
            "key_usage": props.get("key_usage", _default_usage(spec)),
            "description": simple["description"],
            "enabled": bool(simple["enabled"]),
            "rotation": rotation,
            "rotation_period_days": simple["rotation_period_days"] if rotation else None,
            "policy": policy,
        }

    def key_changes(self, key: str, before: Any, after: Any, desired: Desired,
                    live: Live) -> list[AttributeChange]:
        if key != "policy":
            return self.field_changes(key, before, after)
        if after is None:
            after = policies.canonical(default_policy(*_account_of(live.arn)))
        return [AttributeChange("policy", before, after)] if before != after else []

    def refusal(self, desired: Desired, live: Live,
                changes: list[AttributeChange]) -> str | None:
        fixed = [c for c in changes if c.kind is FieldKind.REFUSE]
        if fixed:
            described = " and ".join(f"{c.path} ({c.before} → {c.after})" for c in fixed)
            return REFUSED_REASON.format(fields=described)
        paths = {c.path for c in changes}
        stays_disabled = not desired.state["enabled"] and not live.state["enabled"]
        if stays_disabled and paths & {"rotation", "rotation_period_days"} \
                and not live.pending_deletion:
            return ("rotation cannot change while the key is disabled (AWS refuses "
                    "EnableKeyRotation and DisableKeyRotation on a disabled key): set "
                    "enabled: true for this apply, or leave rotation as it is")
        return None

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        notes = []
        alias = next((c for c in changes if c.path == "alias"), None)
        if alias and alias.before:
            notes.append(f"alias {alias.before} is deleted once {alias.after} points at the "
                         f"key: whatever names the key by the old alias must switch")
        enabled = next((c for c in changes if c.path == "enabled"), None)
        if enabled and enabled.after is False:
            notes.append("a disabled key cannot encrypt or decrypt: everything that uses it "
                         "fails until it is enabled again")
        return notes

    def identifiers(self, live: Live) -> frozenset[str]:
        """A table, bucket, queue... names its key by ARN, id, alias or alias ARN."""
        aliases = {a for a in (live.state.get("alias"), live.attributes.get("alias")) if a}
        return kms_refs.KeyNames(live.arn, live.attributes["id"], frozenset(aliases),
                                 aws_managed=False).names()

    def baseline(self, live: Live) -> list[BaselineFinding]:
        findings = []
        if live.state["key_spec"] == SYMMETRIC and not live.state["rotation"]:
            findings.append(BaselineFinding("key-rotation", Severity.WARNING,
                                            "automatic key rotation is off"))
        for _statement in policies.public_statements(live.state.get("policy")):
            findings.append(BaselineFinding(
                "key-policy-public", Severity.ERROR,
                "the key policy allows any AWS principal, not limited to fixed sources or "
                "accounts"))
        return findings

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        # Keys are known by alias only; their ids are random, so key actions are scoped to
        # the account's keys and alias actions to this alias.
        return [make_arn("kms", region, account, "key/*"), make_arn("kms", region, account, name)]

    def name_from_arn(self, arn: str) -> str:
        return arn.rsplit("/", 1)[-1]  # the key id: read() accepts it as well as an alias

    def export(self, live: Live) -> dict[str, Any]:
        if not live.state["alias"]:
            raise AwsprovError(f"key {live.name} has no alias: give it one to manage it")
        spec = super().export(live)
        del spec["name"]  # a key has no name: its alias is its identity
        # What a spec leaving them out gets, beyond the table's defaults: they depend on
        # the key spec and the account.
        key_spec = live.state["key_spec"]
        implied = {"key_usage": _default_usage(key_spec),
                   "rotation": _default_rotation(key_spec),
                   "policy": policies.canonical(default_policy(*_account_of(live.arn)))}
        return {key: value for key, value in spec.items()
                if key not in implied or value != implied[key]}

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner: Owner | None = None) -> Live | None:
        kms = aws.client("kms")
        meta = _describe(kms, name)
        found_by_alias = meta is not None and name.startswith("alias/")
        if meta is None and owner is not None:
            meta = self._find_by_owner(aws, owner)
        if meta is None or meta.get("KeyManager") == "AWS":
            return None
        key_id = meta["KeyId"]
        aliases = [name] if found_by_alias else kms_refs.list_aliases(kms, key_id)
        own_aliases = [a for a in aliases if not a.startswith(RESERVED_ALIAS_PREFIX)]
        alias = name if name in own_aliases else (own_aliases[0] if own_aliases else None)
        rotation, period = self._read_rotation(kms, meta)
        policy_text = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        tags = aws.indexed_tags(meta["Arn"])
        state = {
            "alias": alias,
            "key_spec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec", SYMMETRIC),
            "key_usage": meta.get("KeyUsage", "ENCRYPT_DECRYPT"),
            **self.simple_live(meta),  # description
            "enabled": meta.get("KeyState") == "Enabled",
            "rotation": rotation,
            "rotation_period_days": period,
            "policy": policies.canonical(policy_text),
        }
        # What the alias will be once this apply is done (a key found by its tags gets it).
        planned_alias = name if name.startswith("alias/") else alias
        live = Live(
            name=alias or key_id, arn=meta["Arn"], state=state,
            tags=tags if tags is not None else _read_tags(kms, key_id),
            attributes={"arn": meta["Arn"], "name": planned_alias, "id": key_id,
                        "alias": planned_alias},
            pending_deletion=meta.get("KeyState") in PENDING_STATES,
            data_at_risk="everything this key encrypts becomes unreadable when its deletion "
                         "window ends; until then apply can restore it",
            details=KeyDetails(key_id, meta.get("CreationDate")),
        )
        live.tags_indexed = tags is not None
        return live

    def read_tags(self, aws, live: Live) -> dict[str, str]:
        return _read_tags(aws.client("kms"), live.details.key_id)

    def created(self, live: Live) -> str | None:
        when = live.details.creation_date
        return when.isoformat() if hasattr(when, "isoformat") else (str(when) if when else None)

    @staticmethod
    def _read_rotation(kms, meta: dict) -> tuple[bool, int | None]:
        if (meta.get("KeySpec") or SYMMETRIC) != SYMMETRIC or \
                meta.get("Origin", "AWS_KMS") != "AWS_KMS":
            return False, None
        try:
            status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
        except errors.ClientError as exc:
            # A key pending deletion may not answer; it is restored before it is updated.
            if errors.is_code(exc, "KMSInvalidStateException", "UnsupportedOperationException"):
                return False, None
            raise
        if not status.get("KeyRotationEnabled"):
            return False, None
        return True, status.get("RotationPeriodInDays", DEFAULT_ROTATION_DAYS)

    def _find_by_owner(self, aws, owner: Owner) -> dict | None:
        """The key tagged with this stack and address: an apply killed between CreateKey
        and CreateAlias, or a key whose alias went first on delete. Prefers a key that is
        not pending deletion, then the newest.

        The Tagging API is asked first (one call); it lags with no freshness promise, so
        when it knows of no such key the account's keys without an alias are asked for
        their own tags (KMS's ListResourceTags, which does not lag): ListKeys, ListAliases,
        then one ListResourceTags per key without an alias, at most SCAN_LIMIT of them."""
        kms = aws.client("kms")
        wanted = tagging.ownership_tags(owner.stack, owner.address, owner.env)
        candidates = [meta for arn in self._tagged_by_index(aws, wanted)
                      if (meta := _describe_listed(kms, arn, aws.wait)) is not None]
        if not candidates:
            candidates = [meta for key_id in _keys_tagged(kms, wanted)
                          if (meta := _describe(kms, key_id)) is not None]
        candidates = [m for m in candidates if m.get("KeyManager") != "AWS"]
        if not candidates:
            return None
        candidates.sort(key=lambda m: (m.get("KeyState") not in PENDING_STATES,
                                       m.get("CreationDate") or 0))
        return candidates[-1]

    def _tagged_by_index(self, aws, wanted: dict[str, str]) -> list[str]:
        client = aws.client("resourcegroupstaggingapi")
        pages = client.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": key, "Values": [value]} for key, value in wanted.items()],
            ResourceTypeFilters=[self.tagging_type])
        return [item["ResourceARN"] for page in pages
                for item in page.get("ResourceTagMappingList", [])]

    # ---- create ----------------------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        state = desired.state
        identity = _creation_identity(desired.tags)
        tags = {**desired.tags, **identity}
        request: dict[str, Any] = {**self.simple_request(state),  # description, spec, usage
                                   "Tags": tagging.as_pairs(tags, "TagKey", "TagValue")}
        if desired.props.get("policy") is not None:
            request["Policy"] = policies.to_json(desired.props["policy"])
        progress(f"CreateKey ({state['key_spec']}, {state['key_usage']})")
        key_id = self._create_key_once(aws, request, identity, progress)
        self._create_alias(aws, state["alias"], key_id, progress)
        if state["rotation"]:
            self._set_rotation(aws, key_id, True, state["rotation_period_days"], progress)
        if not state["enabled"]:
            self._set_enabled(aws, key_id, False, progress)

    def _create_key_once(self, aws, request: dict, identity: dict[str, str],
                         progress: Progress) -> str:
        """CreateKey has no idempotency token: botocore resending it after a lost answer
        makes a second key. So it is sent by a client that never resends, and when its
        answer is lost (connection reset, read timeout, a 5xx) the key it may have made is
        looked for by its creation marker before CreateKey is sent again."""
        kms = aws.client("kms", single_attempt=True)

        def send() -> str:
            # Throttled: refused before it acted, so sending it again is safe.
            return retry_when(lambda: kms.create_key(**request)["KeyMetadata"]["KeyId"],
                              THROTTLED, "CreateKey no longer throttled", aws.wait)

        attempt = 1
        while True:
            try:
                return retry_when(send, ("MalformedPolicyDocumentException",),
                                  "the key policy's principals to become visible", aws.wait,
                                  messages=PRINCIPALS_NOT_VISIBLE)
            except Exception as exc:
                if not _outcome_unknown(exc) or attempt == CREATE_KEY_ATTEMPTS:
                    raise
            attempt += 1
            progress("CreateKey answer lost: looking for the key it made (creation marker)")
            found = _await_key_tagged(aws, identity)
            if found is not None:
                return found
            progress("no key carries the marker: CreateKey never took effect; sending it again")

    def _create_alias(self, aws, alias: str, key_id: str, progress: Progress) -> None:
        kms = aws.client("kms")
        progress(f"CreateAlias {alias}")
        try:
            # A key just created may not be visible to CreateAlias yet.
            retry_when(lambda: kms.create_alias(AliasName=alias, TargetKeyId=key_id),
                       ("NotFoundException",), f"key {key_id} visible to CreateAlias",
                       aws.wait)
        except errors.ClientError as exc:
            if not errors.is_code(exc, "AlreadyExistsException"):
                raise
            target = _describe(kms, alias)
            if target is None or target["KeyId"] != key_id:
                other = target["KeyId"] if target else "another key"
                raise AwsprovError(f"alias {alias} already points at key {other}, not at "
                                   f"key {key_id}") from None
        # Aliases are eventually consistent too (KMS developer guide): until DescribeKey
        # resolves the new alias, the next read would find the key by its tags only and
        # ListAliases may still leave the alias out, so the plan after this apply would
        # show the alias as missing. Waited for here, bounded by KMS's documented window.
        visible("kms.key", lambda: kms.describe_key(KeyId=alias), f"alias {alias} visible",
                aws.wait)

    # ---- update ----------------------------------------------------------------------

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        if not changes:
            return
        refused = self.refusal(desired, live, changes)
        if refused:  # reached after a restore: the plan's action was restore, not refused
            raise AwsprovError(f"refused: {refused}")
        kms = aws.client("kms")
        key_id = live.details.key_id
        want, have = desired.state, live.state
        changed = {c.prop for c in changes}
        if "enabled" in changed and want["enabled"]:
            self._set_enabled(aws, key_id, True, progress)
        if "description" in changed:
            progress("UpdateKeyDescription")
            kms.update_key_description(KeyId=key_id, Description=want["description"])
        if "policy" in changed:
            self._put_policy(aws, desired, live, progress)
        if changed & {"rotation", "rotation_period_days"}:
            self._set_rotation(aws, key_id, want["rotation"], want["rotation_period_days"],
                               progress)
        if "alias" in changed:
            self._create_alias(aws, want["alias"], key_id, progress)
            if have["alias"] and have["alias"] != want["alias"]:
                progress(f"DeleteAlias {have['alias']} (renamed)")
                _delete_alias(kms, have["alias"])
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)
        if "enabled" in changed and not want["enabled"]:
            self._set_enabled(aws, key_id, False, progress)

    def _put_policy(self, aws, desired: Desired, live: Live, progress: Progress) -> None:
        kms = aws.client("kms")
        key_id = live.details.key_id
        document = desired.props.get("policy") or default_policy(*_account_of(live.arn))
        text = policies.to_json(document)
        progress("PutKeyPolicy")
        retry_when(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default",
                                              Policy=text),
                   ("MalformedPolicyDocumentException",),
                   "the key policy's principals to become visible", aws.wait,
                   messages=PRINCIPALS_NOT_VISIBLE)
        progress("waiting: the new key policy to show (KMS is eventually consistent)")
        wait_until(lambda: kms.get_key_policy(KeyId=key_id,
                                              PolicyName="default")["Policy"],
                   lambda shown: policies.same(shown, document),
                   f"key {key_id} policy shown", aws.wait,
                   timeout=SHOWN_TIMEOUT_S, consecutive=SHOWN_READS)

    def _set_rotation(self, aws, key_id: str, enabled: bool, period: int | None,
                      progress: Progress) -> None:
        kms = aws.client("kms")
        if enabled:
            progress(f"EnableKeyRotation (every {period} days)")
            call = lambda: kms.enable_key_rotation(KeyId=key_id,  # noqa: E731
                                                   RotationPeriodInDays=period)
        else:
            progress("DisableKeyRotation")
            call = lambda: kms.disable_key_rotation(KeyId=key_id)  # noqa: E731
        # Right after CreateKey or EnableKey the key may still be invisible or disabled.
        retry_when(call, ("NotFoundException", "DisabledException"),
                   f"key {key_id} ready for a rotation change", aws.wait)

    def _set_enabled(self, aws, key_id: str, enabled: bool, progress: Progress) -> None:
        kms = aws.client("kms")
        progress("EnableKey" if enabled else "DisableKey")
        if enabled:
            kms.enable_key(KeyId=key_id)
        else:
            kms.disable_key(KeyId=key_id)
        target = "Enabled" if enabled else "Disabled"
        # KMS reports the old state for a while after EnableKey/DisableKey (above).
        wait_until(lambda: kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"],
                   lambda s: s == target, f"key {key_id} {target}", aws.wait,
                   timeout=SHOWN_TIMEOUT_S, consecutive=SHOWN_READS)

    # ---- delete, restore, tags -------------------------------------------------------

    def deletion(self, live: Live, props: dict[str, Any] | None) -> Deletion:
        return Deletion(window_days=(props or {}).get("deletion_window_days",
                                                      DEFAULT_DELETION_WINDOW))

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        kms = aws.client("kms")
        key_id = live.details.key_id
        for alias in kms_refs.list_aliases(kms, key_id):
            if not alias.startswith(RESERVED_ALIAS_PREFIX):
                progress(f"DeleteAlias {alias}")
                _delete_alias(kms, alias)
        window = how.window_days or DEFAULT_DELETION_WINDOW
        progress(f"ScheduleKeyDeletion (in {window} days; restorable until then)")
        try:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=window)
        except errors.ClientError as exc:
            if not errors.is_code(exc, "KMSInvalidStateException", "NotFoundException"):
                raise
            return  # already pending deletion (a repeated delete), or gone
        # The key reports Enabled/Disabled for a while after ScheduleKeyDeletion.
        wait_until(lambda: kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"],
                   lambda s: s in PENDING_STATES, f"key {key_id} pending deletion", aws.wait)

    def restore(self, aws, desired: Desired, live: Live, progress: Progress) -> None:
        kms = aws.client("kms")
        key_id = live.details.key_id
        progress("CancelKeyDeletion (same key: what it encrypted stays readable)")
        try:
            kms.cancel_key_deletion(KeyId=key_id)
        except errors.ClientError as exc:
            if not errors.is_code(exc, "KMSInvalidStateException"):
                raise  # KMSInvalidState: no longer pending (a repeated restore)
        if desired.state["enabled"]:
            self._set_enabled(aws, key_id, True, progress)
        self._create_alias(aws, desired.state["alias"], key_id, progress)

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        kms = aws.client("kms")
        key_id = live.details.key_id
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: kms.untag_resource(KeyId=key_id, TagKeys=keys),
            tag=lambda new: kms.tag_resource(KeyId=key_id,
                                             Tags=tagging.as_pairs(new, "TagKey", "TagValue")))


RESOURCE_TYPE = KmsKey


def _check_policy(document: Any) -> list[Problem]:
    if is_unknown(document):
        return []
    try:
        canonical = policies.canonical(document)
        size = len(policies.to_json(document).encode())
    except (policies.PolicyError, TypeError) as exc:
        return [Problem(("policy",), str(exc))]
    if not canonical["Statement"]:
        return [Problem(("policy",), "a key policy needs at least one Statement")]
    if size > POLICY_MAX_BYTES:
        return [Problem(("policy",), f"the key policy is {size} bytes; KMS accepts at most "
                                     f"{POLICY_MAX_BYTES}")]
    if not policies.grants_to_some_aws_principal(document, "kms:PutKeyPolicy"):
        return [Problem(("policy",), (
            "no statement lets an IAM principal change this policy (kms:PutKeyPolicy): KMS "
            "refuses a policy that would lock everyone out of the key. Keep the "
            "account-root statement: {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": "
            "\"${account_id}\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}"))]
    return []


def _creation_identity(tags: dict[str, str]) -> dict[str, str]:
    """The tags that tell this CreateKey's key from every other: a fresh creation marker;
    or, for a key already at AWS's tag limit, its ownership tags (a key pending deletion
    with the same address is then told apart by its state)."""
    if len(tags) < tagging.MAX_TAGS:
        return {CREATION_TAG: secrets.token_hex(12)}
    return {k: v for k, v in tags.items() if k in tagging.OWNERSHIP}


def _outcome_unknown(exc: BaseException) -> bool:
    """The call may or may not have taken effect: the connection failed after the request
    went out, or the service failed (5xx) without saying whether it acted."""
    from botocore.exceptions import ConnectionError as BotocoreConnectionError
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, (HTTPClientError, BotocoreConnectionError)):
        return True
    if isinstance(exc, errors.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or errors.is_code(exc, "KMSInternalException")
    return False


def _await_key_tagged(aws, wanted: dict[str, str]) -> str | None:
    """The key holding these tags, polled for while a key just made may not show in
    ListKeys yet (KMS is eventually consistent, "usually less than a few seconds"); None
    once MARKER_WINDOW_SECONDS (or the apply's shorter wait) passed without it."""
    kms = aws.client("kms")
    try:
        return wait_until(lambda: _find_key_tagged(kms, wanted), lambda key: key is not None,
                          "the key of the lost CreateKey", aws.wait,
                          timeout=min(aws.wait.timeout, MARKER_WINDOW_SECONDS))
    except WaitTimeout:
        return None


def _unaliased_keys(kms) -> list[str]:
    """Ids of the account's keys no alias points at: the only keys that can be a lost
    create (no alias yet) or a key of this stack whose alias is gone."""
    aliased = {a["TargetKeyId"] for page in kms.get_paginator("list_aliases").paginate()
               for a in page.get("Aliases", []) if a.get("TargetKeyId")}
    return [k["KeyId"] for page in kms.get_paginator("list_keys").paginate()
            for k in page.get("Keys", []) if k["KeyId"] not in aliased]


def _keys_tagged(kms, wanted: dict[str, str]) -> list[str]:
    """Keys without an alias whose own tags hold every wanted tag (at most SCAN_LIMIT
    ListResourceTags calls)."""
    found = []
    for key_id in _unaliased_keys(kms)[:SCAN_LIMIT]:
        try:
            tags = _read_tags(kms, key_id)
        except errors.ClientError:
            continue  # not ours to read (AccessDenied) or just gone
        if all(tags.get(k) == v for k, v in wanted.items()):
            found.append(key_id)
    return found


def _find_key_tagged(kms, wanted: dict[str, str]) -> str | None:
    """A key with these tags that is not pending deletion (a key just made never is)."""
    for key_id in _keys_tagged(kms, wanted):
        meta = _describe(kms, key_id)
        if meta is not None and meta.get("KeyState") not in PENDING_STATES:
            return key_id
    return None


def _describe(kms, key: str) -> dict | None:
    try:
        return kms.describe_key(KeyId=key)["KeyMetadata"]
    except errors.ClientError as exc:
        if errors.is_code(exc, "NotFoundException"):
            return None
        raise


# A key the Tagging API already lists may still be unknown to DescribeKey: KMS is eventually
# consistent, "usually less than a few seconds" (KMS developer guide). A re-run of an apply
# killed right after CreateKey reaches it that soon; treating the key as gone would make a
# second one. Asked again for this long before a listed key counts as gone.
LISTED_KEY_VISIBLE_S = 30


def _describe_listed(kms, key: str, policy) -> dict | None:
    try:
        return retry_when(lambda: kms.describe_key(KeyId=key)["KeyMetadata"],
                          ("NotFoundException",), f"key {key} (listed by its tags) visible",
                          policy, timeout=LISTED_KEY_VISIBLE_S)
    except errors.ClientError as exc:
        if errors.is_code(exc, "NotFoundException"):
            return None
        raise


def _delete_alias(kms, alias: str) -> None:
    try:
        kms.delete_alias(AliasName=alias)
    except errors.ClientError as exc:
        if not errors.is_code(exc, "NotFoundException"):
            raise


def _read_tags(kms, key_id: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in kms.get_paginator("list_resource_tags").paginate(KeyId=key_id):
        tags.update(tagging.as_dict(page.get("Tags"), "TagKey", "TagValue"))
    return tags

"""Saved plans: the spec as planned, where it was planned, and what was reviewed.

A plan file binds the account, partition, region and endpoint it was planned against, the
stack and env, a hash of each spec file it stores, a salted slow hash of each secret input
and a digest of its changes; a digest over the whole document ties these together.
`apply PLAN` refuses, in one line naming what differs, unless all of that still holds, the
re-plan from the stored spec gives exactly the stored changes, and no fingerprint of live
state moved. The file holds spec text and digests only: never a secret value.

The digests alone are not a signature: whoever can write the file can write a consistent
one. They catch a file edited by hand or by a tool (its parts no longer agree), and the
re-plan is the authority: whatever the file says, apply does only what the stored spec
plans to, and only when that is what the file shows. Where the plan travels between
machines (a CI plan job, a reviewed artifact, an apply job), AWSPROV_PLAN_KEY, a secret
both jobs hold, signs it: `plan --out` adds an HMAC-SHA256 of the whole document, and
apply with the key set refuses a plan without it or with another; a signed plan is not
applied without the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from awsprov.aws.arns import partition_of
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    SUMMARY_KEYS,
    Action,
    AttributeChange,
    FieldKind,
    Plan,
    ResourceChange,
)
from awsprov.engine.planner import PlanResult
from awsprov.errors import AwsprovError, PlanStaleError, SpecError
from awsprov.resources import registry
from awsprov.spec.model import ResourceSpec, Stack

FORMAT = "awsprov-plan"
VERSION = 2
PLAN_AGAIN = "run plan again"
# scrypt at these costs takes ~50 ms and 16 MiB per value: a guess at a weak secret from
# the file costs as much, where a plain salted hash would allow billions per second.
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}


# ---- what a plan file holds ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PlanSettings:
    """What the plan was made with: the command line `apply PLAN` runs as."""

    spec: str
    env: str | None
    region: str
    targets: tuple[str, ...] = ()
    force_adopt: bool = False
    prune: bool = False
    profile: str | None = None
    local: bool = False
    endpoint_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"env": self.env, "region": self.region, "targets": list(self.targets),
                "force_adopt": self.force_adopt, "prune": self.prune, "spec": self.spec,
                "profile": self.profile, "local": self.local,
                "endpoint_url": self.endpoint_url}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PlanSettings:
        """KeyError or TypeError when a part apply reads is missing or of another type."""
        targets = doc["targets"]
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise TypeError("targets")
        if not isinstance(doc["spec"], str) or not isinstance(doc["region"], str):
            raise TypeError("spec")
        return cls(spec=doc["spec"], env=doc["env"], region=doc["region"],
                   targets=tuple(targets), force_adopt=bool(doc["force_adopt"]),
                   # an older plan file may lack the keys below: they were added later
                   prune=bool(doc.get("prune", False)), profile=doc.get("profile"),
                   local=bool(doc.get("local")), endpoint_url=doc.get("endpoint_url"))


@dataclass(frozen=True, kw_only=True)
class SavedPlan:
    """A plan file's parts. `binding` is what apply must find again (place, stack, source
    and input digests, the reviewed digest); `plan` the plan document as it was shown."""

    settings: PlanSettings
    binding: dict[str, Any]
    sources: dict[str, str]
    fingerprints: dict[str, str]
    plan: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The document without its digest (which is taken over this)."""
        return {"format": FORMAT, "version": VERSION, "binding": self.binding,
                "settings": self.settings.to_json(), "sources": self.sources,
                "fingerprints": self.fingerprints, "plan": self.plan}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> SavedPlan:
        return cls(settings=PlanSettings.from_json(document["settings"]),
                   binding=document["binding"], sources=document["sources"],
                   fingerprints=document["fingerprints"], plan=document["plan"])


# ---- saving ---------------------------------------------------------------------------

def place_of(aws: Any) -> dict[str, str]:
    """Where the plan's calls went: account (one STS call, cached), partition, region,
    endpoint."""
    return {"account": aws.account_id, "partition": partition_of(aws.region),
            "region": aws.region, "endpoint": endpoint_of(aws)}


def endpoint_of(aws: Any) -> str:
    """The endpoint the calls go to: the URL given (--endpoint-url, --local,
    AWS_ENDPOINT_URL) and any AWS_ENDPOINT_URL_<SERVICE>, or "aws" for AWS itself."""
    explicit = aws.clients.target.endpoint_url
    if explicit:  # it overrides every service's own endpoint, as in the AWS CLI
        return explicit.rstrip("/")
    configured = sorted((k, v.rstrip("/")) for k, v in os.environ.items()
                        if k.startswith("AWS_ENDPOINT_URL") and v)
    if len(configured) == 1 and configured[0][0] == "AWS_ENDPOINT_URL":
        return configured[0][1]
    return " ".join(f"{k}={v}" for k, v in configured) or "aws"


def save(path: Path, result: PlanResult, sources: dict[str, str], settings: PlanSettings,
         place: dict[str, str]) -> None:
    salt = secrets.token_bytes(16)
    plan = result.plan.to_json()
    inputs = input_digests([(a, r.spec) for a, r in result.resources.items()
                            if r.spec is not None], salt)
    binding = {
        **place,
        "stack": result.plan.stack, "env": result.plan.env,
        "sources": {name: _sha256(text) for name, text in sources.items()},
        "salt": salt.hex(), "inputs": inputs,
        "changes": reviewed_digest(plan, inputs),
    }
    saved = SavedPlan(settings=settings, binding=binding, sources=sources,
                      fingerprints=result.fingerprints, plan=plan)
    document = saved.to_json()
    document["digest"] = _sha256(_canonical(document))
    key = plan_key()
    if key is not None:
        document["signature"] = _signature(document, key)
    _write_private(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def input_digests(planned: list[tuple[str, ResourceSpec]], salt: bytes) -> dict[str, str]:
    """A salted slow hash of each secret input of the planned resources, by ADDRESS.PATH.

    Its purpose is to tell a changed value, not to hide one from the file's reader: the
    salt is stored next to it (there is no key apply could know that the file's reader
    could not), so the hash is slow (scrypt), which makes guessing a weak value from it
    costly; random per plan, so equal values in two plans give unequal hashes. The file
    is written 0600 and never holds the value."""
    def digest(value: bytes) -> str:
        return "scrypt:" + hashlib.scrypt(value, salt=salt, **_SCRYPT).hex()

    digests: dict[str, str] = {}
    for address, spec in sorted(planned, key=lambda pair: pair[0]):
        rtype = registry.get(spec.section)
        for path, value in rtype.input_digests(spec.props, digest).items():
            digests[f"{address}.{path}"] = value
    return digests


def reviewed_digest(plan: dict[str, Any], inputs: dict[str, str]) -> str:
    """A digest of what was reviewed: the plan's changes (sensitive values are not in
    them) and the hashes of the secret inputs that stand for those values."""
    body = {"stack": plan.get("stack"), "env": plan.get("env"), "region": plan.get("region"),
            "changes": sorted(_canonical(c) for c in plan.get("changes", [])),
            "inputs": inputs}
    return _sha256(_canonical(body))


def _write_private(path: Path, text: str) -> None:
    """Written 0600 from the start and renamed into place: no moment when the file is
    readable by others, or half-written under its name."""
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    except OSError as exc:
        raise AwsprovError(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise AwsprovError(f"cannot write {path}: {exc.strerror}") from None
        raise


# ---- loading: the file agrees with itself ------------------------------------------------

def is_plan_file(path: Path) -> bool:
    if not path.is_file() or path.suffix in (".yaml", ".yml"):
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith("{") and FORMAT in head


def load(path: Path, *, check_signature: bool = True) -> SavedPlan:
    """The saved plan, once its parts are shown to agree with their digests (and its
    signature with AWSPROV_PLAN_KEY: `check_signature=False` only to show it)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: not a readable awsprov plan file ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SpecError(f"{path}: not an awsprov plan file (format {FORMAT}, version {VERSION})")
    if document.get("version") == 1:
        raise SpecError(f"{path}: a plan file of an older awsprov, bound to nothing it was "
                        f"reviewed against; {PLAN_AGAIN}")
    if document.get("version") != VERSION:
        raise SpecError(f"{path}: not an awsprov plan file (format {FORMAT}, version {VERSION})")
    try:
        signature = document.pop("signature", None)
        _check_shape(document)
        saved = SavedPlan.from_json(document)
        _check_integrity(document)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise PlanStaleError(f"{path}: the plan file was edited: parts of it are missing or "
                             f"malformed") from None
    if check_signature:
        _check_signature(path, document, signature)
    return saved


# ---- signing: AWSPROV_PLAN_KEY ------------------------------------------------------------

PLAN_KEY_ENV = "AWSPROV_PLAN_KEY"
SIGNATURE_SCHEME = "hmac-sha256:"


def plan_key() -> bytes | None:
    """The signing key, when the environment gives one (never printed, never stored)."""
    value = os.environ.get(PLAN_KEY_ENV)
    return value.encode() if value else None


def _signature(document: dict[str, Any], key: bytes) -> str:
    body = {k: v for k, v in document.items() if k != "signature"}
    return SIGNATURE_SCHEME + hmac.new(key, _canonical(body).encode(), "sha256").hexdigest()


def _check_signature(path: Path, document: dict[str, Any], signature: Any) -> None:
    key = plan_key()
    if key is None and signature is None:
        return
    if key is None:
        raise PlanStaleError(f"{path}: the plan is signed: set {PLAN_KEY_ENV} to the key it "
                             f"was signed with to apply it")
    if signature is None:
        raise PlanStaleError(f"{path}: the plan is not signed, and {PLAN_KEY_ENV} is set: "
                             f"only a plan saved with that key is applied")
    if not (isinstance(signature, str)
            and hmac.compare_digest(signature, _signature(document, key))):
        raise PlanStaleError(f"{path}: the plan's signature does not match {PLAN_KEY_ENV}: "
                             f"the file was changed after it was signed, or signed with "
                             f"another key")


_BINDING_KEYS = ("account", "partition", "region", "endpoint", "stack", "env", "sources",
                 "salt", "inputs", "changes")


def _check_shape(document: dict[str, Any]) -> None:
    """Every part apply reads is there, with its type (else KeyError/TypeError); the
    settings are checked as they are read (PlanSettings.from_json)."""
    binding = document["binding"]
    missing = [k for k in _BINDING_KEYS if k not in binding]
    if missing:
        raise KeyError(missing[0])
    bytes.fromhex(binding["salt"])
    for part in (binding["sources"], binding["inputs"], document["sources"],
                 document["fingerprints"], document["plan"]):
        if not isinstance(part, dict):
            raise TypeError(part)
    if not isinstance(document["digest"], str):
        raise TypeError(document["digest"])


def _check_integrity(document: dict[str, Any]) -> None:
    binding = document["binding"]
    if reviewed_digest(document["plan"], binding["inputs"]) != binding["changes"]:
        raise PlanStaleError("the plan file was edited: its changes do not match its own "
                             "digest")
    stored = {name: _sha256(text) for name, text in document["sources"].items()}
    for name in sorted(set(stored) | set(binding["sources"])):
        if name not in binding["sources"]:
            raise PlanStaleError(f"sources differ: {name} was added to the plan file")
        if stored.get(name) != binding["sources"][name]:
            raise PlanStaleError(f"sources differ: {name} changed since the plan")
    body = {k: v for k, v in document.items() if k != "digest"}
    if _sha256(_canonical(body)) != document["digest"]:
        raise PlanStaleError("the plan file was edited: its content does not match its own "
                             "digest")


# ---- applying: here is where it was planned, and nothing moved --------------------------

def adopt_options(saved: SavedPlan, options: Any, env: str | None,
                  targets: list[str], prune: bool = False, force_adopt: bool = False) -> None:
    """Apply goes where the plan was made: --region, --profile and the endpoint (--local,
    --endpoint-url) default to the plan's; a value given that contradicts it is refused,
    never silently honoured (nor silently overridden). So are --prune and --force-adopt
    on a plan saved without them: they would make changes nobody reviewed."""
    settings, binding = saved.settings, saved.binding
    for flag, given, planned in (("--prune", prune, settings.prune),
                                 ("--force-adopt", force_adopt, settings.force_adopt)):
        if given and not planned:
            raise PlanStaleError(f"{flag}: the plan was saved without it; plan again with "
                                 f"{flag} to review what it changes")
    if env is not None and env != settings.env:
        raise PlanStaleError(f"--env {env} differs from the plan's "
                             f"{settings.env or '(no env)'}")
    if targets and sorted(targets) != sorted(settings.targets):
        raise PlanStaleError(f"--target {' '.join(targets)} differs from the plan's "
                             f"{' '.join(settings.targets) or '(no target)'}")
    if options.region and options.region != binding["region"]:
        raise PlanStaleError(f"region {options.region} differs from the plan's "
                             f"{binding['region']}")
    planned_profile = settings.profile
    if options.profile and options.profile != planned_profile:
        raise PlanStaleError(f"--profile {options.profile} differs from the plan's "
                             f"{planned_profile or '(none: default credentials)'}")
    options.region = binding["region"]
    options.profile = options.profile or planned_profile
    if not (options.local or options.endpoint_url):
        options.local = settings.local
        options.endpoint_url = settings.endpoint_url


def check_place(saved: SavedPlan, aws: Any) -> None:
    """Refuse another endpoint, region, partition or account than the plan's (the
    endpoint first: asking another endpoint for the account is already a call to it)."""
    binding = saved.binding
    endpoint = endpoint_of(aws)
    if endpoint != binding["endpoint"]:
        raise PlanStaleError(f"endpoint differs: the plan was made against "
                             f"{binding['endpoint']} and this apply goes to {endpoint}")
    if aws.region != binding["region"]:
        raise PlanStaleError(f"region {aws.region} differs from the plan's {binding['region']}")
    if partition_of(aws.region) != binding["partition"]:
        raise PlanStaleError(f"partition {partition_of(aws.region)} differs from the plan's "
                             f"{binding['partition']}")
    if aws.account_id != binding["account"]:
        raise PlanStaleError(f"the plan was made for account {binding['account']} and this "
                             f"is {aws.account_id}; {PLAN_AGAIN} with these credentials")


def check_inputs(saved: SavedPlan, stack: Stack) -> None:
    """Refuse when a secret input (environment variable, file) is not the planned value.
    Needs no AWS call: the planned resources are those the plan fingerprinted."""
    binding = saved.binding
    planned: dict[str, str] = binding["inputs"]
    selected = [(a, spec) for a, spec in stack.resources.items() if a in saved.fingerprints]
    now = input_digests(selected, bytes.fromhex(binding["salt"]))
    for key in sorted(set(planned) | set(now)):
        if planned.get(key) != now.get(key):
            address, _, path = key.rpartition(".")
            raise PlanStaleError(f"{address}'s {path} differs from the planned one; "
                                 f"{PLAN_AGAIN} to review a new value")


def check_fresh(saved: SavedPlan, result: PlanResult) -> None:
    """Refuse when live state moved under any resource since the plan was made."""
    before = saved.fingerprints
    after = result.fingerprints
    moved = sorted(a for a in set(before) | set(after) if before.get(a) != after.get(a))
    if moved:
        raise PlanStaleError(f"the saved plan is stale: live state of {_listed(moved)} "
                             f"changed since it was planned; {PLAN_AGAIN}")


def check_reviewed(saved: SavedPlan, result: PlanResult) -> None:
    """The authority: the plan made now from the stored spec must be the reviewed one."""
    binding = saved.binding
    plan = result.plan
    if (plan.stack, plan.env) != (binding["stack"], binding["env"]):
        raise PlanStaleError(f"stack {plan.stack} (env {plan.env}) differs from the plan's "
                             f"{binding['stack']} (env {binding['env']})")
    now = plan.to_json()
    if reviewed_digest(now, binding["inputs"]) == binding["changes"]:
        return
    differ = _differing(saved.plan.get("changes", []), now["changes"])
    raise PlanStaleError(f"the changes to make differ from the reviewed plan at "
                         f"{_listed(differ) or 'its header'}; {PLAN_AGAIN} and review it")


def _differing(reviewed: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[str]:
    def by_key(changes: list[dict[str, Any]]) -> dict[str, str]:
        keyed: dict[str, list[str]] = {}
        for change in changes:
            keyed.setdefault(change.get("key") or change["address"], []).append(
                _canonical(change))
        return {key: "\n".join(sorted(texts)) for key, texts in keyed.items()}

    before, after = by_key(reviewed), by_key(json.loads(json.dumps(now)))
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _listed(items: list[str]) -> str:
    return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def _canonical(value: Any) -> str:
    # Round-tripped first, so a tuple and a list (or an int key and a str one) agree.
    return json.dumps(json.loads(json.dumps(value)), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- showing ----------------------------------------------------------------------------

def shown_plan(saved: SavedPlan) -> Plan:
    """The Plan a saved file shows (`awsprov show`), rebuilt from its JSON: only the
    changes are stored, so the summary (which counts the unchanged) is the stored one."""
    document = saved.plan
    changes = [_change(c) for c in document.get("changes", [])]
    plan = _ShownPlan(document["stack"], document.get("env"), document["region"], changes,
                      cost_delta=document.get("cost_delta"))
    plan.saved_summary = dict(document.get("summary", {}))
    return plan


class _ShownPlan(Plan):
    saved_summary: dict[str, int]

    def summary(self) -> dict[str, int]:
        return {key: self.saved_summary.get(key, 0) for key in SUMMARY_KEYS}


def _change(doc: dict[str, Any]) -> ResourceChange:
    return ResourceChange(
        doc["address"], doc["address"].split(".", 1)[0], doc.get("name", ""),
        Action(doc["action"]), doc.get("reason", ""),
        [_attribute(a) for a in doc.get("attributes", [])],
        data_at_risk=doc.get("data_at_risk"), orphan=bool(doc.get("orphan")),
        warnings=list(doc.get("warnings", [])))


def _attribute(doc: dict[str, Any]) -> AttributeChange:
    def value(v: Any) -> Any:
        return KNOWN_AFTER_APPLY if v == "(known after apply)" else v

    return AttributeChange(doc["path"], value(doc.get("before")), value(doc.get("after")),
                           FieldKind(doc.get("kind", "update")), bool(doc.get("sensitive")),
                           doc.get("note", ""))

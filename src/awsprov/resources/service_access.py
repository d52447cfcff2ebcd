"""What the checks of topics, queues, log groups and alarms share: which resource of the
stack a value refers to, whether a stack key's policy lets an AWS service use the key,
and the FIFO naming rule of topics and queues. Pure: reads the loaded stack, never AWS.

AWS services that write into an encrypted resource (CloudWatch publishing an alarm to a
topic, SNS delivering to a queue, CloudWatch Logs writing a log group) use the key with
their own service principal, so the key policy itself must name them. The AWS-managed
keys (`alias/aws/sns`, ...) have policies nobody can edit: only the owning service may use
them.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from awsprov.core import references
from awsprov.core.changes import FieldKind
from awsprov.core.references import REFERENCE
from awsprov.resources import policy
from awsprov.resources.base import Problem
from awsprov.resources.props import Prop

if TYPE_CHECKING:
    from awsprov.core.stack import ResourceView, StackView

KEYS_SECTION = "keys"
_ANY_REFERENCE = re.compile(r"(?<!\$)\$\{([a-z_]+\.[a-z][a-z0-9_-]*(?:\.[a-z_]+)?)\}")
_WHOLE_REFERENCE = re.compile(r"^\$\{([a-z_]+)\.([a-z][a-z0-9_-]*)(?:\.([a-z_]+))?\}$")

# A key given by ARN, alias (`alias/...`, also as an alias ARN), key id, or reference.
# The forms are checked by `key_format_problem` (a message a user can read, where a
# schema anyOf of patterns would print regular expressions).
KEY_ARN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"
_KEY_ALIAS = r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias/[A-Za-z0-9/_-]+$"
_KEY_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
KMS_KEY = {
    "type": "string", "minLength": 1,
    "description": "A KMS key: ${keys.NAME}, a key ARN, an alias (alias/NAME or its ARN) "
                   "or a key id",
}
KMS_KEY_ARN = {
    "type": "string", "minLength": 1,
    "description": "A KMS key: ${keys.NAME} or a key ARN",
}


def key_format_problem(value: Any, aliases: bool = True) -> str | None:
    """Why `value` is not a way to name a KMS key (None when it is)."""
    if not isinstance(value, str) or re.match(REFERENCE, value) or re.match(KEY_ARN, value):
        return None
    if aliases and (re.match(_KEY_ALIAS, value) or re.match(_KEY_ID, value)):
        return None
    if aliases:
        return (f"'{value}' is not a KMS key: use ${{keys.NAME}}, a key ARN, alias/NAME or "
                f"a key id")
    return f"'{value}' is not a key ARN: this service takes ${{keys.NAME}} or a key ARN only"


def key_region_problem(value: Any, region: str | None, noun: str) -> str | None:
    """A key (or alias) ARN of another region: every service here uses keys of its own
    region only, and refuses the call (a multi-Region key is named by its local replica's
    ARN). None when the key is not a literal ARN or the stack has no region."""
    if not (isinstance(value, str) and value.startswith("arn:") and region):
        return None
    parts = value.split(":")
    if len(parts) < 6 or parts[2] != "kms" or parts[3] in ("", region):
        return None
    return (f"the key is in {parts[3]}, the {noun} in {region}: AWS needs a key of the "
            f"{noun}'s own region")


def fifo_name_props(noun: str, longest: int) -> dict[str, Prop]:
    """`name` and `fifo` of an SNS topic or SQS queue (`noun`), whose names are at most
    `longest` characters; FIFO ones end in .fifo and are fixed when made."""
    return {
        "name": Prop({"type": "string",
                      "pattern": rf"^(?:[A-Za-z0-9_-]{{1,{longest}}}|"
                                 rf"[A-Za-z0-9_-]{{1,{longest - 5}}}\.fifo)$",
                      "description": f"{noun.capitalize()} name: 1-{longest} of A-Z a-z 0-9 _ -; "
                                     f"FIFO {noun}s end in .fifo"}, state=False),
        "fifo": Prop({"type": "boolean", "description": f"FIFO {noun}; fixed when the {noun} "
                                                        f"is made"},
                     change=FieldKind.REPLACE, default=False),
    }


def fifo_name_problems(props: dict[str, Any], noun: str) -> list[Problem]:
    """SNS and SQS tie FIFO to the name: a FIFO topic or queue must end in .fifo, and only
    one may. `noun` is "topic" or "queue"."""
    name, fifo = props.get("name", ""), bool(props.get("fifo", False))
    if fifo and not name.endswith(".fifo"):
        return [Problem(("name",), f"a FIFO {noun}'s name must end in .fifo")]
    if name.endswith(".fifo") and not fifo:
        return [Problem(("fifo",) if "fifo" in props else ("name",),
                        f"the name ends in .fifo: set `fifo: true` (only FIFO {noun}s may "
                        f"use the suffix)")]
    return []


def reference_of(value: Any) -> tuple[str, str] | None:
    """(address, attribute) when `value` is exactly one `${SECTION.NAME[.ATTR]}`."""
    if not isinstance(value, str):
        return None
    match = _WHOLE_REFERENCE.match(value.strip())
    if not match:
        return None
    section, logical, attribute = match.groups()
    return f"{section}.{logical}", attribute or "arn"


def refers_to(value: Any, address: str) -> bool:
    ref = reference_of(value)
    return ref is not None and ref[0] == address


def self_references(address: str, props: Any, path: tuple = ()) -> list[Problem]:
    """A resource referring to itself (its policy's Resource, say) cannot be resolved when
    it is created: the value does not exist before the resource does."""
    if isinstance(props, str):
        own = [m for m in _ANY_REFERENCE.findall(props)
               if ".".join(m.split(".")[:2]) == address]
        if own:
            section = address.split(".")[0]
            return [Problem(path, f"${{{own[0]}}} refers to this {section[:-1]} itself, which "
                                  f"does not exist before it is created: write its ARN out "
                                  f"(with ${{region}} and ${{account_id}})")]
        return []
    if isinstance(props, dict):
        return [p for k, v in props.items() for p in self_references(address, v, (*path, k))]
    if isinstance(props, list):
        return [p for i, v in enumerate(props) for p in self_references(address, v, (*path, i))]
    return []


def referrers(stack: StackView, address: str, section: str) -> list[ResourceView]:
    """The resources of `section` that reference `address` anywhere in their properties,
    in stack order. Indexed once per stack: a scan per resource made checks quadratic."""
    index = stack.memo.get("referrers")
    if index is None:
        index = {}
        sections = {spec.section for spec in stack.resources.values()}
        for spec in stack.resources.values():
            for target in dict.fromkeys(r.address for r in
                                        references.references_in(spec.props, sections)):
                index.setdefault(target, []).append(spec)
        stack.memo["referrers"] = index
    return [spec for spec in index.get(address, ()) if spec.section == section]


def is_aws_managed_key(value: Any, service: str) -> bool:
    """`alias/aws/SERVICE`, by alias or alias ARN."""
    alias = f"alias/aws/{service}"
    return isinstance(value, str) and (value == alias or value.endswith(f":{alias}"))


def stack_key(stack: StackView, value: Any) -> ResourceView | None:
    """The stack's own key that `value` (`${keys.NAME[.ATTR]}`) refers to, if any."""
    ref = reference_of(value)
    if ref is None or not ref[0].startswith(f"{KEYS_SECTION}."):
        return None
    return stack.resources.get(ref[0])


def grant_statement(service: str, actions: tuple[str, ...], sid: str,
                    condition: dict | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow",
                                 "Principal": {"Service": service},
                                 "Action": list(actions) if len(actions) > 1 else actions[0],
                                 "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def as_text(statement: dict[str, Any]) -> str:
    """One line a user can paste into a YAML `Statement:` list (JSON is YAML)."""
    return json.dumps(statement, separators=(", ", ": "))


def key_grant_problem(stack: StackView, key_value: Any, service: str, actions: tuple[str, ...],
                      consequence: str, sid: str) -> str | None:
    """Why the stack key `key_value` refers to cannot be used by `service`, with the
    statement that fixes it; None when it can, or when the key is not the stack's."""
    key = stack_key(stack, key_value)
    if key is None:
        return None
    document = key.props.get("policy")
    try:
        missing = [a for a in actions if not policy.allows(document, service, _probe(a))]
    except policy.PolicyError:
        return None  # the key's own check reports a malformed policy

    if not missing:
        return None
    whose = (f"{key.address} has the default key policy, which lets no AWS service use it"
             if document is None else
             f"the policy of {key.address} does not let {service} use it "
             f"({', '.join(missing)})")
    fix = grant_statement(service, actions, sid)
    where = (f"Give {key.address} a policy with the account-root statement and"
             if document is None else f"Add to {key.address}.policy")
    return f"{whose}: {consequence}. {where}: {as_text(fix)}"


def _probe(action: str) -> str:
    """A concrete action a wildcard grant must cover (kms:GenerateDataKey* → …DataKey)."""
    return action.rstrip("*")

"""The least-privilege IAM policy that plan, apply and verify of one stack need.

Built from each type's `permissions` and `arn_pattern`, so it follows the registry: a
new resource type brings its own actions. Offline: the account is `*` unless given.
"""

from __future__ import annotations

from typing import Any

from awsprov.core import references
from awsprov.resources import registry
from awsprov.spec.model import Stack

# Calls every run makes that IAM cannot scope to a resource.
ALWAYS = ("sts:GetCallerIdentity", "tag:GetResources")


def stack_policy(stack: Stack, region: str, account: str = "*",
                 read_only: bool = False) -> dict[str, Any]:
    by_section: dict[str, list[str]] = {}
    for spec in stack.resources.values():
        rtype = registry.get(spec.section)
        name = references.substitute(rtype.physical_name(spec.props),
                                      lambda e: account if e == "account_id" else None)
        by_section.setdefault(spec.section, []).extend(rtype.arn_pattern(name, region, account))
    statements: list[dict[str, Any]] = [_statement("AwsprovDiscovery", ALWAYS, ["*"])]
    lookups: set[str] = set()
    for section, arns in by_section.items():
        rtype = registry.get(section)
        actions = list(rtype.permissions.get("read", ()))
        if not read_only:
            actions += rtype.permissions.get("write", ())
        statements.append(_statement(f"Awsprov{_title(section)}", actions, sorted(set(arns))))
        lookups.update(rtype.permissions.get("lookup", ()))
        if not read_only:  # unscoped actions only apply makes (CreateKey)
            lookups.update(rtype.permissions.get("write_lookup", ()))
    if lookups:
        statements.append(_statement("AwsprovLookups", sorted(lookups), ["*"]))
    if not read_only:  # apply and destroy hold the stack's lease (engine/lease.py)
        from awsprov.engine.lease import iam_statement

        statements.append(iam_statement(region, account))
    return {"Version": "2012-10-17", "Statement": statements}


def _statement(sid: str, actions: Any, resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)),
            "Resource": resources if len(resources) > 1 else resources[0]}


def _title(section: str) -> str:
    return "".join(part.capitalize() for part in section.split("_"))

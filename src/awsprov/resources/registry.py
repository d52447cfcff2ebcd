"""Every resource type, by spec section. Importing a type module registers it."""

from __future__ import annotations

import importlib

from awsprov.resources.base import ResourceType, contract_problems

# Section → module. Order is the order of sections in the schema and the docs.
_MODULES = {
    "keys": "awsprov.resources.kms_key",
    "tables": "awsprov.resources.dynamodb_table",
    "buckets": "awsprov.resources.s3_bucket",
    "secrets": "awsprov.resources.secret",
    "topics": "awsprov.resources.sns_topic",
    "queues": "awsprov.resources.sqs_queue",
    "log_groups": "awsprov.resources.log_group",
    "alarms": "awsprov.resources.alarm",
    "dashboards": "awsprov.resources.dashboard",
}

_TYPES: dict[str, ResourceType] = {}


def all_types() -> dict[str, ResourceType]:
    if not _TYPES:
        for section, module in _MODULES.items():
            cls = importlib.import_module(module).RESOURCE_TYPE
            check_contract(cls, section)
            _TYPES[section] = cls()
    return _TYPES


def get(section: str) -> ResourceType:
    return all_types()[section]


def sections() -> list[str]:
    return list(_MODULES)


class ContractError(TypeError):
    """A registered type misses part of the contract: a bug in awsprov, not in a spec."""


def check_contract(cls: type[ResourceType], section: str) -> None:
    problems = contract_problems(cls)
    if getattr(cls, "section", None) != section:
        problems.append(f"registers section {getattr(cls, 'section', None)!r}, not {section!r}")
    if problems:
        raise ContractError(f"{cls.__name__}: " + "; ".join(problems))

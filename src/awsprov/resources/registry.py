"""Every resource type, by spec section. Importing a type module registers it."""

from __future__ import annotations

import importlib

from awsprov.resources.base import ResourceType

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
            assert cls.section == section, f"{module} registers {cls.section}, not {section}"
            _TYPES[section] = cls()
    return _TYPES


def get(section: str) -> ResourceType:
    return all_types()[section]


def sections() -> list[str]:
    return list(_MODULES)

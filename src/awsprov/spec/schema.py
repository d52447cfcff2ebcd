"""The JSON Schema of specs, assembled from the resource registry (never written by hand)."""

from __future__ import annotations

import json
from typing import Any

from awsprov.resources import registry

SCHEMA_ID = "https://awsprov.dev/schema/awsprov.schema.json"
STACK_NAME = r"^[a-z][a-z0-9-]{0,39}$"
LOGICAL_NAME = r"^[a-z][a-z0-9_-]*$"
REGION = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$"
REFERENCE = r"^\$\{[a-z_]+\.[a-z][a-z0-9_-]*(\.[a-z_]+)?\}$"

# Every service awsprov manages takes tag keys of 1-128 and values of 0-256 characters,
# and reserves the aws: prefix (in any case) for AWS; awsprov reserves awsprov:.
TAG_RESERVED = r"^(awsprov|[aA][wW][sS]):"
TAGS = {
    "type": "object",
    "description": "Tags merged into the resource's tags (awsprov:* and aws:* keys are "
                   "reserved).",
    "propertyNames": {"minLength": 1, "maxLength": 128, "not": {"pattern": TAG_RESERVED}},
    "additionalProperties": {"type": ["string", "number", "boolean"], "maxLength": 256},
}


def _resource_schema(rtype: Any) -> dict[str, Any]:
    props = dict(rtype.properties)
    props["tags"] = {"$ref": "#/$defs/tags"}
    props["usage"] = usage_schema(rtype)
    props["ignore_changes"] = {
        "type": "array",
        "description": "Properties that plan, apply and verify leave as live has them.",
        "items": {"enum": sorted({*rtype.properties, "tags"} - {"name"})},
        "uniqueItems": True,
    }
    return {
        "type": "object",
        "title": rtype.kind,
        "additionalProperties": False,
        "required": list(rtype.required),
        "properties": props,
    }


def usage_schema(rtype: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Monthly usage figures for cost-estimate; never sent to AWS.",
        "additionalProperties": False,
        "properties": dict(rtype.usage_properties),
    }


def _section(section: str) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": LOGICAL_NAME},
        "additionalProperties": {"$ref": f"#/$defs/{section}"},
    }


def build_schema() -> dict[str, Any]:
    types = registry.all_types()
    sections = {s: _section(s) for s in types}
    overrides = {
        s: {"type": "object", "propertyNames": {"pattern": LOGICAL_NAME},
            "additionalProperties": {"type": "object"}}
        for s in types
    }
    environment = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "region": {"type": "string", "pattern": REGION},
            "vars": {"type": "object"},
            "tags": {"$ref": "#/$defs/tags"},
            "overrides": {"type": "object", "additionalProperties": False,
                          "properties": overrides},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "awsprov stack",
        "type": "object",
        "additionalProperties": False,
        "required": ["stack"],
        "properties": {
            "stack": {"type": "string", "pattern": STACK_NAME,
                      "description": "Stack name: [a-z][a-z0-9-]{0,39}; tagged on every "
                                     "resource as awsprov:stack."},
            "region": {"type": "string", "pattern": REGION},
            "tags": {"$ref": "#/$defs/tags"},
            "vars": {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}},
            "environments": {"type": "object", "propertyNames": {"pattern": LOGICAL_NAME},
                             "additionalProperties": {"$ref": "#/$defs/environment"}},
            **sections,
        },
        "$defs": {
            "tags": TAGS,
            "environment": environment,
            **{s: _resource_schema(t) for s, t in types.items()},
        },
    }


def schema_json() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=False) + "\n"

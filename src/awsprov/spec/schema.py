"""The JSON Schema of specs, assembled from the resource registry (never written by hand).

Two flavours from one source: the strict schema awsprov checks a spec against after
`${...}` interpolation (spec/validate.py), and the editor schema (`awsprov schema`,
schema/awsprov.schema.json) that checks the file as written, where any value may still
be an interpolation such as `${env}`, `${var.X}` or `${tables.x.arn}`."""

from __future__ import annotations

import json
from typing import Any

from awsprov.resources import registry

SCHEMA_ID = "https://awsprov.dev/schema/awsprov.schema.json"
STACK_NAME = r"^[a-z][a-z0-9-]{0,39}$"
LOGICAL_NAME = r"^[a-z][a-z0-9_-]*$"
REGION = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$"
# A string holding at least one `${...}`: its value is only known after interpolation.
INTERPOLATED = {"type": "string", "pattern": r"\$\{[^}]+\}",
                "description": "A value given through ${env}, ${var.NAME}, ${region}, "
                               "${stack}, ${account_id} or a reference ${SECTION.NAME.ATTR}; "
                               "checked once interpolated."}
# Kept on the outer schema when a value is wrapped, so editors still show them on hover.
ANNOTATIONS = ("title", "description", "default", "examples")

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
    props["tags"] = {"$ref": "#/$defs/tags", "description": "Tags of this resource, merged "
                     "over the stack's and the environment's"}
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


def _section(section: str, kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"{kind} resources by logical name (the address is {section}.NAME)",
        "propertyNames": {"pattern": LOGICAL_NAME},
        "additionalProperties": {"$ref": f"#/$defs/{section}"},
    }


def build_schema(editor: bool = False) -> dict[str, Any]:
    """The strict schema, or with `editor=True` the one that also admits interpolations
    wherever a value is constrained (and files of a folder stack without `stack:`)."""
    schema = _strict_schema()
    if not editor:
        return schema
    # Containers (sections, resources, environments) stay objects; their values may not.
    containers = {"stack", "environments", *registry.sections()}
    schema["$defs"] = {name: _admit_interpolations(definition, wrap=False)
                       for name, definition in schema["$defs"].items()}
    schema["properties"] = {name: _admit_interpolations(prop, wrap=name not in containers)
                            for name, prop in schema["properties"].items()}
    # A folder stack declares `stack:` in one file at least; the others may leave it out.
    schema.pop("required")
    return schema


def _admit_interpolations(node: Any, wrap: bool = True) -> Any:
    """`node` with every constrained value also accepting a string holding `${...}`."""
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if isinstance(node.get("properties"), dict):
        node["properties"] = {k: _admit_interpolations(v) for k, v in node["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _admit_interpolations(node[key])
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [_admit_interpolations(m, wrap=False) for m in node[key]]
    if not wrap or not _constrained(node):
        return node
    outer = {k: node.pop(k) for k in ANNOTATIONS if k in node}
    return {**outer, "anyOf": [node, INTERPOLATED]}


def _constrained(node: dict) -> bool:
    """False only for a plain string, which a `${...}` already satisfies."""
    plain_string = node.get("type") == "string" and not any(
        k in node for k in ("pattern", "enum", "const", "format", "minLength", "maxLength"))
    return not plain_string and bool(set(node) - set(ANNOTATIONS))


def _strict_schema() -> dict[str, Any]:
    types = registry.all_types()
    sections = {s: _section(s, t.kind) for s, t in types.items()}
    overrides = {
        s: {"type": "object", "propertyNames": {"pattern": LOGICAL_NAME},
            "description": f"Properties merged over {s}.NAME in this environment",
            "additionalProperties": {"type": "object"}}
        for s in types
    }
    environment = {
        "type": "object",
        "additionalProperties": False,
        "description": "What --env NAME changes: region, vars, tags and resource properties",
        "properties": {
            "region": {"type": "string", "pattern": REGION,
                       "description": "an AWS region such as eu-west-1 (wins over the "
                                      "stack's)"},
            "vars": {"type": "object", "description": "Values of ${var.NAME} in this "
                     "environment, merged over the stack's vars"},
            "tags": {"$ref": "#/$defs/tags", "description": "Tags of every resource in this "
                     "environment, merged over the stack's"},
            "overrides": {"type": "object", "additionalProperties": False,
                          "description": "Resource properties changed in this environment, "
                                         "by section and logical name",
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
            "region": {"type": "string", "pattern": REGION,
                       "description": "an AWS region such as eu-west-1 (--region and the "
                                      "environment's region win over it)"},
            "tags": {"$ref": "#/$defs/tags", "description": "Tags of every resource of the "
                     "stack (with awsprov:stack, awsprov:address, awsprov:env)"},
            "vars": {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                     "description": "Values of ${var.NAME}; environments may override them"},
            "environments": {"type": "object", "propertyNames": {"pattern": LOGICAL_NAME},
                             "description": "Named environments chosen with --env; "
                                            "${env} is the name",
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
    """The editor schema, as `awsprov schema` prints it and schema/ commits it."""
    return json.dumps(build_schema(editor=True), indent=2, sort_keys=False) + "\n"

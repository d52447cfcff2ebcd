"""JSON Schema validation with the single most specific error, located to file:line."""

from __future__ import annotations

import functools
import re
from typing import Any

from awsprov.errors import SpecError
from awsprov.spec import fastcheck
from awsprov.spec.yamlfile import Positions, dotted, locate


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from awsprov.spec.schema import build_schema

    return build_schema()


@functools.lru_cache(maxsize=1)
def _validator():
    """Built once, and only for a document the quick check did not pass: no format
    checker (the schema uses no `format`)."""
    import jsonschema

    return jsonschema.Draft202012Validator(_schema())


def check_top_level(doc: dict, positions: Positions) -> None:
    """What must hold before environments can be applied."""
    if "stack" not in doc:
        raise SpecError("'stack' is a required property", locate(positions, ()), "stack")
    envs = doc.get("environments")
    if envs is not None and not isinstance(envs, dict):
        raise SpecError("must be a mapping of environment names", locate(positions,
                        ("environments",)), "environments")
    for name, env in (envs or {}).items():
        if env is not None and not isinstance(env, dict):
            raise SpecError("must be a mapping", locate(positions, ("environments", name)),
                            f"environments.{name}")


def check_schema(doc: dict, positions: Positions) -> None:
    if fastcheck.satisfies(doc, _schema()):
        return  # certainly valid: jsonschema (a quarter of start-up) is not needed
    import jsonschema.exceptions

    validator = _validator()
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is None:
        return
    error = _deepest(error)
    path, message = _describe(error)
    raise SpecError(message, locate(positions, path), dotted(path))


def _deepest(error):
    """best_match stops at anyOf/oneOf; descend to the branch that got furthest."""
    import jsonschema.exceptions

    while error.context:
        deeper = jsonschema.exceptions.best_match(error.context)
        if deeper is None or len(deeper.absolute_path) < len(error.absolute_path):
            break
        if len(deeper.absolute_path) == len(error.absolute_path) and \
                error.validator not in ("anyOf", "oneOf"):
            break
        error = deeper
    return error


def _describe(error) -> tuple[tuple, str]:
    path = tuple(error.absolute_path)
    instance: Any = error.instance
    schema: dict = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema.get("properties", {}))
        extras = sorted(k for k in instance if k not in allowed)
        if extras:
            hint = ", ".join(sorted(allowed))
            return (*path, extras[0]), f"unknown property '{extras[0]}' (expected one of: {hint})"
    if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
        return _describe_name(path, instance, error)
    if error.validator == "propertyNames" and isinstance(instance, dict):
        bad = [k for k in instance if not _name_ok(k, error.validator_value)]
        if bad:
            rule = error.validator_value.get("pattern", "")
            what = "name" if rule else "key"
            return (*path, bad[0]), f"illegal {what} '{bad[0]}'" + (
                f" (must match {rule})" if rule else "")
    if error.validator == "required":
        return path, error.message
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"expected {expected}, got {_json_type(instance)} {instance!r}"
    if error.validator == "pattern" and schema.get("description"):
        return path, f"{instance!r} is not valid: {schema['description']}"
    if error.validator == "enum":
        return path, f"{instance!r} is not one of {error.validator_value}"
    if error.validator == "maxProperties" and isinstance(instance, dict):
        return path, f"{len(instance)} keys; at most {error.validator_value} allowed"
    if error.validator == "maxLength" and isinstance(instance, str):
        return path, f"{len(instance)} characters; at most {error.validator_value} allowed"
    if error.validator in ("maxItems", "minItems") and isinstance(instance, list):
        bound = "at most" if error.validator == "maxItems" else "at least"
        return path, f"{len(instance)} items; {bound} {error.validator_value} allowed"
    return path, error.message


def _describe_name(path: tuple, name: str, error) -> tuple[tuple, str]:
    """jsonschema reports a bad map key at the map, with the key as the instance."""
    where = (*path, name)
    if error.validator == "not":
        prefix = name.split(":", 1)[0]
        owner = "awsprov" if prefix == "awsprov" else "AWS"
        return where, f"key '{name}' is reserved ({prefix}:* keys are set by {owner})"
    if error.validator == "pattern":
        return where, f"illegal name '{name}' (must match {error.validator_value})"
    if error.validator == "maxLength":
        return where, (f"illegal name: {len(name)} characters; at most "
                       f"{error.validator_value} allowed")
    return where, f"illegal name '{name}': {error.message}"


def _name_ok(name: str, rule: dict) -> bool:
    pattern = rule.get("pattern")
    if pattern and not re.search(pattern, name):
        return False
    if "maxLength" in rule and len(name) > rule["maxLength"]:
        return False
    if "minLength" in rule and len(name) < rule["minLength"]:
        return False
    not_rule = rule.get("not", {})
    return not ("pattern" in not_rule and re.search(not_rule["pattern"], name))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)

"""A quick yes to "does this document satisfy the schema?", without jsonschema.

Importing jsonschema (with referencing, attrs and its format checkers) is a quarter of
`validate`'s start-up, yet almost every spec is valid. This checker knows the keywords the
generated schema (spec/schema.py) uses and answers True only when the document certainly
satisfies them; False means "invalid, or not sure" (an unknown keyword, a `$ref` it cannot
follow), and spec/validate.py then asks jsonschema, which finds and words the error. So it
can never accept what jsonschema refuses: tests/unit/test_fastcheck.py holds it to that.
"""

from __future__ import annotations

import re
from typing import Any

# Keywords that assert nothing (annotations and the definitions container).
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$schema", "$id",
                          "$defs", "$comment"})


class _Unsure(Exception):
    """A keyword or form this checker does not handle: jsonschema decides."""


def satisfies(instance: Any, schema: dict[str, Any]) -> bool:
    """True only when `instance` certainly satisfies `schema` (Draft 2020-12)."""
    try:
        return _check(instance, schema, schema)
    except (_Unsure, RecursionError, TypeError, re.error):
        return False


def _check(instance: Any, schema: Any, root: dict[str, Any]) -> bool:
    if schema is True:
        return True
    if not isinstance(schema, dict):
        raise _Unsure
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise _Unsure
        if not check(instance, value, root, schema):
            return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or v.is_integer()),
}


def _type(instance, value, _root, _schema) -> bool:
    names = value if isinstance(value, list) else [value]
    if any(name not in _TYPES for name in names):
        raise _Unsure
    return any(_TYPES[name](instance) for name in names)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str)):
        return False
    return a == b


def _properties(instance, value, root, _schema) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(_check(instance[k], sub, root) for k, sub in value.items() if k in instance)


def _additional(instance, value, root, schema) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unsure
    known = schema.get("properties", {})
    extra = [k for k in instance if k not in known]
    if value is False:
        return not extra
    return all(_check(instance[k], value, root) for k in extra)


def _property_names(instance, value, root, _schema) -> bool:
    return not isinstance(instance, dict) or all(_check(k, value, root) for k in instance)


def _required(instance, value, _root, _schema) -> bool:
    return not isinstance(instance, dict) or all(k in instance for k in value)


def _items(instance, value, root, _schema) -> bool:
    if not isinstance(value, (dict, bool)):
        raise _Unsure
    return not isinstance(instance, list) or all(_check(i, value, root) for i in instance)


def _unique(instance, value, _root, _schema) -> bool:
    if not value or not isinstance(instance, list):
        return True
    return not any(_equal(a, b) for i, a in enumerate(instance) for b in instance[i + 1:])


def _ref(instance, value, root, _schema) -> bool:
    prefix = "#/$defs/"
    if not isinstance(value, str) or not value.startswith(prefix):
        raise _Unsure
    target = root.get("$defs", {}).get(value[len(prefix):])
    if target is None:
        raise _Unsure
    return _check(instance, target, root)


def _bound(test):
    def check(instance, value, _root, _schema) -> bool:
        return not _is_number(instance) or test(instance, value)
    return check


def _length(test):
    def check(instance, value, _root, _schema) -> bool:
        return not isinstance(instance, str) or test(len(instance), value)
    return check


def _count(kind, test):
    def check(instance, value, _root, _schema) -> bool:
        return not isinstance(instance, kind) or test(len(instance), value)
    return check


_KEYWORDS = {
    "type": _type,
    "enum": lambda i, v, _r, _s: any(_equal(i, e) for e in v),
    "const": lambda i, v, _r, _s: _equal(i, v),
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "required": _required,
    "items": _items,
    "uniqueItems": _unique,
    "$ref": _ref,
    "pattern": lambda i, v, _r, _s: not isinstance(i, str) or re.search(v, i) is not None,
    "minimum": _bound(lambda i, v: i >= v),
    "maximum": _bound(lambda i, v: i <= v),
    "exclusiveMinimum": _bound(lambda i, v: i > v),
    "exclusiveMaximum": _bound(lambda i, v: i < v),
    "minLength": _length(lambda n, v: n >= v),
    "maxLength": _length(lambda n, v: n <= v),
    "minItems": _count(list, lambda n, v: n >= v),
    "maxItems": _count(list, lambda n, v: n <= v),
    "minProperties": _count(dict, lambda n, v: n >= v),
    "maxProperties": _count(dict, lambda n, v: n <= v),
    "anyOf": lambda i, v, r, _s: any(_check(i, sub, r) for sub in v),
    "allOf": lambda i, v, r, _s: all(_check(i, sub, r) for sub in v),
    "oneOf": lambda i, v, r, _s: sum(_check(i, sub, r) for sub in v) == 1,
    "not": lambda i, v, r, _s: not _check(i, v, r),
}

"""The quick schema check (spec/fastcheck.py) that spares `validate` importing jsonschema
may say "valid" only where jsonschema says valid: over every example spec and many broken
variants of each (wrong types, out-of-range numbers, missing and unknown keys), it never
accepts what jsonschema refuses, and it accepts the valid ones (else it saves nothing)."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from awsprov.spec.fastcheck import satisfies
from awsprov.spec.schema import build_schema

SCHEMA = build_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted([*(ROOT / "specs").glob("*.yaml"), *(ROOT / "specs" / "examples").glob("*.yaml"),
                   *(p for p in (ROOT / "specs").iterdir() if p.is_dir() and p.name != "examples")])
ODD_VALUES = [None, True, -1, 1.5, 10**12, "", "A" * 300, ["a", "a"], {"k": 1},
              datetime.date(2024, 1, 1)]
DEPTH = 5  # leaves deeper than this are left alone (time: each variant runs jsonschema)


def _leaves(node, path=()):
    yield path
    if len(path) >= DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))


def _set(doc, path, value):
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def _drop(doc, path):
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return out


def _variants(doc):
    for path in _leaves(doc):
        if not path:
            continue
        for value in ODD_VALUES:
            yield _set(doc, path, value)
        yield _drop(doc, path)
        if isinstance(path[-1], str):
            parent = _set(doc, path, None)  # the key's parent, with an unknown key added
            yield _set(parent, (*path[:-1], "no_such_key"), 1)


def _assert_never_more_lenient(doc) -> bool:
    quick = satisfies(doc, SCHEMA)
    if quick:
        assert VALIDATOR.is_valid(doc), doc
    return quick


def _checked_document(path: Path, monkeypatch) -> dict:
    """The document loading checks against the schema (interpolated, env dev if any)."""
    from awsprov.spec import loader, validate

    seen: list[dict] = []
    real = validate.check_schema
    monkeypatch.setattr(validate, "check_schema",
                        lambda doc, positions: (seen.append(copy.deepcopy(doc)),
                                                real(doc, positions))[1])
    envs = (yaml.safe_load(path.read_text()) or {}).get("environments") if path.is_file() \
        else None
    try:
        loader.load_stack(path, env="dev" if envs is None or "dev" in envs else next(iter(envs)),
                          inputs=False, fallback_region="us-east-1")
    except Exception:
        loader.load_stack(path, inputs=False, fallback_region="us-east-1")
    return seen[-1]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_never_accepts_what_jsonschema_refuses(path, monkeypatch):
    doc = _checked_document(path, monkeypatch)
    assert VALIDATOR.is_valid(doc)
    assert satisfies(doc, SCHEMA)  # a valid spec takes the quick way
    accepted = sum(_assert_never_more_lenient(v) for v in _variants(doc))
    assert accepted > 0  # some odd values fit (a free string): both answers were compared


def test_json_equality_keeps_true_apart_from_one():
    schema = {"enum": [1]}
    assert not satisfies(True, schema) and satisfies(1, schema) and satisfies(1.0, schema)
    assert satisfies([1, True], {"uniqueItems": True}) is not False or True
    assert satisfies([1, True], {"uniqueItems": True})
    assert not satisfies([1, 1.0], {"uniqueItems": True})


def test_an_unknown_keyword_leaves_it_to_jsonschema():
    assert not satisfies("x", {"format": "email"})
    assert not satisfies({"a": 1}, {"patternProperties": {"a": {}},
                                    "additionalProperties": False})
    assert not satisfies(1, {"$ref": "https://example.com/other.json"})

"""The committed editor schema accepts every spec of the repository as written (with its
`${...}` interpolations), documents every property, and the docs' schemas resolve offline."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "awsprov.schema.json"
SPEC_FILES = sorted(p for folder in (ROOT / "specs", ROOT / "tests" / "cli" / "specs")
                    for p in folder.rglob("*.yaml"))


def _offline(uri: str):
    raise NoSuchResource(ref=uri)


@functools.lru_cache(maxsize=1)
def _editor_validator() -> jsonschema.Validator:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=Registry(retrieve=_offline))


def test_there_are_spec_files_to_check():
    assert len(SPEC_FILES) >= 44


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_file_validates_against_the_committed_schema(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in _editor_validator().iter_errors(doc)]
    assert errors == []


def _doc_examples() -> list[tuple[str, dict]]:
    """The ```yaml blocks of README.md and docs/*.md that are specs (or parts of one)."""
    import re

    keys = set(json.loads(COMMITTED.read_text(encoding="utf-8"))["properties"])
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, block in enumerate(re.findall(r"```ya?ml\n(.*?)```", page.read_text(), re.S)):
            doc = yaml.safe_load(block)
            if isinstance(doc, dict) and set(doc) <= keys and set(doc) & keys:
                found.append((f"{page.name}#{n}", doc))
    return found


@pytest.mark.parametrize("doc", [d for _, d in _doc_examples()],
                         ids=[i for i, _ in _doc_examples()])
def test_every_spec_example_in_the_docs_validates(doc):
    assert [e.message for e in _editor_validator().iter_errors(doc)] == []


@pytest.mark.parametrize("doc", [
    {"stack": "s", "tables": {"t": {"name": "t", "hash_key": "id", "nope": 1}}},
    {"stack": "s", "queues": {"q": {"name": "bad name!"}}},
    {"stack": "s", "queues": {"q": {"name": "q", "visibility_timeout": "thirty"}}},
    {"stack": "s", "queues": {"q": {"name": "q", "visibility_timeout": 99999999}}},
    {"stack": "s", "log_groups": {"g": {"name": "g", "retention_days": 2}}},
    {"stack": "Bad Stack"},
], ids=["unknown-property", "bad-literal-name", "word-for-integer", "out-of-range",
        "not-in-enum", "bad-stack-name"])
def test_the_editor_schema_still_rejects_what_no_interpolation_explains(doc):
    assert list(_editor_validator().iter_errors(doc))


def test_interpolations_are_accepted_in_the_editor_schema_only():
    from awsprov.spec.schema import build_schema

    doc = {"stack": "s", "queues": {"q": {"name": "q-${env}",
                                          "visibility_timeout": "${var.timeout}"}}}
    assert list(_editor_validator().iter_errors(doc)) == []
    strict = jsonschema.Draft202012Validator(build_schema())
    assert {tuple(e.absolute_path)[-1] for e in strict.iter_errors(doc)} == {
        "name", "visibility_timeout"}


def _properties(node, path=""):
    """(path, schema) of every property in a schema, through anyOf/items/maps."""
    if not isinstance(node, dict):
        return
    for name, prop in (node.get("properties") or {}).items():
        yield f"{path}.{name}", prop
        yield from _properties(prop, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        yield from _properties(node.get(key), f"{path}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for member in node.get(key) or []:
            yield from _properties(member, path)


def test_every_property_has_a_description():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    found = list(_properties(schema))
    for name, definition in schema["$defs"].items():
        found += list(_properties(definition, name))
    missing = [path for path, prop in found
               if "$ref" not in prop and not prop.get("description")]
    assert len(found) > 200
    assert missing == []


def test_defaults_are_documented():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    queue = schema["$defs"]["queues"]["properties"]
    assert queue["visibility_timeout"]["default"] == 30
    assert queue["fifo"]["default"] is False
    table = schema["$defs"]["tables"]["properties"]
    assert table["billing_mode"]["default"] == "PAY_PER_REQUEST"


def test_output_schemas_in_docs_resolve_offline_from_each_other():
    """As a validator reading a checkout sees them: the schema file itself, and whatever it
    refers to read from docs/*.schema.json by file URI; any other URI fails instead of
    reaching the network."""
    files = {p.as_uri(): p for p in (ROOT / "docs").glob("*.schema.json")}

    def from_docs_only(uri: str) -> Resource:
        if uri not in files:
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(json.loads(files[uri].read_text(encoding="utf-8")))

    for uri, path in files.items():
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        registry = Registry(retrieve=from_docs_only).with_resource(
            uri, Resource.from_contents(schema))
        # An `$id` is the base its relative references resolve against, as in any tool.
        resolver = registry.resolver(base_uri=schema.get("$id", uri))
        for ref in _refs(schema):
            resolver.lookup(ref)  # raises when a reference leaves the folder


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)

"""The committed JSON Schema is exactly what `awsprov schema` prints."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "awsprov.schema.json"


def test_committed_schema_equals_awsprov_schema_output(capsys):
    code, out, err = run_cli(capsys, "schema")
    assert (code, err) == (0, "")
    assert COMMITTED.read_text(encoding="utf-8") == out, (
        "schema/awsprov.schema.json is stale: run `make schema` and commit it")


def test_schema_is_draft_2020_12_strict_and_has_every_section():
    import jsonschema

    from awsprov.resources import registry

    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    for section in registry.sections():
        assert section in schema["properties"]
        assert schema["$defs"][section]["additionalProperties"] is False

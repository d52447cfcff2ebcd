"""SPEC.md's cost-estimate JSON, as a JSON Schema the CLI's output is validated against."""

NUMBER_OR_NULL = {"type": ["number", "null"]}

COMPONENT = {
    "type": "object",
    "required": ["name", "unit", "quantity", "unit_price", "monthly"],
    "properties": {"name": {"type": "string"}, "unit": {"type": "string"},
                   "quantity": NUMBER_OR_NULL, "unit_price": {"type": "number"},
                   "monthly": NUMBER_OR_NULL},
}

ESTIMATE = {
    "type": "object",
    "required": ["version", "currency", "prices_as_of", "region", "env", "total", "resources"],
    "properties": {
        "version": {"const": 1},
        "currency": {"const": "USD"},
        "prices_as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "region": {"type": "string"},
        "env": {"type": ["string", "null"]},
        "total": {"type": "object", "required": ["monthly", "complete"],
                  "properties": {"monthly": {"type": "number"},
                                 "complete": {"type": "boolean"}}},
        "resources": {"type": "array", "items": {
            "type": "object", "required": ["address", "monthly", "complete", "components"],
            "properties": {"address": {"type": "string", "pattern": r"^[a-z_]+\.[a-z]"},
                           "monthly": NUMBER_OR_NULL, "complete": {"type": "boolean"},
                           "components": {"type": "array", "items": COMPONENT}}}},
    },
}


def check_estimate(doc: dict) -> None:
    """Shape, plus the arithmetic SPEC.md states: unknown quantity ⇔ null monthly, and
    total.monthly sums what is known."""
    import jsonschema
    import pytest

    jsonschema.validate(doc, ESTIMATE)
    known = 0.0
    for resource in doc["resources"]:
        for component in resource["components"]:
            assert (component["quantity"] is None) == (component["monthly"] is None)
            if component["monthly"] is not None:
                assert component["monthly"] == pytest.approx(
                    component["quantity"] * component["unit_price"], abs=1e-5)
                known += component["monthly"]
        assert resource["complete"] == all(c["quantity"] is not None
                                           for c in resource["components"])
        known_here = [c["monthly"] for c in resource["components"] if c["monthly"] is not None]
        if resource["components"] and not known_here:
            assert resource["monthly"] is None  # nothing known: null, as SPEC.md says
        else:
            assert resource["monthly"] == pytest.approx(sum(known_here), abs=1e-5)
    assert doc["total"]["monthly"] == pytest.approx(known, abs=1e-4)
    assert doc["total"]["complete"] == all(r["complete"] for r in doc["resources"])

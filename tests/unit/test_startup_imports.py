"""What start-up leaves out: `validate` of a valid spec imports neither Pydantic (Typer's
option coercion, spec/cli/plain_params.py), nor jsonschema (the quick schema check), nor
rich (no console is used); a spec with an error still gets jsonschema's located message.
And the option values coerced without Pydantic are what Pydantic gives."""

from __future__ import annotations

import os
import subprocess
import sys
from enum import Enum
from pathlib import Path

import pytest

from awsprov.cli.plain_params import _MISSING, _coerced
from tests.helpers import write_spec

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pydantic", "jsonschema", "rich")
PROBE = """
import sys
from awsprov.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY_NAMES))
print("LOADED", ",".join(loaded), "EXIT", code)
""".replace("HEAVY_NAMES", repr(HEAVY))


def _probe(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True,
                          text=True, timeout=60)


SPEC = """
stack: quick
region: us-east-1
tables:
  t: {name: quick-t, hash_key: id, attributes: {id: S}}
queues:
  q: {name: quick-q, visibility_timeout: 60}
"""


def test_validate_of_a_valid_spec_imports_none_of_them(tmp_path):
    done = _probe("validate", str(write_spec(tmp_path, SPEC)), "-o", "text")
    assert "valid (stack quick, 2 resources)" in done.stdout, done.stderr
    assert "LOADED  EXIT 0" in done.stdout


def test_a_schema_error_still_gets_the_located_message(tmp_path):
    spec = write_spec(tmp_path, SPEC.replace("visibility_timeout: 60", "visibility_timeout: -5"))
    done = _probe("validate", str(spec))
    assert done.stdout.rstrip().endswith("EXIT 1"), done.stdout
    assert f"{spec}:6: queues.q.visibility_timeout" in done.stderr
    assert "jsonschema" in done.stdout


class Colour(str, Enum):
    red = "red"


@pytest.mark.parametrize(("annotation", "value", "expected"), [
    (str, "x", "x"), (Path, "a/b", Path("a/b")), (Colour, "red", Colour.red),
    (Colour, Colour.red, Colour.red), (int, 16, 16), (list[str], ("a", "b"), ["a", "b"]),
    (list[str], [], []),
])
def test_plain_values_come_out_as_pydantic_gives_them(annotation, value, expected):
    from pydantic import TypeAdapter

    assert _coerced(annotation, value) == expected == TypeAdapter(annotation).validate_python(
        value)
    assert type(_coerced(annotation, value)) is type(expected)


@pytest.mark.parametrize(("annotation", "value"), [(Colour, "blue"), (int, "16"),
                                                   (list[int], ["1"]), (float, 1)])
def test_anything_else_is_left_to_typer(annotation, value):
    assert _coerced(annotation, value) is _MISSING

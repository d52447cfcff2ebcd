"""Global options may stand anywhere on the command line."""

from __future__ import annotations

import pytest

from awsprov.cli.app import hoist_global_options
from tests.helpers import run_cli, write_spec


@pytest.mark.parametrize(("argv", "expected"), [
    (["plan", "x.yaml", "--region", "eu-west-2"], ["--region", "eu-west-2", "plan", "x.yaml"]),
    (["plan", "--local", "x.yaml", "--no-color"], ["--local", "--no-color", "plan", "x.yaml"]),
    (["apply", "x", "--endpoint-url=http://h:1", "--yes"],
     ["--endpoint-url=http://h:1", "apply", "x", "--yes"]),
    (["plan", "x", "-v", "--profile", "p"], ["-v", "--profile", "p", "plan", "x"]),
    (["plan", "--", "--region"], ["plan", "--", "--region"]),
    (["validate", "x.yaml"], ["validate", "x.yaml"]),
], ids=["value", "flags", "equals", "short-and-value", "after-double-dash", "none"])
def test_hoist_global_options(argv, expected):
    assert hoist_global_options(argv) == expected


def test_global_option_after_the_command_reaches_the_command(capsys, tmp_path):
    spec = write_spec(tmp_path, """
        stack: s
        tables:
          t: {name: "t-${region}", hash_key: id, attributes: {id: S}}
        """)
    code, out, err = run_cli(capsys, "validate", str(spec), "--region", "eu-west-2", "--no-color")
    assert (code, err) == (0, "")
    assert "valid (stack s, 1 resource)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["plan"], "Missing argument 'spec'"),
    (["frob"], "No such command 'frob'"),
    (["plan", "x.yaml", "--output", "xml"], "Invalid value for '--output'"),
])
def test_usage_errors_exit_1_not_2_and_say_what_is_wrong(capsys, argv, message):
    code, _out, err = run_cli(capsys, *argv)
    assert code == 1  # 2 would read as "changes" to a CI script using --detailed-exitcode
    assert message in err
    assert "--verbose for details" not in err and "Traceback" not in err

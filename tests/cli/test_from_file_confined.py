"""`from_file` reads only under the spec's folder (symbolic links resolved first) unless
whoever runs awsprov passes --allow-outside-files; the plan names the file of every
file-sourced value, never the value (docs/spec.md, "Files outside the spec's folder")."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.helpers import forbid_aws_clients, run_cli

OUTSIDE_VALUE = "outside-sekrit-4d2f"
INSIDE_VALUE = "inside-sekrit-93ac"


def _spec(folder, source: str) -> str:
    spec = folder / "stack.yaml"
    spec.write_text("stack: files\nregion: us-east-1\nsecrets:\n  api:\n    name: files/api\n"
                    f"    value: {{from_file: {source}}}\n")
    return str(spec)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """tmp/spec/ holds the spec; tmp/other/ is outside it."""
    (tmp_path / "spec" / "certs").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.pem").write_text(OUTSIDE_VALUE)
    (tmp_path / "spec" / "certs" / "api.pem").write_text(INSIDE_VALUE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("source", ["../other/x.pem", "certs/../../other/x.pem",
                                    "{outside}", "link.pem", "certs/dir-link/x.pem"])
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_file_outside_the_spec_folder_is_refused_with_file_and_line(
        tree, capsys, monkeypatch, source, command):
    (tree / "spec" / "link.pem").symlink_to(tree / "other" / "x.pem")
    (tree / "spec" / "certs" / "dir-link").symlink_to(tree / "other")
    spec = _spec(tree / "spec", source.format(outside=tree / "other" / "x.pem"))
    asked = forbid_aws_clients(monkeypatch)
    code, out, err = run_cli(capsys, command, spec)
    assert code == 1, err
    assert asked == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {spec}:6: secrets.api.value.from_file: "), err
    assert "outside the spec's folder" in lines[0] and "--allow-outside-files" in lines[0]
    assert OUTSIDE_VALUE not in out + err


@pytest.mark.parametrize("source", ["certs/api.pem", "./certs/../certs/api.pem",
                                    "{inside}", "inner-link.pem"])
def test_a_file_inside_the_spec_folder_is_read(tree, capsys, monkeypatch, source):
    (tree / "spec" / "inner-link.pem").symlink_to(tree / "spec" / "certs" / "api.pem")
    spec = _spec(tree / "spec", source.format(inside=tree / "spec" / "certs" / "api.pem"))
    forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "validate", spec)
    assert code == 0, err


def test_a_folder_stack_confines_to_its_folder(tree, capsys, monkeypatch):
    _spec(tree / "spec", "../other/x.pem")
    forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "validate", "spec")
    assert code == 1
    assert "spec/stack.yaml:6: secrets.api.value.from_file: ../other/x.pem is outside" in err


def test_the_runner_allows_outside_files_explicitly(tree, capsys, monkeypatch):
    spec = _spec(tree / "spec", "../other/x.pem")
    forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "--allow-outside-files", "validate", spec)
    assert code == 0, err
    code, _out, err = run_cli(capsys, "validate", spec, "--allow-outside-files")
    assert code == 0, err


def test_commands_that_never_read_the_file_do_not_refuse_it(tree, capsys, monkeypatch):
    spec = _spec(tree / "spec", "../other/x.pem")
    code, _out, err = run_cli(capsys, "cost-estimate", spec)
    assert code == 0, err


def test_plan_names_the_file_of_a_file_sourced_value_never_the_value(tree, capsys, moto):
    _spec(tree / "spec", "certs/api.pem")
    spec = "spec/stack.yaml"  # as typed: the plan shows paths as the user would
    code, out, err = run_cli(capsys, "plan", spec, "--no-cost")
    assert code == 0, err
    assert "value: (sensitive; from_file spec/certs/api.pem)" in out, out
    code, out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, err
    (tree / "spec" / "certs" / "api.pem").write_text("rotated-" + INSIDE_VALUE)
    code, out, err = run_cli(capsys, "plan", spec, "--no-cost")
    assert "value: (sensitive, changed; from_file spec/certs/api.pem)" in out, out
    code, out, err = run_cli(capsys, "plan", spec, "--no-cost", "--output", "json")
    [change] = json.loads(out)["changes"]
    [value] = [a for a in change["attributes"] if a["path"] == "value"]
    assert value == {"path": "value", "before": None, "after": None, "sensitive": True,
                     "kind": "update", "source": "from_file spec/certs/api.pem"}
    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId="files/api")["SecretString"]
    assert stored == INSIDE_VALUE
    assert INSIDE_VALUE not in out + err

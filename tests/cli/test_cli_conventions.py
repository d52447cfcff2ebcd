"""The conventions people expect of a CLI: --version, -h, shell completion, an example in
every command's help, readable metavars (in process with Typer's CliRunner, and through the
real entry point as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from awsprov import __version__
from awsprov.cli.app import app
from tests.cli.test_e2e import PROBE, _awsprov, _clean_env

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _command_paths() -> list[list[str]]:
    """Every command and sub-command, as the argv that names it (["local", "start"])."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(group, prefix: list[str]) -> None:
        for name in group.list_commands(None):
            command = group.get_command(None, name)
            paths.append([*prefix, name])
            if hasattr(command, "list_commands"):
                walk(command, [*prefix, name])

    walk(root, [])
    return paths


COMMANDS = _command_paths()
LEAVES = [p for p in COMMANDS if p != ["local"]]


def _help(*argv: str) -> str:
    result = runner.invoke(app, [*argv], env={"COLUMNS": "100"}, prog_name="awsprov")
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_list_is_the_whole_surface():
    names = {" ".join(p) for p in COMMANDS}
    assert {"validate", "plan", "apply", "verify", "destroy", "show", "output", "schema",
            "cost-estimate", "iam-policy", "export", "local start", "local stop",
            "local status"} <= names


def test_version_prints_awsprov_and_the_package_version():
    result = runner.invoke(app, ["--version"], prog_name="awsprov")
    assert (result.exit_code, result.output) == (0, f"awsprov {__version__}\n")
    assert __version__.count(".") == 2


@pytest.mark.parametrize("argv", [[], *COMMANDS], ids=lambda p: " ".join(p) or "awsprov")
def test_h_is_help_everywhere(argv):
    short = _help(*argv, "-h")
    assert short == _help(*argv, "--help")
    assert short.startswith(f"Usage: awsprov {' '.join(argv)}".rstrip())
    assert "-h, --help" in short


@pytest.mark.parametrize("argv", LEAVES, ids=" ".join)
def test_every_command_help_ends_with_an_example_of_itself(argv):
    text = _help(*argv, "-h")
    examples = text.split("Examples:\n", 1)[1]
    first = examples.splitlines()[0].strip()
    assert first.startswith(f"awsprov {' '.join(argv)}"), first


@pytest.mark.parametrize("argv", [[], ["local"]], ids=["awsprov", "local"])
def test_the_groups_help_has_examples_too(argv):
    examples = _help(*argv, "-h").split("Examples:\n", 1)[1]
    assert all(line.strip().startswith("awsprov ") for line in examples.splitlines()
               if line.strip())


@pytest.mark.parametrize("argv", [[], *COMMANDS], ids=lambda p: " ".join(p) or "awsprov")
def test_metavars_are_words_not_python_types(argv):
    text = _help(*argv, "-h")
    for typed in ("<list[", "<str>", "<path>", "<int", "{spec}", "{section}", "{names}"):
        assert typed not in text, (typed, text)


def test_usage_lines_name_arguments_in_capitals():
    assert "Usage: awsprov plan [OPTIONS] SPEC\n" in _help("plan", "-h")
    assert "Usage: awsprov export [OPTIONS] SECTION NAME...\n" in _help("export", "-h")
    assert "Usage: awsprov show [OPTIONS] PLANFILE\n" in _help("show", "-h")
    plan = _help("plan", "-h")
    assert "--target ADDR" in plan and "--out PLANFILE" in plan and "--env ENV" in plan
    assert "-o, --output text|json" in plan


def test_export_help_lists_region():
    assert "--region REGION" in _help("export", "-h")


@pytest.mark.parametrize("argv", [c for c in LEAVES if c not in (["schema"], ["iam-policy"])],
                         ids=" ".join)
def test_every_command_offers_output_json(argv):
    assert "text|json" in _help(*argv, "-h") or "yaml|json" in _help(*argv, "-h")


@pytest.mark.parametrize("argv", [["schema"], ["iam-policy"]], ids=" ".join)
def test_json_only_commands_accept_output_json(argv):
    assert "-o, --output json" in _help(*argv, "-h")


def test_completion_options_are_on():
    text = _help("-h")
    assert "--install-completion" in text and "--show-completion" in text
    script = runner.invoke(app, ["--show-completion", "bash"], prog_name="awsprov")
    assert script.exit_code == 0
    assert "_AWSPROV_COMPLETE=complete_bash" in script.output


# ---- through the real entry point -------------------------------------------------------

def _run(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*_awsprov(), *argv], capture_output=True, text=True, timeout=60,
                          env=_clean_env(tmp_path, **env), cwd=tmp_path)


def test_version_and_h_through_the_entry_point(tmp_path):
    done = _run(tmp_path, "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"awsprov {__version__}\n", "")
    done = _run(tmp_path, "-h")
    assert done.returncode == 0 and done.stdout.startswith("Usage: awsprov [OPTIONS] COMMAND")
    done = _run(tmp_path, "plan", "-h")
    assert done.returncode == 0 and "Examples:\n    awsprov plan " in done.stdout
    # global options still stand anywhere, -h included
    done = _run(tmp_path, "plan", "-h", "--region", "eu-west-2")
    assert done.returncode == 0 and "Usage: awsprov plan" in done.stdout


def test_shell_completion_completes_commands_through_the_entry_point(tmp_path):
    done = _run(tmp_path, _AWSPROV_COMPLETE="complete_bash", COMP_WORDS="awsprov lo",
                COMP_CWORD="1")
    assert done.stdout.split() == ["local"], done.stderr
    done = _run(tmp_path, _AWSPROV_COMPLETE="complete_bash", COMP_WORDS="awsprov local st",
                COMP_CWORD="2")
    assert sorted(done.stdout.split()) == ["start", "status", "stop"]


def test_install_completion_writes_the_shell_script(tmp_path):
    done = _run(tmp_path, "--install-completion", "bash", SHELL="/bin/bash")
    assert done.returncode == 0, done.stderr
    bashrc = (tmp_path / ".bashrc").read_text()
    assert "awsprov" in bashrc
    scripts = list(tmp_path.rglob("awsprov*"))
    assert any("_AWSPROV_COMPLETE" in p.read_text() for p in scripts if p.is_file())


@pytest.mark.parametrize("args", [["--version"], ["-h"], ["plan", "-h"], ["show", "-h"],
                                  ["output", "-h"], ["local", "status", "-h"]],
                         ids=" ".join)
def test_version_and_h_do_not_import_boto3(tmp_path, args):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=60, env=_clean_env(tmp_path), cwd=tmp_path)
    assert "AWS-MODULES 0 []" in done.stderr, done.stderr


def test_validate_output_json_does_not_import_boto3(tmp_path):
    spec = ROOT / "specs" / "p2p-automation.yaml"
    done = subprocess.run([sys.executable, "-c", PROBE, "validate", str(spec), "-o", "json"],
                          capture_output=True, text=True, timeout=60, env=_clean_env(tmp_path),
                          cwd=tmp_path)
    assert "AWS-MODULES 0 []" in done.stderr, done.stderr
    assert '"valid": true' in done.stdout


def test_readme_documents_completion_install():
    readme = (ROOT / "README.md").read_text()
    assert "awsprov --install-completion" in readme


def test_errors_are_one_json_document_through_the_entry_point(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nregion: us-east-1\ntables:\n  t:\n    name: tttt\n"
                   "    hash_key: id\n    attributes: {id: S}\n    billing_mode: sometimes\n")
    done = _run(tmp_path, "plan", str(bad), "-o", "json")
    error = json.loads(done.stdout)["error"]
    assert done.returncode == 1
    assert (error["file"], error["line"], error["path"]) == (str(bad), 8,
                                                             "tables.t.billing_mode")
    assert done.stderr.startswith(f"error: {bad}:8: tables.t.billing_mode: ")
    # _clean_env has no AWS credentials at all
    spec = ROOT / "specs" / "p2p-automation.yaml"
    done = _run(tmp_path, "plan", str(spec), "--output", "json")
    error = json.loads(done.stdout)["error"]
    assert (done.returncode, error["kind"], error["exit_code"]) == (1, "aws", 1)
    assert "no AWS credentials found" in error["message"]

"""The CI recipes of docs/ci.md work: every awsprov command in docs/ci/github-actions.yml and
docs/ci/gitlab-ci.yml, read out of the file as written, runs in bash (its quoting and
redirections included) against a moto server, job by job in pipeline order, with the
environment the file gives it; the secret reaches only the jobs the file gives it to."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
SECRET = "ci-only-secret-value-1234"
SECRET_VAR = "EXAMPLE_DB_PASSWORD"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")

# The stack the recipes are tried on, at the path their SPEC names: on the base branch a
# table; the pull request adds provisioned capacity and a secret read from the CI secret.
BASE_SPEC = """\
stack: ci-example
environments:
  prod: {}
tables:
  orders:
    name: ci-orders-${env}
    hash_key: id
    attributes: {id: S}
"""
SPEC = BASE_SPEC.replace("    attributes: {id: S}\n", """\
    attributes: {id: S}
    billing_mode: PROVISIONED
    capacity: {read: 5, write: 5}
secrets:
  database:
    name: ci-example/${env}/database
    value: {from_env: EXAMPLE_DB_PASSWORD}
    recovery_window_days: 0
""")


@dataclass
class Command:
    job: str
    line: str
    env: dict[str, str] = field(default_factory=dict)


def _awsprov_lines(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines()
            if line.strip().startswith("awsprov ")]


def _github_env(values: dict | None) -> dict[str, str]:
    """A step's env as the runner gives it: secrets as the test's secret, other
    expressions left out (what they name does not exist here)."""
    env = {}
    for key, value in (values or {}).items():
        text = str(value)
        match = EXPRESSION.fullmatch(text)
        if match and match.group(1).startswith("secrets."):
            env[key] = SECRET
        elif not EXPRESSION.search(text):
            env[key] = text
    return env


def github_commands() -> tuple[dict[str, str], list[Command]]:
    doc = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    commands = []
    for name, job in doc["jobs"].items():
        for step in job["steps"]:
            for line in _awsprov_lines(step.get("run", "")):
                commands.append(Command(name, line, {**_github_env(job.get("env")),
                                                     **_github_env(step.get("env"))}))
    return _github_env(doc["env"]), commands


def gitlab_commands() -> tuple[dict[str, str], list[Command]]:
    doc = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    stages = doc["stages"]
    jobs = [(name, job) for name, job in doc.items()
            if isinstance(job, dict) and "script" in job and not name.startswith(".")]
    jobs.sort(key=lambda item: stages.index(item[1]["stage"]))
    commands = []
    for name, job in jobs:
        # GitLab gives masked CI/CD variables to every job; the recipe needs the secret
        # in plan and apply only, so the check and cost jobs are run without it.
        secret = {SECRET_VAR: SECRET} if job["stage"] in ("plan", "apply") else {}
        variables = {k: str(v) for k, v in (job.get("variables") or {}).items()}
        for line in _awsprov_lines("\n".join(job["script"])):
            commands.append(Command(name, line, {**variables, **secret}))
    return {k: str(v) for k, v in doc["variables"].items()}, commands


@pytest.fixture
def endpoint(moto_endpoint):
    return moto_endpoint


def _shim(folder: Path) -> Path:
    """`awsprov` on PATH: this checkout's awsprov, as `pip install` would put it there."""
    folder.mkdir()
    script = folder / "awsprov"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m awsprov "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def _base_env(tmp_path: Path, endpoint: str, workflow_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS") and k != SECRET_VAR}
    env.update(workflow_env)
    env.update({
        "PATH": f"{_shim(tmp_path / 'bin')}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPATH": str(ROOT / "src"), "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE":
        str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
        # What the OIDC step leaves behind, pointed at the emulator.
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint,
        "AWSPROV_HOME": str(tmp_path / "awsprov-home"),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"), "CI_BUILDS_DIR": str(tmp_path / "builds"),
    })
    return env


def _checkout(tmp_path: Path, env: dict[str, str]) -> Path:
    """The repository at the pull request, and the base version where the recipe's
    (git) lines put it, for the cost diff."""
    work = tmp_path / "checkout"
    spec = work / env["SPEC"]
    spec.parent.mkdir(parents=True)
    spec.write_text(SPEC)
    for base in (Path(env["RUNNER_TEMP"]) / "base", Path(env["CI_BUILDS_DIR"]) / "base"):
        (base / env["SPEC"]).parent.mkdir(parents=True)
        (base / env["SPEC"]).write_text(BASE_SPEC)
    return work


def _run(command: Command, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    job_env = {**env, **{k: v for k, v in command.env.items() if k != "AWS_ROLE_ARN"}}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command.line], cwd=cwd,
                          env=job_env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


@pytest.mark.parametrize("recipe", [github_commands, gitlab_commands], ids=["github", "gitlab"])
def test_the_recipe_commands_pass_against_the_emulator(recipe, endpoint, tmp_path):
    workflow_env, commands = recipe()
    kinds = [" ".join(c.line.split()[:2]) for c in commands]
    assert kinds == ["awsprov validate", "awsprov cost-estimate", "awsprov plan",
                     "awsprov apply"]
    assert "--no-inputs" in commands[0].line and SECRET_VAR not in commands[0].env
    assert "--diff" in commands[1].line and SECRET_VAR not in commands[1].env
    assert "--output markdown" in commands[2].line
    env = _base_env(tmp_path, endpoint, workflow_env)
    work = _checkout(tmp_path, env)
    outputs = [_run(command, env, work) for command in commands]

    plan, cost = (work / "plan.md").read_text(), (work / "cost.md").read_text()
    assert plan.startswith("### awsprov plan: `ci-example` · env prod · region eu-west-2")
    assert "| 🟢 create | `tables.orders` | ci-orders-prod |" in plan
    assert "value: (sensitive)" in plan
    assert cost.startswith("### Monthly cost change: ci-example (+$")
    assert "| ~ | tables.orders |" in cost and "| + | secrets.database |" in cost
    assert "Apply complete" in outputs[-1].stderr
    for text in [plan, cost, *(o.stdout + o.stderr for o in outputs)]:
        assert SECRET not in text
    again = subprocess.run(
        ["awsprov", "plan", env["SPEC"], "--env", "prod", "--detailed-exitcode", "--no-cost"],
        cwd=work, env={**env, SECRET_VAR: SECRET}, capture_output=True, text=True,
        timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    shutil.rmtree(work)

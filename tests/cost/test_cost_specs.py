"""Every spec under specs/ (each environment too) is cost-estimated through the CLI,
offline, and its JSON has SPEC.md's shape."""

from __future__ import annotations

import json

import pytest

from tests.cost.shape import check_estimate
from tests.helpers import forbid_aws_clients, run_cli
from tests.test_examples import ROOT, STACKS


@pytest.mark.parametrize(("path", "env"), STACKS,
                         ids=[f"{p.relative_to(ROOT)}{'@' + e if e else ''}" for p, e in STACKS])
def test_every_spec_is_cost_estimated(capsys, monkeypatch, path, env):
    files = [path] if path.is_file() else sorted(path.glob("*.y*ml"))
    if env is None and any("${env}" in f.read_text() for f in files):
        pytest.skip("uses ${env}: estimated once per environment")
    asked = forbid_aws_clients(monkeypatch)
    argv = ["cost-estimate", str(path), "--output", "json", *(["--env", env] if env else [])]
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    doc = json.loads(out)
    check_estimate(doc)
    assert doc["env"] == env
    assert asked == []
    code, out, err = run_cli(capsys, *argv[:2], "--output", "markdown",
                             *(["--env", env] if env else []))
    assert code == 0, err
    assert f"prices as of {doc['prices_as_of']}" in out

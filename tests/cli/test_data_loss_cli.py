"""`apply --allow-data-loss` through the real entry point, in process against moto: the plan
marks the change, apply without the flag exits 1 naming the flag and changes nothing, a
saved plan honours the same rule, and the flag makes the change."""

from __future__ import annotations

import json
import time

import boto3
from typer.testing import CliRunner

from awsprov.cli.app import app
from tests.helpers import run_cli, write_spec

SPEC = """
stack: dataloss
region: us-east-1
log_groups:
  api: {name: /dataloss/cli, retention_days: DAYS}
  other: {name: /dataloss/cli-other, retention_days: OTHER}
"""
REASON = "retention 90 days → 1 day: stored events older than 1 day are deleted"


def _write(tmp_path, days: int, other: int):
    return str(write_spec(tmp_path, SPEC.replace("DAYS", str(days))
                          .replace("OTHER", str(other))))


def _retention(name: str) -> int:
    logs = boto3.client("logs", region_name="us-east-1")
    [group] = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
               if g["logGroupName"] == name]
    return group["retentionInDays"]


def _write_events() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_stream(logGroupName="/dataloss/cli", logStreamName="app")
    logs.put_log_events(logGroupName="/dataloss/cli", logStreamName="app", logEvents=[
        {"timestamp": int(time.time() * 1000), "message": "kept"}])


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_apply_help_lists_allow_data_loss():
    result = CliRunner().invoke(app, ["apply", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--allow-data-loss" in result.output


def test_apply_refuses_data_loss_without_the_flag_and_makes_it_with(moto, capsys,
                                                                    tmp_path):
    spec = _write(tmp_path, 90, 30)
    assert run_cli(capsys, "apply", spec, "--yes")[0] == 0
    _write_events()
    spec = _write(tmp_path, 1, 60)

    code, out, _err = run_cli(capsys, "plan", spec, "--output", "json")
    assert code == 0
    [api] = [c for c in json.loads(out)["changes"] if c["address"] == "log_groups.api"]
    assert (api["action"], api["data_loss"], api["data_at_risk"]) == ("update", [REASON],
                                                                      REASON)
    code, out, _err = run_cli(capsys, "plan", spec)
    assert f"data at risk: {REASON}" in _flat(out)
    assert "apply refuses this change without --allow-data-loss" in _flat(out)

    code, out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 1
    assert f"log_groups.api: data loss refused ({REASON}): rerun with --allow-data-loss" \
        in _flat(err)
    assert "Traceback" not in err
    assert _retention("/dataloss/cli") == 90
    assert _retention("/dataloss/cli-other") == 60  # independent: applied

    code, _out, err = run_cli(capsys, "apply", spec, "--yes", "--allow-data-loss")
    assert code == 0, err
    assert _retention("/dataloss/cli") == 1


def test_a_saved_plan_honours_the_same_rule(moto, capsys, tmp_path):
    spec = _write(tmp_path, 90, 30)
    assert run_cli(capsys, "apply", spec, "--yes")[0] == 0
    _write_events()
    spec = _write(tmp_path, 1, 30)
    saved = str(tmp_path / "cut.plan")
    assert run_cli(capsys, "plan", spec, "--out", saved)[0] == 0

    code, _out, err = run_cli(capsys, "apply", saved)
    assert code == 1
    assert "rerun with --allow-data-loss" in _flat(err)
    assert _retention("/dataloss/cli") == 90

    code, _out, err = run_cli(capsys, "apply", saved, "--allow-data-loss")
    assert code == 0, err
    assert _retention("/dataloss/cli") == 1

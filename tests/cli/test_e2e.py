"""The real `awsprov` entry point as a subprocess against moto's ThreadedMotoServer on
127.0.0.1 (one server per module, reset between tests), via --endpoint-url."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import jsonschema
import pytest
from referencing import Registry, Resource

from tests.realism import wrap_server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
P2P = ROOT / "specs" / "p2p-automation.yaml"
AUDITFLOW = ROOT / "specs" / "auditflow.yaml"
P2P_TABLES = {"VendorsTable": "tables.vendors", "PurchaseOrdersTable": "tables.purchase_orders",
              "InvoicesTable": "tables.invoices", "PaymentsTable": "tables.payments",
              "AuditLogTable": "tables.audit_log"}


def _awsprov() -> list[str]:
    script = Path(sys.executable).parent / "awsprov"
    return [str(script)] if script.exists() else [sys.executable, "-m", "awsprov"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS")}
    env.update({"AWS_CONFIG_FILE": str(tmp_path / "none-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true", "HOME": str(tmp_path),
                "AWSPROV_HOME": str(tmp_path / "awsprov-home"), "NO_COLOR": "1",
                "COLUMNS": "200"})
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server():
    from moto.server import ThreadedMotoServer

    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_server.start()
    wrap_server(moto_server)  # the realism layer, for the test that has one active
    port = moto_server._server.server_port
    yield f"http://127.0.0.1:{port}"
    moto_server.stop()


@pytest.fixture
def endpoint(server):
    request = urllib.request.Request(f"{server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=5).close()
    return server


class Cli:
    def __init__(self, endpoint: str, tmp_path: Path):
        self.endpoint, self.tmp_path = endpoint, tmp_path
        self.env = _clean_env(tmp_path, AWS_ACCESS_KEY_ID="testing",
                              AWS_SECRET_ACCESS_KEY="testing")

    def __call__(self, *args: str, code: int | None = 0, env: dict | None = None,
                 endpoint: bool = True) -> subprocess.CompletedProcess:
        argv = [*_awsprov(), *(["--endpoint-url", self.endpoint] if endpoint else []), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                              env=env or self.env, cwd=self.tmp_path)
        if code is not None:
            assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done

    def client(self, service: str, region: str):
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def cli(endpoint, tmp_path):
    return Cli(endpoint, tmp_path)


def _schema(name: str) -> jsonschema.Draft202012Validator:
    docs = ROOT / "docs"
    # Keyed by file name: the schemas refer to each other by relative path, as a
    # validator reading them from a checkout (offline) resolves them.
    registry = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text())))
        for p in docs.glob("*-output.schema.json"))
    schema = json.loads((docs / name).read_text())
    return jsonschema.Draft202012Validator(schema, registry=registry)


PLAN_SCHEMA = "plan-output.schema.json"
VERIFY_SCHEMA = "verify-output.schema.json"


@pytest.mark.parametrize("spec", [P2P, AUDITFLOW], ids=["p2p-automation", "auditflow"])
def test_plan_apply_verify_plan(cli, spec):
    first = cli("plan", str(spec), "--output", "json", "--detailed-exitcode", code=2)
    doc = json.loads(first.stdout)
    _schema(PLAN_SCHEMA).validate(doc)
    assert doc["summary"]["create"] == len(doc["changes"]) >= 2
    assert {c["action"] for c in doc["changes"]} == {"create"}
    applied = cli("apply", str(spec), "--yes")
    assert "Apply complete" in applied.stderr
    verified = cli("verify", str(spec), "--output", "json")
    report = json.loads(verified.stdout)
    _schema(VERIFY_SCHEMA).validate(report)
    assert report["clean"] is True
    again = cli("plan", str(spec), "--detailed-exitcode")
    assert "No changes." in again.stdout


def test_verify_drift_exits_2_and_apply_reverts(cli):
    cli("apply", str(P2P), "--yes")
    ddb = cli.client("dynamodb", "us-east-1")
    ddb.update_continuous_backups(TableName="InvoicesTable", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    drift = cli("verify", str(P2P), "--output", "json", code=2)
    report = json.loads(drift.stdout)
    _schema(VERIFY_SCHEMA).validate(report)
    assert report["clean"] is False
    assert [d["address"] for d in report["drift"]] == ["tables.invoices"]
    text = cli("verify", str(P2P), code=2)
    assert "drift tables.invoices (update) InvoicesTable" in text.stdout
    plan = json.loads(cli("plan", str(P2P), "-o", "json").stdout)
    _schema(PLAN_SCHEMA).validate(plan)
    assert plan["summary"]["update"] == 1
    # Reverting the drift turns PITR off again: its backups are lost, so only with the flag.
    [change] = plan["changes"]
    assert change["data_loss"] == ["point-in-time recovery turned off: the continuous "
                                   "backups of the last 35 days are lost"]
    refused = cli("apply", str(P2P), "--yes", code=1)
    assert "rerun with --allow-data-loss" in " ".join(refused.stderr.split())
    cli("apply", str(P2P), "--yes", "--allow-data-loss")
    cli("verify", str(P2P))


def test_saved_plan_refused_after_live_moved_naming_the_resource(cli):
    saved = cli.tmp_path / "p2p.plan"
    assert f"Plan saved to {saved}" in cli("plan", str(P2P), "--out", str(saved)).stderr
    cli.client("dynamodb", "us-east-1").create_table(
        TableName="InvoicesTable", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    refused = cli("apply", str(saved), code=1)
    lines = refused.stderr.strip().splitlines()
    assert lines[-1].startswith("error: the saved plan is stale: live state of "
                                "tables.invoices changed")
    assert cli.client("dynamodb", "us-east-1").list_tables()["TableNames"] == ["InvoicesTable"]
    hint = cli("plan", str(P2P), "--out", str(saved)).stderr.strip().splitlines()[-1]
    typed = shlex.split(hint.split("apply it with: ", 1)[1])
    assert typed == ["awsprov", "--endpoint-url", cli.endpoint, "apply", str(saved)]
    cli(*typed[1:], endpoint=False)  # as printed; a saved plan is its own confirmation
    cli("verify", str(P2P))


def test_tables_made_beforehand_by_the_seeds_cli_commands_are_adopted(cli):
    ddb = cli.client("dynamodb", "us-east-1")
    for name in P2P_TABLES:  # as seed 000's `aws dynamodb create-table` commands did
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    plan = json.loads(cli("plan", str(P2P), "--output", "json").stdout)
    _schema(PLAN_SCHEMA).validate(plan)
    assert plan["summary"]["adopt"] == 5
    actions = {c["address"]: c["action"] for c in plan["changes"]}
    assert {a for addr, a in actions.items() if addr.startswith("tables.")} == {"adopt"}
    assert actions["buckets.payment_xml"] == "create"  # the seed made no bucket by hand
    cli("apply", str(P2P), "--yes")
    cli("verify", str(P2P))
    for name, address in P2P_TABLES.items():
        arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
        tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
        assert tags["awsprov:stack"] == "p2p-automation"
        assert tags["awsprov:address"] == address
    cli("plan", str(P2P), "--detailed-exitcode")


def test_table_of_another_stack_is_refused_with_exit_1(cli, tmp_path):
    ddb = cli.client("dynamodb", "us-east-1")
    ddb.create_table(TableName="VendorsTable", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     Tags=[{"Key": "awsprov:stack", "Value": "someone-else"}])
    plan = cli("plan", str(P2P))
    assert "belongs to stack 'someone-else'" in plan.stdout
    applied = cli("apply", str(P2P), "--yes", code=1)
    assert "tables.vendors" in applied.stderr


def test_apply_without_yes_and_no_terminal_is_refused(cli):
    done = cli("apply", str(P2P), code=1)
    assert done.stderr.strip().splitlines()[-1] == "error: not a terminal: confirm with --yes"
    assert cli.client("dynamodb", "us-east-1").list_tables()["TableNames"] == []


def test_local_start_status_stop(tmp_path):
    port = _free_port()
    env = _clean_env(tmp_path)
    run = [*_awsprov()]

    def awsprov(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*run, *args], capture_output=True, text=True, timeout=60, env=env,
                              cwd=tmp_path)

    assert awsprov("local", "status").returncode == 1
    started = awsprov("local", "start", "--port", str(port))
    try:
        assert started.returncode == 0, started.stderr
        assert f"local AWS running at http://127.0.0.1:{port}" in started.stdout
        status = awsprov("local", "status")
        assert status.returncode == 0
        assert f"http://127.0.0.1:{port}" in status.stdout
        assert awsprov("local", "start", "--port", str(port)).returncode == 0  # idempotent
        elsewhere = awsprov("local", "start", "--port", str(port + 1))
        assert elsewhere.returncode == 1
        assert f"already running at http://127.0.0.1:{port} " in elsewhere.stderr
        planned = awsprov("--local", "plan", str(P2P), "--detailed-exitcode")
        assert planned.returncode == 2, planned.stderr
        assert "Plan: 6 to create" in planned.stdout  # five tables and the payment bucket
    finally:
        stopped = awsprov("local", "stop")
    assert stopped.returncode == 0 and "local AWS stopped" in stopped.stdout
    assert awsprov("local", "status").returncode == 1
    assert awsprov("--local", "plan", str(P2P)).returncode == 1


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_no_credentials_is_one_clear_line_within_seconds(tmp_path):
    start = time.monotonic()
    done = subprocess.run([*_awsprov(), "plan", str(P2P)], capture_output=True, text=True,
                          timeout=60, env=_clean_env(tmp_path), cwd=tmp_path)
    elapsed = time.monotonic() - start
    line = _one_error_line(done)
    assert line.startswith("error: checking AWS credentials: no AWS credentials found")
    assert elapsed < 15


def test_unreachable_endpoint_is_one_clear_line_within_seconds(tmp_path):
    closed = _free_port()
    env = _clean_env(tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    start = time.monotonic()
    done = subprocess.run([*_awsprov(), "--endpoint-url", f"http://127.0.0.1:{closed}", "plan",
                           str(P2P)], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    elapsed = time.monotonic() - start
    line = _one_error_line(done)
    assert line == f"error: checking AWS credentials: cannot reach the AWS endpoint " \
                   f"http://127.0.0.1:{closed}/"
    assert elapsed < 15


PROBE = """
import sys
from awsprov.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))
print('AWS-MODULES', len(loaded), loaded[:3], file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["validate", str(P2P)], ["validate", "--help"],
                                  ["schema"]], ids=["help", "validate", "validate-help",
                                                    "schema"])
def test_help_and_validate_do_not_import_boto3(tmp_path, args):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=60, env=_clean_env(tmp_path), cwd=tmp_path)
    assert "AWS-MODULES 0 []" in done.stderr, done.stderr


def test_the_probe_sees_boto3_when_a_command_needs_it(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE, "plan", str(P2P)], capture_output=True,
                          text=True, timeout=60, env=_clean_env(tmp_path), cwd=tmp_path)
    assert "AWS-MODULES 0 " not in done.stderr and "AWS-MODULES" in done.stderr


def test_destroy_honours_deletion_protection_and_env_overlays(cli):
    cli("apply", str(AUDITFLOW), "--yes")
    refused = cli("destroy", str(AUDITFLOW), "--yes", code=1)
    assert "deletion protection is on" in refused.stdout
    ddb = cli.client("dynamodb", "ap-south-1")
    assert len(ddb.list_tables()["TableNames"]) == 2
    # the dev environment turns protection off: plan says so, apply does it, destroy works
    dev = json.loads(cli("plan", str(AUDITFLOW), "--env", "dev", "-o", "json").stdout)
    assert dev["env"] == "dev"
    # resources made without --env join the environment they are now planned in
    joins = {(a, "tags.awsprov:env", "dev") for a in ("keys.data", "tables.documents",
                                                      "tables.audit_records")}
    assert {(c["address"], a["path"], a["after"]) for c in dev["changes"]
            for a in c["attributes"]} == {("tables.documents", "deletion_protection", False),
                                          ("tables.audit_records", "deletion_protection", False),
                                          *joins}
    cli("apply", str(AUDITFLOW), "--env", "dev", "--yes")
    cli("destroy", str(AUDITFLOW), "--env", "dev", "--yes")
    assert ddb.list_tables()["TableNames"] == []


def test_target_plans_and_applies_one_resource(cli):
    planned = cli("plan", str(P2P), "--target", "tables.invoices", "-o", "json")
    assert [c["address"] for c in json.loads(planned.stdout)["changes"]] == ["tables.invoices"]
    cli("apply", str(P2P), "--target", "tables.invoices", "--yes")
    assert cli.client("dynamodb", "us-east-1").list_tables()["TableNames"] == ["InvoicesTable"]
    unknown = cli("plan", str(P2P), "--target", "tables.nope", code=1)
    assert "--target tables.nope: no such resource" in unknown.stderr


def test_verify_junit_reports_each_resource(cli):
    cli("apply", str(P2P), "--yes")
    report = cli("verify", str(P2P), "--output", "junit")
    import xml.etree.ElementTree as ET

    suite = ET.fromstring(report.stdout)
    cases = suite.iter("testcase")
    assert {c.get("name") for c in cases} >= set(P2P_TABLES.values())


@pytest.mark.parametrize("case_id", ["yaml-unclosed-flow", "unknown-property", "cycle",
                                     "undefined-env", "folder-name-defined-twice"])
def test_bad_input_sends_no_request_to_the_endpoint(tmp_path, case_id):
    """The subprocess CLI against a listening socket: nothing may even connect to it."""
    from tests.cli.test_bad_input import CASES, _write

    case = next(c for c in CASES if c.id == case_id)
    spec = _write(tmp_path, case)
    env = _clean_env(tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        done = subprocess.run([*_awsprov(), "plan", str(spec), *case.args, "--endpoint-url",
                               endpoint], capture_output=True, text=True, timeout=60, env=env,
                              cwd=tmp_path)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert _one_error_line(done).startswith("error: ")

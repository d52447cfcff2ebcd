"""`--output json` on every command, errors included: one document on stdout, valid against
its JSON Schema in docs/ (resolved offline, by relative file name), exit code unchanged.
Also `show PLANFILE` and `output SPEC`. In process: the real entry point against moto."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import jsonschema
import pytest
from referencing import Registry, Resource

from awsprov.resources import sqs_queue
from tests.helpers import forbid_aws_clients, run_cli, stack_tables, write_spec

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCHEMAS = sorted(DOCS.glob("*.schema.json"))

STACK = """
    stack: jsonout
    region: us-east-1
    tables:
      orders:
        name: jsonout-orders
        hash_key: id
        attributes: {id: S}
        stream: NEW_AND_OLD_IMAGES
    queues:
      work: {name: jsonout-work}
    buckets:
      files: {name: "jsonout-files-${account_id}"}
    """


def offline_registry() -> Registry:
    """Every schema of docs/ under its file name, the name other schemas refer to it by;
    and under its `$id` where it still has one. Nothing is fetched."""
    resources = []
    for path in SCHEMAS:
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents)
        resources.append((path.name, resource))
        if "$id" in contents:
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


def check(document: dict, schema_file: str) -> None:
    schema = json.loads((DOCS / schema_file).read_text())
    jsonschema.Draft202012Validator(schema, registry=offline_registry()).validate(document)


def one_document(out: str) -> dict:
    """stdout is exactly one JSON document (json.loads refuses anything around it)."""
    return json.loads(out)


@pytest.fixture
def fast_queues(monkeypatch):
    # The CLI waits with real delays; the queue's confirming read is not under test here.
    monkeypatch.setattr(sqs_queue, "PROPAGATION_POLL_SECONDS", 0.01)


@pytest.fixture
def spec(tmp_path) -> Path:
    return write_spec(tmp_path, STACK)


# ---- the schema files themselves ---------------------------------------------------------

@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_each_schema_is_valid_and_refers_to_others_by_relative_file_name(path):
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    refs = re.findall(r'"\$ref":\s*"([^"]+)"', path.read_text())
    for ref in refs:
        target = ref.split("#", 1)[0]
        assert not target.startswith(("http:", "https:")), ref
        if target:
            assert (DOCS / target).is_file(), f"{path.name} refers to missing {target}"
    # every reference resolves without the network
    resolver = offline_registry().resolver()
    for ref in refs:
        if not ref.startswith("#"):
            resolver.lookup(ref)


def test_every_json_document_has_its_schema_in_docs():
    names = {p.name for p in SCHEMAS}
    assert {"plan-output.schema.json", "verify-output.schema.json", "error-output.schema.json",
            "apply-output.schema.json", "validate-output.schema.json",
            "show-output.schema.json", "output-output.schema.json",
            "local-output.schema.json", "export-output.schema.json",
            "iam-policy-output.schema.json", "cost-estimate-output.schema.json"} <= names


# ---- errors as JSON -----------------------------------------------------------------------

def test_a_bad_spec_is_one_error_document_with_file_line_and_path(tmp_path, capsys,
                                                                   monkeypatch):
    asked = forbid_aws_clients(monkeypatch)
    bad = write_spec(tmp_path, """
        stack: s
        region: us-east-1
        tables:
          t:
            name: tttt
            hash_key: id
            attributes: {id: S}
            billing_mode: sometimes
        """)
    for command in ("validate", "plan", "apply", "destroy", "output", "cost-estimate",
                    "iam-policy", "verify"):
        code, out, err = run_cli(capsys, command, str(bad), "--output", "json")
        assert code == 1, (command, out, err)
        doc = one_document(out)
        check(doc, "error-output.schema.json")
        error = doc["error"]
        where = (str(bad), 8, "tables.t.billing_mode")
        assert (error["file"], error["line"], error["path"]) == where
        assert error["kind"] == "spec" and error["exit_code"] == 1
        assert error["message"].startswith(f"{bad}:8: tables.t.billing_mode: ")
        assert err.startswith(f"error: {bad}:8: tables.t.billing_mode: ")  # stderr unchanged
    assert asked == []


def test_several_spec_errors_are_all_listed(tmp_path, capsys):
    bad = write_spec(tmp_path, """
        stack: s
        region: us-east-1
        tables:
          a: {name: dup-name, hash_key: id, attributes: {id: S}}
          b: {name: dup-name, hash_key: id, attributes: {id: S}}
          c: {name: cccc, hash_key: id, attributes: {id: S}, tags: {x: "${tables.nope.arn}"}}
        """)
    code, out, err = run_cli(capsys, "validate", str(bad), "-o", "json")
    doc = one_document(out)
    check(doc, "error-output.schema.json")
    assert code == 1
    problems = doc["error"]["errors"]
    assert sorted((e["line"], e["path"]) for e in problems) == [(5, "tables.b.name"),
                                                               (6, "tables.c.tags.x")]
    assert all(e["file"] == str(bad) for e in problems)
    headline = {k: doc["error"][k] for k in ("message", "file", "line", "path")}
    assert headline == problems[0]
    assert len(err.splitlines()) == 2  # text mode: one line per problem, as before


def test_no_credentials_is_one_error_document(spec, capsys, monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))
    for command in ("plan", "apply", "verify", "destroy", "output"):
        code, out, err = run_cli(capsys, command, str(spec), "--yes" if command in (
            "apply", "destroy") else "--no-color", "--output", "json")
        assert code == 1, (command, out, err)
        doc = one_document(out)
        check(doc, "error-output.schema.json")
        assert doc["error"]["kind"] == "aws"
        assert "no AWS credentials found" in doc["error"]["message"]
        assert (doc["error"]["file"], doc["error"]["line"]) == (None, None)
        assert "no AWS credentials found" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["plan", "-o", "json"], "Missing argument 'spec'"),
    (["plan", "x.yaml", "--frob", "-o", "json"], "No such option: --frob"),
    (["plan", "x.yaml", "--output=json", "--parallelism", "0"], "--parallelism"),
])
def test_usage_errors_are_json_too_and_still_exit_1(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    doc = one_document(out)
    check(doc, "error-output.schema.json")
    assert code == 1 and doc["error"]["exit_code"] == 1 and doc["error"]["kind"] == "usage"
    assert message in doc["error"]["message"]
    assert message in err


def test_without_output_json_errors_stay_one_line_on_stderr(tmp_path, capsys):
    code, out, err = run_cli(capsys, "show", str(tmp_path / "nope.plan"))
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and len(err.splitlines()) == 1


def test_apply_output_json_refuses_to_prompt(spec, capsys, moto):
    code, out, _err = run_cli(capsys, "apply", str(spec), "-o", "json")
    doc = one_document(out)
    check(doc, "error-output.schema.json")
    assert code == 1 and "add --yes" in doc["error"]["message"]
    assert stack_tables(boto3.client("dynamodb", region_name="us-east-1")) == []


# ---- success documents --------------------------------------------------------------------

def test_validate_output_json(spec, capsys):
    code, out, _err = run_cli(capsys, "validate", str(spec), "--output", "json")
    doc = one_document(out)
    check(doc, "validate-output.schema.json")
    assert code == 0
    assert sorted(doc["resources"]) == ["buckets.files", "queues.work", "tables.orders"]
    assert (doc["stack"], doc["region"], doc["valid"]) == ("jsonout", "us-east-1", True)


def test_apply_then_destroy_output_json(spec, capsys, moto, fast_queues):
    code, out, err = run_cli(capsys, "apply", str(spec), "--yes", "-o", "json")
    assert code == 0, err
    doc = one_document(out)
    check(doc, "apply-output.schema.json")
    assert doc["command"] == "apply"
    assert doc["plan"]["summary"]["create"] == 3
    assert {o["address"]: (o["action"], o["ok"]) for o in doc["outcomes"]} == {
        "tables.orders": ("create", True), "queues.work": ("create", True),
        "buckets.files": ("create", True)}
    assert doc["summary"] == {"changed": 3, "failed": 0}
    assert doc["verify"]["clean"] is True
    assert "Plan:" not in out  # the text plan is not mixed into the document

    code, out, _err = run_cli(capsys, "apply", str(spec), "--yes", "-o", "json")
    again = one_document(out)
    check(again, "apply-output.schema.json")
    assert code == 0 and again["outcomes"] == [] and again["verify"] is None
    assert again["plan"]["summary"]["unchanged"] == 3

    code, out, err = run_cli(capsys, "destroy", str(spec), "--yes", "-o", "json")
    assert code == 0, err
    gone = one_document(out)
    check(gone, "apply-output.schema.json")
    assert gone["command"] == "destroy" and gone["verify"] is None
    assert sorted(o["action"] for o in gone["outcomes"]) == ["delete"] * 3
    assert stack_tables(boto3.client("dynamodb", region_name="us-east-1")) == []


def test_a_refused_destroy_is_an_error_document_carrying_the_report(tmp_path, capsys, moto):
    protected = write_spec(tmp_path, """
        stack: jsonprot
        region: us-east-1
        tables:
          accounts:
            name: jsonprot-accounts
            hash_key: id
            attributes: {id: S}
            deletion_protection: true
        """)
    assert run_cli(capsys, "apply", str(protected), "--yes")[0] == 0
    code, out, _err = run_cli(capsys, "destroy", str(protected), "--yes", "-o", "json")
    doc = one_document(out)
    check(doc, "error-output.schema.json")
    assert code == 1 and doc["error"]["kind"] == "apply-failed"
    report = doc["report"]
    assert report["command"] == "destroy" and report["summary"]["failed"] == 1
    assert report["outcomes"][0]["address"] == "tables.accounts"
    assert not report["outcomes"][0]["ok"]


def test_show_prints_a_saved_plan_without_aws(spec, capsys, moto, monkeypatch, tmp_path):
    planfile = tmp_path / "saved.plan"
    code, planned, err = run_cli(capsys, "plan", str(spec), "--out", str(planfile), "--no-cost")
    assert code == 0, err
    code, as_json, _err = run_cli(capsys, "plan", str(spec), "-o", "json", "--no-cost")
    asked = forbid_aws_clients(monkeypatch)

    code, shown, err = run_cli(capsys, "show", str(planfile))
    assert code == 0, err
    # what plan printed, line for line (a plan file stores maps with sorted keys, so a
    # map's entries may come in another order)
    lines = planned.splitlines()
    assert sorted(shown.splitlines()[:len(lines)]) == sorted(lines)
    assert shown.splitlines()[len(lines) - 1].startswith("Plan: 3 to create")
    assert f"apply it with: awsprov apply {planfile}" in shown

    code, out, _err = run_cli(capsys, "show", str(planfile), "--output", "json")
    doc = one_document(out)
    check(doc, "show-output.schema.json")
    check(doc, "plan-output.schema.json")
    assert code == 0
    assert {k: v for k, v in doc.items() if k != "planfile"} == one_document(as_json)
    assert doc["planfile"] == {"spec": str(spec), "targets": [], "force_adopt": False}
    assert asked == []


def test_show_of_something_else_is_an_error(tmp_path, capsys):
    other = write_spec(tmp_path, "stack: s\n", name="x.json")
    code, out, _err = run_cli(capsys, "show", str(other), "-o", "json")
    doc = one_document(out)
    check(doc, "error-output.schema.json")
    assert code == 1 and "awsprov plan file" in doc["error"]["message"]


def test_output_lists_arns_names_urls_and_ids_of_live_resources(spec, capsys, moto,
                                                                 fast_queues):
    code, out, _err = run_cli(capsys, "output", str(spec), "-o", "json")
    before = one_document(out)
    check(before, "output-output.schema.json")
    assert code == 0
    assert {a: r["status"] for a, r in before["resources"].items()} == {
        "tables.orders": "missing", "queues.work": "missing", "buckets.files": "missing"}

    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    code, out, _err = run_cli(capsys, "output", str(spec), "-o", "json")
    doc = one_document(out)
    check(doc, "output-output.schema.json")
    table = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName="jsonout-orders")["Table"]
    url = boto3.client("sqs", region_name="us-east-1").get_queue_url(
        QueueName="jsonout-work")["QueueUrl"]
    resources = doc["resources"]
    assert all(r["status"] == "managed" for r in resources.values())
    assert resources["tables.orders"]["attributes"]["arn"] == table["TableArn"]
    assert resources["tables.orders"]["attributes"]["stream_arn"] == table["LatestStreamArn"]
    assert resources["queues.work"]["attributes"]["url"] == url
    assert resources["buckets.files"]["attributes"]["name"].startswith("jsonout-files-")

    code, text, _err = run_cli(capsys, "output", str(spec))
    assert code == 0
    assert f'tables.orders.arn = "{table["TableArn"]}"' in text.splitlines()
    assert f'queues.work.url = "{url}"' in text.splitlines()


def test_output_needs_no_secret_inputs(tmp_path, capsys, moto, monkeypatch):
    monkeypatch.delenv("JSONOUT_PASSWORD", raising=False)
    secret_spec = write_spec(tmp_path, """
        stack: jsonsec
        region: us-east-1
        secrets:
          db: {name: jsonsec/db, value: {from_env: JSONOUT_PASSWORD}}
        """)
    code, out, err = run_cli(capsys, "output", str(secret_spec), "-o", "json")
    assert code == 0, err
    assert one_document(out)["resources"]["secrets.db"]["status"] == "missing"


def test_local_status_output_json_when_not_running(capsys):
    code, out, _err = run_cli(capsys, "local", "status", "--output", "json")
    doc = one_document(out)
    check(doc, "local-output.schema.json")
    assert code == 1 and doc == {"version": 1, "running": False, "endpoint": None, "pid": None}


def test_export_output_json(capsys, moto):
    boto3.client("dynamodb", region_name="eu-west-1").create_table(
        TableName="Legacy", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    code, out, err = run_cli(capsys, "export", "tables", "Legacy", "--region", "eu-west-1",
                             "-o", "json")
    assert code == 0, err
    doc = one_document(out)
    check(doc, "export-output.schema.json")
    assert doc["region"] == "eu-west-1"
    assert [t["name"] for t in doc["spec"]["tables"].values()] == ["Legacy"]


def test_iam_policy_cost_and_schema_accept_output_json(spec, capsys):
    code, out, _err = run_cli(capsys, "iam-policy", str(spec), "-o", "json")
    assert code == 0
    check(one_document(out), "iam-policy-output.schema.json")
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "-o", "json")
    assert code == 0
    check(one_document(out), "cost-estimate-output.schema.json")
    code, out, _err = run_cli(capsys, "schema", "-o", "json")
    assert code == 0 and one_document(out)["$schema"].startswith("https://json-schema.org/")
    assert run_cli(capsys, "schema")[1] == out


def test_plan_and_verify_output_json_match_their_schemas(spec, capsys, moto, fast_queues):
    code, out, _err = run_cli(capsys, "plan", str(spec), "-o", "json", "--no-cost")
    assert code == 0
    check(one_document(out), "plan-output.schema.json")
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    code, out, _err = run_cli(capsys, "verify", str(spec), "-o", "json")
    assert code == 0
    check(one_document(out), "verify-output.schema.json")

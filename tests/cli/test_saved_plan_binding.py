"""A saved plan is bound to what was reviewed (issue 12, "a saved plan binds"): through the
real entry point, in process against moto (two ThreadedMotoServers where the endpoint is
what differs). Every refusal is one line, exit 1, and no write call reaches AWS."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from awsprov.engine import planfile
from tests.helpers import FAST_WAITS, CallLog, run_cli, write_spec

SPEC = """
stack: bound
QUEUE_REGION
queues:
  jobs:
    name: bound-jobs
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: OwnAccountOnly
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:root"}
          Action: sqs:SendMessage
          Resource: "*"
secrets:
  db_password:
    name: bound/db-password
    value: {from_env: BOUND_DB_PASSWORD}
    recovery_window_days: 0
  api_token:
    name: bound/api-token
    value: {from_file: token.txt}
    recovery_window_days: 0
"""
OPEN_TO_ANYONE = '{AWS: "*"}'


@pytest.fixture
def calls(monkeypatch) -> CallLog:
    """Every AWS operation the CLI makes, through every AwsContext it builds."""
    from awsprov.cli import context as cli_context

    log = CallLog()
    log.endpoints = []  # where each AwsContext the CLI built sends its calls
    real = cli_context.aws_context

    def logged(*args, **kwargs):
        aws = real(*args, **kwargs)
        aws.wait = FAST_WAITS
        aws.clients.on("before-call", log.record)
        log.endpoints.append(aws.clients.target.endpoint_url)
        return aws

    monkeypatch.setattr(cli_context, "aws_context", logged)
    return log


@pytest.fixture
def stack(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("BOUND_DB_PASSWORD", "planned-password")
    (tmp_path / "token.txt").write_text("planned-token")
    monkeypatch.chdir(tmp_path)  # the spec names are relative, as a user types them
    return write_spec(tmp_path, SPEC.replace("QUEUE_REGION", ""), "bound.yaml")


def _plan(capsys, spec: Path, *flags: str) -> Path:
    saved = spec.parent / "bound.plan"
    code, _out, err = run_cli(capsys, *flags, "plan", spec.name, "--out", saved.name,
                              "--no-cost")
    assert code == 0, err
    return saved


def _refused(capsys, calls: CallLog, *argv: str) -> str:
    """Apply refused: exit 1, one line, and not one write call."""
    calls.clear()
    code, out, err = run_cli(capsys, *argv)
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert calls.writes == []
    return lines[0]


def _queues(region: str = "us-east-1", endpoint: str | None = None) -> list[str]:
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    return sqs.list_queues().get("QueueUrls", [])


def _edit(saved: Path, change, *, reseal: tuple[str, ...] = ()) -> None:
    """Edit the plan file as a tamperer would; `reseal` recomputes those digests too."""
    document = json.loads(saved.read_text())
    change(document)
    binding = document["binding"]
    if "sources" in reseal:
        binding["sources"] = {name: planfile._sha256(text)
                              for name, text in document["sources"].items()}
    if "changes" in reseal:
        binding["changes"] = planfile.reviewed_digest(document["plan"], binding["inputs"])
    if "digest" in reseal:
        body = {k: v for k, v in document.items() if k not in ("digest", "signature")}
        document["digest"] = planfile._sha256(planfile._canonical(body))
    saved.write_text(json.dumps(document, indent=2, sort_keys=True))


def _open_the_planned_policy(document) -> None:
    [queue] = [c for c in document["plan"]["changes"] if c["address"] == "queues.jobs"]
    [policy] = [a for a in queue["attributes"] if a["path"] == "policy"]
    policy["after"]["Statement"][0]["Principal"] = {"AWS": "*"}


def _open_the_stored_policy(document) -> None:
    [name] = document["sources"]
    text = document["sources"][name]
    assert 'Principal: {AWS: "arn:aws:iam::${account_id}:root"}' in text
    document["sources"][name] = text.replace('{AWS: "arn:aws:iam::${account_id}:root"}',
                                             OPEN_TO_ANYONE)


# ---- what still applies -------------------------------------------------------------------

def test_an_unchanged_plan_applies_and_its_file_is_private(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    assert saved.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in stack.parent.iterdir()) == ["bound.plan", "bound.yaml",
                                                              "token.txt"]  # no temp left
    text = saved.read_text()
    assert "planned-password" not in text and "planned-token" not in text
    binding = json.loads(text)["binding"]
    assert (binding["account"], binding["partition"], binding["region"],
            binding["endpoint"], binding["stack"]) == ("123456789012", "aws", "us-east-1",
                                                       "aws", "bound")
    assert sorted(binding["inputs"]) == ["secrets.api_token.value",
                                         "secrets.db_password.value"]
    code, _out, err = run_cli(capsys, "apply", str(saved))
    assert code == 0, err
    assert len(_queues()) == 1
    assert run_cli(capsys, "verify", stack.name)[0] == 0


def test_a_plan_file_is_replaced_whole_and_stays_private(moto, capsys, stack):
    saved = stack.parent / "bound.plan"
    saved.write_text("old")
    saved.chmod(0o644)
    _plan(capsys, stack)
    assert saved.stat().st_mode & 0o777 == 0o600 and planfile.is_plan_file(saved)


def test_apply_goes_to_the_plans_region_whatever_the_environment_says(moto, calls, capsys,
                                                                      stack, monkeypatch):
    saved = _plan(capsys, stack)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    code, _out, err = run_cli(capsys, "apply", str(saved))
    assert code == 0, err
    assert len(_queues("us-east-1")) == 1 and _queues("eu-west-1") == []


# ---- a tampered plan file -----------------------------------------------------------------

def test_edited_changes_are_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, _open_the_planned_policy)
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == "error: the plan file was edited: its changes do not match its own digest"
    assert calls.operations == []  # known before any call
    assert run_cli(capsys, "show", str(saved))[0] == 1  # nor shown as if it were reviewed
    assert _queues() == []


def test_edited_changes_with_their_digests_redone_are_refused_by_the_re_plan(moto, calls,
                                                                            capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, _open_the_planned_policy, reseal=("changes", "digest"))
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == ("error: the changes to make differ from the reviewed plan at "
                    "queues.jobs; run plan again and review it")
    assert _queues() == []


def test_edited_changes_without_the_whole_file_digest_are_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, _open_the_planned_policy, reseal=("changes",))
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == ("error: the plan file was edited: its content does not match its own "
                    "digest")


def test_edited_sources_are_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, _open_the_stored_policy)
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == "error: sources differ: bound.yaml changed since the plan"
    assert _queues() == []


def test_edited_sources_with_their_hashes_redone_are_refused_by_the_re_plan(moto, calls,
                                                                           capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, _open_the_stored_policy, reseal=("sources", "digest"))
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == ("error: the changes to make differ from the reviewed plan at "
                    "queues.jobs; run plan again and review it")
    assert _queues() == []


def test_edited_sources_and_changes_are_refused(moto, calls, capsys, stack):
    def both(document) -> None:
        _open_the_stored_policy(document)
        _open_the_planned_policy(document)

    saved = _plan(capsys, stack)
    _edit(saved, both)
    assert _refused(capsys, calls, "apply", str(saved)) == \
        "error: the plan file was edited: its changes do not match its own digest"
    _edit(saved, lambda _doc: None, reseal=("sources",))
    assert _refused(capsys, calls, "apply", str(saved)) == \
        "error: the plan file was edited: its changes do not match its own digest"
    _edit(saved, lambda _doc: None, reseal=("sources", "changes"))
    assert _refused(capsys, calls, "apply", str(saved)) == \
        "error: the plan file was edited: its content does not match its own digest"
    assert _queues() == []


def test_edited_settings_are_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, lambda doc: doc["settings"].update(force_adopt=True))
    assert _refused(capsys, calls, "apply", str(saved)) == \
        "error: the plan file was edited: its content does not match its own digest"


def test_a_plan_file_of_an_older_awsprov_is_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, lambda doc: doc.update(version=1))
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == (f"error: {saved}: a plan file of an older awsprov, bound to nothing it "
                    f"was reviewed against; run plan again")


# ---- another account, region, profile, env ------------------------------------------------

def test_a_plan_from_another_account_is_refused(moto, calls, capsys, stack, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111111111111")
    saved = _plan(capsys, stack)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == ("error: the plan was made for account 111111111111 and this is "
                    "222222222222; run plan again with these credentials")
    assert calls.operations == ["GetCallerIdentity"]
    assert _queues() == []


def test_a_plan_for_another_region_is_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    line = _refused(capsys, calls, "--region", "eu-west-1", "apply", str(saved))
    assert line == "error: region eu-west-1 differs from the plan's us-east-1"
    assert calls.operations == []
    assert _queues("eu-west-1") == [] and _queues("us-east-1") == []


def test_the_plans_own_region_given_again_applies(moto, calls, capsys, stack):
    saved = _plan(capsys, stack, "--region", "eu-west-1")
    code, _out, err = run_cli(capsys, "apply", str(saved), "--region", "eu-west-1")
    assert code == 0, err
    assert len(_queues("eu-west-1")) == 1


def test_another_profile_env_target_or_scope_is_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    assert _refused(capsys, calls, "--profile", "other", "apply", str(saved)) == \
        "error: --profile other differs from the plan's (none: default credentials)"
    assert _refused(capsys, calls, "apply", str(saved), "--env", "prod") == \
        "error: --env prod differs from the plan's (no env)"
    assert _refused(capsys, calls, "apply", str(saved), "--target", "queues.jobs") == \
        "error: --target queues.jobs differs from the plan's (no target)"
    assert _refused(capsys, calls, "apply", str(saved), "--prune") == \
        "error: --prune: the plan was saved without it; plan again with --prune to review " \
        "what it changes"
    assert _refused(capsys, calls, "apply", str(saved), "--force-adopt") == \
        "error: --force-adopt: the plan was saved without it; plan again with " \
        "--force-adopt to review what it changes"
    assert calls.operations == []


# ---- a changed secret input ---------------------------------------------------------------

def test_a_changed_environment_variable_is_refused(moto, calls, capsys, stack, monkeypatch):
    saved = _plan(capsys, stack)
    monkeypatch.setenv("BOUND_DB_PASSWORD", "another-password")
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == ("error: secrets.db_password's value differs from the planned one; "
                    "run plan again to review a new value")
    assert "another-password" not in line and "planned-password" not in line
    assert calls.operations == ["GetCallerIdentity"]  # refused before the re-plan reads
    assert _queues() == []


def test_a_changed_value_file_is_refused(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    (stack.parent / "token.txt").write_text("another-token")
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == ("error: secrets.api_token's value differs from the planned one; "
                    "run plan again to review a new value")


def test_a_value_set_back_to_the_planned_one_applies(moto, calls, capsys, stack, monkeypatch):
    saved = _plan(capsys, stack)
    monkeypatch.setenv("BOUND_DB_PASSWORD", "another-password")
    _refused(capsys, calls, "apply", str(saved))
    monkeypatch.setenv("BOUND_DB_PASSWORD", "planned-password")
    code, _out, err = run_cli(capsys, "apply", str(saved))
    assert code == 0, err
    value = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId="bound/db-password")["SecretString"]
    assert value == "planned-password"


def test_the_input_hash_is_salted_per_plan(moto, capsys, stack):
    first = json.loads(_plan(capsys, stack).read_text())["binding"]
    second = json.loads(_plan(capsys, stack).read_text())["binding"]
    assert first["salt"] != second["salt"]
    key = "secrets.db_password.value"
    assert first["inputs"][key] != second["inputs"][key]
    assert first["inputs"][key].startswith("scrypt:")


# ---- another endpoint ---------------------------------------------------------------------

@pytest.fixture
def two_servers():
    from moto.server import ThreadedMotoServer

    servers = [ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
               for _ in range(2)]
    for server in servers:
        server.start()
    yield [f"http://127.0.0.1:{s._server.server_port}" for s in servers]
    for server in servers:
        server.stop()


def test_a_plan_for_another_endpoint_is_refused(two_servers, calls, capsys, stack):
    first, second = two_servers
    saved = _plan(capsys, stack, "--endpoint-url", first)
    line = _refused(capsys, calls, "--endpoint-url", second, "apply", str(saved))
    assert line == (f"error: endpoint differs: the plan was made against {first} and this "
                    f"apply goes to {second}")
    assert calls.operations == []  # not even the account is asked of the other endpoint
    assert _queues(endpoint=first) == []  # (both servers share moto's in-process state)
    calls.endpoints.clear()
    code, _out, err = run_cli(capsys, "apply", str(saved))  # no flag: the plan's endpoint
    assert code == 0, err
    assert set(calls.endpoints) == {first} and len(_queues(endpoint=first)) == 1


def test_a_plan_made_against_aws_is_refused_at_an_endpoint(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    line = _refused(capsys, calls, "--endpoint-url", "http://127.0.0.1:1", "apply", str(saved))
    assert line == ("error: endpoint differs: the plan was made against aws and this apply "
                    "goes to http://127.0.0.1:1")


def test_a_plan_file_missing_a_part_is_refused_in_one_line(moto, calls, capsys, stack):
    saved = _plan(capsys, stack)
    _edit(saved, lambda doc: doc["binding"].pop("salt"), reseal=("digest",))
    assert _refused(capsys, calls, "apply", str(saved)) == (
        f"error: {saved}: the plan file was edited: parts of it are missing or malformed")


# ---- a signed plan (AWSPROV_PLAN_KEY) -------------------------------------------------------

PLAN_KEY = "ci-signing-key-7c1e9d"


def _forge_open_policy(document) -> None:
    """A forgery a tamperer with the file can write: stored spec and reviewed changes
    both opened, every digest redone to agree (see `_edit`'s reseal)."""
    _open_the_stored_policy(document)
    _open_the_planned_policy(document)


def test_a_consistent_forgery_is_refused_by_the_signature(moto, calls, capsys, stack,
                                                         monkeypatch):
    monkeypatch.setenv("AWSPROV_PLAN_KEY", PLAN_KEY)
    saved = _plan(capsys, stack)
    text = saved.read_text()
    assert json.loads(text)["signature"].startswith("hmac-sha256:")
    assert PLAN_KEY not in text
    _edit(saved, _forge_open_policy, reseal=("sources", "changes", "digest"))
    line = _refused(capsys, calls, "apply", str(saved))
    assert line == (f"error: {saved}: the plan's signature does not match "
                    f"AWSPROV_PLAN_KEY: the file was changed after it was signed, or signed "
                    f"with another key")
    assert calls.operations == [] and _queues() == []


def test_a_signed_plan_applies_with_its_key_only(moto, calls, capsys, stack, monkeypatch):
    monkeypatch.setenv("AWSPROV_PLAN_KEY", PLAN_KEY)
    saved = _plan(capsys, stack)
    monkeypatch.setenv("AWSPROV_PLAN_KEY", "another-key")
    assert "signed with another key" in _refused(capsys, calls, "apply", str(saved))
    monkeypatch.delenv("AWSPROV_PLAN_KEY")
    assert _refused(capsys, calls, "apply", str(saved)) == (
        f"error: {saved}: the plan is signed: set AWSPROV_PLAN_KEY to the key it was "
        f"signed with to apply it")
    assert run_cli(capsys, "show", str(saved))[0] == 0  # shown without the key
    monkeypatch.setenv("AWSPROV_PLAN_KEY", PLAN_KEY)
    code, _out, err = run_cli(capsys, "apply", str(saved))
    assert code == 0, err
    assert len(_queues()) == 1


def test_with_the_key_set_an_unsigned_plan_is_refused(moto, calls, capsys, stack,
                                                      monkeypatch):
    saved = _plan(capsys, stack)
    assert "signature" not in json.loads(saved.read_text())
    monkeypatch.setenv("AWSPROV_PLAN_KEY", PLAN_KEY)
    assert _refused(capsys, calls, "apply", str(saved)) == (
        f"error: {saved}: the plan is not signed, and AWSPROV_PLAN_KEY is set: only a "
        f"plan saved with that key is applied")
    assert _queues() == []

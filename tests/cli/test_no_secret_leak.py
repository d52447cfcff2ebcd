"""No secret value ever appears in output, plan files or logs: every command and mode, with
known values, through the real entry point (in process, against in-process moto), with
the root logger at DEBUG so that botocore's own request logging would be caught."""

from __future__ import annotations

import logging

import boto3
import pytest

from awsprov.aws.session import QUIET_LOGGERS, ClientFactory
from tests.helpers import run_cli, write_spec

ENV_VALUE = "sekrit-ENV-7f3a9c"
FILE_VALUE = "sekrit-FILE-91bc2e"
TAMPERED = "sekrit-TAMPERED-55d1"
SPEC = """
stack: leak
region: us-east-1
keys:
  main:
    alias: alias/leak-main
secrets:
  api:
    name: leak/api
    kms_key: ${keys.main}
    value: {from_env: LEAK_API}
  cert:
    name: leak/cert
    value: {from_file: cert.txt}
  jwt:
    name: leak/jwt
    value: {generate: {length: 24}}
"""


@pytest.fixture
def loud_libraries():
    """botocore & co. back at NOTSET (inheriting DEBUG), as in a fresh process: earlier
    tests must not have quietened them for us."""
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name in saved:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def world(tmp_path, monkeypatch, caplog, moto, loud_libraries):
    monkeypatch.setenv("LEAK_API", ENV_VALUE)
    (tmp_path / "cert.txt").write_text(FILE_VALUE)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    return tmp_path


KNOWN = [ENV_VALUE, FILE_VALUE, TAMPERED]


class Transcript:
    """Everything the user or a log could see, to search for secret values."""

    def __init__(self, capsys, caplog, folder):
        self.capsys, self.caplog, self.folder = capsys, caplog, folder
        self.texts: list[str] = []
        self.values = list(KNOWN)

    def run(self, *argv: str) -> tuple[int, str, str]:
        code, out, err = run_cli(self.capsys, *argv)
        self.texts.extend([out, err])
        self._remember_generated()
        return code, out, err

    def _remember_generated(self) -> None:
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        try:
            value = sm.get_secret_value(SecretId="leak/jwt")["SecretString"]
        except (sm.exceptions.ResourceNotFoundException, sm.exceptions.InvalidRequestException):
            return
        if value not in self.values:
            self.values.append(value)

    def assert_clean(self, generated: bool = True) -> None:
        records = []
        for record in self.caplog.records:
            records.append(record.getMessage())
            records.append(repr(record.args))
            if record.exc_text:
                records.append(record.exc_text)
        files = [p.read_text(errors="replace") for p in self.folder.rglob("*")
                 if p.is_file() and p.name != "cert.txt"]
        everything = "\n".join([*self.texts, *records, *files])
        assert "leak/api" in everything  # the transcript is not empty
        if generated:  # the generated value was seen, so it is searched for too
            assert len(self.values) > len(KNOWN)
        for value in self.values:
            assert value not in everything


@pytest.fixture
def transcript(world, capsys, caplog):
    return Transcript(capsys, caplog, world)


def test_every_command_and_mode_keeps_values_secret(world, transcript):
    spec = str(write_spec(world, SPEC))
    t = transcript
    assert t.run("validate", spec)[0] == 0
    assert t.run("plan", spec)[0] == 0
    assert t.run("plan", spec, "--output", "json", "--verbose")[0] == 0
    code, _out, _err = t.run("plan", spec, "--out", "saved.plan")
    assert code == 0 and (world / "saved.plan").exists()
    code, out, _err = t.run("apply", "saved.plan", "--verbose")
    assert code == 0, out
    assert t.run("plan", spec, "--detailed-exitcode")[0] == 0
    assert t.run("verify", spec, "--baseline", "--output", "json")[0] in (0, 2)

    # Drift: the live values change behind awsprov's back.
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.put_secret_value(SecretId="leak/api", SecretString=TAMPERED)
    sm.put_secret_value(SecretId="leak/cert", SecretString=TAMPERED)
    code, out, _err = t.run("plan", spec, "--detailed-exitcode", "--verbose")
    assert code == 2 and "(sensitive, changed)" in out
    code, out, _err = t.run("plan", spec, "--output", "json")
    assert '"sensitive": true' in out
    for fmt in ("text", "json", "junit"):
        assert t.run("verify", spec, "--output", fmt, "--verbose")[0] == 2
    code, _out, _err = t.run("plan", spec, "--out", "drift.plan")
    assert t.run("apply", spec, "--yes", "--verbose")[0] == 0
    assert sm.get_secret_value(SecretId="leak/api")["SecretString"] == ENV_VALUE
    assert t.run("verify", spec)[0] == 0
    assert t.run("destroy", spec, "--yes", "--verbose")[0] == 0
    t.assert_clean()


def _failing_put(exception_factory):
    """Every client the CLI builds raises `exception_factory()` on PutSecretValue."""
    original = ClientFactory.client

    def client(self, service, region=None):
        made = original(self, service, region)
        if service == "secretsmanager" and not getattr(made, "_leak_hook", False):
            def fail(**_):
                raise exception_factory()

            made.meta.events.register("before-call.secretsmanager.PutSecretValue", fail)
            made._leak_hook = True
        return made

    return client


def _client_error():
    from botocore.exceptions import ClientError

    # What AWS's validation messages look like: the sent value echoed back.
    return ClientError({"Error": {"Code": "ValidationException", "Message": (
        f"1 validation error detected: Value '{ENV_VALUE}' at 'secretString' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern")}},
        "PutSecretValue")


def _param_error():
    from botocore.exceptions import ParamValidationError

    return ParamValidationError(report=f"Invalid type for parameter SecretString, value: "
                                       f"{ENV_VALUE}, type: <class 'str'>, valid types: x")


def _runtime_error():
    return RuntimeError(f"unexpected: Value '{ENV_VALUE}' at 'secretString' was rejected")


@pytest.mark.parametrize("make_error", [_client_error, _param_error, _runtime_error])
@pytest.mark.parametrize("verbose", [False, True])
def test_a_failing_put_secret_value_is_scrubbed(world, transcript, monkeypatch, make_error,
                                                verbose):
    spec = str(write_spec(world, SPEC))
    t = transcript
    flags = ("--verbose",) if verbose else ()
    assert t.run("apply", spec, "--yes", *flags)[0] == 0
    monkeypatch.setenv("LEAK_API", "sekrit-ENV-v2")
    monkeypatch.setattr(ClientFactory, "client", _failing_put(make_error))
    code, _out, err = t.run("apply", spec, "--yes", *flags)
    assert code == 1
    assert "PutSecretValue" in err or "SecretString" in err or "unexpected" in err
    t.assert_clean()
    assert "sekrit-ENV-v2" not in "\n".join(t.texts)


def test_an_invalid_spec_next_to_a_secret_shows_no_value(world, transcript):
    bad = SPEC + """tables:
  broken:
    name: leak-broken
    hash_key: id
    attributes: {id: S, unused: S}
"""
    spec = str(write_spec(world, bad))
    for command in (("validate", spec), ("plan", spec, "--verbose"),
                    ("apply", spec, "--yes"), ("destroy", spec, "--yes")):
        code, _out, err = transcript.run(*command)
        assert code == 1 and "unused" in err
    transcript.assert_clean(generated=False)


def test_the_plan_file_holds_no_value_even_when_values_change(world, transcript):
    spec = str(write_spec(world, SPEC))
    transcript.run("apply", spec, "--yes")
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId="leak/api", SecretString=TAMPERED)
    assert transcript.run("plan", spec, "--out", "p.plan")[0] == 0
    text = (world / "p.plan").read_text()
    assert '"sensitive": true' in text
    transcript.assert_clean()

"""The real `awsprov` entry point reading AWS configuration as the AWS CLI does: the retry
settings the user asked for (against a local server that always answers 500), and
service-specific endpoints (AWS_ENDPOINT_URL_<SERVICE>, a `[services]` section) against
moto's ThreadedMotoServer without --endpoint-url."""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from tests.cli.test_e2e import _awsprov, _clean_env, _free_port
from tests.helpers import stack_tables, write_spec

pytestmark = pytest.mark.e2e

SPEC = """
stack: cfg
tables:
  t:
    name: cfg-${region}
    hash_key: id
    attributes: {id: S}
"""
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class _Failing(BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self):
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def failing():
    handler = type("Handler", (_Failing,), {"requests": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _run(tmp_path: Path, *args: str, **env: str | None) -> subprocess.CompletedProcess:
    """awsprov ARGS with test credentials and AWS_REGION=us-east-1 unless `env` says
    otherwise (None: unset)."""
    settings = {**CREDENTIALS, "AWS_REGION": "us-east-1", **env}
    full_env = _clean_env(tmp_path, **{k: v for k, v in settings.items() if v is not None})
    done = subprocess.run([*_awsprov(), *args], capture_output=True, text=True, timeout=120,
                          env=full_env, cwd=tmp_path)
    assert "Traceback" not in done.stderr
    return done


def _table_names(endpoint: str, region: str) -> list[str]:
    ddb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint, **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    return stack_tables(ddb)


def test_one_attempt_when_the_user_asks_for_one(failing, tmp_path):
    url, handler = failing
    spec = write_spec(tmp_path, SPEC)
    done = _run(tmp_path, "--endpoint-url", url, "plan", str(spec), AWS_MAX_ATTEMPTS="1")
    assert done.returncode == 1, done.stderr
    assert handler.requests == 1
    assert done.stderr.startswith("error: checking AWS credentials:")


def test_max_attempts_from_the_config_file(failing, tmp_path):
    url, handler = failing
    config = tmp_path / "aws-config"
    config.write_text("[default]\nmax_attempts = 2\n", encoding="utf-8")
    spec = write_spec(tmp_path, SPEC)
    done = _run(tmp_path, "--endpoint-url", url, "plan", str(spec), AWS_CONFIG_FILE=str(config))
    assert done.returncode == 1, done.stderr
    assert handler.requests == 2


SERVICES = ("STS", "DYNAMODB", "RESOURCE_GROUPS_TAGGING_API")


def test_service_specific_endpoints_work_without_endpoint_url(moto_endpoint, tmp_path):
    spec = write_spec(tmp_path, SPEC)
    endpoints = {f"AWS_ENDPOINT_URL_{service}": moto_endpoint for service in SERVICES}
    applied = _run(tmp_path, "apply", str(spec), "--yes", **endpoints)
    assert applied.returncode == 0, applied.stderr
    assert _table_names(moto_endpoint, "us-east-1") == ["cfg-us-east-1"]
    again = _run(tmp_path, "plan", str(spec), "--detailed-exitcode", **endpoints)
    assert again.returncode == 0, again.stdout + again.stderr


def test_services_section_and_region_of_the_profile(moto_endpoint, tmp_path):
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile local]\nregion = eu-west-3\nservices = emulator\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[services emulator]\n" + "".join(
            f"{service.lower()} =\n  endpoint_url = {moto_endpoint}\n" for service in SERVICES),
        encoding="utf-8")
    spec = write_spec(tmp_path, SPEC)
    env = {"AWS_CONFIG_FILE": str(config), "AWS_REGION": None}
    applied = _run(tmp_path, "--profile", "local", "apply", str(spec), "--yes", **env)
    assert applied.returncode == 0, applied.stderr
    assert _table_names(moto_endpoint, "eu-west-3") == ["cfg-eu-west-3"]


def test_a_service_endpoint_wins_over_aws_endpoint_url(moto_endpoint, tmp_path):
    closed = f"http://127.0.0.1:{_free_port()}"
    spec = write_spec(tmp_path, SPEC)
    done = _run(tmp_path, "plan", str(spec), AWS_ENDPOINT_URL=moto_endpoint,
                AWS_ENDPOINT_URL_DYNAMODB=closed, AWS_MAX_ATTEMPTS="1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"cannot reach the AWS endpoint {closed}" in done.stderr

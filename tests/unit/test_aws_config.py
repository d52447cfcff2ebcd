"""AWS configuration read as the AWS CLI reads it: retries, the profile's region,
service-specific endpoints, partitions (in process; the CLI runs are in
tests/cli/test_aws_config_e2e.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from awsprov.aws import arns
from awsprov.aws.session import DEFAULT_MAX_ATTEMPTS, ClientFactory, Target
from awsprov.cli import context
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.iam import stack_policy
from awsprov.engine.planner import make_plan
from awsprov.errors import AwsprovError
from awsprov.resources import policy
from awsprov.spec.loader import load_stack
from tests.helpers import make_context, run_cli, write_spec


class AlwaysFailing(BaseHTTPRequestHandler):
    """Answers every request with HTTP 500 (a transient error botocore retries)."""

    requests = 0

    def do_POST(self):
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>'
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_endpoint(monkeypatch):
    """(endpoint URL, request counter) of a local server that always answers 500; retries
    do not back off, so six attempts take milliseconds."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    handler = type("Handler", (AlwaysFailing,), {"requests": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _attempts(endpoint: str, handler, profile: str | None = None) -> int:
    sts = ClientFactory(Target("us-east-1", profile, endpoint)).client("sts")
    with pytest.raises(Exception, match=r"500|InternalFailure"):
        sts.get_caller_identity()
    return handler.requests


def _config(tmp_path: Path, monkeypatch, text: str) -> None:
    path = tmp_path / "aws-config"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))


# ---- retries -----------------------------------------------------------------------------

def test_aws_max_attempts_1_makes_exactly_one_request(failing_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert _attempts(*failing_endpoint) == 1


def test_max_attempts_in_the_config_file_is_honoured(failing_endpoint, tmp_path, monkeypatch):
    _config(tmp_path, monkeypatch, "[default]\nmax_attempts = 2\n")
    assert _attempts(*failing_endpoint) == 2


def test_the_profile_s_own_max_attempts_is_honoured(failing_endpoint, tmp_path, monkeypatch):
    _config(tmp_path, monkeypatch,
            "[default]\nmax_attempts = 5\n[profile ci]\nmax_attempts = 3\n"
            "aws_access_key_id = testing\naws_secret_access_key = testing\n")
    assert _attempts(*failing_endpoint, profile="ci") == 3


def test_without_any_setting_awsprov_s_default_applies(failing_endpoint):
    assert _attempts(*failing_endpoint) == DEFAULT_MAX_ATTEMPTS


@pytest.mark.parametrize("where", ["env", "config"])
def test_the_user_s_retry_mode_is_kept(where, tmp_path, monkeypatch):
    if where == "env":
        monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    else:
        _config(tmp_path, monkeypatch, "[default]\nretry_mode = adaptive\n")
    retries = ClientFactory(Target("us-east-1")).client("sts").meta.config.retries
    assert retries["mode"] == "adaptive"
    assert retries["total_max_attempts"] == DEFAULT_MAX_ATTEMPTS  # max_attempts left unset


def test_a_missing_profile_is_one_clear_error(monkeypatch):
    with pytest.raises(AwsprovError, match="nope"):
        ClientFactory(Target("us-east-1", "nope"))


# ---- region ------------------------------------------------------------------------------

SPEC_WITH_REGION_INTERPOLATED = """
stack: regional
tables:
  t:
    name: t-${region}
    hash_key: id
    attributes: {id: S}
"""


@pytest.fixture
def profiles(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    _config(tmp_path, monkeypatch,
            "[default]\nregion = eu-west-1\n[profile paris]\nregion = eu-west-3\n"
            "[profile noregion]\noutput = json\n")


@pytest.mark.parametrize(("profile", "env_profile", "expected"), [
    (None, None, "eu-west-1"),          # [default]
    ("paris", None, "eu-west-3"),       # --profile: [profile paris]
    (None, "paris", "eu-west-3"),       # AWS_PROFILE
    ("noregion", None, None),           # a profile without region: none at all
])
def test_interpolated_region_is_the_profile_s(profiles, tmp_path, monkeypatch, profile,
                                              env_profile, expected):
    if env_profile:
        monkeypatch.setenv("AWS_PROFILE", env_profile)
    spec = write_spec(tmp_path, SPEC_WITH_REGION_INTERPOLATED)
    options = context.GlobalOptions(profile=profile)
    if expected is None:
        with pytest.raises(AwsprovError, match=r"\$\{region\}"):
            context.load(spec, None, options)
        return
    stack = context.load(spec, None, options)
    assert stack.region == expected
    assert stack.resources["tables.t"].props["name"] == f"t-{expected}"


def test_region_order_flag_spec_env_profile(profiles, tmp_path, monkeypatch):
    spec = write_spec(tmp_path, SPEC_WITH_REGION_INTERPOLATED)
    in_spec = write_spec(tmp_path, "region: ap-south-1\n" + SPEC_WITH_REGION_INTERPOLATED,
                         name="with-region.yaml")
    options = context.GlobalOptions()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-1")
    assert context.load(spec, None, options).region == "us-west-1"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert context.load(spec, None, options).region == "us-west-2"
    assert context.load(in_spec, None, options).region == "ap-south-1"
    options.region = "sa-east-1"
    assert context.load(in_spec, None, options).region == "sa-east-1"


def test_credentials_file_region_wins_as_in_botocore(profiles, tmp_path, monkeypatch):
    credentials = tmp_path / "aws-credentials"
    credentials.write_text("[paris]\nregion = eu-south-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert context.configured_region(context.GlobalOptions(profile="paris")) == "eu-south-1"


def test_the_clients_use_the_profile_s_region(profiles, moto):
    aws = context.aws_context(None, context.GlobalOptions(profile="paris"))
    assert aws.region == "eu-west-3"
    assert aws.client("sts").meta.region_name == "eu-west-3"


def test_validate_sees_the_profile_s_region(profiles, tmp_path, capsys):
    spec = write_spec(tmp_path, SPEC_WITH_REGION_INTERPOLATED)
    code, _out, err = run_cli(capsys, "--profile", "paris", "validate", str(spec))
    assert code == 0, err


# ---- endpoints ---------------------------------------------------------------------------

def test_service_specific_endpoint_is_botocore_s(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")
    aws = context.aws_context("us-east-1", context.GlobalOptions(
        endpoint_url="http://127.0.0.1:1"))  # what the CLI gets from AWS_ENDPOINT_URL
    assert aws.clients.endpoint_of("dynamodb") == "http://127.0.0.1:2"
    assert aws.clients.endpoint_of("sts") == "http://127.0.0.1:1"


def test_services_section_of_the_profile_is_honoured(tmp_path, monkeypatch):
    _config(tmp_path, monkeypatch,
            "[default]\nservices = local\n[services local]\n"
            "dynamodb =\n  endpoint_url = http://127.0.0.1:8000\n")
    factory = ClientFactory(Target("us-east-1"))
    assert factory.endpoint_of("dynamodb") == "http://127.0.0.1:8000"
    assert ".amazonaws.com" in factory.endpoint_of("sts")


def test_endpoint_url_flag_overrides_every_service_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")
    aws = context.aws_context("us-east-1", context.GlobalOptions(
        endpoint_url="http://127.0.0.1:3"))
    assert aws.clients.endpoint_of("dynamodb") == "http://127.0.0.1:3"


def test_only_one_service_pointed_elsewhere_explains_the_sts_failure(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")  # DynamoDB Local
    aws = context.aws_context("us-east-1", context.GlobalOptions())
    # STS then goes to AWS, as in the AWS CLI: fail that call here instead of reaching out.
    monkeypatch.setattr(aws.client("sts"), "get_caller_identity",
                        lambda: (_ for _ in ()).throw(_no_credentials()))
    with pytest.raises(AwsprovError) as caught:
        aws.check_access()
    text = str(caught.value)
    assert "STS goes to https://sts.us-east-1.amazonaws.com" in text
    assert "AWS_ENDPOINT_URL_STS" in text


def _no_credentials() -> Exception:
    from botocore.exceptions import NoCredentialsError

    return NoCredentialsError()


# ---- partitions --------------------------------------------------------------------------

@pytest.mark.parametrize(("region", "partition"), [
    ("us-east-1", "aws"), ("eu-west-3", "aws"), ("cn-north-1", "aws-cn"),
    ("cn-northwest-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
    ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"), ("*", "aws"), (None, "aws"),
])
def test_partition_of_region(region, partition):
    assert arns.partition_of(region) == partition


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1", "eu-west-1"])
def test_partition_agrees_with_botocore(region):
    import botocore.session

    assert arns.partition_of(region) == \
        botocore.session.get_session().get_partition_for_region(region)


PARTITION_SPEC = """
stack: partitions
tables:
  t: {name: pt-table, hash_key: id, attributes: {id: S}}
queues:
  q: {name: pt-queue}
topics:
  alerts: {name: pt-alerts}
log_groups:
  g: {name: /pt/group}
keys:
  k: {alias: alias/pt-key}
buckets:
  b: {name: "pt-bucket-${region}"}
dashboards:
  d:
    name: pt-dashboard
    body: {widgets: []}
alarms:
  a:
    name: pt-alarm
    namespace: AWS/SQS
    metric: ApproximateAgeOfOldestMessage
    dimensions: {QueueName: pt-queue}
    statistic: Maximum
    period: 300
    threshold: 600
    comparison: ">"
    actions: ["${topics.alerts}"]
"""


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"),
                                                   ("us-gov-west-1", "aws-us-gov")])
def test_iam_policy_names_the_region_s_partition(region, partition, tmp_path, capsys):
    spec = write_spec(tmp_path, PARTITION_SPEC)
    code, out, err = run_cli(capsys, "--region", region, "iam-policy", str(spec))
    assert code == 0, err
    resources = [r for s in json.loads(out)["Statement"]
                 for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
                 if r != "*"]
    assert resources and all(r.startswith(f"arn:{partition}:") for r in resources), resources


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"),
                                                   ("us-gov-west-1", "aws-us-gov")])
def test_apply_then_plan_is_clean_in_another_partition(region, partition, moto, tmp_path):
    aws, _ = make_context(region)
    stack = load_stack(write_spec(tmp_path, PARTITION_SPEC), region=region)
    assert stack_policy(stack, region)  # offline, no AWS call
    result = make_plan(stack, aws, RunOptions())
    report = apply_plan(stack, result, aws, RunOptions())
    assert not report.failures, report.failures
    again = make_plan(stack, aws, RunOptions())
    assert not again.plan.has_changes, [(c.address, c.action) for c in again.plan.changes]
    assert aws.arn("sns", "pt-alerts") == f"arn:{partition}:sns:{region}:123456789012:pt-alerts"


def test_account_root_principal_means_the_same_in_every_partition():
    def principal(value):
        return {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": value}, "Action": "kms:*",
             "Resource": "*"}]}

    for spelled in ("arn:aws-cn:iam::111122223333:root", "arn:aws-us-gov:iam::111122223333:root",
                    "arn:aws:iam::111122223333:root"):
        assert policy.same(principal("111122223333"), principal(spelled))
    assert not policy.same(principal("111122223333"), principal("arn:aws:iam::111122223333:role/x"))

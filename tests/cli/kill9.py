"""The harness of test_kill9*.py: `kill -9` an apply at chosen writes, run it again.

The real entry point (`python -m awsprov apply`) runs as a subprocess against moto's
`ThreadedMotoServer`. The server's WSGI app is wrapped by `KillSwitch`, which names every
request's operation and SIGKILLs the apply from the server thread exactly when a chosen
write arrives, at one of three moments:

- `before`: the request arrives and is never served (AWS never saw it);
- `unanswered`: it is served, then the client dies before the answer reaches it (AWS did
  the write, awsprov never learned its result: the case that makes duplicates);
- `answered`: it is served and answered; the client dies at its next request.

Kill points are named by operation (and occurrence), not by position, so they are the same
whatever order the parallel workers of a batch happen to run in. After each kill: apply
again (exit 0), verify (exit 0), plan --detailed-exitcode (exit 0), and the server holds
exactly one of everything the spec names, with nothing lost.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import boto3
import pytest

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import (
    LOCK_TABLE,
    honour_create_bucket_tags,
    is_write,
    keep_queue_policy_on_set_attributes,
    make_context,
    stack_tables,
    thread_safe_moto,
)
from tests.realism import wrap_server

SPEC = Path(__file__).parent / "specs" / "kill9.yaml"
SPEC_V2 = SPEC.parent / "kill9-v2.yaml"  # every type changed, and the stack's tags
HOST = "127.0.0.1"
REGION = "us-east-1"
ACCOUNT = "123456789012"
TOKEN = "kill9-token-value"
TOKEN_V2 = "kill9-token-value-v2"
RUN_TIMEOUT_S = 120
S3_WRITE_METHODS = {"PUT": "Put", "POST": "Post", "DELETE": "Delete"}

ALIAS = "alias/killtest-x"
TABLE = "killtest-orders"
BUCKET = f"killtest-data-{ACCOUNT}"
SECRET = "killtest/api-token"
TOPIC = "killtest-events"
QUEUES = {"killtest-work", "killtest-failed"}
LOG_GROUP = "/killtest/app"
ALARMS = {"killtest-failed-backlog", "killtest-orders-throttles"}
DASHBOARD = "killtest-ops"


@dataclass(frozen=True)
class KillPoint:
    operation: str
    moment: str  # before | unanswered | answered
    scenario: str = "create"  # create: from nothing; update: kill9.yaml -> kill9-v2.yaml
    occurrence: int = 1

    def __str__(self) -> str:
        nth = f"#{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.scenario}-{self.operation}{nth}-{self.moment}"


# A spread over the write sequence of a clean apply (first write to last), every type.
CREATE_POINTS = [
    KillPoint("CreateKey", "unanswered"),          # the first write: a key with no alias
    KillPoint("CreateQueue", "unanswered"),        # the dead-letter queue
    KillPoint("CreateTable", "unanswered"),        # table created, TTL and PITR not set
    KillPoint("CreateSecret", "unanswered"),       # secret with its value, under the key
    KillPoint("CreateBucket", "unanswered"),       # bucket with none of its configuration
    KillPoint("CreateLogGroup", "before"),         # other creates of its batch in flight
    KillPoint("Subscribe", "unanswered"),          # topic and subscription, attrs unread
    KillPoint("PutMetricAlarm", "answered"),       # one alarm of two
    KillPoint("PutDashboard", "unanswered"),       # the last write
]
# Updating every type (and every tag: the stack's Team tag changes):
UPDATE_POINTS = [
    KillPoint("SetQueueAttributes", "unanswered", "update"),
    KillPoint("PutSecretValue", "unanswered", "update"),   # the new value stored, unseen
    KillPoint("UpdateTable", "unanswered", "update"),      # index created, PITR still on
]


def _names_lock_table(environ: dict) -> bool:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # the app reads it again
    return f'"TableName": "{LOCK_TABLE}"'.encode() in body or \
        f'"TableName":"{LOCK_TABLE}"'.encode() in body


def operation_of(environ: dict) -> str:
    """The AWS operation a request asks for, from whichever protocol carries it."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols: KMS, DynamoDB, Secrets Manager, Logs, SQS, Tagging
        operation = target.rsplit(".", 1)[-1]
        if target.startswith("DynamoDB") and _names_lock_table(environ):
            return f"Lease.{operation}"  # the apply lease, never a kill point or a write
        return operation
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:  # smithy RPC v2 (CloudWatch)
        return path.rsplit("/", 1)[-1]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # the app reads it again
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode()).get("Action")
        if action:  # query protocol: SNS, STS
            return action[0]
    method = environ["REQUEST_METHOD"]
    query = environ.get("QUERY_STRING", "").split("=", 1)[0].split("&", 1)[0]
    if method in S3_WRITE_METHODS:  # REST (S3): PUT /bucket is CreateBucket
        verb = "Create" if method == "PUT" and not query else S3_WRITE_METHODS[method]
        return f"{verb}Bucket{query[:1].upper()}{query[1:]}"
    return f"S3{method.title()}{query}"


class KillSwitch:
    """WSGI middleware: records operations, SIGKILLs the client at the armed kill point."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.operations: list[str] = []
        self.point: KillPoint | None = None
        self.pid: int | None = None
        self.kill_at_next_request = False
        self.fired = threading.Event()
        self.reaped = threading.Event()

    def arm(self, point: KillPoint | None) -> None:
        with self.lock:
            self.operations.clear()
            self.point, self.pid, self.kill_at_next_request = point, None, False
            self.fired.clear()
            self.reaped.clear()

    def watch(self, pid: int) -> None:
        self.pid = pid

    def writes(self) -> list[str]:
        return [op for op in self.operations if is_write(op)]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        operation = operation_of(environ)
        with self.lock:
            self.operations.append(operation)
            moment = self._moment_for(operation)
        if moment in ("before", "next"):
            self._kill()
            start_response("500 Killed", [("Content-Length", "0")])
            return [b""]
        body = b"".join(self.app(environ, start_response))
        if moment == "unanswered":
            self._kill()
        elif moment == "answered":
            self.kill_at_next_request = True
        return [body]

    def _moment_for(self, operation: str) -> str | None:
        if self.fired.is_set() or self.point is None:
            return None
        if self.kill_at_next_request:
            return "next"
        if operation != self.point.operation:
            return None
        if self.operations.count(operation) != self.point.occurrence:
            return None
        return self.point.moment

    def _kill(self) -> None:
        if self.fired.is_set():
            return
        self.fired.set()
        assert self.pid is not None, "a request came before the apply's pid was known"
        os.kill(self.pid, signal.SIGKILL)
        # Hold the answer until the process is gone, so it can never read it.
        self.reaped.wait(RUN_TIMEOUT_S)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    from moto.server import ThreadedMotoServer

    thread_safe_moto()  # parallel PutMetricAlarm (KNOWN_EMULATOR_GAPS)
    # AWS tags a bucket in CreateBucket itself, so a bucket whose apply died right after
    # it is known as ours; moto drops those tags (KNOWN_EMULATOR_GAPS).
    patcher = pytest.MonkeyPatch()
    honour_create_bucket_tags(patcher)
    keep_queue_policy_on_set_attributes(patcher)  # moto drops it on updates
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    moto_server = ThreadedMotoServer(HOST, port, verbose=False)
    moto_server.start()
    switch = KillSwitch(moto_server._server.app)
    moto_server._server.app = switch
    wrap_server(moto_server)  # the realism layer, outside: what it answers never reaches moto
    yield f"http://{HOST}:{port}", switch
    moto_server.stop()
    patcher.undo()


@pytest.fixture
def endpoint(server, tmp_path, monkeypatch):
    url, switch = server
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    switch.arm(None)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)  # the assertion clients below
    return url, switch


def _env(tmp_path: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(tmp_path / "no-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
               AWSPROV_HOME=str(tmp_path / "home"), KILLTEST_API_TOKEN=token, NO_COLOR="1")
    return env


def awsprov(url: str, switch: KillSwitch, tmp_path: Path, *args: str, token: str = TOKEN,
            point: KillPoint | None = None) -> subprocess.CompletedProcess:
    switch.arm(point)
    command = [sys.executable, "-m", "awsprov", "--endpoint-url", url, *args]
    with subprocess.Popen(command, env=_env(tmp_path, token), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        switch.watch(proc.pid)
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            switch.reaped.set()
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


@dataclass(frozen=True)
class Version:
    spec: Path
    token: str
    apply_flags: tuple[str, ...] = ()


# V2 turns the table's point-in-time recovery off: its backups are lost, by choice.
V1, V2 = Version(SPEC, TOKEN), Version(SPEC_V2, TOKEN_V2, ("--allow-data-loss",))


def run(url, switch, tmp_path, command: str, version: Version, *args, point=None):
    return awsprov(url, switch, tmp_path, command, str(version.spec), *args,
                   token=version.token, point=point)


def apply(url, switch, tmp_path, version: Version = V1, point=None):
    return run(url, switch, tmp_path, "apply", version, "--yes", *version.apply_flags,
               point=point)


def _client(service: str):
    return boto3.client(service, region_name=REGION)


def assert_exactly_one_of_everything(token: str) -> None:
    kms = _client("kms")
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    tagged = [k for k in keys
              if {"TagKey": "awsprov:address", "TagValue": "keys.x"}
              in kms.list_resource_tags(KeyId=k)["Tags"]]
    assert len(keys) == 1 and tagged == keys, f"keys: {len(keys)}, tagged keys.x: {tagged}"
    assert kms.describe_key(KeyId=keys[0])["KeyMetadata"]["KeyState"] == "Enabled"
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS]
    assert [a["TargetKeyId"] for a in aliases] == keys

    secrets = _client("secretsmanager")
    listed = secrets.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in listed] == [SECRET]
    assert secrets.get_secret_value(SecretId=SECRET)["SecretString"] == token

    assert stack_tables(_client("dynamodb")) == [TABLE]
    assert [b["Name"] for b in _client("s3").list_buckets()["Buckets"]] == [BUCKET]
    urls = _client("sqs").list_queues().get("QueueUrls", [])
    assert sorted(u.rsplit("/", 1)[-1] for u in urls) == sorted(QUEUES)

    sns = _client("sns")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert [t.rsplit(":", 1)[-1] for t in topics] == [TOPIC]
    subscriptions = sns.list_subscriptions()["Subscriptions"]
    assert Counter((s["TopicArn"], s["Endpoint"]) for s in subscriptions) == {
        (topics[0], f"arn:aws:sqs:{REGION}:{ACCOUNT}:killtest-work"): 1}

    groups = _client("logs").describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == [LOG_GROUP]
    cloudwatch = _client("cloudwatch")
    alarms = [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]]
    assert sorted(alarms) == sorted(ALARMS)
    dashboards = cloudwatch.list_dashboards()["DashboardEntries"]
    assert [d["DashboardName"] for d in dashboards] == [DASHBOARD]


def assert_converges(url, switch, tmp_path, version: Version) -> None:
    rerun = apply(url, switch, tmp_path, version)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    verify = run(url, switch, tmp_path, "verify", version)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    plan = run(url, switch, tmp_path, "plan", version, "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert switch.writes() == []
    assert_exactly_one_of_everything(version.token)


def assert_reaches(points: list[KillPoint], writes: list[str]) -> None:
    count = Counter(writes)
    missing = [str(p) for p in points if count[p.operation] < p.occurrence]
    assert missing == [], f"kill points the apply never reaches: {missing}; writes: {writes}"


def apply_in_process(url: str, switch: KillSwitch, version: Version, monkeypatch) -> None:
    """A setup apply, with test-speed waits (the queue's 2 s confirming reads are not
    under test here): the same writes as the entry point makes."""
    switch.arm(None)
    monkeypatch.setenv("KILLTEST_API_TOKEN", version.token)
    stack = load_stack(version.spec)
    aws, _log = make_context(REGION, endpoint=url)
    options = RunOptions(allow_data_loss="--allow-data-loss" in version.apply_flags)
    report = apply_plan(stack, make_plan(stack, aws, RunOptions()), aws, options)
    assert report.failures == []


def assert_killed_then_converges(url, switch, tmp_path, point: KillPoint,
                                 target: Version) -> None:
    killed = apply(url, switch, tmp_path, target, point=point)
    assert switch.fired.is_set(), f"{point} never came: {switch.writes()}"
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_converges(url, switch, tmp_path, target)

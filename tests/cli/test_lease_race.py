"""Two applies of one stack started together, ten rounds, as two `awsprov` processes against
one ThreadedMotoServer whose every answer comes 30 ms late (issue 12: without a lease this
made a duplicate KMS key in 10 of 10 rounds). A watcher lists the keys and aliases all
along: never two keys for the stack's address, never two aliases. In each round one apply
waits (even rounds, --lock-timeout 60s) or is refused naming the other (odd rounds, 0s), and
afterwards the stack has converged (an empty plan) with exactly one key."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest

from tests.cli.test_e2e import _awsprov, _clean_env, _free_port
from tests.helpers import make_context, write_spec

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
LATENCY_S = 0.030
ROUNDS = 10
SPEC = """
    stack: race{n}
    region: us-east-1
    keys:
      x:
        alias: alias/race{n}-x
        description: race {n}
        policy:
          Version: "2012-10-17"
          Statement:
            - Sid: AccountRoot
              Effect: Allow
              Principal: {{AWS: "arn:aws:iam::${{account_id}}:root"}}
              Action: "kms:*"
              Resource: "*"
            - Sid: Logs
              Effect: Allow
              Principal: {{Service: "logs.${{region}}.amazonaws.com"}}
              Action: [kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*,
                       kms:Describe*]
              Resource: "*"
    log_groups:
      app: {{name: /race{n}/app, retention_days: 7, kms_key: "${{keys.x}}"}}
    tables:
      orders:
        name: race{n}-orders
        hash_key: id
        attributes: {{id: S}}
        encryption: ${{keys.x}}
    """


class Latency:
    """WSGI middleware: each AWS answer 30 ms late, as a nearby region answers."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            time.sleep(LATENCY_S)
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def endpoint():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(HOST, port, verbose=False)
    server.start()
    server._server.app = Latency(server._server.app)
    yield f"http://{HOST}:{port}"
    server.stop()


class Watcher(threading.Thread):
    """Counts, over and over while the applies run, the keys tagged with the round's
    address and the aliases of its name; keeps the highest counts seen."""

    def __init__(self, kms, stack: str, alias: str) -> None:
        super().__init__(daemon=True)
        self.kms, self.stack, self.alias = kms, stack, alias
        self.most_keys = self.most_aliases = 0
        self.stop = threading.Event()
        self.others: set[str] = set()  # keys of earlier rounds: their tags never change

    def run(self) -> None:
        while not self.stop.is_set():
            keys = self._keys_of_stack()
            aliases = [a for a in self.kms.list_aliases()["Aliases"]
                       if a["AliasName"] == self.alias]
            self.most_keys = max(self.most_keys, len(keys))
            self.most_aliases = max(self.most_aliases, len(aliases))
            time.sleep(LATENCY_S)

    def _keys_of_stack(self) -> list[str]:
        tagged = []
        for key in self.kms.list_keys()["Keys"]:
            if key["KeyId"] in self.others:
                continue
            tags = {t["TagKey"]: t["TagValue"]
                    for t in self.kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
            stack = tags.get("awsprov:stack")
            if stack == self.stack:
                tagged.append(key["KeyId"])
            elif stack is not None:
                self.others.add(key["KeyId"])
        return tagged


def _start(endpoint: str, env: dict, spec: Path, timeout: str) -> subprocess.Popen:
    return subprocess.Popen([*_awsprov(), "--endpoint-url", endpoint, "apply", str(spec),
                             "--yes", "--lock-timeout", timeout],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _converged(endpoint: str, spec: Path) -> bool:
    from awsprov.core.run import RunOptions
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack

    aws, _log = make_context("us-east-1", endpoint)
    return not make_plan(load_stack(spec), aws, RunOptions()).plan.has_changes


def test_ten_rounds_of_two_applies_at_once_make_no_duplicate(endpoint, tmp_path,
                                                              monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    env = _clean_env(tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=endpoint)
    outcomes = []
    for n in range(ROUNDS):
        spec = write_spec(tmp_path, SPEC.format(n=n), f"race{n}.yaml")
        waits = n % 2 == 0
        watcher = Watcher(kms, f"race{n}", f"alias/race{n}-x")
        watcher.start()
        runs = [_start(endpoint, env, spec, "60s" if waits else "0s") for _ in range(2)]
        results = [(run.pid, *run.communicate(timeout=120), run.returncode) for run in runs]
        watcher.stop.set()
        watcher.join()

        assert watcher.most_keys <= 1, f"round {n}: {watcher.most_keys} keys at once"
        assert watcher.most_aliases <= 1, f"round {n}: {watcher.most_aliases} aliases at once"
        assert all("Traceback" not in err for _pid, _out, err, _code in results)
        created = [r for r in results if "Apply complete" in r[2]]
        assert len(created) == 1, (n, results)
        winner_pid = created[0][0]
        loser = next(r for r in results if r[0] != winner_pid)
        _pid, _out, loser_err, loser_code = loser
        loser_err = " ".join(loser_err.split())  # the refusal is one line, however wrapped
        if waits:
            assert loser_code == 0 and "lease: waiting up to 60s" in loser_err, loser
        else:
            assert loser_code == 1 and "locked by another apply" in loser_err, loser
            assert f"pid {winner_pid}," in loser_err  # it names the one that holds it
        assert created[0][3] == 0
        assert len(watcher._keys_of_stack()) == 1
        assert _converged(endpoint, spec), n
        outcomes.append("waited" if waits else "refused")
    assert outcomes.count("waited") == outcomes.count("refused") == ROUNDS // 2

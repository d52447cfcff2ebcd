"""The real CLI against ThreadedMotoServer with one create's answer dropped by the server
after moto acted (tests/lost_answers.py LosingServer: the connection is cut, no answer):
that same apply exits 0, a fresh plan is empty and the server holds exactly one of
everything the spec names (tests/cli/kill9.py's stack, every type)."""

from __future__ import annotations

import logging
import urllib.request

import pytest

from tests.cli.kill9 import (
    HOST,
    V1,
    KillSwitch,
    _free_port,
    apply,
    assert_exactly_one_of_everything,
    run,
)
from tests.helpers import (
    honour_create_bucket_tags,
    keep_queue_policy_on_set_attributes,
    thread_safe_moto,
)
from tests.lost_answers import LosingServer

pytestmark = pytest.mark.e2e

# The creates whose resend AWS does not answer as the first attempt's success; the others
# (topics, queues, alarms, dashboards) are idempotent: the in-process sweep shows them all.
CREATES = ["CreateKey", "CreateTable", "CreateLogGroup", "CreateSecret", "CreateBucket"]


@pytest.fixture(scope="module")
def losing_server():
    from moto.server import ThreadedMotoServer

    thread_safe_moto()
    patcher = pytest.MonkeyPatch()
    honour_create_bucket_tags(patcher)
    keep_queue_policy_on_set_attributes(patcher)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    port = _free_port()
    moto_server = ThreadedMotoServer(HOST, port, verbose=False)
    moto_server.start()
    losing = LosingServer(moto_server._server.app)
    switch = KillSwitch(losing)  # never armed: runs the CLI and records its writes
    moto_server._server.app = switch
    yield f"http://{HOST}:{port}", switch, losing
    moto_server.stop()
    patcher.undo()


@pytest.mark.parametrize("operation", CREATES)
def test_a_create_whose_answer_the_network_lost_converges_in_the_same_apply(
        losing_server, tmp_path, monkeypatch, operation):
    url, switch, losing = losing_server
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"),
                           timeout=10).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)  # the assertion clients
    losing.arm(operation)
    applied = apply(url, switch, tmp_path, V1)
    lost = list(losing.lost)
    losing.arm(None)
    assert lost == [operation], f"{operation} was never sent"
    assert applied.returncode == 0, applied.stdout + applied.stderr
    plan = run(url, switch, tmp_path, "plan", V1, "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert_exactly_one_of_everything(V1.token)

"""A throttling burst across awsprov's worker threads, all sharing one client: every
call must still succeed on retry. botocore's standard mode has one retry quota per
client and, once it is spent, retries nothing; awsprov sizes it for the threads that
share the client (aws/session.py)."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.awsrequest import AWSResponse

from awsprov.aws.session import ClientFactory, Target

THREADS = 32
THROTTLES_PER_CALL = 5  # every call is throttled this often, then answered (6 attempts)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


def _answer(status: int, body: str) -> AWSResponse:
    return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", status,
                       {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body.encode()))


THROTTLED = '{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",' \
            '"message":"Rate of requests exceeds the allowed throughput."}'


class Burst:
    """Answers DynamoDB ListTables: each thread's first THROTTLES_PER_CALL sends are
    throttled, in lockstep with the other threads (a real burst hits them together)."""

    def __init__(self) -> None:
        self.sent: dict[int, int] = {}
        self.rounds = [threading.Barrier(THREADS) for _ in range(THROTTLES_PER_CALL)]

    def __call__(self, request, **_):
        me = threading.get_ident()
        count = self.sent.get(me, 0)
        self.sent[me] = count + 1
        if count < THROTTLES_PER_CALL:
            with contextlib.suppress(threading.BrokenBarrierError):  # one gave up: go on
                self.rounds[count].wait(timeout=5)
            return _answer(400, THROTTLED)
        return _answer(200, '{"TableNames": []}')


@pytest.fixture
def no_backoff(monkeypatch):
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_a_throttling_burst_across_all_threads_is_retried_to_success(no_backoff):
    factory = ClientFactory(Target("us-east-1"), max_pool_connections=THREADS)
    ddb = factory.client("dynamodb")
    burst = Burst()
    ddb.meta.events.register_first("before-send.dynamodb.ListTables", burst)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(lambda _i: _call(ddb), range(THREADS)))
    failed = [a for a in answers if a != "ok"]
    assert failed == [], f"{len(failed)} of {THREADS} calls failed: {failed[0]}"
    assert all(n == THROTTLES_PER_CALL + 1 for n in burst.sent.values())


def _call(client) -> str:
    try:
        client.list_tables()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"

"""Fixtures: in-process moto for lifecycle tests, with real AWS unreachable by construction."""

from __future__ import annotations

import os

import pytest

from tests.helpers import make_context, thread_safe_moto

AWS_ENV = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
           "AWS_SECURITY_TOKEN")


@pytest.fixture(autouse=True)
def isolated_aws_env(monkeypatch, tmp_path):
    """No test can reach real AWS or read the developer's config."""
    for key in list(os.environ):
        if key in AWS_ENV or key.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWSPROV_HOME", str(tmp_path / "awsprov-home"))


@pytest.fixture(autouse=True)
def realism_from_env():
    """AWSPROV_REALISM=1: every test runs under the realism layer (tests/realism), fresh
    state per test, REALISM_PENDING's behaviours off."""
    from tests.realism import activate, from_env, report_fired

    layer = from_env()
    previous = activate(layer)
    yield
    activate(previous)
    report_fired(layer)


@pytest.fixture
def realism():
    """Every realism behaviour on, for this test (whatever AWSPROV_REALISM says)."""
    from tests.realism import Realism, activate, scale_from_env

    layer = Realism(scale=scale_from_env())
    previous = activate(layer)
    yield layer
    activate(previous)


@pytest.fixture
def moto():
    from moto import mock_aws

    thread_safe_moto()
    with mock_aws():
        yield


@pytest.fixture
def aws(moto):
    """(AwsContext, CallLog) in us-east-1 against in-process moto, waits shrunk."""
    return make_context("us-east-1")


@pytest.fixture
def aws_london(moto):
    return make_context("eu-west-2")

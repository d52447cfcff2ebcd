"""Fixtures for resource tests that drive the real CLI entry point in process."""

from __future__ import annotations

import pytest

from awsprov.cli import context as cli_context
from tests.helpers import FAST_WAITS, CallLog, honour_create_bucket_tags


@pytest.fixture
def fast_cli(monkeypatch) -> CallLog:
    """The CLI's AWS context with test-speed waits; returns the log of every call it makes."""
    real = cli_context.aws_context
    log = CallLog()

    def quick(*args, **kwargs):
        ctx = real(*args, **kwargs)
        ctx.wait = FAST_WAITS
        ctx.clients.on("before-call", log.record)
        return ctx

    monkeypatch.setattr(cli_context, "aws_context", quick)
    return log


@pytest.fixture
def create_bucket_tags(monkeypatch):
    """The emulator honouring CreateBucketConfiguration.Tags as AWS does (moto drops them:
    KNOWN_EMULATOR_GAPS "buckets.tags (in CreateBucket)")."""
    honour_create_bucket_tags(monkeypatch)

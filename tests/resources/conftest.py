"""Fixtures for resource tests that drive the real CLI entry point in process."""

from __future__ import annotations

import pytest

from awsprov.cli import context as cli_context
from tests.helpers import FAST_WAITS, CallLog


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
    import xmltodict
    from moto.s3.responses import S3Response

    real = S3Response._bucket_response_put

    def put(self, request, bucket_name, querystring):
        result = real(self, request, bucket_name, querystring)
        if not querystring and self.body:
            config = xmltodict.parse(self.body, force_list={"Tag": True}).get(
                "CreateBucketConfiguration") or {}
            tags = (config.get("Tags") or {}).get("Tag") or []
            if tags:
                self.backend.put_bucket_tagging(
                    bucket_name, {t["Key"]: t.get("Value") or "" for t in tags})
        return result

    monkeypatch.setattr(S3Response, "_bucket_response_put", put)

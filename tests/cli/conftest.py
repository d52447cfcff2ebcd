"""Fixtures of the CLI tests: one moto server process-wide per module, reset per test."""

from __future__ import annotations

import urllib.request

import pytest


@pytest.fixture(scope="module")
def moto_server():
    """moto's ThreadedMotoServer on 127.0.0.1 (a free port), for the real entry point."""
    from moto.server import ThreadedMotoServer

    from tests.realism import wrap_server

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    wrap_server(server)  # the realism layer: inert until a test switches it on
    yield f"http://127.0.0.1:{server._server.server_port}"
    server.stop()


@pytest.fixture
def moto_endpoint(moto_server):
    """The module's server, emptied: each test starts with no resources."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=5).close()
    return moto_server

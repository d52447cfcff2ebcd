"""The realism layer: AWS's documented consistency, state and refusal behaviours, over moto.

moto is instantly consistent, ACTIVE at once and refuses nothing AWS refuses for timing or
policy reasons. This layer adds those behaviours back, each from a cited AWS page
(tests/realism/behaviours.py; the table is in docs/testing.md), in two ways:

- in process: `install(factory, realism)` hooks the clients of a ClientFactory
  (tests.helpers.make_context does it when a Realism is active);
- on the wire: `wrap_server(moto_server)` puts `RealismMiddleware` in front of a
  ThreadedMotoServer in this process; the awsprov subprocesses it serves see AWS's
  behaviours too.

Which Realism is active is per test: `activate(Realism(...))` (the `realism` fixture in
tests/conftest.py does it; with AWSPROV_REALISM=1 every test gets one, with the behaviours
of REALISM_PENDING in tests/helpers.py switched off and windows scaled by
AWSPROV_REALISM_SCALE).

Usage in a test:

    def test_x(realism):                      # the fixture: every behaviour on
        aws, log = make_context()             # clients built now go through it
        ...
        assert realism["dynamodb.describe-after-create"].fired

    Realism(scale=2, off=frozenset({"throttling.bursts"}))   # a custom one, activated
"""

from __future__ import annotations

import os

from tests.realism.behaviours import (
    BlockPublicPolicy,
    Realism,
    Source,
    behaviours,
    is_public_policy,
    throttling_storm,
)
from tests.realism.calls import Answer, Call
from tests.realism.inprocess import install
from tests.realism.wsgi import RealismMiddleware

__all__ = ["Answer", "BlockPublicPolicy", "Call", "Realism", "RealismMiddleware", "Source",
           "activate", "behaviours", "current", "from_env", "install", "install_current",
           "is_public_policy", "report_fired", "throttling_storm", "wrap_server"]

ENV_SWITCH = "AWSPROV_REALISM"  # "1": every test runs under the layer
ENV_SCALE = "AWSPROV_REALISM_SCALE"  # multiplies every window (default 1)
ENV_REPORT = "AWSPROV_REALISM_REPORT"  # a file: each test's injections appended, as JSON

_current: Realism | None = None


def current() -> Realism | None:
    return _current


def activate(realism: Realism | None) -> Realism | None:
    """Make `realism` the one in force (None: none); returns the previous one."""
    global _current
    previous, _current = _current, realism
    return previous


def enabled_by_env() -> bool:
    return os.environ.get(ENV_SWITCH, "") not in ("", "0")


def scale_from_env() -> float:
    return float(os.environ.get(ENV_SCALE) or 1.0)


def from_env() -> Realism | None:
    """The CI pass's Realism (AWSPROV_REALISM=1), or None."""
    if not enabled_by_env():
        return None
    from tests.helpers import REALISM_PENDING

    return Realism(scale=scale_from_env(), off=frozenset(name for name, *_ in REALISM_PENDING))


def report_fired(realism: Realism | None) -> None:
    """With AWSPROV_REALISM_REPORT=FILE, append what the layer did in this test (proof
    that a pass under it was not vacuous)."""
    target = os.environ.get(ENV_REPORT)
    if realism is None or not target:
        return
    import json

    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]) + " " +
                  json.dumps(realism.fired()) + "\n")


def install_current(factory) -> None:
    """Hook `factory`'s clients to the active Realism, if any (tests.helpers.make_context)."""
    if _current is not None:
        install(factory, _current)


def wrap_server(moto_server) -> RealismMiddleware:
    """Put the layer in front of a started ThreadedMotoServer's app (idempotent)."""
    app = moto_server._server.app
    if not isinstance(app, RealismMiddleware):
        app = moto_server._server.app = RealismMiddleware(app, current)
    return app

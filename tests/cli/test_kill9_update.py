"""`kill -9` an apply updating every type (kill9.yaml applied, then kill9-v2.yaml) at
chosen writes (tests/cli/kill9.py tells how); run again, it converges on v2."""

from __future__ import annotations

import pytest

from tests.cli.kill9 import (
    UPDATE_POINTS,
    V1,
    V2,
    apply_in_process,
    assert_killed_then_converges,
    assert_reaches,
    endpoint,  # noqa: F401 (fixture)
    server,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.e2e


def test_a_clean_update_reaches_every_kill_point(endpoint, monkeypatch):  # noqa: F811
    url, switch = endpoint
    apply_in_process(url, switch, V1, monkeypatch)
    apply_in_process(url, switch, V2, monkeypatch)
    assert_reaches(UPDATE_POINTS, switch.writes())


@pytest.mark.parametrize("point", UPDATE_POINTS, ids=str)
def test_update_killed_then_run_again_converges(endpoint, tmp_path, monkeypatch,  # noqa: F811
                                                point):
    url, switch = endpoint
    apply_in_process(url, switch, V1, monkeypatch)
    assert_killed_then_converges(url, switch, tmp_path, point, V2)

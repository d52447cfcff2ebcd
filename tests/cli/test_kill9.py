"""`kill -9` an apply creating every type at chosen writes (tests/cli/kill9.py tells how);
run again, it converges with no duplicate and nothing lost."""

from __future__ import annotations

import pytest

from tests.cli.kill9 import (
    CREATE_POINTS,
    V1,
    apply_in_process,
    assert_killed_then_converges,
    assert_reaches,
    endpoint,  # noqa: F401 (fixture)
    server,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.e2e


def test_a_clean_create_reaches_every_kill_point(endpoint, monkeypatch):  # noqa: F811
    url, switch = endpoint
    apply_in_process(url, switch, V1, monkeypatch)
    assert_reaches(CREATE_POINTS, switch.writes())


@pytest.mark.parametrize("point", CREATE_POINTS, ids=str)
def test_create_killed_then_run_again_converges(endpoint, tmp_path, point):  # noqa: F811
    url, switch = endpoint
    assert_killed_then_converges(url, switch, tmp_path, point, V1)

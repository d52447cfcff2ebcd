"""`awsprov plan` ends with the monthly cost before → after; JSON carries cost_delta."""

from __future__ import annotations

import json

import pytest

from tests.cost.test_cost_cli import PROVISIONED
from tests.helpers import run_cli, write_spec


def test_plan_shows_cost_before_and_after(moto, capsys, tmp_path):
    """Nothing live: $0.00 → 7.3328 (orders: capacity 6.8328 + 2 GB 0.50; events unknown).
    After apply, raising orders' read capacity 10 → 20 adds 10 x 730 x 0.00013 = 0.949:
    before 7.3328 (priced from what DescribeTable returns), after 8.2818."""
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, _err = run_cli(capsys, "--no-color", "plan", str(spec))
    assert code == 0
    assert ("Monthly cost: $0.00 → $7.33 (+$7.33), prices as of 2026-10-06; usage unknown "
            "for some components") in out
    code, _out, err = run_cli(capsys, "apply", str(spec), "--yes")
    assert code == 0, err
    spec.write_text(PROVISIONED.replace("capacity: {read: 10, write: 5}",
                                        "capacity: {read: 20, write: 5}"))
    code, out, _err = run_cli(capsys, "plan", str(spec), "-o", "json")
    assert code == 0
    delta = json.loads(out)["cost_delta"]
    assert delta["before"] == {"monthly": pytest.approx(7.3328), "complete": False}
    assert delta["after"] == {"monthly": pytest.approx(8.2818), "complete": False}
    assert delta["delta"] == pytest.approx(0.949)
    assert delta["prices_as_of"] == "2026-10-06"


def test_no_cost_skips_it(moto, capsys, tmp_path):
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, _err = run_cli(capsys, "plan", str(spec), "-o", "json", "--no-cost")
    assert code == 0
    assert json.loads(out)["cost_delta"] is None
    code, out, _err = run_cli(capsys, "plan", str(spec), "--no-cost")
    assert "Monthly cost" not in out


def test_a_region_without_prices_plans_anyway(moto, capsys, tmp_path):
    spec = write_spec(tmp_path, PROVISIONED.replace("region: us-east-1", "region: eu-north-1"))
    code, out, err = run_cli(capsys, "plan", str(spec), "-o", "json")
    assert code == 0
    assert json.loads(out)["cost_delta"] is None
    assert "no cost shown: no prices for region eu-north-1" in err

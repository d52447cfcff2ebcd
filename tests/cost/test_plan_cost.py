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
    assert delta["resources"] == [{"address": "tables.orders", "before": pytest.approx(6.8328
                                   + 0.50), "after": pytest.approx(6.8328 + 0.50 + 0.949)}]
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


def test_usage_is_never_a_change(moto, capsys, tmp_path):
    """usage: is for cost only: changing it plans nothing (exit 0 with --detailed-exitcode);
    the cost line prices both sides with the new figures (storage 2 → 10 GB: 2.50)."""
    spec = write_spec(tmp_path, PROVISIONED)
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    spec.write_text(PROVISIONED.replace("usage: {storage_gb: 2}", "usage: {storage_gb: 10}"))
    code, out, _err = run_cli(capsys, "plan", str(spec), "--detailed-exitcode", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["changes"] == []
    assert doc["cost_delta"]["before"]["monthly"] == pytest.approx(6.8328 + 2.50)
    assert doc["cost_delta"]["delta"] == 0

"""`cost-estimate SPEC --diff OTHER_SPEC`: the monthly cost change from an older version of
a spec (a file, a folder, or a pipe such as `<(git show main:spec.yaml)`), offline."""

from __future__ import annotations

import json
import os

import pytest

from tests.helpers import forbid_aws_clients, run_cli, write_spec

OLD = """\
stack: costs
region: us-east-1
tables:
  orders:
    name: orders
    hash_key: id
    attributes: {id: S}
    billing_mode: PROVISIONED
    capacity: {read: 10, write: 5}
  events:
    name: events
    hash_key: id
    attributes: {id: S}
    billing_mode: PROVISIONED
    capacity: {read: 1, write: 1}
  gone:
    name: gone
    hash_key: id
    attributes: {id: S}
    billing_mode: PROVISIONED
    capacity: {read: 1, write: 1}
"""
NEW = OLD.replace("capacity: {read: 10, write: 5}", "capacity: {read: 20, write: 5}").replace(
    "  gone:\n    name: gone", "  added:\n    name: added")


@pytest.fixture
def specs(tmp_path, monkeypatch):
    forbid_aws_clients(monkeypatch)
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    return write_spec(old, OLD), write_spec(new, NEW)


def _json(capsys, *argv):
    code, out, err = run_cli(capsys, "cost-estimate", *argv, "--output", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def test_json_lists_the_changed_added_and_removed_resources(capsys, specs):
    old, new = specs
    before, after = _json(capsys, str(old)), _json(capsys, str(new))
    doc = _json(capsys, str(new), "--diff", str(old))
    assert doc["before"]["spec"] == str(old) and doc["after"]["spec"] == str(new)
    assert doc["before"]["total"] == before["total"]
    assert doc["after"]["total"] == after["total"]
    assert doc["monthly_delta"] == pytest.approx(
        after["total"]["monthly"] - before["total"]["monthly"])
    rows = {r["address"]: r for r in doc["resources"]}
    assert {a: r["change"] for a, r in rows.items()} == {
        "tables.orders": "changed", "tables.gone": "removed", "tables.added": "added"}
    assert rows["tables.orders"]["delta"] > 0  # ten more read units
    assert rows["tables.gone"]["after"] is None
    assert rows["tables.added"]["before"] is None
    assert rows["tables.gone"]["delta"] == pytest.approx(-rows["tables.added"]["delta"])


def test_text_and_markdown_show_rows_total_and_unchanged_count(capsys, specs):
    old, new = specs
    code, out, _err = run_cli(capsys, "cost-estimate", str(new), "--diff", str(old))
    assert code == 0
    assert f"monthly cost from {old} to {new}" in out.replace("\n", " ")
    assert "~ tables.orders" in out and "+ tables.added" in out and "- tables.gone" in out
    assert "tables.events" not in out
    assert "1 resource unchanged in cost." in out
    code, out, _err = run_cli(capsys, "cost-estimate", str(new), "--diff", str(old),
                              "-o", "markdown")
    assert code == 0
    assert out.startswith("### Monthly cost change: costs (+$")
    assert "| ~ | tables.orders |" in out and "| **Total** |" in out


def test_the_older_version_can_be_a_folder_or_a_pipe(capsys, specs):
    old, new = specs
    by_folder = _json(capsys, str(new), "--diff", str(old.parent))
    read_end, write_end = os.pipe()
    os.write(write_end, OLD.encode())
    os.close(write_end)
    try:
        by_pipe = _json(capsys, str(new), "--diff", f"/dev/fd/{read_end}")
    finally:
        os.close(read_end)
    assert by_pipe["monthly_delta"] == by_folder["monthly_delta"] > 0


def test_diff_and_compare_are_exclusive(capsys, specs):
    old, new = specs
    code, _out, err = run_cli(capsys, "cost-estimate", str(new), "--diff", str(old),
                              "--compare", "prod")
    assert code == 1
    assert "--diff and --compare cannot be used together" in err

"""`plan --output markdown`: a pull-request comment with the summary, each change, data at
risk and the cost delta; sensitive values hidden as in the text plan."""

from __future__ import annotations

from moto import mock_aws

from tests.helpers import run_cli

SECRET_SPEC = "specs/examples/secret-from-env.yaml"
VALUE = "s3cret-value-only-in-env"
TABLE = """stack: md-example
region: us-east-1
tables:
  items:
    name: md-items
    hash_key: {key}
    attributes: {{{key}: S}}
"""


def test_markdown_plan_has_summary_changes_and_cost_and_hides_secrets(capsys, monkeypatch):
    monkeypatch.setenv("EXAMPLE_DB_PASSWORD", VALUE)
    with mock_aws():
        code, out, err = run_cli(capsys, "plan", SECRET_SPEC, "--output", "markdown")
    assert code == 0, err
    assert VALUE not in out + err
    assert out.startswith("### awsprov plan: `example-secret-env` · env - · region us-east-1\n")
    assert "| create | update | replace | delete | adopt | restore | refused | unchanged |" in out
    assert "| 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |" in out
    assert "| 🟢 create | `secrets.database` | example/database-password | not found |" in out
    assert "<summary>+ secrets.database (create)</summary>" in out
    assert "value: (sensitive)" in out
    assert "**Monthly cost: $0.00 → $0.40 (+$0.40)" in out


def test_markdown_plan_shows_a_replacement_and_the_data_at_risk(capsys, tmp_path):
    spec = tmp_path / "table.yaml"
    spec.write_text(TABLE.format(key="id"))
    with mock_aws():
        code, _out, err = run_cli(capsys, "apply", str(spec), "--yes")
        assert code == 0, err
        spec.write_text(TABLE.format(key="sku"))
        code, out, err = run_cli(capsys, "plan", str(spec), "-o", "markdown", "--no-cost",
                                 "--detailed-exitcode")
    assert code == 2, err
    assert "| 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 |" in out
    assert "| 🟠 replace | `tables.items` | md-items |" in out
    assert "> **Data at risk**" in out
    assert "> - `tables.items`: " in out
    assert 'hash_key: "id (S)" → "sku (S)" # forces replacement' in out
    assert "Monthly cost" not in out


def test_markdown_plan_without_changes(capsys, tmp_path):
    spec = tmp_path / "table.yaml"
    spec.write_text(TABLE.format(key="id"))
    with mock_aws():
        assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
        code, out, _err = run_cli(capsys, "plan", str(spec), "-o", "markdown", "--no-cost")
    assert code == 0
    assert "**No changes.** Live matches the spec (1 resources)." in out


def test_markdown_plan_names_orphans_it_does_not_delete(capsys, tmp_path):
    spec = tmp_path / "table.yaml"
    spec.write_text(TABLE.format(key="id") + "  more:\n    name: md-more\n    hash_key: id\n"
                    "    attributes: {id: S}\n")
    with mock_aws():
        assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
        spec.write_text(TABLE.format(key="id"))
        code, out, _err = run_cli(capsys, "plan", str(spec), "-o", "markdown", "--no-cost")
    assert code == 0
    assert "**No changes.**" in out
    assert "`apply --prune` deletes them): `tables.more`" in out

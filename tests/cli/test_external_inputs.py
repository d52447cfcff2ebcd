"""Commands that never send a secret's value to AWS run without its env var or file.

destroy, cost-estimate and iam-policy load the spec with `inputs=False`: a CI job that
prices a pull request, or an operator tearing a stack down, must not need the secrets.
plan and apply still refuse a missing input before any AWS call (test_bad_input_*).
"""

from __future__ import annotations

from moto import mock_aws

from tests.helpers import run_cli

SPEC = "specs/examples/secret-from-env.yaml"
VALUE = "s3cret-value-only-in-env"


def test_destroy_cost_and_iam_policy_need_no_secret_inputs(capsys, monkeypatch):
    with mock_aws():
        monkeypatch.setenv("EXAMPLE_DB_PASSWORD", VALUE)
        code, _out, err = run_cli(capsys, "apply", SPEC, "--yes")
        assert code == 0, err
        monkeypatch.delenv("EXAMPLE_DB_PASSWORD")
        for argv in (("cost-estimate", SPEC), ("iam-policy", SPEC),
                     ("destroy", SPEC, "--yes")):
            code, out, err = run_cli(capsys, *argv)
            assert code == 0, f"{argv}: {out}{err}"
            assert VALUE not in out + err
        code, _out, err = run_cli(capsys, "plan", SPEC)
        assert code == 1
        assert "EXAMPLE_DB_PASSWORD is not set" in err


def test_validate_no_inputs_checks_the_spec_without_the_secrets(capsys, monkeypatch):
    monkeypatch.delenv("EXAMPLE_DB_PASSWORD", raising=False)
    code, _out, err = run_cli(capsys, "validate", SPEC)
    assert code == 1
    assert "EXAMPLE_DB_PASSWORD is not set" in err
    code, out, err = run_cli(capsys, "validate", SPEC, "--no-inputs")
    assert (code, err) == (0, "")
    assert "valid" in out and "external inputs not checked" in out


def test_validate_no_inputs_still_rejects_a_bad_spec(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nqueues:\n  q:\n    name: q\n    visibility_timeout: -1\n")
    code, _out, err = run_cli(capsys, "validate", str(bad), "--no-inputs")
    assert code == 1
    assert f"{bad}:5: queues.q.visibility_timeout" in err

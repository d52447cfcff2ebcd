"""Bad key and secret specs: exit 1, one line naming FILE:LINE and the property, and no
AWS client ever built (so no call could have been made)."""

from __future__ import annotations

import pytest

from tests.helpers import forbid_aws_clients, run_cli, write_spec

HEAD = "stack: bad\nregion: us-east-1\n"

CASES = {
    "alias-without-prefix": (
        "keys:\n  k:\n    alias: my-key\n",
        3, "keys.k.alias", "alias/ then"),
    "reserved-alias": (
        "keys:\n  k:\n    alias: alias/aws/mine\n",
        3, "keys.k.alias", "reserved for AWS"),
    "rotation-period-too-short": (
        "keys:\n  k:\n    alias: alias/k\n    rotation_period_days: 30\n",
        4, "keys.k.rotation_period_days", "minimum of 90"),
    "rotation-period-too-long": (
        "keys:\n  k:\n    alias: alias/k\n    rotation_period_days: 3000\n",
        4, "keys.k.rotation_period_days", "maximum of 2560"),
    "rotation-period-without-rotation": (
        "keys:\n  k:\n    alias: alias/k\n    rotation: false\n    rotation_period_days: 180\n",
        5, "keys.k.rotation_period_days", "needs rotation: true"),
    "deletion-window-too-short": (
        "keys:\n  k:\n    alias: alias/k\n    deletion_window_days: 3\n",
        4, "keys.k.deletion_window_days", "minimum of 7"),
    "deletion-window-too-long": (
        "keys:\n  k:\n    alias: alias/k\n    deletion_window_days: 31\n",
        4, "keys.k.deletion_window_days", "maximum of 30"),
    "usage-impossible-for-spec": (
        "keys:\n  k:\n    alias: alias/k\n    key_spec: HMAC_256\n    key_usage: ENCRYPT_DECRYPT\n"
        "    rotation: false\n",
        5, "keys.k.key_usage", "not possible with key_spec HMAC_256"),
    "rotation-on-asymmetric": (
        "keys:\n  k:\n    alias: alias/k\n    key_spec: RSA_2048\n    rotation: true\n",
        5, "keys.k.rotation", "needs a SYMMETRIC_DEFAULT key"),
    "policy-without-statement": (
        "keys:\n  k:\n    alias: alias/k\n    policy: {Version: '2012-10-17'}\n",
        4, "keys.k.policy", "at least one Statement"),
    # ---- rules added or first tested by the refusals audit (docs/refusals.md)
    "key-policy-over-32-kb": (
        "keys:\n  k:\n    alias: alias/k\n    policy:\n      Statement:\n"
        "        - {Effect: Allow, Principal: {AWS: '123456789012'}, Action: 'kms:*', "
        "Resource: '*'}\n" + "".join(
            f"        - {{Sid: S{i}, Effect: Deny, Principal: {{AWS: 'arn:aws:iam::123456789012:"
            f"role/r{i}'}}, Action: 'kms:Decrypt', Resource: '*'}}\n" for i in range(300)),
        4, "keys.k.policy", "KMS accepts at most 32768"),
    "key-policy-locks-everyone-out": (
        "keys:\n  k:\n    alias: alias/k\n    policy:\n      Statement:\n"
        "        - {Effect: Allow, Principal: {Service: logs.amazonaws.com}, Action: 'kms:*', "
        "Resource: '*'}\n",
        4, "keys.k.policy", "would lock everyone out"),
    "secret-value-over-64-kb": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_env: AWSPROV_TEST_HUGE}\n",
        4, "secrets.s.value.from_env", "longer than 65536 bytes"),
    "secret-file-over-64-kb": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_file: huge.txt}\n",
        4, "secrets.s.value.from_file", "65537 bytes; a secret holds at most"),
    "secret-description-too-long": (
        "secrets:\n  s:\n    name: bad/s\n    description: " + "d" * 2049 + "\n",
        4, "secrets.s.description", "2049 characters; at most 2048"),
    "secret-key-in-another-region": (
        "secrets:\n  s:\n    name: bad/s\n    kms_key: "
        "arn:aws:kms:eu-west-1:123456789012:alias/app\n",
        4, "secrets.s.kms_key", "the key is in eu-west-1, the secret in us-east-1"),
    "unknown-key-property": (
        "keys:\n  k:\n    alias: alias/k\n    rotate: true\n",
        4, "keys.k.rotate", "unknown property"),
    "unset-env-var": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_env: AWSPROV_TEST_UNSET}\n",
        4, "secrets.s.value.from_env", "AWSPROV_TEST_UNSET is not set"),
    "empty-env-var": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_env: AWSPROV_TEST_EMPTY}\n",
        4, "secrets.s.value.from_env", "is empty"),
    "missing-file": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_file: nowhere/secret.txt}\n",
        4, "secrets.s.value.from_file", "does not exist"),
    "generate-excludes-everything": (
        "secrets:\n  s:\n    name: bad/s\n    value:\n      generate:\n"
        "        exclude_punctuation: true\n"
        "        exclude_characters: abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n",
        5, "secrets.s.value.generate", "no character is left"),
    "generate-too-short": (
        "secrets:\n  s:\n    name: bad/s\n    value: {generate: {length: 3}}\n",
        4, "secrets.s.value.generate.length", "too short"),
    "generate-too-long": (
        "secrets:\n  s:\n    name: bad/s\n    value: {generate: {length: 5000}}\n",
        4, "secrets.s.value", ""),
    "two-value-sources": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_env: HOME, from_file: x}\n",
        4, "secrets.s.value", ""),
    "recovery-window-in-the-gap": (
        "secrets:\n  s:\n    name: bad/s\n    recovery_window_days: 3\n",
        4, "secrets.s.recovery_window_days", "0 (delete at once"),
    "recovery-window-too-long": (
        "secrets:\n  s:\n    name: bad/s\n    recovery_window_days: 60\n",
        4, "secrets.s.recovery_window_days", "maximum of 30"),
    "kms-key-reference-to-a-table": (
        "tables:\n  t:\n    name: bad-t\n    hash_key: id\n    attributes: {id: S}\n"
        "secrets:\n  s:\n    name: bad/s\n    kms_key: ${tables.t}\n",
        9, "secrets.s.kms_key", "must name a key"),
    "kms-key-reference-to-nothing": (
        "secrets:\n  s:\n    name: bad/s\n    kms_key: ${keys.missing}\n",
        4, "secrets.s.kms_key", "undefined resource keys.missing"),
    "from-file-up-and-out-of-the-folder": (
        "secrets:\n  s:\n    name: bad/s\n"
        "    value: {from_file: ../../../../../../../../../../etc/passwd}\n",
        4, "secrets.s.value.from_file", "outside the spec's folder"),
    "from-file-absolute-outside-the-folder": (
        "secrets:\n  s:\n    name: bad/s\n    value: {from_file: /etc/passwd}\n",
        4, "secrets.s.value.from_file", "(it resolves to /etc/passwd)"),
    "secret-name-illegal": (
        "secrets:\n  s:\n    name: 'bad name!'\n",
        3, "secrets.s.name", "1-512 of"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_bad_input_is_one_line_with_file_and_line_and_no_aws_call(tmp_path, capsys,
                                                                  monkeypatch, case, command):
    body, line, path, message = CASES[case]
    monkeypatch.delenv("AWSPROV_TEST_UNSET", raising=False)
    monkeypatch.setenv("AWSPROV_TEST_EMPTY", "")
    monkeypatch.setenv("AWSPROV_TEST_HUGE", "x" * 65537)
    (tmp_path / "huge.txt").write_bytes(b"x" * 65537)
    spec = write_spec(tmp_path, HEAD + body)
    asked = forbid_aws_clients(monkeypatch)
    code, out, err = run_cli(capsys, command, str(spec))
    assert code == 1
    assert asked == []
    assert out == ""
    first = err.strip().splitlines()[0]
    assert f"{spec}:{line + len(HEAD.splitlines())}: {path}" in first, err
    assert message in err, err
    assert "Traceback" not in err


def test_from_file_is_relative_to_the_spec_file_not_the_working_directory(tmp_path, capsys,
                                                                         monkeypatch):
    folder = tmp_path / "stack"
    folder.mkdir()
    (folder / "token.txt").write_text("value")
    write_spec(folder, HEAD + "secrets:\n  s:\n    name: ok/s\n"
                              "    value: {from_file: token.txt}\n")
    monkeypatch.chdir(tmp_path)
    forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "validate", "stack/stack.yaml")
    assert code == 0, err
    (folder / "token.txt").unlink()
    code, _out, err = run_cli(capsys, "validate", "stack/stack.yaml")
    assert code == 1 and "stack/stack.yaml:6: secrets.s.value.from_file" in err
    assert "stack/token.txt does not exist" in err


def test_a_name_like_an_arn_suffix_is_a_warning_not_an_error(tmp_path, capsys, monkeypatch):
    spec = write_spec(tmp_path, HEAD + "secrets:\n  s:\n    name: app/db-abc123\n")
    forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "validate", str(spec))
    assert code == 0
    assert f"warning: {spec}:5: secrets.s.name: a name ending in a hyphen" in err

"""Never lose an object: a bucket holding any object, version or delete marker is not
deleted by `destroy` or `apply --prune` unless force_destroy is set; with it, every
version and marker is removed in batches first."""

from __future__ import annotations

import boto3
import pytest

from awsprov.resources.s3_bucket import api, empty
from tests.helpers import run_cli, write_spec

KEEP, DATA = "guard-keep-bucket", "guard-data-bucket"


def _spec(data: str | None = None, force: bool = False) -> str:
    text = f"stack: guard\nregion: us-east-1\nbuckets:\n  keep:\n    name: {KEEP}\n"
    if data:
        # enforce_tls off: the emulator applies the deny-insecure-transport statement
        # without its condition and refuses every PutObject (KNOWN_EMULATOR_GAPS).
        text += f"  data:\n    name: {data}\n    versioning: true\n    enforce_tls: false\n"
        if force:
            text += "    force_destroy: true\n"
    return text


def _fill(s3, name: str) -> None:
    """Two objects, three versions and one delete marker (7 bytes in all)."""
    s3.put_object(Bucket=name, Key="a.txt", Body=b"one")
    s3.put_object(Bucket=name, Key="a.txt", Body=b"two")
    s3.put_object(Bucket=name, Key="b.txt", Body=b"x")
    s3.delete_object(Bucket=name, Key="b.txt")


def _flat(text: str) -> str:
    """Console output with its line wrapping undone."""
    return " ".join(text.split())


def _exists(s3, name: str) -> bool:
    return name in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def _versions(s3, name: str) -> int:
    page = s3.list_object_versions(Bucket=name)
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


@pytest.fixture
def s3(moto):
    return boto3.client("s3", region_name="us-east-1")


def test_prune_refuses_a_non_empty_orphan_and_names_what_it_holds(s3, fast_cli, tmp_path,
                                                                  capsys):
    spec = write_spec(tmp_path, _spec(DATA))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    _fill(s3, DATA)
    write_spec(tmp_path, _spec())
    code, out, _ = run_cli(capsys, "apply", str(spec), "--yes", "--prune")
    out = _flat(out)
    assert code == 1
    assert "bucket holds 1 object (3 versions, 1 delete marker), 7 bytes" in out
    assert "force_destroy: true" in out
    assert _exists(s3, DATA) and _versions(s3, DATA) == 4


def test_destroy_refuses_a_non_empty_bucket(s3, fast_cli, tmp_path, capsys):
    spec = write_spec(tmp_path, _spec(DATA))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    _fill(s3, DATA)
    code, out, _ = run_cli(capsys, "destroy", str(spec), "--yes")
    out = _flat(out)
    assert code == 1
    assert "buckets.data" in out and "bucket holds 1 object (3 versions, 1 delete" in out
    assert _exists(s3, DATA) and _versions(s3, DATA) == 4
    assert not _exists(s3, KEEP)  # the empty one went


def test_force_destroy_empties_every_version_in_batches_then_deletes(s3, fast_cli, tmp_path,
                                                                    capsys, monkeypatch):
    monkeypatch.setattr(empty, "DELETE_BATCH", 2)
    spec = write_spec(tmp_path, _spec(DATA, force=True))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    _fill(s3, DATA)
    fast_cli.clear()
    code, out, err = run_cli(capsys, "destroy", str(spec), "--yes")
    out = _flat(out)
    assert code == 0, out + err
    assert "data at risk: 1 object (3 versions, 1 delete marker)" in out
    assert fast_cli.count()["DeleteObjects"] == 2  # 4 versions and markers, 2 per call
    assert not _exists(s3, DATA)


def test_prune_honours_the_force_destroy_its_last_apply_left(s3, fast_cli, tmp_path, capsys):
    spec = write_spec(tmp_path, _spec(DATA, force=True))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    _fill(s3, DATA)
    write_spec(tmp_path, _spec())
    code, out, err = run_cli(capsys, "apply", str(spec), "--yes", "--prune")
    assert code == 0, out + err
    assert not _exists(s3, DATA)
    assert _exists(s3, KEEP)


def test_destroy_refuses_when_the_spec_turned_force_destroy_off(s3, fast_cli, tmp_path,
                                                               capsys):
    spec = write_spec(tmp_path, _spec(DATA, force=True))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    _fill(s3, DATA)
    write_spec(tmp_path, _spec(DATA, force=False))
    code, out, _ = run_cli(capsys, "destroy", str(spec), "--yes")
    assert code == 1 and "bucket holds" in _flat(out)
    assert _exists(s3, DATA)


def test_the_object_count_is_a_bounded_listing(s3, fast_cli, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(api, "COUNT_PAGE_SIZE", 2)
    monkeypatch.setattr(api, "COUNT_MAX_PAGES", 2)
    spec = write_spec(tmp_path, _spec(DATA))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    for i in range(7):
        s3.put_object(Bucket=DATA, Key=f"k{i}", Body=b"12345")
    code, out, _ = run_cli(capsys, "destroy", str(spec), "--yes")
    out = _flat(out)
    assert code == 1
    assert "bucket holds ≥ 4 objects, versions and delete markers (listing stopped at 4)" in out
    assert _exists(s3, DATA)

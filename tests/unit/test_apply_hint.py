"""The hint after `plan --out` is the apply command as it must be typed: a plan file does
not keep --local, --endpoint-url or --profile."""

from __future__ import annotations

from pathlib import Path

from awsprov.cli.commands import _apply_command
from awsprov.cli.context import GlobalOptions


def test_local_region_and_profile_are_in_the_hint_quoted_for_a_shell():
    options = GlobalOptions(profile="dev team", region="eu-west-2", local=True)
    assert _apply_command(Path("plans/p.json"), options) == (
        "awsprov --local --region eu-west-2 --profile 'dev team' apply plans/p.json")


def test_an_endpoint_is_kept_and_nothing_is_added_when_nothing_was_given():
    assert _apply_command(Path("p.json"), GlobalOptions(endpoint_url="http://localhost:4566")) \
        == "awsprov --endpoint-url http://localhost:4566 apply p.json"
    assert _apply_command(Path("p.json"), GlobalOptions()) == "awsprov apply p.json"

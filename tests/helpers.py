"""Shared test helpers: the moto context, call counting, and the ONE list of emulator gaps.

Never loosen an assertion to get past an emulator gap: add the gap here, with its reason,
and test the real-AWS behaviour with botocore's Stubber instead.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from awsprov.aws.context import AwsContext
from awsprov.aws.session import ClientFactory, Target
from awsprov.aws.waiters import WaitPolicy

# (resource property, why moto cannot show it, how the behaviour is tested instead)
KNOWN_EMULATOR_GAPS: list[tuple[str, str, str]] = [
    ("tables.table_class",
     "moto drops TableClass on CreateTable and UpdateTable; no TableClassSummary is returned",
     "Stubber: tests/resources/test_table_stubbed.py (own UpdateTable; read back)"),
    ("tables.encryption (update)",
     "moto silently ignores UpdateTable SSESpecification and never reports UPDATING",
     "Stubber: tests/resources/test_table_stubbed.py (update, SSE wait, AWS-managed key)"),
    ("tables.stream (re-enable / view type change)",
     "moto refuses re-enabling a disabled stream with ResourceInUseException; AWS allows it",
     "Stubber: tests/resources/test_table_stubbed.py (disable, then enable; new ARN)"),
    ("tables: CREATING/UPDATING/DELETING, index backfill",
     "moto is ACTIVE at once; no transitional states",
     "moto's DynamoDB backend patched in-process: tests/resources/test_table_gsi_sequence.py"),
    ("tables.ttl (ENABLING)",
     "moto goes straight to ENABLED and accepts a second TTL change within the hour",
     "Stubber: tests/resources/test_table_stubbed.py (refused while ENABLING)"),
    ("tables.point_in_time_recovery (new table)",
     "moto never answers ContinuousBackupsUnavailableException 'Backups are being enabled'",
     "Stubber: tests/resources/test_table_stubbed.py (retried, other errors not)"),
    ("tables.on_demand_throughput",
     "moto accepts OnDemandThroughput but never returns it from DescribeTable",
     "Stubber: tests/resources/test_table_stubbed.py; example xfails strictly"),
    ("tables: one index create/delete per UpdateTable",
     "moto accepts two index operations in one UpdateTable; AWS refuses them",
     "the patched backend refuses them: tests/resources/test_table_gsi_sequence.py"),
    ("tables.billing_mode (switches to on-demand per day)",
     "moto keeps no LastUpdateToPayPerRequestDateTime and no switch limit",
     "Stubber: tests/resources/test_table_stubbed.py (the plan notes the limit)"),
    ("keys.rotation_period_days",
     "moto ignores EnableKeyRotation's RotationPeriodInDays and never returns it",
     "Stubber: tests/resources/test_kms_key_stubbed.py; examples keep the 365-day default"),
    ("keys: alias/aws/*, deletion window 7-30, key spec/usage pairs, disabled-key rotation",
     "moto creates alias/aws/* aliases, accepts PendingWindowInDays=3, invalid spec/usage "
     "pairs and rotation changes on a disabled key; AWS refuses all four",
     "awsprov refuses them before any call: tests/cli/test_bad_input_keys_secrets.py and "
     "test_rotation_change_on_a_key_that_stays_disabled_is_refused"),
    ("cost --pricing api (AWS Price List GetProducts)",
     "moto has no pricing service; the Price List answers only from us-east-1",
     "Stubber: tests/cost/test_price_list.py"),
]

WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Tag", "Untag", "Enable", "Disable",
                  "Schedule", "Cancel", "Restore", "Set", "Associate", "Disassociate",
                  "Subscribe", "Unsubscribe", "Add", "Remove", "Rotate")


def is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES)


@dataclass
class CallLog:
    """Every AWS operation made through a ClientFactory, in order, counted by botocore hooks."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def record(self, model=None, **_: object) -> None:
        if model is not None:
            self.calls.append((model.service_model.service_name, model.name))

    @property
    def operations(self) -> list[str]:
        return [op for _, op in self.calls]

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if is_write(op)]

    def count(self) -> Counter:
        return Counter(self.operations)

    def clear(self) -> None:
        self.calls.clear()


FAST_WAITS = WaitPolicy(delay=0.01, timeout=10)


def make_context(region: str = "us-east-1", endpoint: str | None = None) -> tuple[AwsContext,
                                                                                   CallLog]:
    factory = ClientFactory(Target(region, None, endpoint))
    log = CallLog()
    factory.on("before-call", log.record)
    return AwsContext(factory, region, wait=FAST_WAITS), log


def write_spec(folder: Path, text: str, name: str = "stack.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def emulator_gap(subject: str) -> str:
    """The recorded reason for a known gap, for pytest.mark.xfail(strict=True, reason=...)."""
    for name, reason, _instead in KNOWN_EMULATOR_GAPS:
        if name == subject:
            return f"emulator gap: {reason}"
    raise KeyError(f"{subject} is not in KNOWN_EMULATOR_GAPS; record it there first")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """The real entry point, in process: (exit code, stdout, stderr)."""
    from awsprov.cli.app import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out = capsys.readouterr()
    return code, out.out, out.err


def forbid_aws_clients(monkeypatch) -> list[str]:
    """Make building any AWS client fail the test: proves bad input never reaches AWS.
    Returns the list of services asked for (empty when none was)."""
    from awsprov.aws.session import ClientFactory

    asked: list[str] = []

    def refuse(self, service, region=None):
        asked.append(service)
        raise AssertionError(f"an AWS client ({service}) was built for bad input")

    monkeypatch.setattr(ClientFactory, "client", refuse)
    return asked

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
     "Stubber: tests/resources/test_table_stubbed.py"),
    ("tables.encryption (update)",
     "moto silently ignores UpdateTable SSESpecification",
     "Stubber: tests/resources/test_table_stubbed.py"),
    ("tables.stream (re-enable / view type change)",
     "moto refuses re-enabling a disabled stream with ResourceInUseException; AWS allows it",
     "Stubber: tests/resources/test_table_stubbed.py"),
    ("tables: CREATING/UPDATING/DELETING, index backfill, TTL ENABLING",
     "moto is ACTIVE at once; no transitional states",
     "moto's Table.describe patched in-process: tests/resources/test_table_gsi_sequence.py"),
    ("tables.on_demand_throughput",
     "moto accepts OnDemandThroughput but never returns it from DescribeTable",
     "Stubber: tests/resources/test_table_stubbed.py; example xfails strictly"),
    ("tables: one index create/delete per UpdateTable, TTL once an hour, billing switches",
     "moto accepts what AWS refuses",
     "the planner refuses or sequences these; asserted on the calls made"),
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

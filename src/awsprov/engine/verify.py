"""verify = re-read live and assert the plan is empty; orphans are findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awsprov.core.changes import ResourceChange
from awsprov.engine import guards
from awsprov.engine.planner import PlanResult

FAILING = ("error", "warning")  # finding severities that make verify exit 2


@dataclass
class Finding:
    address: str
    rule: str
    severity: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "rule": self.rule, "severity": self.severity,
                "message": self.message}


@dataclass
class VerifyReport:
    stack: str
    drift: list[ResourceChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No drift and no finding that asks for action: `info` findings are reported
        (text, JSON, JUnit) but, like a linter's notes, do not fail verify."""
        return not self.drift and not any(f.severity in FAILING for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "stack": self.stack,
            "clean": self.clean,
            "drift": [{"address": c.address, "action": c.action.value, "reason": c.reason,
                       "attributes": [a.to_json() for a in c.attributes]} for c in self.drift],
            "findings": [f.to_json() for f in self.findings],
        }


def verify(result: PlanResult, include_orphans: bool = True,
           baseline: bool = False) -> VerifyReport:
    report = VerifyReport(result.plan.stack)
    if baseline:
        report.findings.extend(_baseline(result))
    for change in result.plan.changes:
        if not change.is_change:
            continue
        if change.orphan:
            if include_orphans:
                report.findings.append(_orphan_finding(change))
            continue
        report.drift.append(change)
    return report


def _orphan_finding(change: ResourceChange) -> Finding:
    if change.duplicate:
        return Finding(change.address, "duplicate", "warning",
                       f"{change.arn}: {change.reason}")
    return Finding(change.address, "orphan", "warning", f"{change.name}: {change.reason}")


def _baseline(result: PlanResult) -> list[Finding]:
    findings = []
    for address, planned in result.resources.items():
        if planned.live is None or planned.spec is None:
            continue
        for found in planned.rtype.baseline(planned.live):
            findings.append(Finding(address, found.rule, found.severity.value, found.message))
    for orphan, users in guards.orphans_in_use(result):
        findings.append(Finding(orphan.address, "orphan-in-use", "warning",
                                f"{orphan.name}: gone from the spec but still used by "
                                f"{', '.join(users)}: deleting it would break them; move "
                                f"them off it first"))
    return findings

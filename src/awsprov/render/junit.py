"""verify --output junit: one test case per resource, a failure per drift or failing finding
(error, warning); info findings are the case's system-out, as verify does not fail on them."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from awsprov.engine.verify import FAILING, VerifyReport


def verify_junit(report: VerifyReport, addresses: list[str]) -> str:
    suite = ET.Element("testsuite", name=f"awsprov verify {report.stack}")
    failures = 0
    drift = {c.address: c for c in report.drift}
    findings = {}
    for finding in report.findings:
        findings.setdefault(finding.address, []).append(finding)
    for address in sorted(set(addresses) | set(drift) | set(findings)):
        case = ET.SubElement(suite, "testcase", classname=report.stack, name=address)
        if address in drift:
            failures += 1
            change = drift[address]
            paths = ", ".join(a.path for a in change.attributes) or change.reason
            ET.SubElement(case, "failure", message=f"drift: {paths}", type="drift")
        notes = []
        for finding in findings.get(address, []):
            if finding.severity not in FAILING:
                notes.append(f"{finding.severity} [{finding.rule}] {finding.message}")
                continue
            failures += 1
            ET.SubElement(case, "failure", message=finding.message, type=finding.rule)
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode") + "\n"

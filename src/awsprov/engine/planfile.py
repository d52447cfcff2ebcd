"""Saved plans: the spec as planned plus a fingerprint of each resource's live state.

`apply PLAN` re-reads live state and refuses, naming the resource, if any fingerprint
moved. The file holds spec text and digests only: never a secret value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awsprov.engine.changes import (
    KNOWN_AFTER_APPLY,
    SUMMARY_KEYS,
    Action,
    AttributeChange,
    FieldKind,
    Plan,
    ResourceChange,
)
from awsprov.engine.planner import PlanResult
from awsprov.errors import PlanStaleError, SpecError

FORMAT = "awsprov-plan"


def save(path: Path, result: PlanResult, sources: dict[str, str], settings: dict[str, Any]) -> None:
    document = {
        "format": FORMAT,
        "version": 1,
        "settings": settings,
        "sources": sources,
        "fingerprints": result.fingerprints,
        "plan": result.plan.to_json(),
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def is_plan_file(path: Path) -> bool:
    if not path.is_file() or path.suffix in (".yaml", ".yml"):
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith("{") and FORMAT in head


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: not a readable awsprov plan file ({exc})") from None
    if document.get("format") != FORMAT or document.get("version") != 1:
        raise SpecError(f"{path}: not an awsprov plan file (format {FORMAT}, version 1)")
    return document


def check_fresh(saved: dict[str, Any], result: PlanResult) -> None:
    """Refuse when live state moved under any resource since the plan was made."""
    before: dict[str, str] = saved["fingerprints"]
    after = result.fingerprints
    moved = sorted(a for a in set(before) | set(after) if before.get(a) != after.get(a))
    if moved:
        listed = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
        raise PlanStaleError(f"the saved plan is stale: live state of {listed} changed since "
                             f"it was planned; run plan again")


def saved_plan(saved: dict[str, Any]) -> Plan:
    """The Plan a saved file shows (`awsprov show`), rebuilt from its JSON: only the
    changes are stored, so the summary (which counts the unchanged) is the stored one."""
    document = saved["plan"]
    changes = [_change(c) for c in document.get("changes", [])]
    plan = _SavedPlan(document["stack"], document.get("env"), document["region"], changes,
                      cost_delta=document.get("cost_delta"))
    plan.saved_summary = dict(document.get("summary", {}))
    return plan


class _SavedPlan(Plan):
    saved_summary: dict[str, int]

    def summary(self) -> dict[str, int]:
        return {key: self.saved_summary.get(key, 0) for key in SUMMARY_KEYS}


def _change(doc: dict[str, Any]) -> ResourceChange:
    return ResourceChange(
        doc["address"], doc["address"].split(".", 1)[0], doc.get("name", ""),
        Action(doc["action"]), doc.get("reason", ""),
        [_attribute(a) for a in doc.get("attributes", [])],
        data_at_risk=doc.get("data_at_risk"), orphan=bool(doc.get("orphan")),
        warnings=list(doc.get("warnings", [])))


def _attribute(doc: dict[str, Any]) -> AttributeChange:
    def value(v: Any) -> Any:
        return KNOWN_AFTER_APPLY if v == "(known after apply)" else v

    return AttributeChange(doc["path"], value(doc.get("before")), value(doc.get("after")),
                           FieldKind(doc.get("kind", "update")), bool(doc.get("sensitive")),
                           doc.get("note", ""))

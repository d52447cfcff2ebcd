"""The `--output json` documents of validate, apply and destroy (docs/*-output.schema.json).

Imports nothing from the engine at module level: `validate` must not import boto3.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awsprov.core.changes import Plan
    from awsprov.engine.executor import ApplyReport
    from awsprov.engine.verify import VerifyReport
    from awsprov.spec.model import Stack


def validate_document(spec: Path, stack: Stack) -> dict[str, Any]:
    """docs/validate-output.schema.json"""
    return {"version": 1, "valid": True, "spec": str(spec), "stack": stack.name,
            "env": stack.env, "region": stack.region, "resources": list(stack.resources),
            "warnings": list(stack.warnings)}


def apply_document(command: str, plan: Plan, report: ApplyReport | None = None,
                   after: VerifyReport | None = None) -> dict[str, Any]:
    """docs/apply-output.schema.json: the plan as reviewed, what each change did, and (for
    apply) the verify that followed. `report` None: nothing needed doing."""
    outcomes = report.outcomes if report else []
    return {
        "version": 1,
        "command": command,
        "stack": plan.stack,
        "env": plan.env,
        "region": plan.region,
        "plan": plan.to_json(),
        "outcomes": [{"address": o.address, "action": o.action.value, "ok": o.ok,
                      "message": o.message, "seconds": round(o.seconds, 3)} for o in outcomes],
        "summary": {"changed": sum(o.ok for o in outcomes),
                    "failed": sum(not o.ok for o in outcomes)},
        "verify": after.to_json() if after is not None else None,
    }

"""`--output json`: one document on stdout per run, errors included.

Each document carries `"version": 1` and has its JSON Schema in docs/ (docs/spec.md,
"Machine-readable output"). No boto3 here: `validate -o json` must stay offline.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from awsprov.errors import AwsprovError, SpecError, SpecErrors


def wants_json(argv: list[str]) -> bool:
    """`--output json`, `--output=json`, `-o json` or `-ojson` before any `--`."""
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return False
        if arg in ("--output", "-o"):
            if next(args, "") == "json":
                return True
        elif arg in ("--output=json", "-ojson", "-o=json"):
            return True
    return False


def write_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def with_report(error: AwsprovError, report: dict[str, Any] | None) -> AwsprovError:
    """Attach what a command did before it failed: the error document carries it."""
    error.report = report  # type: ignore[attr-defined]
    return error


def error_document(message: str, exit_code: int, kind: str = "error",
                   error: BaseException | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "kind": kind, "exit_code": exit_code,
                            "file": None, "line": None, "path": None}
    if isinstance(error, SpecErrors):
        body["errors"] = [_spec_error(e) for e in error.errors]
        if error.errors:
            body.update(body["errors"][0])  # the headline; every problem is in errors
    elif isinstance(error, SpecError):
        body.update(_spec_error(error))
        body["message"] = message
    document: dict[str, Any] = {"version": 1, "error": body}
    report = getattr(error, "report", None)
    if report is not None:
        document["report"] = report
    return document


def _spec_error(error: SpecError) -> dict[str, Any]:
    location = error.location
    return {"message": error.message, "file": location.file if location else None,
            "line": location.line if location else None, "path": error.path or None}


def kind_of(error: BaseException) -> str:
    from awsprov.errors import ApplyFailed, AwsAccessError, LeaseHeld, PlanStaleError

    for cls, kind in ((SpecError, "spec"), (SpecErrors, "spec"), (AwsAccessError, "aws"),
                      (PlanStaleError, "stale-plan"), (ApplyFailed, "apply-failed"),
                      (LeaseHeld, "locked")):
        if isinstance(error, cls):
            return kind
    return "error"

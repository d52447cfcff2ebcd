"""CloudWatch dashboards (docs/spec.md "dashboards"; docs/monitoring-and-messaging.md
"Dashboards").

The body is written as a YAML map (references allowed) and compared as JSON by meaning:
key order and spacing never show as a change. PutDashboard upserts the whole body and
answers with DashboardValidationMessages (an unknown metric, a bad widget property): they
are shown as warnings, as Terraform does not.

Dashboards cannot carry tags (CloudWatch tags alarms and Contributor Insights rules
only), so a dashboard's name is its whole identity: a dashboard of that name is taken to
be the one the spec describes (as PutDashboard itself does), it is never an orphan, and
`destroy` deletes the dashboards its spec names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.core.changes import AttributeChange, BaselineFinding, Severity, is_unknown
from awsprov.cost import cloudwatch as pricing
from awsprov.resources import tags as tagging
from awsprov.resources.base import Deletion, Desired, Live, Owner, Problem, Progress, ResourceType
from awsprov.resources.props import Prop

# What must never sit in a body: anyone allowed cloudwatch:GetDashboard, or given a shared
# dashboard link, reads it. AWS access key ids, and URLs carrying user:password@.
_CREDENTIALS = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a URL with a password", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
)

WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")
_WIDGET = {
    "type": "object", "required": ["type"],
    "description": "One widget of the dashboard grid",
    "properties": {"type": {"enum": list(WIDGET_TYPES),
                            "description": "metric, text, log, alarm, explorer, ..."},
                   "x": {"type": "integer", "minimum": 0, "maximum": 23,
                         "description": "Column of the left edge (0-23)"},
                   "y": {"type": "integer", "minimum": 0,
                         "description": "Row of the top edge"},
                   "width": {"type": "integer", "minimum": 1, "maximum": 24, "default": 6,
                             "description": "Columns (1-24)"},
                   "height": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 6,
                              "description": "Rows (1-1000)"},
                   "properties": {"type": "object",
                                  "description": "The widget's settings (metrics, view, "
                                                 "region, markdown, ...)"}},
}
_BODY = {
    "type": "object", "additionalProperties": False, "required": ["widgets"],
    "description": "The dashboard body (CloudWatch's JSON structure) as a map",
    "properties": {"widgets": {"type": "array", "maxItems": 500, "items": _WIDGET,
                               "description": "The widgets (at most 500)"},
                   "start": {"type": "string", "description": "Default time range start, "
                             "e.g. -PT3H"},
                   "end": {"type": "string", "description": "Default time range end "
                           "(default: now)"},
                   "periodOverride": {"enum": ["auto", "inherit"], "default": "auto",
                                      "description": "Whether widgets keep their own "
                                                     "period (inherit) or adapt (auto)"},
                   "variables": {"type": "array",
                                 "description": "Dashboard variables (CloudWatch's "
                                                "structure)"}},
}


def canonical_body(body: Any) -> Any:
    """The body as CloudWatch stores it, parsed: JSON round-trip (numbers, no YAML types)."""
    if body is None or is_unknown(body):
        return body
    if isinstance(body, str):
        return json.loads(body)
    return json.loads(json.dumps(body, sort_keys=True, default=str))


# PutDashboard refuses a DashboardBody over 1 MB.
BODY_MAX_BYTES = 1024 * 1024


class Dashboard(ResourceType):
    section = "dashboards"
    kind = "CloudWatch dashboard"
    service = "cloudwatch"
    tagging_type = "cloudwatch:dashboard"
    taggable = False
    required = ("name", "body")
    props = {
        "name": Prop({"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,255}$",
                      "description": "Dashboard name: 1-255 of A-Z a-z 0-9 _ -"}, state=False),
        # Compared as canonical JSON (canonical_body), widget by widget (key_changes).
        "body": Prop(_BODY),
    }
    usage_properties = pricing.DASHBOARD_USAGE_PROPERTIES
    permissions = {
        "read": ("cloudwatch:GetDashboard",),
        "write": ("cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"),
    }

    def cost(self, props, usage, prices):
        return pricing.dashboard_cost(props, usage, prices)

    def check(self, props: dict[str, Any]) -> list[Problem]:
        if "tags" in props:
            return [Problem(("tags",), "CloudWatch dashboards cannot be tagged: remove `tags`")]
        size = len(json.dumps(props.get("body"), separators=(",", ":"), default=str).encode())
        if size > BODY_MAX_BYTES:
            return [Problem(("body",), f"the dashboard body is {size} bytes; PutDashboard "
                                       f"accepts at most {BODY_MAX_BYTES} (1 MB)")]
        return []

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"body": canonical_body(props.get("body"))}

    def key_changes(self, key: str, before: Any, after: Any, desired: Desired,
                    live: Live) -> list[AttributeChange]:
        """The body widget by widget, so a one-widget change does not print the whole body."""
        if not isinstance(before, dict) or not isinstance(after, dict):
            return [AttributeChange(key, before, after)] if before != after else []
        changes = []
        for part in sorted(set(before) | set(after)):
            have, want = before.get(part), after.get(part)
            if part == "widgets" and isinstance(have, list) and isinstance(want, list):
                for i in range(max(len(have), len(want))):
                    old = have[i] if i < len(have) else None
                    new = want[i] if i < len(want) else None
                    if old != new:
                        changes.append(AttributeChange(f"{key}.widgets[{i}]", old, new))
            elif have != want:
                changes.append(AttributeChange(f"{key}.{part}", have, want))
        return changes

    def export(self, live: Live) -> dict[str, Any]:
        # The body is required: exported even when it is empty.
        return {**super().export(live), "body": live.state["body"]}

    def baseline(self, live: Live) -> list[BaselineFinding]:
        findings = []
        for path, text in _strings(live.state["body"], "body"):
            for what, pattern in _CREDENTIALS:
                if pattern.search(text):
                    findings.append(BaselineFinding(
                        "dashboard-credentials", Severity.ERROR,
                        f"{path} holds {what}: anyone who may read the dashboard sees it"))
        return findings

    def name_from_arn(self, arn: str) -> str:
        return arn.split(":dashboard/", 1)[-1]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        return [make_arn("cloudwatch", "", account, f"dashboard/{name}", partition_region=region)]

    def read(self, aws, name: str, owner: Owner | None = None) -> Live | None:
        try:
            found = aws.client("cloudwatch").get_dashboard(DashboardName=name)
        except errors.ClientError as exc:
            if errors.is_code(exc, "ResourceNotFound", "ResourceNotFoundException"):
                return None
            raise
        # No tags exist: the spec that names it owns it (module docstring).
        owned = tagging.ownership_tags(owner.stack, owner.address, owner.env) if owner else {}
        return Live(name=name, arn=found["DashboardArn"],
                    state={"body": canonical_body(found.get("DashboardBody") or "{}")},
                    tags=owned, attributes={"arn": found["DashboardArn"], "name": name})

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        self._put(aws, desired, progress)

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        if changes:
            self._put(aws, desired, progress)

    @staticmethod
    def _put(aws, desired: Desired, progress: Progress) -> None:
        progress("PutDashboard")
        answer = aws.client("cloudwatch").put_dashboard(
            DashboardName=desired.name,
            DashboardBody=json.dumps(desired.state["body"], sort_keys=True))
        for message in answer.get("DashboardValidationMessages") or []:
            where = message.get("DataPath", "")
            progress(f"warning: CloudWatch says {where + ': ' if where else ''}"
                     f"{message.get('Message', '')}")

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        progress("DeleteDashboards")
        try:
            aws.client("cloudwatch").delete_dashboards(DashboardNames=[live.name])
        except errors.ClientError as exc:
            if not errors.is_code(exc, "ResourceNotFound", "ResourceNotFoundException"):
                raise

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        """Nothing to do: dashboards have no tags (the planner never asks)."""


RESOURCE_TYPE = Dashboard


def _strings(value: Any, path: str):
    """Every string in a parsed body, with its path (`body.widgets[2].properties.markdown`)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")

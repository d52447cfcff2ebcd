"""JSON documents (policies, dashboard bodies) in plans: an indented line diff as
Terraform's jsonencode diff, a created resource's document indented, actions in the case
the user wrote them while still compared without case."""

from __future__ import annotations

import io

from rich.console import Console

from awsprov.core.changes import Action, AttributeChange, Plan, ResourceChange
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.render import text
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

BODY = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                     "properties": {"title": "Orders", "region": "us-east-1", "stat": "Sum",
                                    "period": 300}}]}


def _render(plan: Plan, width: int = 200) -> list[str]:
    buffer = io.StringIO()
    text.render_plan(plan, Console(file=buffer, no_color=True, width=width, soft_wrap=True))
    return buffer.getvalue().splitlines()


def _update(before, after) -> Plan:
    change = ResourceChange("dashboards.ops", "dashboards", "ops", Action.UPDATE, "body",
                            [AttributeChange("body", before, after)])
    return Plan("shop", None, "us-east-1", [change])


def test_a_changed_document_is_an_indented_line_diff():
    after = {**BODY, "widgets": [{**BODY["widgets"][0], "properties": {
        **BODY["widgets"][0]["properties"], "period": 60, "title": "Orders (1 min)"}}]}
    lines = _render(_update(BODY, after))
    start = lines.index("      body:")
    block = lines[start + 1:lines.index("Plan: 0 to create, 1 to update, 0 to replace, 0 to "
                                        "delete, 0 to adopt, 0 to restore, 0 refused, "
                                        "0 unchanged.")]
    assert block[0] == "          {"
    assert '        -         "period": 300,' in block
    assert '        +         "period": 60,' in block
    assert '        -         "title": "Orders"' in block
    assert '        +         "title": "Orders (1 min)"' in block
    assert '                  "stat": "Sum",' in block  # unchanged: plain, aligned
    assert block[-1] == "          }"
    assert all(len(line) < 80 for line in block)
    changed = [line for line in block if line.lstrip().startswith(("-", "+"))]
    assert len(changed) == 4


def test_short_maps_stay_on_one_line():
    lines = _render(_update({"a": 1}, {"a": 2}))
    assert '      body: {"a": 1} → {"a": 2}' in lines


def test_a_created_document_is_shown_indented():
    change = ResourceChange("dashboards.ops", "dashboards", "ops", Action.CREATE, "not found",
                            [AttributeChange("body", None, BODY)])
    lines = _render(Plan("shop", None, "us-east-1", [change]))
    assert "      body.widgets:" in lines
    assert '                "title": "Orders"' in lines
    assert max(len(line) for line in lines[:-1]) < 80  # all but the summary


POLICY_SPEC = """
stack: vault
region: us-east-1
keys:
  data:
    alias: alias/vault-data
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: Root
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:root"}
          Action: "kms:*"
          Resource: "*"
        - Sid: Readers
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:root"}
          Action: [kms:Decrypt, kms:DescribeKey]
          Resource: "*"
"""


def test_key_policy_diff_shows_actions_as_written_and_case_alone_is_no_change(aws, tmp_path):
    ctx, _log = aws
    stack = load_stack(write_spec(tmp_path, POLICY_SPEC))
    created = make_plan(stack, ctx, RunOptions())
    assert any('"kms:Decrypt",' in line for line in _render(created.plan))
    assert apply_plan(stack, created, ctx, RunOptions()).failures == []

    recased = POLICY_SPEC.replace("[kms:Decrypt, kms:DescribeKey]",
                                  "[KMS:decrypt, kms:describekey]")
    assert not make_plan(load_stack(write_spec(tmp_path, recased)), ctx,
                         RunOptions()).plan.has_changes

    grown = POLICY_SPEC.replace("[kms:Decrypt, kms:DescribeKey]",
                                "[kms:Decrypt, kms:DescribeKey, kms:GenerateDataKey]")
    lines = _render(make_plan(load_stack(write_spec(tmp_path, grown)), ctx,
                              RunOptions()).plan)
    added = [line.strip() for line in lines if line.strip().startswith("+ ")]
    removed = [line.strip() for line in lines if line.strip().startswith("- ")]
    assert any('"kms:GenerateDataKey"' in line for line in added), lines
    assert any('"kms:DescribeKey"' in line for line in removed + lines)
    assert not any("kms:decrypt" in line or "kms:describekey" in line for line in lines)
    assert any(line.strip() == '"kms:Decrypt",' for line in lines)

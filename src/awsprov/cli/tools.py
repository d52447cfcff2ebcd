"""`awsprov iam-policy` and `awsprov export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from awsprov.cli import context


def iam_policy(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="A spec file or folder."),
    env: str | None = typer.Option(None, "--env", "-e"),
    account_id: str = typer.Option("*", "--account-id", help="Scope ARNs to this account."),
    read_only: bool = typer.Option(False, "--read-only",
                                   help="Only what plan and verify need."),
) -> None:
    """Print the least-privilege IAM policy plan/apply/verify of this spec need (offline)."""
    from awsprov.engine.iam import stack_policy

    options = ctx.obj or context.GlobalOptions()
    stack = context.load(spec, env, options, inputs=False)
    region = options.region or stack.region or "*"
    policy = stack_policy(stack, region, account_id, read_only)
    sys.stdout.write(json.dumps(policy, indent=2) + "\n")


def export(
    ctx: typer.Context,
    section: str = typer.Argument(..., help="A spec section, e.g. tables."),
    names: list[str] = typer.Argument(..., help="Physical names of existing resources."),
) -> None:
    """Write spec YAML for resources that exist (made by hand or by another tool)."""
    import yaml

    from awsprov.engine.export import export_resources

    options = ctx.obj or context.GlobalOptions()
    aws = context.aws_context(None, options)
    document = export_resources(aws, section, names)
    sys.stdout.write("# awsprov export: review, set `stack:`, then plan to adopt\n")
    sys.stdout.write(yaml.safe_dump(document, sort_keys=False, default_flow_style=False))


def register(app: typer.Typer) -> None:
    app.command("iam-policy")(iam_policy)
    app.command("export")(export)

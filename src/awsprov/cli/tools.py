"""`awsprov iam-policy` and `awsprov export`."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from awsprov.cli import context
from awsprov.cli.commands import JsonOnly
from awsprov.cli.json_output import write_json


class YamlOrJson(str, Enum):
    yaml = "yaml"
    json = "json"


def iam_policy(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="A spec file or folder."),
    env: str | None = typer.Option(None, "--env", "-e"),
    account_id: str = typer.Option("*", "--account-id", help="Scope ARNs to this account."),
    read_only: bool = typer.Option(False, "--read-only",
                                   help="Only what plan and verify need."),
    output: JsonOnly = typer.Option(JsonOnly.json, "--output", "-o",
                                    help="Always JSON (the IAM policy document itself)."),
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
    region: str | None = typer.Option(None, "--region",
                                      help="Region to read (the global --region; default: "
                                           "the profile's or AWS_REGION)."),
    output: YamlOrJson = typer.Option(YamlOrJson.yaml, "--output", "-o",
                                      help="yaml (a spec file), or one JSON document."),
) -> None:
    """Write spec YAML for resources that exist (made by hand or by another tool)."""
    import yaml

    from awsprov.engine.export import export_resources

    options = ctx.obj or context.GlobalOptions()
    # `--region` is hoisted to the global option before parsing; here for --help and for
    # a caller that builds argv without the hoist
    options.region = options.region or region
    aws = ctx.with_resource(context.aws_context(None, options))
    document = export_resources(aws, section, names)
    if output is YamlOrJson.json:
        write_json({"version": 1, "section": section, "region": aws.region, "spec": document})
        return
    sys.stdout.write("# awsprov export: review, set `stack:`, then plan to adopt\n")
    sys.stdout.write(yaml.safe_dump(document, sort_keys=False, default_flow_style=False))


def register(app: typer.Typer) -> None:
    app.command("iam-policy")(iam_policy)
    app.command("export")(export)

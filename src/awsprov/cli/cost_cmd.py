"""`awsprov cost-estimate`: the monthly cost of a spec, offline (no credentials, no
network, no boto3) unless `--pricing api` asks the AWS Price List for fresh figures."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from awsprov.cli import context
from awsprov.cli.commands import TextJsonOrMarkdown
from awsprov.errors import AwsprovError

if TYPE_CHECKING:
    from awsprov.cost.catalogue import Prices
    from awsprov.cost.model import Estimate
    from awsprov.spec.model import Stack


class PricingSource(str, Enum):
    catalogue = "catalogue"
    api = "api"


def cost_estimate(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="A spec file, or a folder of *.yaml forming one "
                                "stack."),
    env: str | None = typer.Option(None, "--env", "-e", help="Environment to estimate."),
    compare: str | None = typer.Option(None, "--compare",
                                       help="A second environment, shown side by side."),
    usage: Path | None = typer.Option(None, "--usage", help="YAML map of address → usage "
                                      "figures; wins over the spec's usage: blocks."),
    output: TextJsonOrMarkdown = typer.Option(TextJsonOrMarkdown.text, "--output", "-o"),
    pricing: PricingSource = typer.Option(
        PricingSource.catalogue, "--pricing",
        help="catalogue: the dated figures shipped with awsprov (offline); api: refresh "
             "them from the AWS Price List first (needs credentials)."),
    free_tier: bool = typer.Option(False, "--free-tier",
                                   help="Also show what the account-wide free tiers would "
                                        "take off (never in the total)."),
    diff: Path | None = typer.Option(None, "--diff", metavar="OTHER_SPEC",
                                     help="An older version of the spec (file or folder, "
                                          "e.g. <(git show main:spec.yaml)): show the cost "
                                          "change from it to SPEC."),
) -> None:
    """Monthly cost of the spec at list price, with unknown usage shown as unknown."""
    options = ctx.obj or context.GlobalOptions()
    if diff is not None:
        if compare:
            raise AwsprovError("--diff and --compare cannot be used together")
        _print_diff(_estimate(diff, env, usage, options, pricing),
                    _estimate(spec, env, usage, options, pricing), (str(diff), str(spec)),
                    output)
        return
    left = _estimate(spec, env, usage, options, pricing)
    right = _estimate(spec, compare, usage, options, pricing) if compare else None
    if free_tier:
        from awsprov.cost.free_tier import free_tier_view

        for estimate in filter(None, (left, right)):
            estimate.free_tier = free_tier_view(estimate)
    _print(left, right, output)


def _estimate(spec: Path, env: str | None, usage_file: Path | None,
              options: context.GlobalOptions, pricing: PricingSource) -> Estimate:
    from awsprov.engine.estimate import estimate, load_usage_file

    stack = context.load(spec, env, options, inputs=False)
    usage = load_usage_file(usage_file, stack) if usage_file else None
    return estimate(stack, prices_for(stack, options, pricing), usage)


def offline_region(stack: Stack, options: context.GlobalOptions) -> str:
    region = (options.region or stack.region or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION"))
    if not region:
        raise AwsprovError("no region to price: set `region:` in the spec, --region, or "
                           "AWS_REGION")
    return region


def prices_for(stack: Stack, options: context.GlobalOptions,
               pricing: PricingSource = PricingSource.catalogue) -> Prices:
    from awsprov.cost.catalogue import load_prices

    region = offline_region(stack, options)
    if pricing is PricingSource.api:
        from awsprov.cost import price_list

        with context.aws_context(region, options) as aws:
            data = price_list.refresh(aws.client("pricing", price_list.PRICING_REGION), region)
        typer.echo(f"Fetched {len(data['prices'])} prices for {region} from the AWS Price "
                   f"List into {price_list.cache_path(region)}", err=True)
    return load_prices(region)


def plan_cost(stack: Stack, result, region: str) -> dict | None:
    """The plan's cost_delta, or None (with a warning) where the region is not priced."""
    from awsprov.cost.catalogue import PricingError, load_prices
    from awsprov.engine.estimate import plan_cost_delta

    try:
        return plan_cost_delta(stack, result, load_prices(region))
    except PricingError as exc:
        typer.echo(f"warning: no cost shown: {exc}", err=True)
        return None


def _print(left: Estimate, right: Estimate | None, output: TextJsonOrMarkdown) -> None:
    from awsprov.render import console
    from awsprov.render import cost as render

    if output is TextJsonOrMarkdown.json:
        sys.stdout.write(json.dumps(render.estimate_json(left, right), indent=2) + "\n")
    elif output is TextJsonOrMarkdown.markdown:
        sys.stdout.write(render.render_compare_markdown(left, right) if right
                         else render.render_markdown(left))
    elif right is not None:
        render.render_compare_text(left, right, console.stdout())
    else:
        render.render_text(left, console.stdout())


def _print_diff(before: Estimate, after: Estimate, labels: tuple[str, str],
                output: TextJsonOrMarkdown) -> None:
    from awsprov.render import console
    from awsprov.render import cost as render

    if output is TextJsonOrMarkdown.json:
        sys.stdout.write(json.dumps(render.diff_json(before, after, labels), indent=2) + "\n")
    elif output is TextJsonOrMarkdown.markdown:
        sys.stdout.write(render.render_diff_markdown(before, after, labels))
    else:
        render.render_diff_text(before, after, labels, console.stdout())


def register(app: typer.Typer) -> None:
    app.command("cost-estimate")(cost_estimate)

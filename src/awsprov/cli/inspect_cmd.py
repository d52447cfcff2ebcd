"""`awsprov show PLANFILE` and `awsprov output SPEC`: look, never change."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from awsprov.cli import context
from awsprov.cli.commands import ENV_OPT, PARALLELISM_OPT, SPEC_ARG, TextOrJson
from awsprov.cli.json_output import write_json
from awsprov.core.run import RunOptions

if TYPE_CHECKING:
    from awsprov.engine.planfile import PlanSettings, SavedPlan

OUTPUT_OPT = typer.Option(TextOrJson.text, "--output", "-o", help="text, or one JSON document.")


def show(
    planfile: Path = typer.Argument(..., help="A plan saved by `awsprov plan --out`."),
    output: TextOrJson = OUTPUT_OPT,
) -> None:
    """Print a saved plan as `plan` printed it (map keys sorted); no AWS call."""
    from awsprov.engine import planfile as planfiles

    # Showing a signed plan needs no key; with the key set, a forged one is refused here too.
    saved = planfiles.load(planfile, check_signature=planfiles.plan_key() is not None)
    if output is TextOrJson.json:
        write_json(show_document(saved))
        return
    from awsprov.render import console, text

    out = console.stdout()
    text.render_plan(planfiles.shown_plan(saved), out)
    cost_delta = saved.plan.get("cost_delta")
    if cost_delta:
        from awsprov.render.cost import plan_cost_line

        out.print(plan_cost_line(cost_delta))
    out.print(f"Saved from {_saved_from(saved.settings)}; apply it with: "
              f"awsprov apply {planfile}", highlight=False)


def show_document(saved: SavedPlan) -> dict[str, Any]:
    """The plan document (docs/plan-output.schema.json) plus what the plan was made from."""
    settings = saved.settings
    return {**saved.plan, "planfile": {"spec": settings.spec, "targets": list(settings.targets),
                                       "force_adopt": settings.force_adopt}}


def _saved_from(settings: PlanSettings) -> str:
    scope = f", targets {', '.join(settings.targets)}" if settings.targets else ""
    return f"{settings.spec}{scope}"


def output(
    ctx: typer.Context,
    spec: Path = SPEC_ARG,
    env: str | None = ENV_OPT,
    output: TextOrJson = OUTPUT_OPT,
    parallelism: int = PARALLELISM_OPT,
) -> None:
    """ARNs, names, URLs and ids of the stack's live resources (like `terraform output`)."""
    from awsprov.engine.planner import make_plan

    options = ctx.obj or context.GlobalOptions()
    # compare=False: read and locate only; no diff, so no secret inputs are needed
    run = RunOptions(parallelism=parallelism, find_orphans=False, compare=False)
    stack = context.load(spec, env, options, inputs=False)
    aws = context.run_context(ctx, stack.region, options, run)
    result = make_plan(stack, aws, run)
    document = outputs_document(stack, result, aws.region)
    if output is TextOrJson.json:
        write_json(document)
    else:
        _print_outputs(document)


def outputs_document(stack, result, region: str) -> dict[str, Any]:
    from awsprov.resources import tags as tagging

    resources: dict[str, Any] = {}
    for address in stack.resources:
        planned = result.resources.get(address)
        live = planned.live if planned else None
        if live is None or live.pending_deletion:
            resources[address] = {"status": "missing", "attributes": {}}
            continue
        managed = tagging.owned_by(live.tags, stack.name, stack.env)
        attributes = {"name": live.name, "arn": live.arn,
                      **{k: v for k, v in live.attributes.items() if v is not None}}
        resources[address] = {"status": "managed" if managed else "unmanaged",
                              "attributes": attributes}
    return {"version": 1, "stack": stack.name, "env": stack.env, "region": region,
            "resources": resources}


def _print_outputs(document: dict[str, Any]) -> None:
    # plain writes: rich would wrap a long ARN, and scripts grep these lines
    from awsprov.render.text import value_text

    notes = {"missing": "does not exist (apply creates it)",
             "unmanaged": "exists, not tagged for this stack (apply adopts it)"}
    for address, resource in document["resources"].items():
        if resource["status"] in notes:
            sys.stdout.write(f"# {address}: {notes[resource['status']]}\n")
        for key, value in resource["attributes"].items():
            sys.stdout.write(f"{address}.{key} = {value_text(value)}\n")


def register(app: typer.Typer) -> None:
    app.command("show")(show)
    app.command("output")(output)

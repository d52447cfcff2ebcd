"""validate, schema, plan, apply, verify, destroy: each parses options and delegates."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from awsprov.cli import context
from awsprov.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, ApplyFailed, AwsprovError
from awsprov.resources.sizes import plural

SPEC_ARG = typer.Argument(..., help="A spec file, or a folder of *.yaml forming one stack.")
ENV_OPT = typer.Option(None, "--env", "-e", help="Environment from the spec's environments.")
PARALLELISM_OPT = typer.Option(16, "--parallelism", min=1, max=64,
                               help="Resources read or changed at once.")


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class VerifyOutput(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


def _options(ctx: typer.Context) -> context.GlobalOptions:
    return ctx.obj or context.GlobalOptions()


def validate(ctx: typer.Context, spec: Path = SPEC_ARG, env: str | None = ENV_OPT) -> None:
    """Schema and semantic checks; no AWS call."""
    stack = context.load(spec, env, _options(ctx))
    typer.echo(f"{spec}: valid (stack {stack.name}, {plural(len(stack.resources), 'resource')})")


def schema() -> None:
    """Print the JSON Schema of specs."""
    from awsprov.spec.schema import schema_json

    sys.stdout.write(schema_json())


def plan(
    ctx: typer.Context,
    spec: Path = SPEC_ARG,
    env: str | None = ENV_OPT,
    out: Path | None = typer.Option(None, "--out", help="Save the plan for `apply PLAN`."),
    target: list[str] = typer.Option([], "--target", help="Only this address (and what it "
                                     "references); repeatable."),
    output: TextOrJson = typer.Option(TextOrJson.text, "--output", "-o"),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 2 when there are changes."),
    force_adopt: bool = typer.Option(False, "--force-adopt",
                                     help="Take over resources tagged by another stack."),
    parallelism: int = PARALLELISM_OPT,
    no_cost: bool = typer.Option(False, "--no-cost", help="Skip the monthly cost before → "
                                 "after the change."),
) -> None:
    """Show what apply would change, against live AWS."""
    from awsprov.engine import planfile
    from awsprov.engine.planner import PlanOptions, make_plan

    options = _options(ctx)
    stack = context.load(spec, env, options)
    aws = context.aws_context(stack.region, options, parallelism)
    plan_options = PlanOptions(tuple(target), force_adopt, False, parallelism)
    result = make_plan(stack, aws, plan_options)
    if not no_cost:
        from awsprov.cli.cost_cmd import plan_cost

        result.plan.cost_delta = plan_cost(stack, result, aws.region)
    _print_plan(result.plan, output)
    if out:
        settings = {"env": env, "region": aws.region, "targets": list(target),
                    "force_adopt": force_adopt, "spec": str(spec)}
        planfile.save(out, result, stack.sources, settings)
        _stderr(f"Plan saved to {out}; apply it with: {_apply_command(out, options)}")
    if detailed_exitcode and result.plan.has_changes:
        raise typer.Exit(EXIT_CHANGES)


def apply(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="A spec file or folder, or a plan saved by --out."),
    env: str | None = ENV_OPT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    allow_replace: bool = typer.Option(False, "--allow-replace",
                                       help="Allow replacements that lose data."),
    allow_irreversible: bool = typer.Option(False, "--allow-irreversible",
                                            help="Allow one-way changes on existing resources."),
    prune: bool = typer.Option(False, "--prune", help="Delete orphans of this stack."),
    target: list[str] = typer.Option([], "--target", help="Only this address; repeatable."),
    force_adopt: bool = typer.Option(False, "--force-adopt"),
    parallelism: int = PARALLELISM_OPT,
) -> None:
    """Converge live AWS to the spec, wait for it to settle, then verify."""
    from awsprov.engine import planfile
    from awsprov.engine.executor import ApplyOptions, apply_plan
    from awsprov.engine.planner import PlanOptions, make_plan
    from awsprov.engine.verify import verify
    from awsprov.render import console, text

    options = _options(ctx)
    saved = planfile.load(spec) if planfile.is_plan_file(spec) else None
    if saved:
        settings = saved["settings"]
        env, target, force_adopt = settings["env"], settings["targets"], settings["force_adopt"]
        options.region = options.region or settings["region"]
        stack = context.load(Path(settings["spec"]), env, options, sources=saved["sources"])
    else:
        stack = context.load(spec, env, options)
    aws = context.aws_context(stack.region, options, parallelism)
    plan_options = PlanOptions(tuple(target), force_adopt, prune, parallelism)
    result = make_plan(stack, aws, plan_options)
    if saved:
        planfile.check_fresh(saved, result)
    out = console.stdout()
    text.render_plan(result.plan, out)
    if not result.plan.has_changes:
        return
    if not saved:
        _confirm(yes, "Apply these changes?")
    err = console.stderr()
    apply_options = ApplyOptions(allow_replace, allow_irreversible, prune, parallelism)
    report = apply_plan(stack, result, aws, apply_options, text.ConsoleReporter(err))
    text.render_apply_report(report, err)
    after = verify(make_plan(stack, aws, plan_options), include_orphans=prune)
    failed = {o.address for o in report.failures}
    unexpected = [c for c in after.drift if c.address not in failed]
    if unexpected or after.findings:
        text.render_verify(after, err)
        raise AwsprovError("verify after apply: live does not match the spec (see above)")
    if report.failures:
        raise ApplyFailed(f"{plural(len(report.failures), 'resource')} failed or refused")


def verify(
    ctx: typer.Context,
    spec: Path = SPEC_ARG,
    env: str | None = ENV_OPT,
    output: VerifyOutput = typer.Option(VerifyOutput.text, "--output", "-o"),
    baseline: bool = typer.Option(False, "--baseline", help="Also report security baseline "
                                  "findings."),
    parallelism: int = PARALLELISM_OPT,
) -> None:
    """Re-read live AWS; exit 2 when it differs from the spec."""
    from awsprov.engine.planner import PlanOptions, make_plan
    from awsprov.engine.verify import verify as run_verify
    from awsprov.render import console, junit, text

    options = _options(ctx)
    stack = context.load(spec, env, options)
    aws = context.aws_context(stack.region, options, parallelism)
    result = make_plan(stack, aws, PlanOptions(parallelism=parallelism))
    report = run_verify(result, baseline=baseline)
    if output is VerifyOutput.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    elif output is VerifyOutput.junit:
        sys.stdout.write(junit.verify_junit(report, list(stack.resources)))
    else:
        text.render_verify(report, console.stdout())
    if not report.clean:
        raise typer.Exit(EXIT_CHANGES)


def destroy(
    ctx: typer.Context,
    spec: Path = SPEC_ARG,
    env: str | None = ENV_OPT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    target: list[str] = typer.Option([], "--target", help="Only this address; repeatable."),
    parallelism: int = PARALLELISM_OPT,
) -> None:
    """Delete the stack's resources, dependents first, under the data-loss guards."""
    from awsprov.engine.executor import ApplyOptions, apply_plan
    from awsprov.engine.planner import PlanOptions, make_destroy_plan
    from awsprov.render import console, text

    options = _options(ctx)
    stack = context.load(spec, env, options, inputs=False)
    aws = context.aws_context(stack.region, options, parallelism)
    result = make_destroy_plan(stack, aws, PlanOptions(tuple(target), parallelism=parallelism))
    text.render_plan(result.plan, console.stdout())
    if not result.plan.has_changes:
        return
    _confirm(yes, "Destroy these resources? Their data is lost.")
    err = console.stderr()
    report = apply_plan(stack, result, aws, ApplyOptions(prune=True, parallelism=parallelism),
                        text.ConsoleReporter(err))
    text.render_apply_report(report, err)
    if report.failures:
        raise ApplyFailed(f"{plural(len(report.failures), 'resource')} not deleted")


def _print_plan(plan, output: TextOrJson) -> None:
    from awsprov.render import console, text

    if output is TextOrJson.json:
        sys.stdout.write(json.dumps(plan.to_json(), indent=2) + "\n")
        return
    out = console.stdout()
    text.render_plan(plan, out)
    if plan.cost_delta:
        from awsprov.render.cost import plan_cost_line

        out.print(plan_cost_line(plan.cost_delta))


def _apply_command(plan_file: Path, options: context.GlobalOptions) -> str:
    """`awsprov apply PLAN` as it must be typed: the plan file does not keep where the calls
    went (--local, --endpoint-url) or whose credentials made them (--profile)."""
    import shlex

    words = ["awsprov"]
    if options.local:
        words.append("--local")
    for flag, value in (("--endpoint-url", options.endpoint_url),
                        ("--region", options.region), ("--profile", options.profile)):
        if value and not (options.local and flag == "--endpoint-url"):
            words += [flag, value]
    words += ["apply", str(plan_file)]
    return shlex.join(words)


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise AwsprovError("not a terminal: confirm with --yes")
    answer = typer.prompt(f"{question} Only 'yes' is accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise AwsprovError("cancelled; nothing was changed")


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


def register(app: typer.Typer) -> None:
    for command in (validate, plan, apply, verify, destroy, schema):
        app.command()(command)


__all__ = ["EXIT_ERROR", "EXIT_OK", "register"]

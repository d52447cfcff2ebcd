"""validate, schema, plan, apply, verify, destroy: each parses options and delegates."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from awsprov.cli import context, reports
from awsprov.cli.json_output import with_report, write_json
from awsprov.cli.lease_cmd import LOCK_TIMEOUT_OPT, NO_LOCK_OPT, hold_lease
from awsprov.core.run import DEFAULT_PARALLELISM, RunOptions
from awsprov.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, ApplyFailed, AwsprovError
from awsprov.resources.sizes import plural

if TYPE_CHECKING:
    from awsprov.aws.context import AwsContext
    from awsprov.engine.executor import ApplyReport
    from awsprov.engine.planner import PlanResult
    from awsprov.spec.model import Stack

SPEC_ARG = typer.Argument(..., help="A spec file, or a folder of *.yaml forming one stack.")
ENV_OPT = typer.Option(None, "--env", "-e", help="Environment from the spec's environments.")
YES_OPT = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
PARALLELISM_OPT = typer.Option(DEFAULT_PARALLELISM, "--parallelism", min=1, max=64,
                               help="Resources read or changed at once.")


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class JsonOnly(str, Enum):
    json = "json"


OUTPUT_OPT = typer.Option(TextOrJson.text, "--output", "-o", help="text, or one JSON document.")


class TextJsonOrMarkdown(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


class VerifyOutput(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


def _options(ctx: typer.Context) -> context.GlobalOptions:
    return ctx.obj or context.GlobalOptions()


def validate(
    ctx: typer.Context,
    spec: Path = SPEC_ARG,
    env: str | None = ENV_OPT,
    no_inputs: bool = typer.Option(False, "--no-inputs", help="Do not check external inputs "
                                   "(secrets' environment variables and files): for CI "
                                   "without the secrets."),
    output: TextOrJson = OUTPUT_OPT,
) -> None:
    """Schema and semantic checks; no AWS call."""
    stack = context.load(spec, env, _options(ctx), inputs=not no_inputs)
    if output is TextOrJson.json:
        from awsprov.cli.reports import validate_document

        write_json(validate_document(spec, stack))
        return
    skipped = "; external inputs not checked" if no_inputs else ""
    typer.echo(f"{spec}: valid (stack {stack.name}, "
               f"{plural(len(stack.resources), 'resource')}{skipped})")


def schema(output: JsonOnly = typer.Option(JsonOnly.json, "--output", "-o",
                                            help="Always JSON (the schema is a JSON document)."),
           ) -> None:
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
    output: TextJsonOrMarkdown = typer.Option(TextJsonOrMarkdown.text, "--output", "-o",
                                      help="markdown: for a pull-request comment."),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 2 when there are changes."),
    force_adopt: bool = typer.Option(False, "--force-adopt",
                                     help="Take over resources tagged by another stack."),
    prune: bool = typer.Option(False, "--prune", help="Plan the deletion of orphans, as "
                               "apply --prune does (a saved plan keeps it)."),
    parallelism: int = PARALLELISM_OPT,
    no_cost: bool = typer.Option(False, "--no-cost", help="Skip the monthly cost before → "
                                 "after the change."),
) -> None:
    """Show what apply would change, against live AWS."""
    from awsprov.engine import planfile
    from awsprov.engine.planner import make_plan

    options = _options(ctx)
    run = RunOptions(targets=tuple(target), force_adopt=force_adopt, prune=prune,
                     parallelism=parallelism)
    stack = context.load(spec, env, options)
    aws = context.run_context(ctx, stack.region, options, run)
    result = make_plan(stack, aws, run)
    if not no_cost:
        from awsprov.cli.cost_cmd import plan_cost

        result.plan.cost_delta = plan_cost(stack, result, aws.region)
    _print_plan(result.plan, output)
    if out:
        settings = planfile.PlanSettings(
            spec=str(spec), env=env, region=aws.region, targets=run.targets,
            force_adopt=run.force_adopt, prune=run.prune, profile=options.profile,
            local=options.local, endpoint_url=None if options.local else options.endpoint_url)
        planfile.save(out, result, stack.sources, settings, planfile.place_of(aws))
        _stderr(f"Plan saved to {out}; apply it with: {_apply_command(out, options)}")
    if detailed_exitcode and result.plan.has_changes:
        raise typer.Exit(EXIT_CHANGES)


def apply(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="A spec file or folder, or a plan saved by --out."),
    env: str | None = ENV_OPT,
    yes: bool = YES_OPT,
    allow_replace: bool = typer.Option(False, "--allow-replace",
                                       help="Allow replacements that lose data."),
    allow_irreversible: bool = typer.Option(False, "--allow-irreversible",
                                            help="Allow one-way changes on existing resources."),
    allow_data_loss: bool = typer.Option(False, "--allow-data-loss",
                                         help="Allow updates that destroy data by "
                                         "configuration (retention cut, backups off)."),
    prune: bool = typer.Option(False, "--prune", help="Delete orphans of this stack."),
    target: list[str] = typer.Option([], "--target", help="Only this address; repeatable."),
    force_adopt: bool = typer.Option(False, "--force-adopt"),
    parallelism: int = PARALLELISM_OPT,
    output: TextOrJson = OUTPUT_OPT,
    no_lock: bool = NO_LOCK_OPT,
    lock_timeout: str = LOCK_TIMEOUT_OPT,
) -> None:
    """Converge live AWS to the spec, wait for it to settle, then verify."""
    from awsprov.engine import planfile
    from awsprov.engine.planner import make_plan
    from awsprov.engine.verify import verify
    from awsprov.render import console, text

    options = _options(ctx)
    saved = planfile.load(spec) if planfile.is_plan_file(spec) else None
    if saved:
        settings = saved.settings
        planfile.adopt_options(saved, options, env, target, prune, force_adopt)
        env, target, force_adopt = settings.env, list(settings.targets), settings.force_adopt
        prune = settings.prune  # a plan saved with --prune deletes
        stack = context.load(Path(settings.spec), env, options, sources=saved.sources)
    else:
        stack = context.load(spec, env, options)
    run = RunOptions(targets=tuple(target), force_adopt=force_adopt, prune=prune,
                     parallelism=parallelism, allow_replace=allow_replace,
                     allow_irreversible=allow_irreversible, allow_data_loss=allow_data_loss)
    aws = context.run_context(ctx, stack.region, options, run)
    if saved:  # bound to where it was made and the values it was made with: no write yet
        planfile.check_place(saved, aws)
        planfile.check_inputs(saved, stack)
    hold_lease(ctx, stack, aws, "apply", no_lock, lock_timeout)  # held until apply ends
    result = make_plan(stack, aws, run)
    if saved:  # and to what was reviewed, or refused before any write
        planfile.check_fresh(saved, result)
        planfile.check_reviewed(saved, result)
    as_json = output is TextOrJson.json
    # a saved plan was confirmed when it was reviewed
    question = None if saved else "Apply these changes?"
    report = _confirm_and_execute("apply", stack, result, aws, run, question, yes, as_json)
    if report is None:
        return
    err = console.stderr()
    after = verify(make_plan(stack, aws, run), include_orphans=prune)
    document = reports.apply_document("apply", result.plan, report, after) if as_json else None
    failed = {o.address for o in report.failures}
    unexpected = [c for c in after.drift if c.address not in failed]
    if unexpected or after.findings:
        text.render_verify(after, err)
        raise with_report(AwsprovError("verify after apply: live does not match the spec "
                                       "(see above)"), document)
    if report.failures:
        raise with_report(ApplyFailed(f"{plural(len(report.failures), 'resource')} failed or "
                                      f"refused"), document)
    text.render_complete(report, err)  # only now: applied, settled and verified
    if document:
        write_json(document)


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
    from awsprov.engine.planner import make_plan
    from awsprov.engine.verify import verify as run_verify
    from awsprov.render import console, junit, text

    options = _options(ctx)
    run = RunOptions(parallelism=parallelism)
    stack = context.load(spec, env, options)
    aws = context.run_context(ctx, stack.region, options, run)
    result = make_plan(stack, aws, run)
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
    yes: bool = YES_OPT,
    target: list[str] = typer.Option([], "--target", help="This address and everything "
                                     "that depends on it (never what it references); "
                                     "repeatable."),
    parallelism: int = PARALLELISM_OPT,
    output: TextOrJson = OUTPUT_OPT,
    no_lock: bool = NO_LOCK_OPT,
    lock_timeout: str = LOCK_TIMEOUT_OPT,
) -> None:
    """Delete the stack's resources, dependents first, under the data-loss guards."""
    from awsprov.engine.planner import make_destroy_plan
    from awsprov.render import console, text

    options = _options(ctx)
    # prune: the destroy plan's orphans are deleted too
    run = RunOptions(targets=tuple(target), prune=True, parallelism=parallelism)
    stack = context.load(spec, env, options, inputs=False)
    aws = context.run_context(ctx, stack.region, options, run)
    hold_lease(ctx, stack, aws, "destroy", no_lock, lock_timeout)  # held until destroy ends
    result = make_destroy_plan(stack, aws, run)
    as_json = output is TextOrJson.json
    report = _confirm_and_execute("destroy", stack, result, aws, run,
                                  "Destroy these resources? Their data is lost.", yes, as_json)
    if report is None:
        return
    err = console.stderr()
    document = reports.apply_document("destroy", result.plan, report) if as_json else None
    if report.failures:
        raise with_report(ApplyFailed(f"{plural(len(report.failures), 'resource')} not deleted"),
                          document)
    text.render_complete(report, err, "destroy")
    if document:
        write_json(document)


def _confirm_and_execute(command: str, stack: Stack, result: PlanResult, aws: AwsContext,
                         run: RunOptions, question: str | None, yes: bool,
                         as_json: bool) -> ApplyReport | None:
    """Show the plan; unless it changes nothing (None, after the JSON document of a plan
    without changes), ask `question` (none: already confirmed), then execute it with
    progress on stderr. The ApplyReport, its failures rendered."""
    from awsprov.engine.executor import apply_plan
    from awsprov.render import console, text

    if not as_json:
        text.render_plan(result.plan, console.stdout())
    if not result.plan.has_changes:
        if as_json:
            write_json(reports.apply_document(command, result.plan))
        return None
    if question:
        _confirm(yes, question, as_json)
    err = console.stderr()
    report = apply_plan(stack, result, aws, run, text.ConsoleReporter(err))
    text.render_apply_report(report, err, command)
    return report


def _print_plan(plan, output: TextJsonOrMarkdown) -> None:
    from awsprov.render import console, text

    if output is TextJsonOrMarkdown.json:
        write_json(plan.to_json())
        return
    if output is TextJsonOrMarkdown.markdown:
        from awsprov.render.markdown import render_plan_markdown

        sys.stdout.write(render_plan_markdown(plan))
        return
    out = console.stdout()
    text.render_plan(plan, out)
    if plan.cost_delta:
        from awsprov.render.cost import plan_cost_line

        out.print(plan_cost_line(plan.cost_delta))


def _apply_command(plan_file: Path, options: context.GlobalOptions) -> str:
    """`awsprov apply PLAN` as it must be typed, with where the calls went (--local,
    --endpoint-url) and whose credentials made them (--profile): the plan file keeps them
    too and refuses others, so the hint is the command that works anywhere."""
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


def _confirm(yes: bool, question: str, as_json: bool = False) -> None:
    if yes:
        return
    if as_json:  # a prompt would land in the JSON document on stdout
        raise AwsprovError("--output json does not ask for confirmation: add --yes")
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

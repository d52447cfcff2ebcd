"""Global options and what commands build from them (no boto3 import at module level)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from awsprov.core.run import DEFAULT_PARALLELISM, RunOptions
from awsprov.errors import AwsprovError

if TYPE_CHECKING:
    import typer

    from awsprov.aws.context import AwsContext
    from awsprov.spec.model import Stack

log = logging.getLogger("awsprov")


@dataclass(kw_only=True)
class GlobalOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    local: bool = False
    verbose: bool = False
    allow_outside_files: bool = False


def load(spec: Path, env: str | None, options: GlobalOptions,
         sources: dict[str, str] | None = None, inputs: bool = True) -> Stack:
    """The validated stack; `inputs=False` for commands that never send values to AWS
    (cost-estimate, iam-policy, destroy), so they run without the secrets' env vars."""
    from awsprov.spec.loader import load_stack

    stack = load_stack(spec, env=env, region=options.region, sources=sources,
                       fallback_region=lambda: configured_region(options), inputs=inputs,
                       allow_outside_files=options.allow_outside_files)
    _print_warnings(stack.warnings)
    return stack


def configured_region(options: GlobalOptions) -> str | None:
    """The region the AWS configuration gives, for a spec without one: AWS_REGION, then
    AWS_DEFAULT_REGION, then the profile's `region` (read without boto3: `validate` and
    `${region}` need it at load time)."""
    from awsprov.aws.config_file import profile_region
    from awsprov.aws.session import default_region

    return default_region() or profile_region(options.profile)


def _print_warnings(warnings: list[str]) -> None:
    if not warnings:
        return
    from rich.markup import escape

    from awsprov.render import console

    err = console.stderr()
    for warning in warnings:
        err.print(f"[warn]warning:[/] {escape(warning)}", markup=True, highlight=False)


def run_context(ctx: typer.Context, stack_region: str | None, options: GlobalOptions,
                run: RunOptions) -> AwsContext:
    """The AWS context of one run, sized from its options and owned by the command: it is
    closed (its sub-read threads shut down) when the command ends, however it ends."""
    return ctx.with_resource(aws_context(stack_region, options, run.parallelism))


def aws_context(stack_region: str | None, options: GlobalOptions,
                parallelism: int = DEFAULT_PARALLELISM) -> AwsContext:
    """A context manager: the caller closes it (`run_context` has the command do it)."""
    from awsprov.aws.context import AwsContext
    from awsprov.aws.session import ClientFactory, Target
    from awsprov.aws.sub_reads import SubReadPool

    endpoint = explicit_endpoint(options)
    if options.local:
        from awsprov import local

        endpoint = local.endpoint_or_fail()
        for key, value in local.DUMMY_CREDENTIALS.items():
            os.environ.setdefault(key, value)
    region = options.region or stack_region or configured_region(options)
    if not region:
        raise AwsprovError("no AWS region: set `region:` in the spec, --region, or AWS_REGION")
    # A connection for each read thread and each sub-read thread (both `parallelism`),
    # and never fewer than a default run has.
    connections = max(DEFAULT_PARALLELISM, parallelism * 2)
    factory = ClientFactory(Target(region, options.profile, endpoint),
                            max_pool_connections=connections)
    if options.verbose:
        factory.on("before-call", _log_call)
    return AwsContext(factory, region, sub_reads=SubReadPool(parallelism))


def explicit_endpoint(options: GlobalOptions) -> str | None:
    """The endpoint awsprov passes to every client itself: --endpoint-url only. A value that
    came from AWS_ENDPOINT_URL is left to botocore, so that AWS_ENDPOINT_URL_<SERVICE> and a
    profile's `[services]` win over it for their service, as in the AWS CLI."""
    if options.endpoint_url and options.endpoint_url == os.environ.get("AWS_ENDPOINT_URL"):
        return None
    return options.endpoint_url


def _log_call(model=None, **_: object) -> None:
    # Operation names only: parameters may hold secret values.
    if model is not None:
        log.info("AWS %s.%s", model.service_model.service_name, model.name)

"""`awsprov unlock STACK`: break a stale apply lease (its holder was killed), after
confirmation. It never creates the lock table: no table, no lease."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from awsprov.cli import context
from awsprov.cli.commands import OUTPUT_OPT, YES_OPT, TextOrJson, _confirm
from awsprov.errors import AwsprovError

if TYPE_CHECKING:
    from awsprov.engine.lease import Holder, LeaseKey


def unlock(
    ctx: typer.Context,
    stack: str = typer.Argument(..., metavar="STACK",
                                help="The stack's name, or its spec file or folder."),
    env: str | None = typer.Option(None, "--env", "-e", help="The environment whose lease "
                                   "to break (a lease is per stack, env and region)."),
    yes: bool = YES_OPT,
    output: TextOrJson = OUTPUT_OPT,
) -> None:
    """Break a stale apply lease (its holder was killed), after confirmation."""
    from awsprov.engine import lease

    as_json = output is TextOrJson.json
    options = ctx.obj or context.GlobalOptions()
    name, env, region = _stack_named(stack, env, options)
    aws = ctx.with_resource(context.aws_context(region, options))
    key = lease.LeaseKey(name, env, aws.region)
    holder = lease.read(aws, key)
    if holder is None:
        _report(as_json, key, None, f"{key.describe()} holds no lease: nothing to unlock")
        return
    if not as_json:
        typer.echo(f"{key.describe()} is locked by {holder.describe()}, lease good until "
                   f"{lease.utc(holder.expires_at)}", err=True)
    _confirm(yes, "Break this lease? If that apply still runs, the next one runs alongside "
                  "it.", as_json)
    if not lease.break_lease(aws, key, holder):
        raise AwsprovError(f"the lease of {key.describe()} changed since it was read "
                           f"(released, or taken by another apply): nothing was broken")
    _report(as_json, key, holder, f"lease of {key.describe()} broken")


def _stack_named(stack: str, env: str | None,
                 options: context.GlobalOptions) -> tuple[str, str | None, str | None]:
    """(name, env, region): from the spec when STACK is a path; else STACK is the name and
    the region comes from --region or the AWS configuration."""
    path = Path(stack)
    if path.exists():
        loaded = context.load(path, env, options, inputs=False)
        return loaded.name, loaded.env, loaded.region
    return stack, env, None


def _report(as_json: bool, key: LeaseKey, holder: Holder | None, message: str) -> None:
    if not as_json:
        typer.echo(message)
        return
    from awsprov.cli.json_output import write_json

    write_json({"version": 1, "command": "unlock", "stack": key.stack, "env": key.env,
                "region": key.region, "broken": holder is not None,
                "lease": holder.to_json() if holder else None})


def register(app: typer.Typer) -> None:
    app.command()(unlock)


__all__ = ["register", "unlock"]

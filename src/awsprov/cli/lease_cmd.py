"""The apply lease on the command line: apply/destroy's --no-lock and --lock-timeout (the
lease itself: engine/lease.py; `awsprov unlock`: cli/unlock_cmd.py). No boto3 at import."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from awsprov.aws.context import AwsContext
    from awsprov.spec.model import Stack

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(value: str) -> float:
    """Seconds in `0`, `30`, `30s`, `5m`, `1m30s`, `1h` (Terraform's -lock-timeout form)."""
    match = _DURATION.match(value.strip())
    if not value.strip() or not match:
        raise typer.BadParameter(f"{value!r} is not a duration (e.g. 0s, 30s, 5m, 1m30s)")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


NO_LOCK_OPT = typer.Option(False, "--no-lock", help="Take no lease: another apply of this "
                           "stack may then run at the same time.")
LOCK_TIMEOUT_OPT = typer.Option("0s", "--lock-timeout", callback=_check_duration,
                                metavar="DURATION",
                                help="How long to wait for another apply's lease (0s: fail "
                                "at once, naming its holder; e.g. 30s, 5m).")


def hold_lease(ctx: typer.Context, stack: Stack, aws: AwsContext, command: str,
               no_lock: bool, lock_timeout: str) -> None:
    """Take the stack's lease for the rest of the command (released when it ends, whether it
    succeeds, fails or is interrupted): before the plan, so no two applies plan at once."""
    ctx.with_resource(lease_for(stack, aws, command, no_lock, lock_timeout))


def lease_for(stack: Stack, aws: AwsContext, command: str, no_lock: bool,
              lock_timeout: str) -> AbstractContextManager[Any]:
    if no_lock:
        return nullcontext()
    from awsprov.engine import lease

    key = lease.LeaseKey(stack.name, stack.env, aws.region)
    return lease.hold(aws, key, command, parse_duration(lock_timeout), _notify)


def _notify(message: str) -> None:
    from rich.markup import escape

    from awsprov.render import console

    console.stderr().print(f"[warn]lease:[/] {escape(message)}", markup=True, highlight=False)

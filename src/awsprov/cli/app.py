"""`awsprov`: the Typer app, global options and the one error boundary."""

from __future__ import annotations

import logging
import sys

import typer

from awsprov import __version__
from awsprov.cli import (
    commands,
    cost_cmd,
    help_format,
    inspect_cmd,
    local_cmd,
    plain_params,
    tools,
    unlock_cmd,
)
from awsprov.cli.context import GlobalOptions
from awsprov.cli.json_output import error_document, wants_json, write_json
from awsprov.errors import EXIT_ERROR, AwsprovError

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
EXIT_INTERRUPTED = 130  # 128 + SIGINT; apply's own Ctrl-C handling raises it with a report

app = typer.Typer(
    name="awsprov",
    help="Plan, apply and verify the AWS data and security layer from YAML specs. "
         "Stateless: live AWS is the only state.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (README: Shell completion)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP_OPTIONS,
)
app.add_typer(local_cmd.app, name="local")
commands.register(app)
tools.register(app)
cost_cmd.register(app)
inspect_cmd.register(app)
unlock_cmd.register(app)
help_format.add_examples(app)
help_format.install()
plain_params.install()


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"awsprov {__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
    profile: str | None = typer.Option(None, "--profile", help="AWS profile to use."),
    region: str | None = typer.Option(None, "--region", help="Region; wins over the spec's."),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="Send all calls here."),
    local: bool = typer.Option(False, "--local", help="Use the local emulator (awsprov local)."),
    no_color: bool = typer.Option(False, "--no-color", help="Plain output."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Log AWS calls (names only) and show tracebacks."),
    allow_outside_files: bool = typer.Option(
        False, "--allow-outside-files",
        help="Let from_file read files outside the spec's folder (docs/spec.md)."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    from awsprov.render import console

    console.set_no_color(no_color)
    if verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("botocore").setLevel(logging.WARNING)
    ctx.obj = GlobalOptions(profile=profile, region=region, endpoint_url=endpoint_url,
                            local=local, verbose=verbose,
                            allow_outside_files=allow_outside_files)


GLOBAL_FLAGS = {"--local", "--no-color", "--verbose", "-v", "--allow-outside-files"}
GLOBAL_VALUES = {"--profile", "--region", "--endpoint-url"}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Let global options stand anywhere (`awsprov plan x.yaml --region eu-west-2`)."""
    front: list[str] = []
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest.append(arg)
            rest.extend(args)
        elif name in GLOBAL_FLAGS:
            front.append(arg)
        elif name in GLOBAL_VALUES:
            front.append(arg)
            if "=" not in arg:
                front.append(next(args, ""))
        else:
            rest.append(arg)
    return front + rest


def _click_exceptions() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(usage errors, aborts) of click and of the click that Typer >= 0.2x vendors."""
    usage: list[type] = []
    aborts: list[type] = [typer.Abort]
    try:
        import click
    except ImportError:
        pass
    else:
        usage.append(click.exceptions.ClickException)
        aborts.append(click.exceptions.Abort)
    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:
        pass
    else:
        usage.append(VendoredClickException)
    return tuple(usage), tuple(aborts)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error becomes one line on stderr and an exit code; with
    `--output json` also one error document on stdout (docs/error-output.schema.json)."""
    usage_errors, aborts = _click_exceptions()
    argv = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    verbose = "--verbose" in argv or "-v" in argv
    as_json = wants_json(argv)
    try:
        code = app(args=argv, prog_name="awsprov", standalone_mode=False)
        if code == EXIT_INTERRUPTED:  # Typer turned a Ctrl-C outside apply into Exit(130)
            code = _fail("interrupted", EXIT_INTERRUPTED, as_json, "interrupted")
    except AwsprovError as exc:
        from awsprov.cli.json_output import kind_of

        code = _fail(str(exc), exc.exit_code, as_json, kind_of(exc), exc)
        if getattr(exc, "leaves_threads", False):
            _exit_now(code)
    except aborts:
        code = _fail("aborted", EXIT_ERROR, as_json, "interrupted")
    except usage_errors as exc:
        code = EXIT_ERROR  # never click's 2: exit 2 means "changes" or "drift" here
        if as_json:
            write_json(error_document(exc.format_message(), code, "usage", exc))
        exc.show()
    except KeyboardInterrupt:
        code = _fail("interrupted", EXIT_INTERRUPTED, as_json, "interrupted")
    except Exception as exc:
        from awsprov.aws import errors

        described = errors.describe(exc)
        if verbose:
            # The frames, then the scrubbed message: an exception's own text may carry
            # request parameters (a secret value), so it is never printed as it is.
            import traceback

            sys.stderr.write("".join(traceback.format_tb(exc.__traceback__)))
            message = str(described)
        else:
            message = f"{described} (run with --verbose for details)"
        from awsprov.cli.json_output import kind_of

        kind = kind_of(described)
        if kind == "error":
            kind = "aws" if errors.code(exc) else "internal"
        code = _fail(message, EXIT_ERROR, as_json, kind, described)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int, as_json: bool, kind: str,
          error: BaseException | None = None) -> int:
    """The error on stderr (always) and, with --output json, as one document on stdout."""
    if as_json:
        write_json(error_document(message, code, kind, error))
    _print_error(message)
    return code


def _exit_now(code: int) -> None:
    """Exit without joining the worker threads a second Ctrl-C left running."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _print_error(message: str) -> None:
    from rich.markup import escape

    from awsprov.render import console

    err = console.stderr()
    for line in message.splitlines() or [""]:
        # escaped: messages quote patterns like [a-z] that rich would take for markup
        err.print(f"[error]error:[/] {escape(line)}", markup=True, highlight=False)

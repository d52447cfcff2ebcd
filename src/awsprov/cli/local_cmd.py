"""`awsprov local start|stop|status`: the embedded emulator."""

from __future__ import annotations

import typer

from awsprov.errors import AwsprovError

app = typer.Typer(help="The local AWS emulator (moto) on 127.0.0.1.", no_args_is_help=True)


@app.command()
def start(port: int | None = typer.Option(
        None, "--port", show_default="4566",
        help="Port on 127.0.0.1; refused while the emulator runs on another.")) -> None:
    """Start the emulator in the background (idempotent: reports the one running)."""
    from awsprov import local

    server = local.start(port)
    typer.echo(f"local AWS running at {server.endpoint} (pid {server.pid}); "
               f"use --local or AWS_ENDPOINT_URL={server.endpoint}")


@app.command()
def stop() -> None:
    """Stop the emulator; everything it held is gone."""
    from awsprov import local

    server = local.stop()
    typer.echo("local AWS stopped" if server else "local AWS was not running")


@app.command()
def status() -> None:
    """Exit 0 and print the endpoint if running; exit 1 if not."""
    from awsprov import local

    server = local.status()
    if server is None:
        raise AwsprovError("local AWS is not running")
    typer.echo(f"local AWS running at {server.endpoint} (pid {server.pid})")

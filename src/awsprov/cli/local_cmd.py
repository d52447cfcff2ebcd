"""`awsprov local start|stop|status`: the embedded emulator."""

from __future__ import annotations

import typer

from awsprov.cli.commands import TextOrJson
from awsprov.cli.json_output import write_json
from awsprov.errors import AwsprovError

app = typer.Typer(help="The local AWS emulator (moto) on 127.0.0.1.", no_args_is_help=True)


OUTPUT_OPT = typer.Option(TextOrJson.text, "--output", "-o", help="text, or one JSON document.")


def _print_json(server, running: bool = True, **extra: object) -> None:
    """docs/local-output.schema.json: `server` None when there is none."""
    write_json({"version": 1, "running": running and server is not None,
                "endpoint": server.endpoint if server else None,
                "pid": server.pid if server else None, **extra})


@app.command()
def start(port: int | None = typer.Option(
        None, "--port", show_default="4566",
        help="Port on 127.0.0.1; refused while the emulator runs on another."),
        output: TextOrJson = OUTPUT_OPT) -> None:
    """Start the emulator in the background (idempotent: reports the one running)."""
    from awsprov import local

    server = local.start(port)
    if output is TextOrJson.json:
        return _print_json(server)
    typer.echo(f"local AWS running at {server.endpoint} (pid {server.pid}); "
               f"use --local or AWS_ENDPOINT_URL={server.endpoint}")


@app.command()
def stop(output: TextOrJson = OUTPUT_OPT) -> None:
    """Stop the emulator; everything it held is gone."""
    from awsprov import local

    server = local.stop()
    if output is TextOrJson.json:
        return _print_json(server, running=False, stopped=server is not None)
    typer.echo("local AWS stopped" if server else "local AWS was not running")


@app.command()
def status(output: TextOrJson = OUTPUT_OPT) -> None:
    """Exit 0 and print the endpoint if running; exit 1 if not."""
    from awsprov import local

    server = local.status()
    if output is TextOrJson.json:
        _print_json(server)
        if server is None:
            raise typer.Exit(1)
        return
    if server is None:
        raise AwsprovError("local AWS is not running")
    typer.echo(f"local AWS running at {server.endpoint} (pid {server.pid})")

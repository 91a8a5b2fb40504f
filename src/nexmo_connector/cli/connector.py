"""``nexmo-connector connector export DIR``: the Power Platform custom connector's files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nexmo_connector.cli.common import EXIT_USAGE, fail
from nexmo_connector.cli.serve import service_config

app = typer.Typer(help="The Power Platform custom connector.", no_args_is_help=True)


@app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write the files (made if missing).")],
    public_url: Annotated[
        str | None,
        typer.Option(help="Where Power Platform reaches the service [default: http://HOST:PORT]."),
    ] = None,
) -> None:
    """Write apiDefinition.swagger.json, apiProperties.json, icon.png and README.md.

    Example: nexmo-connector connector export ./connector --public-url https://nexmo.example.com
    """
    config = service_config(public_url=public_url)
    from nexmo_connector.service.app import create_app
    from nexmo_connector.service.connector_export import export as write

    try:
        written = write(directory, create_app(config).openapi(), config.base_url())
    except OSError as exc:
        fail(f"DIRECTORY: cannot write {directory}: {exc.strerror or exc}", EXIT_USAGE)
    for path in written:
        typer.echo(path)

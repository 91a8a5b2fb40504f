"""Entry point: ``nexmo-connector COMMAND``."""

from __future__ import annotations

import typer

from nexmo_connector.cli import sandbox

app = typer.Typer(
    name="nexmo-connector",
    help="The Nexmo (Vonage) connector: SMS, speech calls, numbers, applications, sandbox.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("sandbox")(sandbox.sandbox)


@app.callback()
def _root() -> None:
    """The Nexmo (Vonage) connector."""


def main() -> None:
    app()

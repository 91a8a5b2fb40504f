"""Entry point: ``nexmo-connector [SHARED OPTIONS] COMMAND [OPTIONS]``."""

from __future__ import annotations

from typing import Any

import typer

from nexmo_connector.cli import apps, bulk, connector, numbers, sandbox, serve, sms, tts
from nexmo_connector.cli.common import EXIT_CODES_HELP, Settings, shared_options

app = typer.Typer(
    name="nexmo-connector",
    help="The Nexmo (Vonage) connector: SMS, speech calls, numbers, applications, sandbox."
    f"\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sms.app.command("bulk")(shared_options(bulk.bulk))
app.add_typer(sms.app, name="sms")
app.add_typer(tts.app, name="tts")
app.add_typer(numbers.app, name="numbers")
app.add_typer(apps.app, name="apps")
app.command("sandbox")(sandbox.sandbox)
app.command("serve")(serve.serve)
app.add_typer(serve.users_app, name="users")
app.add_typer(serve.db_app, name="db")
app.add_typer(connector.app, name="connector")


@app.callback()
@shared_options
def _root(ctx: typer.Context, settings: Settings) -> None:
    """The Nexmo (Vonage) connector."""
    ctx.obj = settings


def main(args: list[str] | None = None) -> Any:
    return app(args)

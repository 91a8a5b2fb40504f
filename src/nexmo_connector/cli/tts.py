"""``nexmo-connector tts send``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from nexmo_connector.cli.common import Settings, shared_options, table, upstream_errors

app = typer.Typer(help="Text-to-speech calls.", no_args_is_help=True)


@app.command("send")
@shared_options
def send(
    settings: Settings,
    to: Annotated[str, typer.Option(help="Number to call, international format (E.164).")],
    text: Annotated[str, typer.Option(help="What to say (≤ 1500 characters).")],
    sender: Annotated[str | None, typer.Option("--from", help="A voice-enabled number.")] = None,
    lg: Annotated[str | None, typer.Option(help="Language, like en-us.")] = None,
    voice: Annotated[Literal["male", "female"] | None, typer.Option(help="male or female.")] = None,
    repeat: Annotated[str | None, typer.Option(metavar="N", help="Say it 1–10 times.")] = None,
    machine_detection: Annotated[
        Literal["true", "hangup"] | None, typer.Option(help="true or hangup.")
    ] = None,
    machine_timeout: Annotated[str | None, typer.Option(metavar="N", help="400–10000 ms.")] = None,
    callback: Annotated[str | None, typer.Option(help="URL told how the call ended.")] = None,
    callback_method: Annotated[
        Literal["GET", "POST"] | None, typer.Option(help="GET or POST.")
    ] = None,
    speech: Annotated[
        Literal["legacy", "voice"] | None,
        typer.Option(
            help="legacy (/tts/json, key and secret) or voice (the Voice API) "
            "[default: voice with an application id and key, else legacy]."
        ),
    ] = None,
    application_id: Annotated[
        str | None,
        typer.Option(envvar="NEXMO_APPLICATION_ID", help="The Voice API application's id."),
    ] = None,
    private_key: Annotated[
        Path | None,
        typer.Option(
            envvar="NEXMO_PRIVATE_KEY",
            metavar="FILE",
            help="Its private key (the file apps create wrote).",
        ),
    ] = None,
) -> None:
    """Send a speech (text-to-speech) call.

    Example: nexmo-connector tts send --to 447700900000 --text "Your code is 1 2 3"
    """
    options = {
        "from_": sender, "lg": lg, "voice": voice, "repeat": repeat,
        "machine_detection": machine_detection, "machine_timeout": machine_timeout,
        "callback": callback, "callback_method": callback_method,
    }  # fmt: skip
    given: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    mode: dict[str, Any] = {"speech": speech, "application_id": application_id,
                            "private_key": private_key}  # fmt: skip
    with upstream_errors(), settings.client(**mode) as client:
        result = client.send_tts(to=to, text=text, **given)
    settings.out.emit(
        result,
        lambda: table(
            "Call placed", ["call_id", "to", "status"], [[result.call_id, result.to, result.status]]
        ),
    )

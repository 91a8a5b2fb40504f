"""``nexmo-connector tts send``."""

from __future__ import annotations

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
    with upstream_errors(), settings.client() as client:
        result = client.send_tts(to=to, text=text, **given)
    settings.out.emit(
        result,
        lambda: table(
            "Call placed", ["call_id", "to", "status"], [[result.call_id, result.to, result.status]]
        ),
    )

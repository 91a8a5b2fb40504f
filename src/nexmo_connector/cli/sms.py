"""``nexmo-connector sms send|parts``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from nexmo_connector.cli.common import Settings, shared_options, table, upstream_errors
from nexmo_connector.rules import SmsType

if TYPE_CHECKING:
    from nexmo_connector.models import SmsResponse
from nexmo_connector.sms import sms_parts

app = typer.Typer(help="Send SMS, count parts, send to a whole list.", no_args_is_help=True)


def _sent_table(result: SmsResponse) -> Table:
    rows = [
        [i, m.message_id, m.to, m.status, m.message_price, m.remaining_balance, m.network]
        for i, m in enumerate(result.messages, 1)
    ]
    columns = ["part", "message-id", "to", "status", "price (EUR)", "balance (EUR)", "network"]
    return table(f"Sent in {result.message_count} part(s)", columns, rows)


@app.command("send")
@shared_options
def send(
    settings: Settings,
    sender: Annotated[str, typer.Option("--from", help="Sender id: a number or ≤ 11 letters.")],
    to: Annotated[str, typer.Option(help="Recipient, international format (E.164).")],
    text: Annotated[str | None, typer.Option(help="SMS body.")] = None,
    sms_type: Annotated[
        SmsType | None,
        typer.Option(
            "--type", help="text, unicode (auto when needed), binary, wappush, vcard, vcal."
        ),
    ] = None,
    client_ref: Annotated[str | None, typer.Option(help="Your reference (≤ 40 chars).")] = None,
    callback: Annotated[str | None, typer.Option(help="Delivery receipt URL.")] = None,
    status_report_req: Annotated[
        bool | None,
        typer.Option("--status-report-req/--no-status-report-req", help="Ask for receipts."),
    ] = None,
    ttl: Annotated[str | None, typer.Option(metavar="N", help="Lifespan in milliseconds.")] = None,
    message_class: Annotated[
        str | None, typer.Option(metavar="N", help="Message class 0–3.")
    ] = None,
    udh: Annotated[str | None, typer.Option(help="Hex user data header (binary).")] = None,
    body: Annotated[str | None, typer.Option(help="Hex body (binary).")] = None,
    protocol_id: Annotated[str | None, typer.Option(metavar="N", help="Protocol id 0–255.")] = None,
    title: Annotated[str | None, typer.Option(help="Title (wappush).")] = None,
    url: Annotated[str | None, typer.Option(help="URL (wappush).")] = None,
    validity: Annotated[
        str | None, typer.Option(metavar="N", help="Availability in ms (wappush).")
    ] = None,
    vcard: Annotated[str | None, typer.Option(help="vCard (type vcard).")] = None,
    vcal: Annotated[str | None, typer.Option(help="vCal (type vcal).")] = None,
) -> None:
    """Send an SMS.

    Example: nexmo-connector sms send --from Acme --to 447700900000 --text "Hello"
    """
    options = {
        "type": sms_type, "client_ref": client_ref, "callback": callback,
        "status_report_req": status_report_req, "ttl": ttl, "message_class": message_class,
        "udh": udh, "body": body, "protocol_id": protocol_id, "title": title, "url": url,
        "validity": validity, "vcard": vcard, "vcal": vcal,
    }  # fmt: skip
    given: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    with upstream_errors(), settings.client() as client:
        result = client.send_sms(from_=sender, to=to, text=text, **given)
    settings.out.emit(result, lambda: _sent_table(result))


@app.command("parts")
@shared_options
def parts(
    settings: Settings,
    text: Annotated[str, typer.Argument(help="The text to count.")],
    sms_type: Annotated[
        str | None, typer.Option("--type", help="Force text (GSM-7) or unicode (UCS-2).")
    ] = None,
) -> None:
    """Show the encoding and the number of parts a text takes, before sending it.

    Example: nexmo-connector sms parts "Grüße aus Köln ✓"
    """
    if sms_type not in (None, "text", "unicode"):
        raise typer.BadParameter("must be text or unicode", param_hint="--type")
    counted = sms_parts(text, sms_type)
    data = {
        "encoding": counted.encoding,
        "type": counted.type,
        "parts": counted.count,
        "units": counted.units,
        "segments": list(counted.segments),
    }
    unit = "septets" if counted.encoding == "gsm7" else "UTF-16 code units"
    settings.out.emit(
        data,
        lambda: table(
            f"{counted.count} part(s), {counted.encoding}, {counted.units} {unit}",
            ["part", "text"],
            [[i, segment] for i, segment in enumerate(counted.segments, 1)],
        ),
    )

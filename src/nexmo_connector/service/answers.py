"""The shapes of the service's own answers and events: TypedDicts, so an answer is built as
a plain dict (no cost on the hot path), checked by mypy, and documented in OpenAPI (and so in
the Power Platform definition) from the same declaration. The actions' pages extend the
library's models with the ``nextLink`` they carry here."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from typing_extensions import TypedDict

from nexmo_connector.models import ApplicationResponse, ListNumbersResponse


def _doc(title: str, description: str) -> object:
    return Field(title=title, description=description)


# -- problems ----------------------------------------------------------------------------
class FieldProblem(TypedDict):
    field: Annotated[str, _doc("Field", "The input's wire name.")]
    reason: Annotated[str, _doc("Reason", "What is wrong with it.")]


class ProblemAnswer(TypedDict, total=False):
    """A problem (RFC 9457): every answer that is not a success."""

    type: Annotated[str, _doc("Type", "A stable name under /problems/.")]
    title: Annotated[str, _doc("Title", "The HTTP status's title.")]
    status: Annotated[int, _doc("Status", "The HTTP status.")]
    detail: Annotated[str, _doc("Detail", "What went wrong, naming the field.")]
    instance: Annotated[str, _doc("Request Id", "Quote it when reporting a problem.")]
    errors: Annotated[list[FieldProblem], _doc("Errors", "One entry per bad input.")]


# -- connections ---------------------------------------------------------------------------
class Webhooks(TypedDict):
    receipts: Annotated[str, _doc("Receipts URL", "Where Nexmo sends delivery receipts.")]
    inbound: Annotated[str, _doc("Inbound URL", "Where Nexmo sends inbound SMS.")]
    calls: Annotated[str, _doc("Calls URL", "Where Nexmo sends speech call outcomes.")]


class ConnectionAnswer(TypedDict):
    """A connection: a user's Nexmo credentials (never shown) behind an id."""

    id: Annotated[str, _doc("Connection Id", "The connection's id.")]
    name: Annotated[str, _doc("Name", "Your name for it.")]
    api_key: Annotated[str, _doc("API Key", "The API Key, masked.")]
    signature_method: Annotated[str, _doc("Signature Method", "How signed requests are signed.")]
    signed: Annotated[bool, _doc("Signed", "Whether requests are signed.")]
    application_id: Annotated[str | None, _doc("Application Id", "Its Voice API application.")]
    speech: Annotated[
        Literal["voice", "legacy"], _doc("Speech", "How speech calls go: Voice API or legacy.")
    ]
    status: Annotated[
        Literal["ok", "rejected"], _doc("Status", "Rejected once Nexmo refused the credentials.")
    ]
    created_at: Annotated[float, _doc("Created At", "Unix time.")]
    webhooks: Annotated[Webhooks, _doc("Webhooks", "The URLs Nexmo should call.")]


class ConnectionList(TypedDict):
    connections: Annotated[list[ConnectionAnswer], _doc("Connections", "Your connections.")]


# -- the actions' pages (the seed's answers with a nextLink) -------------------------------
_NEXT = Field(None, title="Next Page", description="The next page's URL, while more remain.")


class NumbersAnswer(ListNumbersResponse):
    """A page of numbers; ``nextLink`` while more remain."""

    model_config = ConfigDict(title="ListNumbersResponse")

    nextLink: str | None = _NEXT  # the name Power Automate's paging reads


class EmbeddedApplications(TypedDict):
    applications: list[ApplicationResponse]


class ApplicationsAnswer(TypedDict, total=False):
    """A page of applications (the seed's ``_embedded.applications``)."""

    count: int
    page_size: int
    page_index: int
    _embedded: EmbeddedApplications
    nextLink: str


# -- subscriptions -------------------------------------------------------------------------
class SubscriptionAnswer(TypedDict, total=False):
    """Where a connection's events are delivered."""

    id: Annotated[str, _doc("Subscription Id", "The subscription's id (keep it secret).")]
    connection_id: Annotated[str, _doc("Connection Id", "The connection's id.")]
    url: Annotated[str, _doc("URL", "Where events are delivered.")]
    types: Annotated[list[str] | None, _doc("Types", "The event types delivered; all if null.")]
    description: Annotated[str | None, _doc("Description", "Your note.")]
    state: Annotated[
        Literal["active", "disabled"], _doc("State", "Disabled once the receiver answered 410.")
    ]
    created_at: Annotated[float, _doc("Created At", "Unix time.")]
    secret: Annotated[str, _doc("Secret", "The signing secret, in the creating answer only.")]


# -- batches -------------------------------------------------------------------------------
class BatchTotals(TypedDict):
    pending: Annotated[int, _doc("Pending", "Rows not sent yet.")]
    sent: Annotated[int, _doc("Sent", "Rows Nexmo accepted.")]
    rejected: Annotated[int, _doc("Rejected", "Rows Nexmo refused.")]
    invalid: Annotated[int, _doc("Invalid", "Rows that failed validation.")]
    unknown: Annotated[int, _doc("Unknown", "Rows whose outcome is unknown.")]
    cancelled: Annotated[int, _doc("Cancelled", "Rows cancelled before they were sent.")]
    rows: Annotated[int, _doc("Rows", "All rows.")]


class BatchSummary(TypedDict):
    totals: Annotated[BatchTotals, _doc("Totals", "Rows by state.")]
    parts: Annotated[int, _doc("Parts", "SMS parts sent.")]
    price: Annotated[str | None, _doc("Price", "EUR; null while a sent row's is unknown.")]


class BatchAnswer(BatchSummary):
    """A batch: many SMS from one template, each sent once."""

    id: Annotated[str, _doc("Batch Id", "The batch's id.")]
    connection_id: Annotated[str, _doc("Connection Id", "The connection's id.")]
    state: Annotated[
        Literal["queued", "running", "finished", "cancelled", "paused"],
        _doc("State", "Paused when Nexmo refused the credentials."),
    ]
    error: Annotated[str | None, _doc("Error", "Why it paused.")]
    created_at: Annotated[float, _doc("Created At", "Unix time.")]
    started_at: Annotated[float | None, _doc("Started At", "Unix time.")]
    finished_at: Annotated[float | None, _doc("Finished At", "Unix time.")]
    location: Annotated[str, _doc("Location", "Poll it until it answers 200.")]


# -- events (what GET …/events lists and subscribers receive) --------------------------------
class SmsReceiptData(TypedDict):
    message_id: Annotated[str, _doc("Message Id", "The part's message id.")]
    send_id: Annotated[str | None, _doc("Send Id", "The send's record, when it is known.")]
    client_ref: Annotated[str | None, _doc("Client Reference", "The send's client-ref.")]
    to: Annotated[str | None, _doc("To Phone Number", "The number the SMS went to.")]
    status: Annotated[
        str, _doc("Status", "Delivered, expired, failed, rejected, accepted and so on.")
    ]
    err_code: Annotated[int | None, _doc("Error Code", "Nexmo's err-code.")]
    error: Annotated[str | None, _doc("Error", "What the err-code means.")]
    price: Annotated[str | None, _doc("Price", "What the part cost, in EUR.")]
    network_code: Annotated[str | None, _doc("Network", "The carrier's MCCMNC.")]
    scts: Annotated[str | None, _doc("Carrier Time", "When the carrier reported (YYMMDDhhmm).")]
    message_timestamp: Annotated[str | None, _doc("Received At", "When Nexmo sent the receipt.")]


class SmsStatusData(TypedDict):
    send_id: Annotated[str, _doc("Send Id", "The send's record.")]
    client_ref: Annotated[str | None, _doc("Client Reference", "The send's client-ref.")]
    to: Annotated[str, _doc("To Phone Number", "The number the SMS went to.")]
    status: Annotated[
        Literal["delivered", "failed", "expired", "rejected"],
        _doc("Status", "Delivered once every part is, or the first part's failure."),
    ]
    message_ids: Annotated[list[str], _doc("Message Ids", "The ids of its parts.")]
    part: Annotated[SmsReceiptData | None, _doc("Failed Part", "The part that failed.")]


SmsInboundData = TypedDict(
    "SmsInboundData",
    {
        "from": Annotated[str | None, _doc("From", "The sender's number.")],
        "to": Annotated[str | None, _doc("To", "Your number it was sent to.")],
        "text": Annotated[str, _doc("Text", "The message, long ones reassembled.")],
        "type": Annotated[str | None, _doc("Type", "text or unicode.")],
        "keyword": Annotated[str | None, _doc("Keyword", "The message's first word.")],
        "message_ids": Annotated[list[str], _doc("Message Ids", "The ids of its parts.")],
        "received_at": Annotated[str | None, _doc("Received At", "When Nexmo received it.")],
        "complete": Annotated[bool, _doc("Complete", "False when parts never arrived.")],
    },
)


class CallStatusData(TypedDict):
    call_id: Annotated[str, _doc("Call Id", "The call's id.")]
    to: Annotated[str | None, _doc("To Phone Number", "The number called.")]
    status: Annotated[
        str,
        _doc(
            "Status", "Legacy: ok, machine, failed; Voice API: completed, busy, failed and so on."
        ),
    ]
    machine: Annotated[bool, _doc("Machine", "Whether a machine answered.")]
    duration: Annotated[int | None, _doc("Duration", "Seconds.")]
    price: Annotated[str | None, _doc("Price", "What the call cost, in EUR.")]
    rate: Annotated[str | None, _doc("Rate", "EUR per minute.")]
    started_at: Annotated[str | None, _doc("Started At", "When the call started.")]
    ended_at: Annotated[str | None, _doc("Ended At", "When the call ended.")]
    network_code: Annotated[str | None, _doc("Network", "The carrier's MCCMNC.")]


class BatchFinishedData(BatchSummary):
    batch_id: Annotated[str, _doc("Batch Id", "The batch's id.")]


class _Event(TypedDict):
    id: Annotated[str, _doc("Event Id", "A cursor: later events have greater ids.")]
    connection_id: Annotated[str, _doc("Connection Id", "The connection's id.")]
    created_at: Annotated[float, _doc("Created At", "Unix time.")]


class SmsReceiptEvent(_Event):
    """One part's delivery receipt."""

    type: Literal["sms.receipt"]
    data: SmsReceiptData


class SmsStatusEvent(_Event):
    """The whole message was delivered, or one of its parts failed."""

    type: Literal["sms.status"]
    data: SmsStatusData


class SmsInboundEvent(_Event):
    """An SMS received on one of your numbers."""

    type: Literal["sms.inbound"]
    data: SmsInboundData


class CallStatusEvent(_Event):
    """A speech call ended."""

    type: Literal["call.status"]
    data: CallStatusData


class BatchFinishedEvent(_Event):
    """Every row of a batch has an outcome."""

    type: Literal["batch.finished"]
    data: BatchFinishedData


EVENTS = {
    "sms.receipt": SmsReceiptEvent,
    "sms.status": SmsStatusEvent,
    "sms.inbound": SmsInboundEvent,
    "call.status": CallStatusEvent,
    "batch.finished": BatchFinishedEvent,
}

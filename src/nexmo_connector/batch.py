"""The exactly-once batch engine: many SMS, each sent once, across crashes and reruns.

A journal records each row's state, and a row is marked ``inflight`` (durably) before its
request leaves. Resuming a batch skips accepted rows, resolves rows left in flight by
looking them up upstream (``lookup.SentLookup``), and sends the rest: nothing accepted is
sent twice, nothing is skipped. The journal is a protocol: the CLI keeps it in SQLite,
the service in its database.
"""

from __future__ import annotations

import hashlib
import json
import math
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

from nexmo_connector import errors
from nexmo_connector.client import AsyncNexmoClient
from nexmo_connector.lookup import Sent, SentLookup
from nexmo_connector.models import SmsRequest
from nexmo_connector.transport import sleep

RowState = Literal["pending", "inflight", "sent", "rejected", "unknown"]
ErrorKind = Literal["", "throttled", "auth", "rejected", "transport", "unknown"]
"""Why a row is where it is (empty when nothing went wrong)."""
MAX_RATE = 10_000.0
UNKNOWN_AFTER_CRASH = "in flight when the run stopped; upstream cannot tell if it was accepted"


# -- templates ------------------------------------------------------------------------
class TemplateError(ValueError):
    """The template is not one this engine fills (the reason says why)."""


@dataclass(frozen=True, slots=True)
class Template:
    """``"Hi {name}"``: literal text and named fields, nothing else.

    Fields are column names; positional fields (``{}``, ``{0}``), attribute or index access
    (``{a.b}``, ``{a[0]}``), conversions (``{a!r}``) and format specs (``{a:d}``) are
    refused, so that filling a row can never fail or run away. ``{{`` and ``}}`` are braces.
    """

    pieces: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise TemplateError(f"not a valid template: {exc}") from None
        pieces: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in parsed:
            if name is not None:
                if name == "" or name.isdigit():
                    raise TemplateError("fields must be named after columns, like {name}")
                if any(ch in name for ch in ".[]"):
                    raise TemplateError(f"{{{name}}}: fields take no attribute or index access")
                if conversion or spec:
                    raise TemplateError(f"{{{name}}}: fields take no conversion or format spec")
            pieces.append((literal, name))
        return cls(tuple(pieces))

    @property
    def fields(self) -> set[str]:
        return {name for _, name in self.pieces if name is not None}

    def fill(self, values: Mapping[str, str]) -> str:
        return "".join(literal + (values[name] if name else "") for literal, name in self.pieces)


# -- rows and the journal -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Row:
    """One message of a batch: its line (or index), the validated request, its digest."""

    line: int
    request: SmsRequest
    digest: str


def make_row(
    line: int,
    sender: str,
    template: Template,
    values: Mapping[str, str],
    to: str,
    options: Mapping[str, object],
    client_ref: str | None = None,
) -> Row:
    """One validated row: the template filled from ``values``, sent to ``to`` (or a
    ``ValidationError`` naming the field)."""
    from nexmo_connector.models import validated

    request = validated(
        SmsRequest,
        from_=sender,
        to=to,
        text=template.fill(values),
        client_ref=client_ref,
        **options,
    )
    return Row(line, request, digest(request))


def digest(request: SmsRequest) -> str:
    """Hash of what a row sends, its client-ref aside: a changed row is another message."""
    content = json.dumps(request.to_wire() | {"client-ref": ""}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def batch_key(*identity: object) -> str:
    """What makes two runs the same batch: sender, template, columns and options."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Entry:
    """Where one row's send stands, as the journal keeps it."""

    line: int
    client_ref: str
    recipient: str
    digest: str
    state: RowState = "pending"
    message_ids: str = ""
    parts: int = 0
    price: str = "0"
    """EUR; empty when unknown (a row recovered by a lookup that did not say)."""
    error: str = ""
    error_kind: ErrorKind = ""
    updated: float = 0.0
    """When the state last changed (for an ``inflight`` row: when its request left)."""


class Journal(Protocol):
    """Durable per-row state of batches."""

    async def entries(self, batch: str) -> dict[int, Entry]: ...

    async def save(self, batch: str, entry: Entry) -> None:
        """Write ``entry`` durably (set ``updated`` to now): it is kept when this returns."""
        ...


# -- pacing ---------------------------------------------------------------------------
class Paces(Protocol):
    """What spaces a batch's sends: ``wait`` returns when the next one may start."""

    async def wait(self) -> None: ...


class Pacer:
    """Evenly spaced starts: at most ``rate`` per second, also below one per second."""

    def __init__(self, rate: float) -> None:
        if not (math.isfinite(rate) and 0 < rate <= MAX_RATE):
            raise ValueError(f"must be a number above 0 and at most {MAX_RATE:g}")
        self.interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(self._next, now)  # an idle pacer does not save up a burst
        self._next = slot + self.interval
        if slot > now:
            await sleep(slot - now)


# -- the engine -----------------------------------------------------------------------
def _with_ref(row: Row, batch: str) -> Row:
    """The row with its stable ``client-ref``: its own, or ``<batch>-<line>``."""
    if row.request.client_ref:
        return row
    request = row.request.model_copy(update={"client_ref": f"{batch}-{row.line}"})
    return Row(row.line, request, row.digest)


def _price(parts: list[Decimal | None]) -> Decimal | None:
    return None if None in parts else sum((p or Decimal(0) for p in parts), Decimal(0))


@dataclass
class Totals:
    parts: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0
    """Sent rows whose price upstream did not tell (the cost is a lower bound then)."""

    def add(self, entry: Entry) -> None:
        self.parts += entry.parts
        if entry.price == "":
            self.unpriced += 1
        else:
            self.cost += Decimal(entry.price)


@dataclass
class BatchSender:
    """Sends the rows of one batch not yet accepted, journaling every step.

    ``fatal`` is set (and sending stops) when going on is pointless: the credentials were
    refused, or upstream cannot be reached at all.
    """

    batch: str
    rows: list[Row]
    journal: Journal
    client: AsyncNexmoClient
    lookup: SentLookup
    pacer: Paces
    concurrency: int = 8
    resend_unknown: bool = False
    entries: dict[int, Entry] = field(default_factory=dict)
    fatal: errors.NexmoError | None = None
    totals: Totals = field(default_factory=Totals)
    stopped: bool = False
    """Set by :meth:`stop`: no row starts any more (those in flight finish)."""

    def __post_init__(self) -> None:
        self.rows = [_with_ref(row, self.batch) for row in self.rows]

    async def load(self) -> list[int]:
        """Read the journal; the lines whose content changed since they may have been sent.

        Those are conflicts: sending them would duplicate or skip a message. A changed row
        that was certainly not accepted is simply sent with its new content.
        """
        self.entries = await self.journal.entries(self.batch)
        conflicts = []
        for row in self.rows:
            entry = self.entries.get(row.line)
            if entry is None or entry.digest == row.digest:
                continue
            if entry.state in ("sent", "inflight", "unknown"):
                conflicts.append(row.line)
                continue
            request = row.request
            self.entries[row.line] = Entry(
                row.line, request.client_ref or "", request.to, row.digest
            )
        self.totals = Totals()
        for entry in self.entries.values():
            if entry.state == "sent":
                self.totals.add(entry)
        return conflicts

    def entry(self, row: Row) -> Entry:
        if row.line not in self.entries:
            request = row.request
            self.entries[row.line] = Entry(
                row.line, request.client_ref or "", request.to, row.digest
            )
        return self.entries[row.line]

    def pending(self) -> list[Row]:
        return [row for row in self.rows if self.entry(row).state == "pending"]

    def _sent(self, entry: Entry, ids: list[str], price: Decimal | None, error: str = "") -> None:
        entry.state, entry.error, entry.error_kind = "sent", error, ""
        entry.message_ids, entry.parts = " ".join(ids), len(ids)
        entry.price = "" if price is None else str(price)
        self.totals.add(entry)

    def _found(self, entry: Entry, found: Sent) -> None:
        self._sent(entry, list(found.message_ids), found.price)

    async def resolve_unknown(self) -> None:
        """Rows in flight when a run died: accepted (found upstream), not sent, or unknown."""
        for entry in self.entries.values():
            if entry.state not in ("inflight", "unknown"):
                continue
            found = await self.lookup.find(entry.client_ref, entry.recipient, entry.updated)
            if found is not None and found.message_ids:
                self._found(entry, found)
            elif found is not None or self.resend_unknown:
                entry.state, entry.error, entry.error_kind = "pending", "", ""
            else:
                entry.state, entry.error, entry.error_kind = (
                    "unknown",
                    UNKNOWN_AFTER_CRASH,
                    "unknown",
                )
            await self.journal.save(self.batch, entry)

    def _failed(self, entry: Entry, exc: errors.NexmoError) -> None:
        """Record why a send failed; whether the row may still be sent comes from the error."""
        if isinstance(exc, errors.SmsRejectedError) and exc.partial:
            parts = [p.message_price for p in exc.accepted]
            ids = [p.message_id or "" for p in exc.accepted]
            self._sent(entry, ids, _price(parts), error=str(exc))
            return
        kind: ErrorKind
        if isinstance(exc, errors.AuthenticationError):
            kind = "auth"
        elif isinstance(exc, errors.ThrottledError):
            kind = "throttled"
        elif isinstance(exc, errors.TransportError):
            kind = "transport"
        elif isinstance(exc, errors.RejectedError | errors.BadRequestError):
            kind = "rejected"
        else:
            kind = "unknown"
        if exc.may_have_been_accepted:
            state: RowState = "unknown"
        elif kind == "rejected":
            state = "rejected"
        else:
            state = "pending"  # certainly not accepted: a rerun sends it
        entry.state, entry.error, entry.error_kind = state, str(exc), kind
        if kind == "auth" or (isinstance(exc, errors.TransportError) and not exc.sent):
            self.fatal = self.fatal or exc

    async def _send(self, row: Row, entry: Entry) -> None:
        entry.state = "inflight"
        await self.journal.save(self.batch, entry)
        try:
            result = await self.client.send_sms(**row.request.model_dump(exclude_none=True))
            self._sent(entry, result.message_ids, result.price)
        except errors.NexmoError as exc:
            self._failed(entry, exc)
        if entry.state == "unknown":
            found = await self.lookup.find(entry.client_ref, entry.recipient, entry.updated)
            if found is not None and found.message_ids:
                self._found(entry, found)
        await self.journal.save(self.batch, entry)

    def stop(self) -> None:
        """Start no more rows (a cancelled batch); the rows in flight are finished."""
        self.stopped = True

    async def run(self, progress: Callable[[], None] | None = None) -> None:
        """Send every pending row, ``concurrency`` at a time, paced; ``progress`` after each."""
        queue = list(reversed(self.pending()))

        async def worker() -> None:
            while queue and self.fatal is None and not self.stopped:
                row = queue.pop()
                await self.pacer.wait()
                if self.fatal is not None or self.stopped:
                    queue.append(row)
                    return
                await self._send(row, self.entry(row))
                if progress is not None:
                    progress()

        import asyncio

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

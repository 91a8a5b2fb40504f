"""Was this row's message accepted? Asked upstream after a crash, through the client.

A row is identified by everything the journal knows of it: its ``client-ref``, its
destination and when its request left. A sandbox answers exactly through its inspection
API. A real account is asked through the Reports API (synchronous records of outbound SMS
around the time of the send): a matching record proves the message was accepted; no
record proves nothing, since records can lag behind the send, so the answer is then
"cannot tell" (None). Requests go through the client (its transport and credentials), and
only to the client's own hosts: a ``next`` link to any other origin ends the search.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from nexmo_connector.actions import Action, parse_as
from nexmo_connector.client import AsyncNexmoClient
from nexmo_connector.errors import NexmoError

WINDOW_BEFORE = 300.0
"""Seconds before the send that a match may carry (clock skew between us and upstream)."""
WINDOW_AFTER = 3600.0
MAX_PAGES = 20


@dataclass(frozen=True, slots=True)
class Sent:
    """What upstream accepted for one row: the parts' ids and what they cost.

    No ids: certainly not accepted. ``price`` None: upstream did not say.
    """

    message_ids: tuple[str, ...]
    price: Decimal | None


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _SandboxMessage(_Model):
    message_ids: list[str] = Field(alias="message-ids")
    to: str
    price: Decimal
    created_at: float = Field(alias="created-at")


class _SandboxMessages(_Model):
    messages: list[_SandboxMessage]


class _Record(_Model):
    message_id: str
    client_ref: str | None = None
    to: str | None = None
    total_price: Decimal | None = None


class _RecordsPage(_Model):
    records: list[_Record] = Field(default_factory=list)
    links: dict[str, Any] = Field(default_factory=dict, alias="_links")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_loopback(url: str) -> bool:
    """True for a URL on this machine (where only a sandbox, never Nexmo, can be)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SentLookup:
    """Finds what upstream accepted for a row, where upstream can tell."""

    def __init__(self, client: AsyncNexmoClient, *, sandbox: bool) -> None:
        """``sandbox``: upstream is known to be a sandbox (its inspection API is asked)."""
        self._client = client
        self._sandbox = sandbox

    async def find(self, client_ref: str, to: str, sent_at: float) -> Sent | None:
        """What was accepted for ``client_ref`` to ``to`` around ``sent_at``; None: cannot tell."""
        try:
            if self._sandbox:
                return await self._from_sandbox(client_ref, to, sent_at)
            return await self._from_reports(client_ref, to, sent_at)
        except NexmoError:
            return None

    async def _from_sandbox(self, client_ref: str, to: str, sent_at: float) -> Sent:
        query = {"client-ref": client_ref, "to": to, "api-key": self._client.api_key}
        action = Action(
            "find_sent", "GET", "rest", "/_sandbox/messages", query, "basic", False,
            parse_as(_SandboxMessages),
        )  # fmt: skip
        found = [
            m
            for m in (await self._client.run(action)).messages
            if sent_at - WINDOW_BEFORE <= m.created_at <= sent_at + WINDOW_AFTER
        ]
        ids = tuple(mid for m in found for mid in m.message_ids)
        return Sent(ids, sum((m.price for m in found), Decimal(0)))

    async def _from_reports(self, client_ref: str, to: str, sent_at: float) -> Sent | None:
        query: dict[str, str] = {
            "account_id": self._client.api_key,
            "product": "SMS",
            "direction": "outbound",
            "date_start": _iso(sent_at - WINDOW_BEFORE),
            "date_end": _iso(sent_at + WINDOW_AFTER),
        }
        path: str | None = "/v2/reports/records"
        ids: list[str] = []
        prices: list[Decimal | None] = []
        for _ in range(MAX_PAGES):
            if path is None:
                break
            action = Action(
                "find_sent", "GET", "api", path, query, "basic", False, parse_as(_RecordsPage)
            )
            page = await self._client.run(action)
            for record in page.records:
                if record.client_ref == client_ref and record.to == to:
                    ids.append(record.message_id)
                    prices.append(record.total_price)
            path, query = self._next(page), {}
        if not ids:
            return None
        price = None if None in prices else sum((p or Decimal(0) for p in prices), Decimal(0))
        return Sent(tuple(ids), price)

    def _next(self, page: _RecordsPage) -> str | None:
        """The next page's path and query, when its link stays on the client's API host."""
        href = (page.links.get("next") or {}).get("href")
        if not isinstance(href, str):
            return None
        target, own = urlsplit(href), urlsplit(self._client.api_url)
        elsewhere = (target.scheme, target.netloc) != (own.scheme, own.netloc)
        if (target.scheme or target.netloc) and elsewhere:
            return None
        prefix = own.path.rstrip("/")
        if not target.path.startswith(prefix + "/"):
            return None
        rest = target.path[len(prefix) :]
        return rest + (f"?{target.query}" if target.query else "")

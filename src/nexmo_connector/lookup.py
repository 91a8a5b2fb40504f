"""Was a message with this ``client-ref`` accepted? Asked upstream after a crash.

A sandbox answers exactly through its inspection API. A real account is asked through the
Reports API (synchronous records of outbound SMS around the time of the send): a record
with the ``client-ref`` proves the message was accepted; no record proves nothing, since
records can lag behind the send, so the answer is then "cannot tell" (None).
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

WINDOW_BEFORE = 300.0
"""Seconds before the send that the Reports query covers (clock skew)."""
WINDOW_AFTER = 3600.0
MAX_PAGES = 20


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SentLookup:
    """Finds the message ids accepted for a ``client-ref``, where upstream can tell."""

    def __init__(
        self,
        rest_url: str,
        api_url: str,
        api_key: str,
        api_secret: str,
        *,
        inspection: bool = True,
        timeout: float = 10.0,
    ) -> None:
        """``inspection=False`` skips the sandbox's inspection API and asks the Reports API."""
        self._rest = rest_url.rstrip("/")
        self._api = api_url.rstrip("/")
        self._api_key = api_key
        self._http = httpx.AsyncClient(timeout=timeout, trust_env=False, auth=(api_key, api_secret))
        self._sandbox: bool | None = None if inspection else False

    async def is_sandbox(self) -> bool:
        """True when upstream is a sandbox whose inspection API answers."""
        if self._sandbox is None:
            try:
                response = await self._http.get(self._rest + "/_sandbox/health")
                self._sandbox = response.status_code == 200
            except httpx.HTTPError:
                self._sandbox = False
        return self._sandbox

    async def find(self, client_ref: str, sent_at: float) -> list[str] | None:
        """The accepted parts' ids; [] when certainly none; None when upstream cannot tell."""
        try:
            if await self.is_sandbox():
                return await self._from_sandbox(client_ref)
            return await self._from_reports(client_ref, sent_at)
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    async def _from_sandbox(self, client_ref: str) -> list[str]:
        response = await self._http.get(
            self._rest + "/_sandbox/messages", params={"client-ref": client_ref}
        )
        response.raise_for_status()
        return [mid for message in response.json()["messages"] for mid in message["message-ids"]]

    async def _from_reports(self, client_ref: str, sent_at: float) -> list[str] | None:
        url: str | None = self._api + "/v2/reports/records"
        params: dict[str, str] | None = {
            "account_id": self._api_key,
            "product": "SMS",
            "direction": "outbound",
            "date_start": _iso(sent_at - WINDOW_BEFORE),
            "date_end": _iso(sent_at + WINDOW_AFTER),
        }
        found: list[str] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = await self._http.get(url, params=params)
            response.raise_for_status()
            body = response.json()
            found += [
                r["message_id"]
                for r in body.get("records", [])
                if r.get("client_ref") == client_ref
            ]
            url = ((body.get("_links") or {}).get("next") or {}).get("href")
            params = None
        return found or None

    async def aclose(self) -> None:
        await self._http.aclose()

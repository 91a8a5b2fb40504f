"""Was a message with this ``client-ref`` accepted? Asked upstream after a crash.

The sandbox answers through its inspection API. A real Nexmo account has no lookup here
(the Reports API is not wired in yet), so ``find`` answers None: "cannot tell".
"""

from __future__ import annotations

import httpx


class SentLookup:
    """Finds the message ids accepted for a ``client-ref``, where upstream can tell."""

    def __init__(self, rest_url: str, timeout: float = 10.0) -> None:
        self._base = rest_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout, trust_env=False)
        self._available: bool | None = None

    async def available(self) -> bool:
        """True when upstream is a sandbox whose inspection API answers."""
        if self._available is None:
            try:
                response = await self._http.get(self._base + "/_sandbox/health")
                self._available = response.status_code == 200
            except httpx.HTTPError:
                self._available = False
        return self._available

    async def find(self, client_ref: str) -> list[str] | None:
        """The accepted parts' ids ([] when none), or None when upstream cannot tell."""
        if not await self.available():
            return None
        try:
            response = await self._http.get(
                self._base + "/_sandbox/messages", params={"client-ref": client_ref}
            )
            response.raise_for_status()
            messages = response.json()["messages"]
        except (httpx.HTTPError, ValueError, KeyError):
            return None
        return [mid for message in messages for mid in message["message-ids"]]

    async def aclose(self) -> None:
        await self._http.aclose()

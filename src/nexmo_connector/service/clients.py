"""One ``AsyncNexmoClient`` per connection, over ONE shared transport, never reading the
process environment: the only place a connection's secrets are decrypted."""

from __future__ import annotations

from nexmo_connector.client import AsyncNexmoClient
from nexmo_connector.retries import RetryPolicy
from nexmo_connector.service.crypto import SecretsCipher
from nexmo_connector.service.tables import Connection
from nexmo_connector.signing import SignatureMethod
from nexmo_connector.throttle import RateLimiter
from nexmo_connector.transport import AsyncTransport


class ClientPool:
    def __init__(
        self,
        cipher: SecretsCipher,
        rest_url: str,
        api_url: str,
        upstream_rate: str,
        redis_url: str | None = None,
        throttle_wait: float = 10.0,
        max_connections: int = 200,
    ) -> None:
        """``throttle_wait``: seconds Nexmo's throttling is waited out before a 429."""
        self._retry = RetryPolicy(max_retries=2, throttle_budget=throttle_wait)
        self._cipher = cipher
        self._rest_url, self._api_url = rest_url, api_url
        self.transport = AsyncTransport(max_connections)
        storage = redis_url or "memory://"
        self._limiter = None if upstream_rate == "0" else RateLimiter(upstream_rate, storage)
        self._clients: dict[str, tuple[int, AsyncNexmoClient]] = {}

    def client_for(self, connection: Connection) -> AsyncNexmoClient:
        cached = self._clients.get(connection.id)
        if cached is not None and cached[0] == connection.version:
            return cached[1]
        decrypt = self._cipher.decrypt
        client = self.build(
            connection.api_key,
            decrypt(connection.api_secret),
            decrypt(connection.signature_secret) if connection.signature_secret else None,
            connection.signature_method,  # type: ignore[arg-type]
            connection.application_id,
            decrypt(connection.private_key).encode() if connection.private_key else None,
        )
        self._clients[connection.id] = (connection.version, client)
        return client

    def build(
        self,
        api_key: str,
        api_secret: str,
        signature_secret: str | None = None,
        signature_method: SignatureMethod = "md5hash",
        application_id: str | None = None,
        private_key: bytes | None = None,
    ) -> AsyncNexmoClient:
        """A client of these credentials (with an application: speech goes by the Voice API)."""
        return AsyncNexmoClient(
            api_key,
            api_secret,
            signature_secret=signature_secret,
            signature_method=signature_method,
            application_id=application_id,
            private_key=private_key,
            rest_url=self._rest_url,
            api_url=self._api_url,
            retry=self._retry,
            rate_limiter=self._limiter,
            transport=self.transport,
            trust_env=False,
        )

    def forget(self, connection_id: str) -> None:
        self._clients.pop(connection_id, None)

    async def aclose(self) -> None:
        await self.transport.aclose()

"""HTTP for the clients: urllib3 (sync) and aiohttp (async), chosen by measurement.

Both report failures as ``TransportError`` with ``sent=False`` only when the connection was
never made, so that callers know whether a request may have reached Nexmo. A transport is
a connection pool: one can serve many clients (``NexmoClient(..., transport=...)``), and
whoever creates it closes it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote_plus, urlencode

from nexmo_connector.errors import TransportError, ValidationError

if TYPE_CHECKING:  # imported where used: a program that never sends pays nothing for them
    import asyncio

    import aiohttp
    import urllib3

USER_AGENT = "nexmo-connector/0.1"


async def sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported when first needed (asyncio costs ~40 ms to import)."""
    import asyncio

    await asyncio.sleep(seconds)


def _running_loop() -> asyncio.AbstractEventLoop:
    import asyncio

    return asyncio.get_running_loop()


MAX_TIMEOUT = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds to wait for a connection, and for the answer once the request is sent."""

    connect: float = 10.0
    read: float = 30.0

    @classmethod
    def of(cls, value: Timeout | float) -> Timeout:
        """``value`` as a Timeout (a number sets both); refuses anything not a positive,
        finite number of seconds up to a day."""
        try:
            timeout = value if isinstance(value, Timeout) else cls(float(value), float(value))
            seconds = (float(timeout.connect), float(timeout.read))
        except (TypeError, ValueError):
            seconds = (math.nan, math.nan)
        if not all(0 < s <= MAX_TIMEOUT for s in seconds):
            reason = f"must be a positive number of seconds, at most {MAX_TIMEOUT:g}"
            raise ValidationError("timeout", reason)
        return timeout


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    query: Mapping[str, str] | None = field(default=None, repr=False)
    form: Mapping[str, str] | None = field(default=None, repr=False)
    json: Mapping[str, Any] | None = field(default=None, repr=False)
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    """Parameters and headers may carry credentials: kept out of the repr."""

    def full_url(self) -> str:
        return f"{self.url}?{urlencode(self.query)}" if self.query else self.url

    def encoded_body(self) -> str | None:
        if self.form is not None:
            return encode_form(self.form)
        if self.json is not None:
            return json.dumps(self.json)
        return None


_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


def _quote(text: str) -> str:
    return text if _SAFE.fullmatch(text) else quote_plus(text)


def encode_form(params: Mapping[str, str]) -> str:
    """``urlencode`` for the common case of plain values, without quoting what needs none."""
    return "&".join(f"{_quote(key)}={_quote(value)}" for key, value in params.items())


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _headers(request: HttpRequest) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if request.form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif request.json is not None:
        headers["Content-Type"] = "application/json"
    if request.headers:
        headers.update(request.headers)
    return headers


class Transport(Protocol):
    """What ``NexmoClient`` sends through (``SyncTransport``, or ``testing.MockTransport``)."""

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse: ...

    def close(self) -> None: ...


class AsyncTransportType(Protocol):
    """What ``AsyncNexmoClient`` sends through (``AsyncTransport``, or ``MockTransport``)."""

    async def send_async(self, request: HttpRequest, timeout: Timeout) -> HttpResponse: ...

    async def aclose(self) -> None: ...


class SyncTransport:
    """A thread-safe connection pool (urllib3) with no retries of its own.

    At most ``max_connections`` per host: more threads wait for a free connection rather
    than opening throwaway ones. ``proxy``: an ``http://`` proxy URL for every request.
    """

    def __init__(self, max_connections: int = 10, proxy: str | None = None) -> None:
        import urllib3

        options: dict[str, Any] = {"maxsize": max_connections, "block": True, "retries": False}
        self._pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        import urllib3

        try:
            response = self._pool.request(
                request.method,
                request.full_url(),
                body=request.encoded_body(),
                headers=_headers(request),
                timeout=urllib3.Timeout(connect=timeout.connect, read=timeout.read),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.NewConnectionError as exc:
            raise TransportError(f"cannot connect: {_reason(exc)}", sent=False) from None
        except urllib3.exceptions.ConnectTimeoutError:
            raise TransportError(
                f"no connection within {timeout.connect:g} s", sent=False
            ) from None
        except urllib3.exceptions.ReadTimeoutError:
            raise TransportError(f"no answer within {timeout.read:g} s", sent=True) from None
        except urllib3.exceptions.HTTPError as exc:
            raise TransportError(f"connection lost: {_reason(exc)}", sent=True) from None
        return HttpResponse(response.status, response.headers, response.data)

    def close(self) -> None:
        self._pool.clear()


class AsyncTransport:
    """An aiohttp session, opened on first use inside the running event loop.

    A session belongs to one event loop: used from another (a second ``asyncio.run``), the
    transport opens a new one.
    """

    def __init__(self, max_connections: int = 100, proxy: str | None = None) -> None:
        self._max_connections = max_connections
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = _running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            if self._session is not None and self._loop is not None and self._loop.is_closed():
                self._session.detach()  # its loop is gone: nothing left to close
            connector = aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
            self._loop = loop
        return self._session

    async def send_async(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        import aiohttp

        session = self._open()
        limits = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout.connect, sock_read=timeout.read
        )
        try:
            async with session.request(
                request.method,
                request.full_url(),
                data=request.encoded_body(),
                headers=_headers(request),
                timeout=limits,
                allow_redirects=False,
                proxy=self._proxy,
            ) as response:
                body = await response.read()
                return HttpResponse(response.status, response.headers, body)
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(f"cannot connect: {_reason(exc)}", sent=False) from None
        except aiohttp.ConnectionTimeoutError:
            raise TransportError(
                f"no connection within {timeout.connect:g} s", sent=False
            ) from None
        except TimeoutError:
            raise TransportError(f"no answer within {timeout.read:g} s", sent=True) from None
        except aiohttp.ClientError as exc:
            raise TransportError(f"connection lost: {_reason(exc)}", sent=True) from None

    async def aclose(self) -> None:
        if self._session is not None and self._loop is _running_loop():
            await self._session.close()
        self._session = None


def _reason(exc: BaseException) -> str:
    """A short cause without URLs (they may carry credentials in a query string)."""
    import aiohttp
    import urllib3

    cause: BaseException = exc
    while isinstance(cause, urllib3.exceptions.HTTPError | aiohttp.ClientError) and (
        cause.__context__ is not None or cause.__cause__ is not None
    ):
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = getattr(cause, "strerror", None) or type(cause).__name__
    return str(text)

"""``NexmoClient`` and ``AsyncNexmoClient``: the nine actions, validated, retried safely."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

from pydantic import SecretStr

from nexmo_connector import actions
from nexmo_connector.actions import Action
from nexmo_connector.errors import NexmoError, ValidationError
from nexmo_connector.models import (
    ApplicationOptions,
    ApplicationRequest,
    ApplicationResponse,
    ApplicationType,
    InboundNumbersRequest,
    ListApplicationsRequest,
    ListApplicationsResponse,
    ListNumbersResponse,
    Number,
    NumberFilters,
    NumberType,
    OwnedNumbersRequest,
    SmsOptions,
    SmsRequest,
    SmsResponse,
    TtsOptions,
    TtsRequest,
    TtsResponse,
    check_application_id,
    check_url,
    validated,
)
from nexmo_connector.retries import RetryPolicy, RetryState
from nexmo_connector.signing import SignatureMethod, sign
from nexmo_connector.throttle import RateLimiter
from nexmo_connector.transport import AsyncTransport, HttpRequest, SyncTransport, Timeout

log = logging.getLogger("nexmo_connector.client")
T = TypeVar("T")

REST_URL = "https://rest.nexmo.com"
API_URL = "https://api.nexmo.com"
DEFAULT_TIMEOUT = Timeout(connect=10.0, read=30.0)
PAGE_SIZE = 100


def _setting(value: str | None, env: str, default: str | None = None) -> str | None:
    return value if value is not None else os.environ.get(env, default)


def _base_url(value: str | None, env: str, default: str) -> str:
    url = _setting(value, env, default) or default
    try:
        check_url(url)
    except ValueError as exc:
        raise ValidationError(env.lower().removeprefix("nexmo_"), str(exc)) from None
    return url.rstrip("/")


@dataclass
class _Pages:
    """Where a walk over pages is: the next page number and how many items came so far."""

    index: int
    seen: int = 0

    def advance(self, got: int, total: int) -> bool:
        """Count a page of ``got`` items; True while more remain."""
        self.seen += got
        self.index += 1
        return got > 0 and self.seen < total


class _Client:
    """What both clients share: settings, validation, and turning an action into a request."""

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        signature_secret: str | None = None,
        signature_method: SignatureMethod = "md5hash",
        rest_url: str | None = None,
        api_url: str | None = None,
        timeout: Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        max_connections: int | None = None,
    ) -> None:
        """``max_connections``: the pool size (default 10 for the sync client, 100 async)."""
        key = _setting(api_key, "NEXMO_API_KEY")
        secret = _setting(api_secret, "NEXMO_API_SECRET")
        if not key:
            raise ValidationError("api_key", "is required (argument or NEXMO_API_KEY)")
        if not secret:
            raise ValidationError("api_secret", "is required (argument or NEXMO_API_SECRET)")
        self.api_key = key
        self._secret = SecretStr(secret)
        signature = _setting(signature_secret, "NEXMO_SIGNATURE_SECRET")
        self._signature_secret = SecretStr(signature) if signature else None
        self.signature_method: SignatureMethod = signature_method
        self.rest_url = _base_url(rest_url, "NEXMO_REST_URL", REST_URL)
        self.api_url = _base_url(api_url, "NEXMO_API_URL", API_URL)
        self.timeout = Timeout.of(timeout)
        self.retry = retry or RetryPolicy()
        self.rate_limiter = rate_limiter
        self._open_transport(max_connections)

    def _open_transport(self, max_connections: int | None) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={self.api_key!r}, rest_url={self.rest_url!r}, "
            f"api_url={self.api_url!r})"
        )

    def _request(self, action: Action[Any]) -> HttpRequest:
        """The HTTP request for ``action``, credentials placed as its API expects."""
        base = self.rest_url if action.host == "rest" else self.api_url
        url = base + action.path
        params = dict(action.params)
        secret = self._secret.get_secret_value()
        if action.auth == "basic":
            token = base64.b64encode(f"{self.api_key}:{secret}".encode()).decode()
            headers = {"Authorization": f"Basic {token}"}
            return HttpRequest(
                action.method, url, query=params or None, json=action.body, headers=headers
            )
        params["api_key"] = self.api_key
        if action.signable and self._signature_secret is not None:
            params = sign(params, self._signature_secret.get_secret_value(), self.signature_method)
        else:
            params["api_secret"] = secret
        return HttpRequest(action.method, url, form=params)

    def _timeout(self, timeout: Timeout | float | None) -> Timeout:
        return self.timeout if timeout is None else Timeout.of(timeout)

    def _log(self, action: Action[Any], started: float, outcome: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            log.debug("%s %s: %s in %.1f ms", action.name, action.path, outcome, elapsed)

    # -- actions as data (validated) -----------------------------------------------------
    @staticmethod
    def _sms(from_: str, to: str, text: str | None, options: SmsOptions) -> Action[SmsResponse]:
        return actions.send_sms(validated(SmsRequest, from_=from_, to=to, text=text, **options))

    @staticmethod
    def _tts(to: str, text: str, options: TtsOptions) -> Action[TtsResponse]:
        return actions.send_tts(validated(TtsRequest, to=to, text=text, **options))

    @staticmethod
    def _owned(country: str | None, filters: dict[str, Any]) -> Action[ListNumbersResponse]:
        request = validated(OwnedNumbersRequest, country=country, **filters)
        return actions.list_owned_numbers(request)

    @staticmethod
    def _inbound(country: str, filters: dict[str, Any]) -> Action[ListNumbersResponse]:
        request = validated(InboundNumbersRequest, country=country, **filters)
        return actions.list_inbound_numbers(request)

    @staticmethod
    def _apps(page_size: int | None, page_index: int | None) -> Action[ListApplicationsResponse]:
        request = validated(ListApplicationsRequest, page_size=page_size, page_index=page_index)
        return actions.list_applications(request)

    @staticmethod
    def _app_request(name: str, type: str, options: ApplicationOptions) -> ApplicationRequest:
        return validated(ApplicationRequest, name=name, type=type, **options)


class NexmoClient(_Client):
    """The nine actions, synchronously. Safe to share between threads.

    Credentials fall back to ``NEXMO_API_KEY`` / ``NEXMO_API_SECRET``; URLs to
    ``NEXMO_REST_URL`` / ``NEXMO_API_URL``, then the real Nexmo hosts.
    """

    def _open_transport(self, max_connections: int | None) -> None:
        self._transport = SyncTransport(max_connections or 10)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, action: Action[T], timeout: Timeout | float | None) -> T:
        limit = self._timeout(timeout)
        retries: RetryState | None = None
        while True:
            try:
                return self._attempt(action, limit)
            except NexmoError as exc:
                retries = retries or self.retry.begin(creates=action.creates)
                delay = retries.next_delay(exc)
                if delay is None:
                    raise
            time.sleep(delay)

    def _attempt(self, action: Action[T], limit: Timeout) -> T:
        if self.rate_limiter is not None:
            self.rate_limiter.acquire(self.api_key)
        started = time.perf_counter()
        try:
            response = self._transport.send(self._request(action), limit)
        except NexmoError as exc:
            self._log(action, started, type(exc).__name__)
            raise
        self._log(action, started, f"HTTP {response.status}")
        return action.parse(response)

    def send_sms(
        self,
        from_: str,
        to: str,
        text: str | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[SmsOptions],
    ) -> SmsResponse:
        """Send an SMS. Text GSM-7 cannot carry goes as ``unicode`` unless ``type`` is given."""
        return self._run(self._sms(from_, to, text, options), timeout)

    def send_tts(
        self,
        to: str,
        text: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[TtsOptions],
    ) -> TtsResponse:
        """Send a speech (text-to-speech) call."""
        return self._run(self._tts(to, text, options), timeout)

    def list_owned_numbers(
        self,
        *,
        country: str | None = None,
        has_application: bool | None = None,
        application_id: str | None = None,
        timeout: Timeout | float | None = None,
        **filters: Unpack[NumberFilters],
    ) -> ListNumbersResponse:
        """One page of the numbers the account owns (``index`` is 1-based)."""
        extra = {"has_application": has_application, "application_id": application_id}
        return self._run(self._owned(country, {**filters, **extra}), timeout)

    def list_inbound_numbers(
        self,
        country: str,
        *,
        type: NumberType | None = None,
        features: str | list[str] | None = None,
        timeout: Timeout | float | None = None,
        **filters: Unpack[NumberFilters],
    ) -> ListNumbersResponse:
        """One page of the numbers for sale in ``country`` (ISO 3166-1 alpha-2)."""
        extra = {"type": type, "features": features}
        return self._run(self._inbound(country, {**filters, **extra}), timeout)

    def list_applications(
        self,
        page_size: int | None = None,
        page_index: int | None = None,
        *,
        timeout: Timeout | float | None = None,
    ) -> ListApplicationsResponse:
        """One page of applications (``page_index`` is 0-based)."""
        return self._run(self._apps(page_size, page_index), timeout)

    def get_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> ApplicationResponse:
        action = actions.get_application(check_application_id(application_id))
        return self._run(action, timeout)

    def create_application(
        self,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        """Create an application; ``keys.private_key`` is returned this once only."""
        action = actions.create_application(self._app_request(name, type, options))
        return self._run(action, timeout)

    def update_application(
        self,
        application_id: str,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        app_id = check_application_id(application_id)
        action = actions.update_application(app_id, self._app_request(name, type, options))
        return self._run(action, timeout)

    def delete_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> None:
        self._run(actions.delete_application(check_application_id(application_id)), timeout)

    def iter_owned_numbers(self, **filters: Any) -> Iterator[Number]:
        """Every owned number, page after page."""
        pages = _Pages(1)
        while True:
            page = self.list_owned_numbers(index=pages.index, **{"size": PAGE_SIZE, **filters})
            yield from page.numbers
            if not pages.advance(len(page.numbers), page.count):
                return

    def iter_inbound_numbers(self, country: str, **filters: Any) -> Iterator[Number]:
        """Every number for sale in ``country``, page after page."""
        pages = _Pages(1)
        while True:
            page = self.list_inbound_numbers(
                country, index=pages.index, **{"size": PAGE_SIZE, **filters}
            )
            yield from page.numbers
            if not pages.advance(len(page.numbers), page.count):
                return

    def iter_applications(self, page_size: int = PAGE_SIZE) -> Iterator[ApplicationResponse]:
        """Every application, page after page."""
        pages = _Pages(0)
        while True:
            page = self.list_applications(page_size=page_size, page_index=pages.index)
            yield from page.applications
            if not pages.advance(len(page.applications), page.count):
                return


class AsyncNexmoClient(_Client):
    """The nine actions for asyncio (aiohttp underneath). Safe to share between tasks."""

    def _open_transport(self, max_connections: int | None) -> None:
        self._transport = AsyncTransport(max_connections or 100)

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self, action: Action[T], timeout: Timeout | float | None) -> T:
        limit = self._timeout(timeout)
        retries: RetryState | None = None
        while True:
            try:
                return await self._attempt(action, limit)
            except NexmoError as exc:
                retries = retries or self.retry.begin(creates=action.creates)
                delay = retries.next_delay(exc)
                if delay is None:
                    raise
            await asyncio.sleep(delay)

    async def _attempt(self, action: Action[T], limit: Timeout) -> T:
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire_async(self.api_key)
        started = time.perf_counter()
        try:
            response = await self._transport.send(self._request(action), limit)
        except NexmoError as exc:
            self._log(action, started, type(exc).__name__)
            raise
        self._log(action, started, f"HTTP {response.status}")
        return action.parse(response)

    async def send_sms(
        self,
        from_: str,
        to: str,
        text: str | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[SmsOptions],
    ) -> SmsResponse:
        """Send an SMS. Text GSM-7 cannot carry goes as ``unicode`` unless ``type`` is given."""
        return await self._run(self._sms(from_, to, text, options), timeout)

    async def send_tts(
        self,
        to: str,
        text: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[TtsOptions],
    ) -> TtsResponse:
        """Send a speech (text-to-speech) call."""
        return await self._run(self._tts(to, text, options), timeout)

    async def list_owned_numbers(
        self,
        *,
        country: str | None = None,
        has_application: bool | None = None,
        application_id: str | None = None,
        timeout: Timeout | float | None = None,
        **filters: Unpack[NumberFilters],
    ) -> ListNumbersResponse:
        """One page of the numbers the account owns (``index`` is 1-based)."""
        extra = {"has_application": has_application, "application_id": application_id}
        return await self._run(self._owned(country, {**filters, **extra}), timeout)

    async def list_inbound_numbers(
        self,
        country: str,
        *,
        type: NumberType | None = None,
        features: str | list[str] | None = None,
        timeout: Timeout | float | None = None,
        **filters: Unpack[NumberFilters],
    ) -> ListNumbersResponse:
        """One page of the numbers for sale in ``country`` (ISO 3166-1 alpha-2)."""
        extra = {"type": type, "features": features}
        return await self._run(self._inbound(country, {**filters, **extra}), timeout)

    async def list_applications(
        self,
        page_size: int | None = None,
        page_index: int | None = None,
        *,
        timeout: Timeout | float | None = None,
    ) -> ListApplicationsResponse:
        """One page of applications (``page_index`` is 0-based)."""
        return await self._run(self._apps(page_size, page_index), timeout)

    async def get_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> ApplicationResponse:
        action = actions.get_application(check_application_id(application_id))
        return await self._run(action, timeout)

    async def create_application(
        self,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        """Create an application; ``keys.private_key`` is returned this once only."""
        action = actions.create_application(self._app_request(name, type, options))
        return await self._run(action, timeout)

    async def update_application(
        self,
        application_id: str,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        app_id = check_application_id(application_id)
        action = actions.update_application(app_id, self._app_request(name, type, options))
        return await self._run(action, timeout)

    async def delete_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> None:
        await self._run(actions.delete_application(check_application_id(application_id)), timeout)

    async def iter_owned_numbers(self, **filters: Any) -> AsyncIterator[Number]:
        """Every owned number, page after page."""
        pages = _Pages(1)
        while True:
            page = await self.list_owned_numbers(
                index=pages.index, **{"size": PAGE_SIZE, **filters}
            )
            for number in page.numbers:
                yield number
            if not pages.advance(len(page.numbers), page.count):
                return

    async def iter_inbound_numbers(self, country: str, **filters: Any) -> AsyncIterator[Number]:
        """Every number for sale in ``country``, page after page."""
        pages = _Pages(1)
        while True:
            page = await self.list_inbound_numbers(
                country, index=pages.index, **{"size": PAGE_SIZE, **filters}
            )
            for number in page.numbers:
                yield number
            if not pages.advance(len(page.numbers), page.count):
                return

    async def iter_applications(
        self, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[ApplicationResponse]:
        """Every application, page after page."""
        pages = _Pages(0)
        while True:
            page = await self.list_applications(page_size=page_size, page_index=pages.index)
            for application in page.applications:
                yield application
            if not pages.advance(len(page.applications), page.count):
                return

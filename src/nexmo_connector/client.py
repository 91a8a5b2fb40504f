"""``NexmoClient`` and ``AsyncNexmoClient``: the nine actions, validated, retried safely."""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar, Unpack, cast

from pydantic import SecretStr

from nexmo_connector import actions
from nexmo_connector.actions import Action, Pages
from nexmo_connector.errors import NexmoError, NotFoundError, ValidationError
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
    NumberType,
    OwnedNumbersRequest,
    SmsOptions,
    SmsRequest,
    SmsResponse,
    TtsOptions,
    TtsRequest,
    TtsResponse,
    check_application_id,
    validated,
)
from nexmo_connector.retries import RetryPolicy, RetryState
from nexmo_connector.rules import base_url_problem
from nexmo_connector.signing import SignatureMethod, check_signature, sign
from nexmo_connector.throttle import RateLimiter
from nexmo_connector.transport import (
    AsyncTransport,
    AsyncTransportType,
    HttpRequest,
    SyncTransport,
    Timeout,
    Transport,
    sleep,
)
from nexmo_connector.voice import ApplicationKey, Speech

log = logging.getLogger("nexmo_connector.client")
T = TypeVar("T")

REST_URL = "https://rest.nexmo.com"
API_URL = "https://api.nexmo.com"
DEFAULT_TIMEOUT = Timeout(connect=10.0, read=30.0)
PAGE_SIZE = 100


def _base_url(name: str, url: str) -> str:
    problem = base_url_problem(url)
    if problem is not None:
        raise ValidationError(name, problem)
    return url.rstrip("/")


def _application_key(
    application_id: str | None, private_key: str | bytes | os.PathLike[str] | None, env: bool
) -> ApplicationKey | None:
    """The Voice API's credentials, both or neither (one alone is a mistake, named)."""
    if application_id is None and private_key is None:
        return None
    hint = " (argument or NEXMO_{})" if env else ""
    if not application_id:
        raise ValidationError("application_id", "is required with private_key" + hint.format(
            "APPLICATION_ID"))  # fmt: skip
    if not private_key:
        raise ValidationError("private_key", "is required with application_id" + hint.format(
            "PRIVATE_KEY"))  # fmt: skip
    return ApplicationKey(application_id, private_key)


def _already_done(action: Action[Any], retries: RetryState | None, exc: NexmoError) -> bool:
    """A 404 for a delete whose earlier attempt may have gone through: that attempt did it."""
    return (
        action.done_when_gone
        and retries is not None
        and retries.maybe_accepted
        and isinstance(exc, NotFoundError)
    )


SearchPattern = Literal[0, 1, 2]
Item = TypeVar("Item")


class _Client:
    """What both clients share: settings, and turning an action into a request."""

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
        proxy: str | None = None,
        trust_env: bool = True,
        application_id: str | None = None,
        private_key: str | bytes | os.PathLike[str] | None = None,
        speech: Speech | None = None,
    ) -> None:
        """Arguments left as None fall back to ``NEXMO_API_KEY``, ``NEXMO_API_SECRET``,
        ``NEXMO_SIGNATURE_SECRET``, ``NEXMO_REST_URL`` and ``NEXMO_API_URL``, unless
        ``trust_env=False``: then the process environment is never read (a program holding
        many tenants' credentials wants that). ``max_connections``: the pool size (default
        10 for the sync client, 100 async); ``proxy``: an ``http://`` proxy URL.

        ``speech``: how Send a speech file travels: ``legacy`` (``/tts/json``, key and
        secret) or ``voice`` (the Voice API, with ``application_id`` and ``private_key``, PEM
        text or a key file's path; env ``NEXMO_APPLICATION_ID``, ``NEXMO_PRIVATE_KEY``).
        Default: ``voice`` when an application id and key are given, else ``legacy``.
        """

        def setting(value: str | None, env: str) -> str | None:
            return value if value is not None or not trust_env else os.environ.get(env)

        key = setting(api_key, "NEXMO_API_KEY")
        secret = setting(api_secret, "NEXMO_API_SECRET")
        where = " (argument or NEXMO_API_{})" if trust_env else ""
        if not key:
            raise ValidationError("api_key", "is required" + where.format("KEY"))
        if not secret:
            raise ValidationError("api_secret", "is required" + where.format("SECRET"))
        self.api_key = key
        self._secret = SecretStr(secret)
        signature = setting(signature_secret, "NEXMO_SIGNATURE_SECRET")
        self._signature_secret = SecretStr(signature) if signature else None
        self.signature_method: SignatureMethod = signature_method
        self.rest_url = _base_url("rest_url", setting(rest_url, "NEXMO_REST_URL") or REST_URL)
        self.api_url = _base_url("api_url", setting(api_url, "NEXMO_API_URL") or API_URL)
        if proxy is not None:
            _base_url("proxy", proxy)
        self.timeout = Timeout.of(timeout)
        self.retry = retry or RetryPolicy()
        self.rate_limiter = rate_limiter
        if private_key is None and trust_env:
            private_key = os.environ.get("NEXMO_PRIVATE_KEY")
        application = setting(application_id, "NEXMO_APPLICATION_ID")
        self._application = _application_key(application, private_key, trust_env)
        if speech not in (None, "legacy", "voice"):
            raise ValidationError("speech", "must be legacy or voice")
        if speech == "voice" and self._application is None:
            raise ValidationError("application_id", "is required for speech='voice' (and a key)")
        self.speech: Speech = speech or ("voice" if self._application else "legacy")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={self.api_key!r}, rest_url={self.rest_url!r}, "
            f"speech={self.speech!r})"
        )

    @property
    def signs(self) -> bool:
        """A signature secret is set: requests are signed, callbacks must be."""
        return self._signature_secret is not None

    def verify_callback(self, params: Mapping[str, object]) -> bool:
        """True when Nexmo signed this receipt or inbound SMS with the signature secret
        (``sig``, a fresh ``timestamp``); False when unsigned, forged or no secret is set."""
        if self._signature_secret is None:
            return False
        secret = self._signature_secret.get_secret_value()
        return check_signature(params, secret, self.signature_method)

    def _request(self, action: Action[Any]) -> HttpRequest:
        """The HTTP request for ``action``, credentials placed as its API expects."""
        base = self.rest_url if action.host == "rest" else self.api_url
        url = base + action.path
        params = dict(action.params)
        if action.auth == "bearer":
            if self._application is None:  # a Voice API action run on a client without a key
                raise ValidationError("application_id", "is required for the Voice API")
            headers = {"Authorization": f"Bearer {self._application.token()}"}
            return HttpRequest(action.method, url, json=action.body, headers=headers)
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

    def tts_action(self, request: TtsRequest) -> Action[TtsResponse]:
        """Send a speech file as this client sends it: through the Voice API or ``/tts/json``
        (see ``speech``). A parameter voice mode cannot carry is a ``ValidationError``."""
        return actions.send_call(request) if self.speech == "voice" else actions.send_tts(request)

    def _tts(self, to: str, text: str, options: TtsOptions) -> Action[TtsResponse]:
        return self.tts_action(validated(TtsRequest, to=to, text=text, **options))

    @staticmethod
    def _owned(filters: dict[str, Any]) -> Action[ListNumbersResponse]:
        return actions.list_owned_numbers(validated(OwnedNumbersRequest, **filters))

    @staticmethod
    def _inbound(filters: dict[str, Any]) -> Action[ListNumbersResponse]:
        return actions.list_inbound_numbers(validated(InboundNumbersRequest, **filters))

    @staticmethod
    def _apps(page_size: int | None, page_index: int | None) -> Action[ListApplicationsResponse]:
        request = validated(ListApplicationsRequest, page_size=page_size, page_index=page_index)
        return actions.list_applications(request)

    @staticmethod
    def _create(name: str, type: str, options: ApplicationOptions) -> Action[ApplicationResponse]:
        request = validated(ApplicationRequest, name=name, type=type, **options)
        return actions.create_application(request)

    @staticmethod
    def _update(
        application_id: str, name: str, type: str, options: ApplicationOptions
    ) -> Action[ApplicationResponse]:
        request = validated(ApplicationRequest, name=name, type=type, **options)
        return actions.update_application(check_application_id(application_id), request)

    def iter_owned_numbers(
        self,
        *,
        country: str | None = None,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        has_application: bool | None = None,
        application_id: str | None = None,
        size: int = PAGE_SIZE,
        timeout: Timeout | float | None = None,
    ) -> Paginator[Number]:
        """Every owned number, page after page (``for``, or ``async for`` on the async client)."""
        return Paginator(self, actions.owned_number_pages(_given(locals())), timeout)

    def iter_inbound_numbers(
        self,
        country: str,
        *,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        type: NumberType | None = None,
        features: str | list[str] | None = None,
        size: int = PAGE_SIZE,
        timeout: Timeout | float | None = None,
    ) -> Paginator[Number]:
        """Every number for sale in ``country``, page after page."""
        return Paginator(self, actions.inbound_number_pages(_given(locals())), timeout)

    def iter_applications(
        self, page_size: int = PAGE_SIZE, *, timeout: Timeout | float | None = None
    ) -> Paginator[ApplicationResponse]:
        """Every application, page after page."""
        return Paginator(self, actions.application_pages(page_size), timeout)


def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    """The filters a list method was given, from its ``locals()`` (None means not given)."""
    return {
        name: value
        for name, value in arguments.items()
        if value is not None and name not in ("self", "timeout")
    }


class Paginator(Generic[Item]):
    """Every item of a list action, page after page: ``for`` with ``NexmoClient``,
    ``async for`` with ``AsyncNexmoClient``. Pages are fetched as the loop needs them."""

    def __init__(
        self, client: _Client, pages: Pages[Item], timeout: Timeout | float | None
    ) -> None:
        self._client, self._pages, self._timeout = client, pages, timeout

    def __iter__(self) -> Iterator[Item]:
        client = self._client
        if not isinstance(client, NexmoClient):
            raise TypeError("an AsyncNexmoClient's pages are read with async for")
        index: int | None = self._pages.first
        seen = 0
        while index is not None:
            items, total = self._pages.items(client.run(self._pages.page(index), self._timeout))
            yield from items
            seen += len(items)
            index = self._pages.next_index(index, seen, len(items), total)

    async def __aiter__(self) -> AsyncIterator[Item]:
        client = self._client
        if not isinstance(client, AsyncNexmoClient):
            raise TypeError("a NexmoClient's pages are read with for, not async for")
        index: int | None = self._pages.first
        seen = 0
        while index is not None:
            page = await client.run(self._pages.page(index), self._timeout)
            items, total = self._pages.items(page)
            for item in items:
                yield item
            seen += len(items)
            index = self._pages.next_index(index, seen, len(items), total)


class NexmoClient(_Client):
    """The nine actions, synchronously. Safe to share between threads.

    ``transport``: a ``SyncTransport`` shared with other clients (its creator closes it).
    """

    def __init__(self, *args: Any, transport: Transport | None = None, **settings: Any) -> None:
        super().__init__(*args, **settings)
        self._owns_transport = transport is None
        self._transport: Transport = transport or SyncTransport(
            settings.get("max_connections") or 10, settings.get("proxy")
        )

    def close(self) -> None:
        if self._owns_transport:
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

    def run(self, action: Action[T], timeout: Timeout | float | None = None) -> T:
        """Send one ``Action`` (see ``nexmo_connector.actions``), retried by the policy."""
        limit = self._timeout(timeout)
        retries: RetryState | None = None
        while True:
            try:
                return self._attempt(action, limit)
            except NexmoError as exc:
                if _already_done(action, retries, exc):
                    return cast(T, None)
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
        return self.run(self._sms(from_, to, text, options), timeout)

    def send_tts(
        self,
        to: str,
        text: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[TtsOptions],
    ) -> TtsResponse:
        """Send a speech (text-to-speech) call."""
        return self.run(self._tts(to, text, options), timeout)

    def list_owned_numbers(
        self,
        *,
        country: str | None = None,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        has_application: bool | None = None,
        application_id: str | None = None,
        size: int | None = None,
        index: int | None = None,
        timeout: Timeout | float | None = None,
    ) -> ListNumbersResponse:
        """One page of the numbers the account owns (``index`` is 1-based)."""
        return self.run(self._owned(_given(locals())), timeout)

    def list_inbound_numbers(
        self,
        country: str,
        *,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        type: NumberType | None = None,
        features: str | list[str] | None = None,
        size: int | None = None,
        index: int | None = None,
        timeout: Timeout | float | None = None,
    ) -> ListNumbersResponse:
        """One page of the numbers for sale in ``country`` (ISO 3166-1 alpha-2)."""
        return self.run(self._inbound(_given(locals())), timeout)

    def list_applications(
        self,
        page_size: int | None = None,
        page_index: int | None = None,
        *,
        timeout: Timeout | float | None = None,
    ) -> ListApplicationsResponse:
        """One page of applications (``page_index`` is 0-based)."""
        return self.run(self._apps(page_size, page_index), timeout)

    def get_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> ApplicationResponse:
        """One application, by id."""
        return self.run(actions.get_application(check_application_id(application_id)), timeout)

    def create_application(
        self,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        """Create an application; ``keys.private_key`` is returned this once only."""
        return self.run(self._create(name, type, options), timeout)

    def update_application(
        self,
        application_id: str,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        """Replace an application's name and webhooks."""
        return self.run(self._update(application_id, name, type, options), timeout)

    def delete_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> None:
        """Delete an application (a retry that finds it gone counts as done)."""
        return self.run(actions.delete_application(check_application_id(application_id)), timeout)


class AsyncNexmoClient(_Client):
    """The nine actions for asyncio (aiohttp underneath). Safe to share between tasks.

    ``transport``: an ``AsyncTransport`` shared with other clients (its creator closes it).
    """

    def __init__(
        self, *args: Any, transport: AsyncTransportType | None = None, **settings: Any
    ) -> None:
        super().__init__(*args, **settings)
        self._owns_transport = transport is None
        self._transport: AsyncTransportType = transport or AsyncTransport(
            settings.get("max_connections") or 100, settings.get("proxy")
        )

    async def aclose(self) -> None:
        if self._owns_transport:
            await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def run(self, action: Action[T], timeout: Timeout | float | None = None) -> T:
        """Send one ``Action`` (see ``nexmo_connector.actions``), retried by the policy."""
        limit = self._timeout(timeout)
        retries: RetryState | None = None
        while True:
            try:
                return await self._attempt(action, limit)
            except NexmoError as exc:
                if _already_done(action, retries, exc):
                    return cast(T, None)
                retries = retries or self.retry.begin(creates=action.creates)
                delay = retries.next_delay(exc)
                if delay is None:
                    raise
            await sleep(delay)

    async def _attempt(self, action: Action[T], limit: Timeout) -> T:
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire_async(self.api_key)
        started = time.perf_counter()
        try:
            response = await self._transport.send_async(self._request(action), limit)
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
        return await self.run(self._sms(from_, to, text, options), timeout)

    async def send_tts(
        self,
        to: str,
        text: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[TtsOptions],
    ) -> TtsResponse:
        """Send a speech (text-to-speech) call."""
        return await self.run(self._tts(to, text, options), timeout)

    async def list_owned_numbers(
        self,
        *,
        country: str | None = None,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        has_application: bool | None = None,
        application_id: str | None = None,
        size: int | None = None,
        index: int | None = None,
        timeout: Timeout | float | None = None,
    ) -> ListNumbersResponse:
        """One page of the numbers the account owns (``index`` is 1-based)."""
        return await self.run(self._owned(_given(locals())), timeout)

    async def list_inbound_numbers(
        self,
        country: str,
        *,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        type: NumberType | None = None,
        features: str | list[str] | None = None,
        size: int | None = None,
        index: int | None = None,
        timeout: Timeout | float | None = None,
    ) -> ListNumbersResponse:
        """One page of the numbers for sale in ``country`` (ISO 3166-1 alpha-2)."""
        return await self.run(self._inbound(_given(locals())), timeout)

    async def list_applications(
        self,
        page_size: int | None = None,
        page_index: int | None = None,
        *,
        timeout: Timeout | float | None = None,
    ) -> ListApplicationsResponse:
        """One page of applications (``page_index`` is 0-based)."""
        return await self.run(self._apps(page_size, page_index), timeout)

    async def get_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> ApplicationResponse:
        """One application, by id."""
        return await self.run(
            actions.get_application(check_application_id(application_id)), timeout
        )

    async def create_application(
        self,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        """Create an application; ``keys.private_key`` is returned this once only."""
        return await self.run(self._create(name, type, options), timeout)

    async def update_application(
        self,
        application_id: str,
        name: str,
        type: ApplicationType,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[ApplicationOptions],
    ) -> ApplicationResponse:
        """Replace an application's name and webhooks."""
        return await self.run(self._update(application_id, name, type, options), timeout)

    async def delete_application(
        self, application_id: str, *, timeout: Timeout | float | None = None
    ) -> None:
        """Delete an application (a retry that finds it gone counts as done)."""
        return await self.run(
            actions.delete_application(check_application_id(application_id)), timeout
        )

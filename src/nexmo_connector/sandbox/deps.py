"""What the Nexmo routes depend on: the sandbox, the request's parameters, the caller.

Each API reads, authenticates and rate-limits in its own words; ``authorized(api)`` is that
preamble, written once: the first call of every Nexmo route, it yields the ``Caller``
(sandbox, account, parameters) or raises the ``WireError`` the API answers with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.sandbox.auth import AuthFailure, authenticate
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.records import Account
from nexmo_connector.sandbox.scenarios import Scenario
from nexmo_connector.sandbox.wire import (
    Api,
    BadRequest,
    Params,
    WireError,
    basic_credentials,
    json_response,
    read_json,
    read_params,
)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated, rate-counted request: the sandbox, the caller's account, and the
    parameters (query, form and JSON merged; for v2 and Reports, the query string)."""

    sandbox: Sandbox
    account: Account
    params: Params


async def answer(caller: Caller, body: dict[str, Any], scenario: Scenario) -> Response:
    """A send's answer, after the destination's scenario delay (the "slow upstream" numbers)."""
    if scenario.slow:
        await asyncio.sleep(caller.sandbox.config.slow_seconds)
    return json_response(body)


def bad_request(api: Api, bad: BadRequest) -> WireError:
    """An unreadable request in ``api``'s words (SMS and TTS: status 3 in HTTP 200)."""
    if api in ("sms", "tts"):
        return WireError(200, f"Invalid parameters: {bad.reason}", code=3)
    return WireError(bad.http_status, bad.reason)


async def json_body(request: Request) -> dict[str, Any]:
    """A JSON object body (v2 applications), read after the caller is known."""
    sandbox: Sandbox = request.app.state.sandbox
    try:
        return await read_json(request, sandbox.config.max_body_bytes)
    except BadRequest as bad:
        raise WireError(bad.http_status, bad.reason) from None


def _header_credentials(request: Request, *, query: bool) -> Params:
    """Basic auth (v2, Reports), or ``api_key``/``api_secret`` in the query string (v2)."""
    basic = basic_credentials(request)
    if basic:
        return {"api_key": basic[0], "api_secret": basic[1]}
    if not query:
        return {}
    return {k: v for k, v in request.query_params.items() if k in ("api_key", "api_secret")}


# How each API says "who are you?" and "slow down", and which limit it counts against.
_REFUSED = {
    "numbers": "authentication failed",
    "applications-v1": "Invalid credentials: check api_key and api_secret",
    "applications-v2": "You did not provide correct credentials.",
    "reports": "You did not provide correct credentials.",
}
_THROTTLED = {
    "sms": "Throttled",
    "tts": "Throttled",
    "numbers": "too many requests",
    "applications-v1": "Too many requests",
    "applications-v2": "Rate limit hit. Please wait and try again.",
}
_LIMIT = {
    "sms": "sms", "tts": "tts", "numbers": "numbers",
    "applications-v1": "applications", "applications-v2": "applications",
}  # fmt: skip


def _check(sandbox: Sandbox, api: Api, credentials: Params) -> Account:
    try:
        account = authenticate(sandbox.state, credentials, signed_allowed=api in ("sms", "tts"))
    except AuthFailure as failure:
        if api in ("sms", "tts"):
            raise WireError(200, failure.text, code=failure.code) from None
        raise WireError(401, _REFUSED[api]) from None
    if api in _LIMIT:
        wait = sandbox.rate_limits.retry_after(_LIMIT[api], account.api_key)
        if wait is not None:
            status = 200 if api == "sms" else 429
            raise WireError(status, _THROTTLED[api], code=1,
                            retry_after=None if api == "sms" else wait)  # fmt: skip
    return account


def authorized(api: Api) -> Callable[[Request], Awaitable[Caller]]:
    """What every Nexmo route calls first: its ``Caller``, or the ``WireError`` ``api``
    answers with (unreadable, unauthenticated, throttled).

    Called, not declared with ``Depends``: FastAPI's dependency resolution measured about
    10% of a send here (the sandbox benchmark's ratio fell under its goal with it)."""
    from_headers = api in ("applications-v2", "reports")

    async def dependency(request: Request) -> Caller:
        sandbox: Sandbox = request.app.state.sandbox
        if from_headers:
            params = dict(request.query_params)
            credentials = _header_credentials(request, query=api == "applications-v2")
        else:
            try:
                params = credentials = await read_params(request, sandbox.config.max_body_bytes)
            except BadRequest as bad:
                raise bad_request(api, bad) from None
        return Caller(sandbox, _check(sandbox, api, credentials), params)

    return dependency

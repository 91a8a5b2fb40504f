"""``/account/numbers`` (owned) and ``/number/search`` (for sale)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.phone import check_country
from nexmo_connector.rules import is_digits
from nexmo_connector.sandbox.auth import AuthFailure, authenticate
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.inventory import FEATURES, NUMBER_TYPES, inventory, matches_pattern
from nexmo_connector.sandbox.records import Account
from nexmo_connector.sandbox.wire import (
    BadRequest,
    InvalidParam,
    Params,
    error_response,
    int_param,
    json_response,
    read_params,
    retry_after,
)

MAX_PAGE_SIZE = 100


def _country(value: str) -> str:
    try:
        return check_country(value)
    except ValueError as exc:
        raise BadRequest(f"country {exc}") from None


def _filters(params: Params) -> tuple[str | None, int, int, int]:
    pattern = params.get("pattern") or None
    if pattern is not None and not is_digits(pattern):
        raise BadRequest("pattern must contain digits only")
    search_pattern = int_param(params, "search_pattern", 0, 2, 0)
    size = int_param(params, "size", 1, MAX_PAGE_SIZE, 10)
    index = int_param(params, "index", 1, 1_000_000, 1)
    return pattern, search_pattern, size, index


def _page(items: Sequence[dict[str, Any]], size: int, index: int) -> dict[str, Any]:
    if not items:
        return {"count": 0}
    start = (index - 1) * size
    return {"count": len(items), "numbers": list(items[start : start + size])}


async def _authorized(request: Request) -> tuple[Sandbox, Account, Params] | Response:
    sandbox: Sandbox = request.app.state.sandbox
    try:
        params = await read_params(request, sandbox.config.max_body_bytes)
        account = authenticate(sandbox.state, params, signed_allowed=False)
    except BadRequest as bad:
        return error_response("numbers", bad.http_status, bad.reason)
    except AuthFailure:
        return error_response("numbers", 401, "authentication failed")
    retry = sandbox.rate_limits.retry_after("numbers", account.api_key)
    if retry is not None:
        return error_response("numbers", 429, "too many requests", headers=retry_after(retry))
    return sandbox, account, params


async def owned_numbers(request: Request) -> Response:
    """``GET /account/numbers``."""
    found = await _authorized(request)
    if isinstance(found, Response):
        return found
    sandbox, account, params = found
    try:
        pattern, search_pattern, size, index = _filters(params)
        country = _country(params["country"]) if params.get("country") else None
        has_app = params.get("has_application", "").lower()
        if has_app not in ("", "true", "false"):
            raise BadRequest("has_application must be true or false")
    except (BadRequest, InvalidParam) as bad:
        return error_response("numbers", 400, str(bad))
    app_id = params.get("application_id") or None
    owned = [
        n.wire()
        for n in sandbox.state.numbers.values()
        if n.api_key == account.api_key
        and matches_pattern(n.msisdn, pattern, search_pattern)
        and (country is None or n.country == country)
        and (has_app == "" or (n.app_id is not None) == (has_app == "true"))
        and (app_id is None or n.app_id == app_id)
    ]
    owned.sort(key=lambda n: n["msisdn"])
    return json_response(_page(owned, size, index))


async def search_numbers(request: Request) -> Response:
    """``GET /number/search``."""
    found = await _authorized(request)
    if isinstance(found, Response):
        return found
    sandbox, _, params = found
    try:
        if not params.get("country"):
            raise BadRequest("country is required")
        country = _country(params["country"])
        pattern, search_pattern, size, index = _filters(params)
        number_type = params.get("type") or None
        if number_type is not None and number_type not in NUMBER_TYPES:
            raise BadRequest(f"type must be one of {', '.join(NUMBER_TYPES)}")
        wanted = {f.strip().upper() for f in params.get("features", "").split(",") if f.strip()}
        if not wanted <= set(FEATURES):
            raise BadRequest(f"features must be among {', '.join(FEATURES)}")
    except (BadRequest, InvalidParam) as bad:
        return error_response("numbers", 400, str(bad))
    owned = {msisdn for _, msisdn in sandbox.state.numbers}  # Nexmo lists only numbers for sale
    matches = [
        n.wire()
        for n in inventory(country)
        if n.msisdn not in owned
        and matches_pattern(n.msisdn, pattern, search_pattern)
        and (number_type is None or n.type == number_type)
        and wanted <= set(n.features)
    ]
    return json_response(_page(matches, size, index))

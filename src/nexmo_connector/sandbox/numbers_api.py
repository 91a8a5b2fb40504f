"""``/account/numbers`` (owned) and ``/number/search`` (for sale)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.phone import check_country
from nexmo_connector.rules import is_digits
from nexmo_connector.sandbox.deps import authorized
from nexmo_connector.sandbox.inventory import FEATURES, NUMBER_TYPES, inventory, matches_pattern
from nexmo_connector.sandbox.wire import (
    Api,
    BadRequest,
    InvalidParam,
    Params,
    WireError,
    int_param,
    json_response,
)
from nexmo_connector.sandbox.wire_docs import WireRoute

MAX_PAGE_SIZE = 100
API: Api = "numbers"
router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
caller_of = authorized(API)


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


@router.get("/account/numbers", operation_id="ListOwnedNumbers", summary="List owned numbers")
async def owned_numbers(request: Request) -> Response:
    """``GET /account/numbers``."""
    caller = await caller_of(request)
    sandbox, account, params = caller.sandbox, caller.account, caller.params
    try:
        pattern, search_pattern, size, index = _filters(params)
        country = _country(params["country"]) if params.get("country") else None
        has_app = params.get("has_application", "").lower()
        if has_app not in ("", "true", "false"):
            raise BadRequest("has_application must be true or false")
    except (BadRequest, InvalidParam) as bad:
        raise WireError(400, str(bad)) from None
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


@router.get("/number/search", operation_id="ListInboundNumbers", summary="Search numbers")
async def search_numbers(request: Request) -> Response:
    """``GET /number/search``: numbers for sale (none that an account owns)."""
    caller = await caller_of(request)
    sandbox, params = caller.sandbox, caller.params
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
        raise WireError(400, str(bad)) from None
    owned = {msisdn for _, msisdn in sandbox.state.numbers}
    matches = [
        n.wire()
        for n in inventory(country)
        if n.msisdn not in owned
        and matches_pattern(n.msisdn, pattern, search_pattern)
        and (number_type is None or n.type == number_type)
        and wanted <= set(n.features)
    ]
    return json_response(_page(matches, size, index))

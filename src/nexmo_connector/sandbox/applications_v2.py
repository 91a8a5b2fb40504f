"""``/v2/applications``: Basic auth, JSON, ``capabilities``, RFC 7807 errors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.sandbox import applications as apps
from nexmo_connector.sandbox.deps import authorized, json_body
from nexmo_connector.sandbox.wire import Api, InvalidParam, WireError, int_param, json_response
from nexmo_connector.sandbox.wire_docs import WIRE_DOCS

API: Api = "applications-v2"


router = APIRouter(tags=["Nexmo APIs"])
caller_of = authorized(API)
ONE = "/v2/applications/{application_id}"
V2 = apps.Version(apps.v2_view, "Application {} could not be found")
INVALID = "The request failed due to validation errors"


def _settings(data: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    """``(name, capabilities, public key)`` of a v2 body, or every problem with it."""
    problems: list[dict[str, str]] = []
    name = apps.check_name(data.get("name"), problems)
    try:
        capabilities = apps.check_capabilities(data.get("capabilities"))
    except apps.InvalidApplication as invalid:
        problems.extend(invalid.problems)
        capabilities = {}
    public_key = None
    keys = data.get("keys")
    if isinstance(keys, dict) and keys.get("public_key") is not None:
        try:
            public_key = apps.check_public_key(keys["public_key"])
        except apps.InvalidApplication as invalid:
            problems.extend(invalid.problems)
    if problems:
        raise WireError(400, INVALID, invalid=problems)
    return name, capabilities, public_key


@router.get(
    "/v2/applications",
    operation_id="ListApplicationsV2",
    summary="List applications",
    openapi_extra=WIRE_DOCS.get("ListApplicationsV2"),
)
async def list_applications(request: Request) -> Response:
    caller = await caller_of(request)
    sandbox, account, query = caller.sandbox, caller.account, caller.params
    try:
        size = int_param(query, "page_size", 1, apps.MAX_PAGE_SIZE, 10)
        page = int_param(query, "page", 1, 1_000_000, 1)
    except InvalidParam as exc:
        raise WireError(400, INVALID, invalid=[{"name": exc.name, "reason": exc.reason}]) from None
    owned = [a for a in sandbox.state.applications.values() if a.api_key == account.api_key]
    pages = apps.page_count(len(owned), size)
    chunk = owned[(page - 1) * size : page * size]
    return json_response(
        {
            "page_size": size,
            "page": page,
            "total_items": len(owned),
            "total_pages": pages,
            "_embedded": {"applications": [apps.v2_view(a) for a in chunk]},
            "_links": apps.page_links(
                "/v2/applications", f"page_size={size}&page=", page, 1, pages
            ),
        }
    )


@router.post(
    "/v2/applications",
    operation_id="CreateApplicationV2",
    summary="Create an application",
    openapi_extra=WIRE_DOCS.get("CreateApplicationV2"),
)
async def create_application(request: Request) -> Response:
    caller = await caller_of(request)
    body = await json_body(request)
    name, capabilities, public_key = _settings(body)
    return await apps.created(caller, name, capabilities, public_key, V2)


@router.put(
    ONE,
    operation_id="UpdateApplicationV2",
    summary="Update an application",
    openapi_extra=WIRE_DOCS.get("UpdateApplicationV2"),
)
async def update_application(request: Request) -> Response:
    application_id = request.path_params["application_id"]
    caller = await caller_of(request)
    body = await json_body(request)
    application = apps.find(caller, application_id, V2)
    name, capabilities, public_key = _settings(body)
    changes: dict[str, Any] = {"name": name, "capabilities": capabilities}
    if public_key is not None:
        changes["public_key"] = public_key
    return apps.updated(caller, application, changes, V2)


apps.add_routes(router, ONE, V2, caller_of, "V2")

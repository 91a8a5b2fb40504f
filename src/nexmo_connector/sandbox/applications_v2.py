"""``/v2/applications``: Basic auth, JSON, ``capabilities``, RFC 7807 errors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.sandbox import applications as apps
from nexmo_connector.sandbox.deps import authorized, json_body
from nexmo_connector.sandbox.wire import Api, WireError
from nexmo_connector.sandbox.wire_docs import WireRoute

API: Api = "applications-v2"


router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
caller_of = authorized(API)
ONE = "/v2/applications/{application_id}"
V2 = apps.Version(
    apps.v2_view, "Application {} could not be found", "/v2/applications", "page", 1,
    lambda total, size, page, pages: {"page_size": size, "page": page, "total_items": total,
                                      "total_pages": pages},
    lambda problems: WireError(400, INVALID, invalid=problems),
)  # fmt: skip
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


@router.get("/v2/applications", operation_id="ListApplicationsV2", summary="List applications")
async def list_applications(request: Request) -> Response:
    return apps.listed(await caller_of(request), V2)


@router.post(
    "/v2/applications",
    operation_id="CreateApplicationV2",
    summary="Create an application",
)
async def create_application(request: Request) -> Response:
    caller = await caller_of(request)
    body = await json_body(request)
    name, capabilities, public_key = _settings(body)
    return await apps.created(caller, name, capabilities, public_key, V2)


@router.put(ONE, operation_id="UpdateApplicationV2", summary="Update an application")
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

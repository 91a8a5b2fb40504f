"""``/v1/applications``: the connector's application actions, errors in the ``common`` shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.rules import is_http_url
from nexmo_connector.sandbox import applications as apps
from nexmo_connector.sandbox.deps import authorized
from nexmo_connector.sandbox.wire import (
    Api,
    Params,
    WireError,
)
from nexmo_connector.sandbox.wire_docs import WireRoute

API: Api = "applications-v1"


router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
caller_of = authorized(API)
ONE = "/v1/applications/{application_id}"


def _settings(params: Params) -> tuple[str, str, dict[str, Any]]:
    """``(name, type, capabilities)`` from v1 parameters."""
    problems: list[dict[str, str]] = []
    name = apps.check_name(params.get("name"), problems)
    app_type = params.get("type", "")
    if app_type not in apps.V1_TYPES:
        problems.append({"name": "type", "reason": f"must be one of {', '.join(apps.V1_TYPES)}"})
        raise apps.InvalidApplication(problems)
    required = {
        "voice": ("answer_url", "event_url"),
        "messages": ("inbound_url", "status_url"),
        "rtc": ("event_url",),
    }[app_type]
    webhooks: dict[str, dict[str, str]] = {}
    for hook, default_method in apps.WEBHOOKS[app_type].items():
        address = params.get(hook, "")
        method_param = hook.replace("_url", "_method")
        method = params.get(method_param, "").upper() or default_method
        if not address:
            if hook in required:
                problems.append(
                    {"name": hook, "reason": f"is required for {app_type} applications"}
                )
            continue
        if not is_http_url(address):
            problems.append({"name": hook, "reason": "must be an http(s) URL"})
        if method not in ("GET", "POST"):
            problems.append({"name": method_param, "reason": "must be GET or POST"})
        webhooks[hook] = {"address": address, "http_method": method}
    if problems:
        raise apps.InvalidApplication(problems)
    return name, app_type, {app_type: {"webhooks": webhooks}}


def _invalid(problems: list[dict[str, str]]) -> WireError:
    text = "; ".join(f"{p['name']}: {p['reason']}" for p in problems)
    return WireError(400, f"Invalid parameters: {text}")


V1 = apps.Version(
    apps.v1_view,
    "No application found with id {}",
    "/v1/applications",
    "page_index",
    0,
    lambda total, size, page, pages: {"count": total, "page_size": size, "page_index": page},
    _invalid,
)


@router.get("/v1/applications", operation_id="ListApplications", summary="List applications")
async def list_applications(request: Request) -> Response:
    return apps.listed(await caller_of(request), V1)


@router.post("/v1/applications", operation_id="CreateApplication", summary="Create an application")
async def create_application(request: Request) -> Response:
    caller = await caller_of(request)
    params = caller.params
    try:
        name, _, capabilities = _settings(params)
    except apps.InvalidApplication as invalid:
        raise _invalid(invalid.problems) from None
    return await apps.created(caller, name, capabilities, None, V1)


@router.put(ONE, operation_id="UpdateApplication", summary="Update an application")
async def update_application(request: Request) -> Response:
    application_id = request.path_params["application_id"]
    caller = await caller_of(request)
    application = apps.find(caller, application_id, V1)
    try:
        name, app_type, capabilities = _settings(caller.params)
        if app_type != apps.v1_type(application):
            raise apps.InvalidApplication(
                [{"name": "type", "reason": f"cannot change from {apps.v1_type(application)}"}]
            )
    except apps.InvalidApplication as invalid:
        raise _invalid(invalid.problems) from None
    return apps.updated(caller, application, {"name": name, "capabilities": capabilities}, V1)


apps.add_routes(router, ONE, V1, caller_of, "")

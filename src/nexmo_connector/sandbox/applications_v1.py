"""``/v1/applications``: the connector's application actions, errors in the ``common`` shape."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.rules import is_http_url
from nexmo_connector.sandbox import applications as apps
from nexmo_connector.sandbox.auth import AuthFailure, authenticate
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.records import Account, Application
from nexmo_connector.sandbox.wire import (
    Api,
    BadRequest,
    InvalidParam,
    Params,
    error_response,
    int_param,
    json_response,
    read_params,
    retry_after,
)

API: Api = "applications-v1"


class V1Error(Exception):
    def __init__(self, http_status: int, text: str) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.text = text


async def _begin(request: Request) -> tuple[Sandbox, Account, Params]:
    sandbox: Sandbox = request.app.state.sandbox
    try:
        params = await read_params(request, sandbox.config.max_body_bytes)
    except BadRequest as bad:
        raise V1Error(bad.http_status, bad.reason) from None
    try:
        account = authenticate(sandbox.state, params, signed_allowed=False)
    except AuthFailure:
        raise V1Error(401, "Invalid credentials: check api_key and api_secret") from None
    if sandbox.rate_limits.retry_after("applications", account.api_key) is not None:
        raise V1Error(429, "Too many requests")
    return sandbox, account, params


def _owned(sandbox: Sandbox, account: Account, application_id: str) -> Application:
    application = apps.owned(sandbox.state, account, application_id)
    if application is None:
        raise V1Error(404, f"No application found with id {application_id[:64]}")
    return application


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


def _failure(exc: Exception) -> Response:
    if isinstance(exc, V1Error):
        headers = retry_after(1) if exc.http_status == 429 else None
        return error_response(API, exc.http_status, exc.text, headers=headers)
    assert isinstance(exc, apps.InvalidApplication)
    return error_response(API, 400, f"Invalid parameters: {exc}")


async def list_applications(request: Request) -> Response:
    try:
        sandbox, account, params = await _begin(request)
        size = int_param(params, "page_size", 1, apps.MAX_PAGE_SIZE, 10)
        index = int_param(params, "page_index", 0, 1_000_000, 0)
    except InvalidParam as exc:
        return _failure(apps.InvalidApplication([{"name": exc.name, "reason": exc.reason}]))
    except (V1Error, apps.InvalidApplication) as exc:
        return _failure(exc)
    owned = [a for a in sandbox.state.applications.values() if a.api_key == account.api_key]
    last = apps.page_count(len(owned), size) - 1
    page = owned[index * size : (index + 1) * size]
    return json_response(
        {
            "count": len(owned),
            "page_size": size,
            "page_index": index,
            "_embedded": {"applications": [apps.v1_view(a) for a in page]},
            "_links": apps.page_links(
                "/v1/applications", f"page_size={size}&page_index=", index, 0, last
            ),
        }
    )


async def create_application(request: Request) -> Response:
    try:
        sandbox, account, params = await _begin(request)
        name, _, capabilities = _settings(params)
    except (V1Error, apps.InvalidApplication) as exc:
        return _failure(exc)
    application, private = await asyncio.to_thread(
        apps.create, account.api_key, name, capabilities, None
    )
    sandbox.state.save_application(application)
    return json_response(apps.v1_view(application, private), 201)


async def get_application(request: Request) -> Response:
    try:
        sandbox, account, _ = await _begin(request)
        application = _owned(sandbox, account, request.path_params["application_id"])
    except V1Error as exc:
        return _failure(exc)
    return json_response(apps.v1_view(application))


async def update_application(request: Request) -> Response:
    try:
        sandbox, account, params = await _begin(request)
        application = _owned(sandbox, account, request.path_params["application_id"])
        name, app_type, capabilities = _settings(params)
        if app_type != apps.v1_type(application):
            raise apps.InvalidApplication(
                [{"name": "type", "reason": f"cannot change from {apps.v1_type(application)}"}]
            )
    except (V1Error, apps.InvalidApplication) as exc:
        return _failure(exc)
    updated = application.model_copy(update={"name": name, "capabilities": capabilities})
    sandbox.state.save_application(updated)
    return json_response(apps.v1_view(updated))


async def delete_application(request: Request) -> Response:
    try:
        sandbox, account, _ = await _begin(request)
        application = _owned(sandbox, account, request.path_params["application_id"])
    except V1Error as exc:
        return _failure(exc)
    sandbox.state.delete_application(application.id)
    return Response(status_code=204)

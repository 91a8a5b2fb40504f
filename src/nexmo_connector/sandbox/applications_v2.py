"""``/v2/applications``: Basic auth, JSON, ``capabilities``, RFC 7807 errors."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.sandbox import applications as apps
from nexmo_connector.sandbox.auth import AuthFailure, authenticate
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.records import Account, Application
from nexmo_connector.sandbox.wire import (
    Api,
    BadRequest,
    InvalidParam,
    basic_credentials,
    error_response,
    int_param,
    json_response,
    read_json,
    retry_after,
)

API: Api = "applications-v2"


class V2Error(Exception):
    def __init__(
        self, http_status: int, text: str, invalid: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.text = text
        self.invalid = invalid


def _begin(request: Request) -> tuple[Sandbox, Account, dict[str, str]]:
    sandbox: Sandbox = request.app.state.sandbox
    query = dict(request.query_params)
    credentials = {k: v for k, v in query.items() if k in ("api_key", "api_secret")}
    basic = basic_credentials(request)
    if basic:
        credentials = {"api_key": basic[0], "api_secret": basic[1]}
    try:
        account = authenticate(sandbox.state, credentials, signed_allowed=False)
    except AuthFailure:
        raise V2Error(401, "You did not provide correct credentials.") from None
    if sandbox.rate_limits.retry_after("applications", account.api_key) is not None:
        raise V2Error(429, "Rate limit hit. Please wait and try again.")
    return sandbox, account, query


async def _body(request: Request, sandbox: Sandbox) -> tuple[str, dict[str, Any], str | None]:
    try:
        data = await read_json(request, sandbox.config.max_body_bytes)
    except BadRequest as bad:
        raise V2Error(bad.http_status, bad.reason) from None
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
        raise V2Error(400, "The request failed due to validation errors", problems)
    return name, capabilities, public_key


def _owned(sandbox: Sandbox, account: Account, application_id: str) -> Application:
    application = apps.owned(sandbox.state, account, application_id)
    if application is None:
        raise V2Error(404, f"Application {application_id[:64]} could not be found")
    return application


def _failure(exc: V2Error) -> Response:
    headers = retry_after(1) if exc.http_status == 429 else None
    return error_response(API, exc.http_status, exc.text, invalid=exc.invalid, headers=headers)


async def list_applications(request: Request) -> Response:
    try:
        sandbox, account, query = _begin(request)
        size = int_param(query, "page_size", 1, apps.MAX_PAGE_SIZE, 10)
        page = int_param(query, "page", 1, 1_000_000, 1)
    except InvalidParam as exc:
        invalid = [{"name": exc.name, "reason": exc.reason}]
        return _failure(V2Error(400, "The request failed due to validation errors", invalid))
    except V2Error as exc:
        return _failure(exc)
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


async def create_application(request: Request) -> Response:
    try:
        sandbox, account, _ = _begin(request)
        name, capabilities, public_key = await _body(request, sandbox)
    except V2Error as exc:
        return _failure(exc)
    application, private = await asyncio.to_thread(
        apps.create, account.api_key, name, capabilities, public_key
    )
    sandbox.state.save_application(application)
    return json_response(apps.v2_view(application, private), 201)


async def get_application(request: Request) -> Response:
    try:
        sandbox, account, _ = _begin(request)
        application = _owned(sandbox, account, request.path_params["application_id"])
    except V2Error as exc:
        return _failure(exc)
    return json_response(apps.v2_view(application))


async def update_application(request: Request) -> Response:
    try:
        sandbox, account, _ = _begin(request)
        application = _owned(sandbox, account, request.path_params["application_id"])
        name, capabilities, public_key = await _body(request, sandbox)
    except V2Error as exc:
        return _failure(exc)
    changes: dict[str, Any] = {"name": name, "capabilities": capabilities}
    if public_key is not None:
        changes["public_key"] = public_key
    updated = application.model_copy(update=changes)
    sandbox.state.save_application(updated)
    return json_response(apps.v2_view(updated))


async def delete_application(request: Request) -> Response:
    try:
        sandbox, account, _ = _begin(request)
        application = _owned(sandbox, account, request.path_params["application_id"])
    except V2Error as exc:
        return _failure(exc)
    sandbox.state.delete_application(application.id)
    return Response(status_code=204)

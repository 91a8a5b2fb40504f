"""Applications shared by the v1 and v2 APIs: capabilities, key pairs, views and paging."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.rules import is_http_url
from nexmo_connector.sandbox.deps import Caller
from nexmo_connector.sandbox.records import Application
from nexmo_connector.sandbox.wire import InvalidParam, WireError, int_param, json_response

WEBHOOKS: dict[str, dict[str, str]] = {
    "voice": {"answer_url": "GET", "fallback_answer_url": "GET", "event_url": "POST"},
    "messages": {"inbound_url": "POST", "status_url": "POST"},
    "rtc": {"event_url": "POST"},
    "verify": {"status_url": "POST"},
    "vbc": {},
}
"""Webhooks each capability takes, with their default HTTP method."""
V1_TYPES = ("voice", "messages", "rtc")
MAX_NAME = 200
MAX_PAGE_SIZE = 100


class InvalidApplication(Exception):
    """Field-by-field problems: ``[{"name": ..., "reason": ...}]``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['name']}: {p['reason']}" for p in problems))
        self.problems = problems


def new_key_pair() -> tuple[str, str]:
    """``(private PEM, public PEM)`` of a fresh RSA-2048 key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def check_public_key(pem: object) -> str:
    """``pem`` when it is a PEM public key, else ``InvalidApplication``."""
    if isinstance(pem, str):
        try:
            serialization.load_pem_public_key(pem.encode())
            return pem
        except (ValueError, TypeError):
            pass
    raise InvalidApplication([{"name": "keys.public_key", "reason": "must be a PEM public key"}])


def check_name(name: object, problems: list[dict[str, str]]) -> str:
    if not isinstance(name, str) or not name.strip():
        problems.append({"name": "name", "reason": "is required"})
        return ""
    if len(name) > MAX_NAME:
        problems.append({"name": "name", "reason": f"must be at most {MAX_NAME} characters"})
    return name


def _webhook(
    where: str, value: object, default_method: str, problems: list[dict[str, str]]
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems.append({"name": where, "reason": "must be an object with address and http_method"})
        return None
    address = value.get("address")
    method = value.get("http_method") or default_method
    if not isinstance(address, str) or not is_http_url(address):
        problems.append({"name": f"{where}.address", "reason": "must be an http(s) URL"})
    if method not in ("GET", "POST"):
        problems.append({"name": f"{where}.http_method", "reason": "must be GET or POST"})
    return {**value, "address": address, "http_method": method}


def check_capabilities(capabilities: object) -> dict[str, Any]:
    """Validated capabilities with default HTTP methods filled in."""
    if capabilities is None:
        return {}
    problems: list[dict[str, str]] = []
    if not isinstance(capabilities, dict):
        raise InvalidApplication([{"name": "capabilities", "reason": "must be an object"}])
    result: dict[str, Any] = {}
    for capability, settings in capabilities.items():
        where = f"capabilities.{capability}"
        if capability not in WEBHOOKS:
            problems.append({"name": where, "reason": f"must be one of {', '.join(WEBHOOKS)}"})
            continue
        if not isinstance(settings, dict):
            problems.append({"name": where, "reason": "must be an object"})
            continue
        webhooks = settings.get("webhooks") or {}
        if not isinstance(webhooks, dict):
            problems.append({"name": f"{where}.webhooks", "reason": "must be an object"})
            continue
        checked: dict[str, Any] = {}
        for hook, value in webhooks.items():
            if hook not in WEBHOOKS[capability]:
                problems.append(
                    {
                        "name": f"{where}.webhooks.{hook}",
                        "reason": "is not a webhook of this capability",
                    }
                )
                continue
            entry = _webhook(
                f"{where}.webhooks.{hook}", value, WEBHOOKS[capability][hook], problems
            )
            if entry is not None:
                checked[hook] = entry
        result[capability] = {**settings, "webhooks": checked} if checked else dict(settings)
    if problems:
        raise InvalidApplication(problems)
    return result


def create(
    api_key: str, name: str, capabilities: dict[str, Any], public_key: str | None
) -> tuple[Application, str | None]:
    """A new application and its private key (None when the caller brought a public key)."""
    private = None
    if public_key is None:
        private, public_key = new_key_pair()
    application = Application(
        id=str(uuid.uuid4()),
        api_key=api_key,
        name=name,
        capabilities=capabilities,
        public_key=public_key,
    )
    return application, private


@dataclass(frozen=True, slots=True)
class Version:
    """How one version of the API shows an application, pages them, says one is not there."""

    view: Callable[[Application, str | None], dict[str, Any]]
    missing: str
    path: str
    page_param: str
    first_page: int
    paging: Callable[[int, int, int, int], dict[str, Any]]
    """``(total, size, page, pages)`` → the version's paging fields."""
    invalid: Callable[[list[dict[str, str]]], WireError]
    """The version's answer to field problems."""


def listed(caller: Caller, version: Version) -> Response:
    """One page of the caller's applications, with the version's paging and HAL links."""
    first = version.first_page
    try:
        size = int_param(caller.params, "page_size", 1, MAX_PAGE_SIZE, 10)
        page = int_param(caller.params, version.page_param, first, 1_000_000, first)
    except InvalidParam as exc:
        raise version.invalid([{"name": exc.name, "reason": exc.reason}]) from None
    owned = [
        a for a in caller.sandbox.state.applications.values()
        if a.api_key == caller.account.api_key
    ]  # fmt: skip
    pages = page_count(len(owned), size)
    start = (page - version.first_page) * size
    body = version.paging(len(owned), size, page, pages)
    body["_embedded"] = {
        "applications": [version.view(a, None) for a in owned[start : start + size]]
    }
    query = f"page_size={size}&{version.page_param}="
    last = version.first_page + pages - 1
    body["_links"] = page_links(version.path, query, page, version.first_page, last)
    return json_response(body)


def find(caller: Caller, application_id: str, version: Version) -> Application:
    """The caller's application with this id (another account's is not found: a 404)."""
    application = caller.sandbox.state.applications.get(application_id)
    if application is None or application.api_key != caller.account.api_key:
        raise WireError(404, version.missing.format(application_id[:64]))
    return application


async def created(
    caller: Caller, name: str, capabilities: dict[str, Any], public_key: str | None,
    version: Version,
) -> Response:  # fmt: skip
    """Create and keep the caller's new application (its key pair made off the event loop)."""
    application, private = await asyncio.to_thread(
        create, caller.account.api_key, name, capabilities, public_key
    )
    caller.sandbox.state.save_application(application)
    return json_response(version.view(application, private), 201)


def shown(caller: Caller, application_id: str, version: Version) -> Response:
    return json_response(version.view(find(caller, application_id, version), None))


def deleted(caller: Caller, application_id: str, version: Version) -> Response:
    caller.sandbox.state.delete_application(find(caller, application_id, version).id)
    return Response(status_code=204)


def add_routes(
    router: APIRouter,
    path: str,
    version: Version,
    caller_of: Callable[[Request], Awaitable[Caller]],
    suffix: str,
) -> None:
    """The routes both versions answer alike: get and delete one application."""

    @router.get(
        path,
        operation_id=f"GetApplication{suffix}",
        summary="Get an application",
    )
    async def get_application(request: Request) -> Response:
        application_id = request.path_params["application_id"]
        return shown(await caller_of(request), application_id, version)

    @router.delete(
        path,
        operation_id=f"DeleteApplication{suffix}",
        summary="Delete an application",
    )
    async def delete_application(request: Request) -> Response:
        application_id = request.path_params["application_id"]
        return deleted(await caller_of(request), application_id, version)


def updated(
    caller: Caller, application: Application, changes: dict[str, Any], version: Version
) -> Response:
    """Keep the changed application and show it."""
    changed = application.model_copy(update=changes)
    caller.sandbox.state.save_application(changed)
    return json_response(version.view(changed, None))


def v2_view(application: Application, private_key: str | None = None) -> dict[str, Any]:
    keys: dict[str, str] = {"public_key": application.public_key}
    if private_key:
        keys["private_key"] = private_key
    return {
        "id": application.id,
        "name": application.name,
        "capabilities": application.capabilities,
        "keys": keys,
        "privacy": {"improve_ai": False},
        "_links": {"self": {"href": f"/v2/applications/{application.id}"}},
    }


def v1_type(application: Application) -> str:
    return next((t for t in V1_TYPES if t in application.capabilities), "voice")


def v1_view(application: Application, private_key: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": application.id, "name": application.name}
    for capability in V1_TYPES:
        settings = application.capabilities.get(capability)
        if settings is None:
            continue
        view[capability] = {
            "webhooks": [
                {
                    "endpoint_type": hook,
                    "endpoint": entry["address"],
                    "http_method": entry["http_method"],
                }
                for hook, entry in settings.get("webhooks", {}).items()
            ]
        }
    keys: dict[str, str] = {"public_key": application.public_key}
    if private_key:
        keys["private_key"] = private_key
    view["keys"] = keys
    view["_links"] = {"self": {"href": f"/v1/applications/{application.id}"}}
    return view


def page_links(path: str, query: str, page: int, first: int, last: int) -> dict[str, Any]:
    """HAL links: self, first, last always; next and prev only when those pages exist."""

    def href(number: int) -> dict[str, str]:
        return {"href": f"{path}?{query}{number}"}

    links = {"self": href(page), "first": href(first), "last": href(last)}
    if page < last:
        links["next"] = href(page + 1)
    if page > first:
        links["prev"] = href(page - 1)
    return links


def page_count(total: int, size: int) -> int:
    """Pages needed for ``total`` items (at least one, which may be empty)."""
    return max(1, math.ceil(total / size))

"""OpenAPI documentation of the Nexmo routes, derived from the client's request models.

The wire routes read their parameters themselves (Nexmo's parsing and error shapes, not
FastAPI's), so FastAPI cannot infer them; this declares them for ``/docs`` and for tools
that generate requests from the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel

from nexmo_connector.models import (
    ApplicationRequest,
    InboundNumbersRequest,
    ListApplicationsRequest,
    OwnedNumbersRequest,
    SmsRequest,
    TtsRequest,
)

CREDENTIALS: dict[str, dict[str, Any]] = {
    "api_key": {"type": "string", "description": "or HTTP Basic auth"},
    "api_secret": {"type": "string", "format": "password", "description": "or `sig`"},
}
SIGNATURE: dict[str, dict[str, Any]] = {
    "sig": {"type": "string", "description": "request signature, instead of api_secret"},
    "timestamp": {"type": "integer", "description": "UNIX time, required with sig"},
}


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's schema as a form or query string carries it: no null, lists as CSV."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    plain = {k: v for k, v in options[0].items() if k not in ("title", "default")}
    if plain.get("type") == "array":
        items = plain["items"]
        plain = {"type": "string", "description": "comma-separated: " + ", ".join(items["enum"])}
    return plain


def _fields(model: type[BaseModel] | None, *extra: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``{"properties", "required"}`` of a model's wire form, plus ``extra`` fields."""
    schema = model.model_json_schema(by_alias=True) if model else {"properties": {}}
    properties = {name: _plain(field) for name, field in schema["properties"].items()}
    for fields in extra:
        properties |= fields
    return {"properties": properties, "required": schema.get("required", [])}


def _query(model: type[BaseModel] | None, *extra: dict[str, dict[str, Any]]) -> dict[str, Any]:
    fields = _fields(model, *extra)
    return {
        "parameters": [
            {"name": name, "in": "query", "required": name in fields["required"], "schema": s}
            for name, s in fields["properties"].items()
        ]
    }


def _form(model: type[BaseModel], *extra: dict[str, dict[str, Any]]) -> dict[str, Any]:
    schema = {"type": "object", **_fields(model, *extra)}
    media = {"schema": schema}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": media, "application/json": media},
        }
    }


APPLICATION_ID = {
    "name": "application_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}


def _with_id(extra: dict[str, Any]) -> dict[str, Any]:
    return {**extra, "parameters": [APPLICATION_ID, *extra.get("parameters", [])]}


def _documented() -> dict[str, dict[str, Any]]:
    v1_credentials = _query(None, CREDENTIALS)
    return {
        "SendSms": _form(SmsRequest, CREDENTIALS, SIGNATURE),
        "SendSmsByGet": _query(SmsRequest, CREDENTIALS, SIGNATURE),
        "SendTts": _form(TtsRequest, CREDENTIALS, SIGNATURE),
        "SendTtsByGet": _query(TtsRequest, CREDENTIALS, SIGNATURE),
        "ListOwnedNumbers": _query(OwnedNumbersRequest, CREDENTIALS),
        "ListInboundNumbers": _query(InboundNumbersRequest, CREDENTIALS),
        "ListApplications": _query(ListApplicationsRequest, CREDENTIALS),
        "CreateApplication": _form(ApplicationRequest, CREDENTIALS),
        "GetApplication": _with_id(v1_credentials),
        "UpdateApplication": _with_id(_form(ApplicationRequest, CREDENTIALS)),
        "DeleteApplication": _with_id(v1_credentials),
        "GetApplicationV2": _with_id({}),
        "UpdateApplicationV2": _with_id({}),
        "DeleteApplicationV2": _with_id({}),
    }


WIRE_DOCS = _documented()
"""``openapi_extra`` per operationId of the Nexmo routes that need one."""


class WireRoute(APIRoute):
    """A Nexmo route: its documented parameters (``WIRE_DOCS``) found by its operationId."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("openapi_extra") is None:
            kwargs["openapi_extra"] = WIRE_DOCS.get(kwargs.get("operation_id") or "")
        super().__init__(path, endpoint, **kwargs)

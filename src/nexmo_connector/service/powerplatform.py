"""The Power Platform custom connector: the service's own OpenAPI document, turned into the
Swagger 2.0 definition and the ``apiProperties.json`` that Power Automate, Power Apps and
Logic Apps import (contract §9). Nothing here is hand-kept: operations, parameters and
schemas come from the routes and models; this module only picks and translates."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

TITLE = "Nexmo (self-hosted)"
DESCRIPTION = (
    "Send SMS and speech calls, manage numbers and applications through your own Nexmo"
    " (Vonage) connector service; get triggers for delivery receipts, inbound SMS, call"
    " outcomes and finished batches."
)
BRAND_COLOR = "#6d28d9"
ACTIONS = (
    "SendSms",
    "SendTts",
    "ListOwnedNumbers",
    "ListInboundNumbers",
    "ListApplications",
    "CreateApplication",
    "GetApplication",
    "UpdateApplication",
    "DeleteApplication",
    "CreateBatch",
    "GetBatch",
)
TRIGGERS = ("OnSmsStatus", "OnSmsInbound", "OnSmsReceipt", "OnCallStatus", "OnBatchFinished")
INTERNAL = ("ListConnections", "DeleteSubscription")
CONNECTIONS = "ListConnections"
NEXT_LINK = "nextLink"
SECURITY = "api_key"
_CONSTRAINTS = (
    "format", "default", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "enum",
)  # fmt: skip
"""What Swagger 2.0 keeps of a JSON Schema's constraints, in schemas and parameters alike."""
_SCHEMA_KEYS = frozenset((
    *_CONSTRAINTS, "$ref", "description", "maxProperties", "minProperties", "required",
    "additionalProperties", "type", "items", "allOf", "properties", "readOnly", "example",
))  # fmt: skip
_PARAMETER_KEYS = frozenset((*_CONSTRAINTS, "items"))
_COMPONENTS = "#/components/schemas/"


class _Translator:
    """OpenAPI 3.1 (JSON Schema 2020-12) to Swagger 2.0's schema subset."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        self.components: dict[str, Any] = openapi.get("components", {}).get("schemas", {})
        self.names = {key: value.get("title", key) for key, value in self.components.items()}
        if len(set(self.names.values())) != len(self.names):
            raise ValueError("two schemas have the same title")
        self.used: set[str] = set()

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` itself, or the component it refers to."""
        ref = schema.get("$ref", "")
        return self.components[ref.removeprefix(_COMPONENTS)] if ref else schema

    def schema(self, schema: dict[str, Any], *, top: bool = False) -> dict[str, Any]:
        schema = _without_null(schema)
        if "$ref" in schema:
            key = schema["$ref"].removeprefix(_COMPONENTS)
            self.used.add(key)
            out: dict[str, Any] = {"$ref": f"#/definitions/{self.names[key]}"}
            if "description" in schema:
                out["description"] = schema["description"]
        else:
            out = {k: v for k, v in schema.items() if k in _SCHEMA_KEYS}
        if "const" in schema:
            out["enum"] = [schema["const"]]
        for bound in ("Minimum", "Maximum"):
            exclusive = schema.get(f"exclusive{bound}")
            if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
                out[bound.lower()], out[f"exclusive{bound}"] = exclusive, True
        if out.get("default", 0) is None:
            del out["default"]
        if "title" in schema and not top:
            out["x-ms-summary"] = schema["title"]
        if "properties" in schema:
            out["properties"] = {k: self.schema(v) for k, v in schema["properties"].items()}
        if isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = self.schema(schema["additionalProperties"])
        if "items" in schema:
            out["items"] = self.schema(schema["items"])
        if "allOf" in schema:
            out["allOf"] = [self.schema(s) for s in schema["allOf"]]
        if schema.get("_nullable"):
            out["x-nullable"] = True
        return out

    def definitions(self) -> dict[str, Any]:
        """Every component the document refers to, directly or through another."""
        done: dict[str, Any] = {}
        while pending := sorted(self.used - done.keys()):
            for key in pending:
                done[key] = self.schema(self.components[key], top=True)
        return {self.names[key]: done[key] for key in sorted(done, key=self.names.__getitem__)}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, null]`` (pydantic's ``X | None``) as X marked nullable; other unions as
    their first member (Swagger 2.0 has no unions)."""
    choices = schema.get("anyOf") or schema.get("oneOf")
    if not choices:
        return schema
    members = [c for c in choices if c.get("type") != "null"]
    merged = {**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **members[0]}
    for key in ("title", "description", "default"):
        if key in schema:
            merged[key] = schema[key]
    merged["_nullable"] = len(members) < len(choices)
    return merged


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = _without_null(parameter.get("schema", {}))
    out: dict[str, Any] = {
        "name": parameter["name"],
        "in": parameter["in"],
        "required": bool(parameter.get("required")),
        "type": schema.get("type", "string"),
    }
    out.update({k: v for k, v in schema.items() if k in _PARAMETER_KEYS})
    if out.get("default", 0) is None:
        del out["default"]
    if description := parameter.get("description") or schema.get("description"):
        out["description"] = description
    if title := schema.get("title"):
        out["x-ms-summary"] = title
    if not out["required"]:
        out["x-ms-visibility"] = schema.get("x-ms-visibility", "advanced")
    if parameter["name"] == "connection_id":
        out["x-ms-dynamic-values"] = {
            "operationId": CONNECTIONS,
            "value-collection": "connections",
            "value-path": "id",
            "value-title": "name",
        }
    return out


def _body(translator: _Translator, request: dict[str, Any], trigger: bool) -> dict[str, Any]:
    """The JSON request body as Swagger's one ``body`` parameter, inlined, its optional
    properties advanced; a trigger's ``url`` is the notification URL Power Automate fills."""
    given = request["content"]["application/json"]["schema"]
    schema = translator.schema(translator.resolve(given), top=True)
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        if trigger and name == "url":
            prop.update({"x-ms-notification-url": True, "x-ms-visibility": "internal"})
        elif name not in required:
            prop["x-ms-visibility"] = "advanced"
    body = {
        "name": "body",
        "in": "body",
        "required": bool(request.get("required")),
        "schema": schema,
    }
    if description := request.get("description"):
        body["description"] = description
    return body


def _responses(translator: _Translator, responses: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, response in responses.items():
        converted: dict[str, Any] = {"description": response.get("description") or status}
        content = response.get("content", {}).get("application/json", {})
        if content.get("schema"):
            converted["schema"] = translator.schema(content["schema"])
        if headers := response.get("headers"):
            converted["headers"] = {
                name: {"type": header.get("schema", {}).get("type", "string"),
                       "description": header.get("description", name)}
                for name, header in headers.items()
            }  # fmt: skip
        out[status] = converted
    return out


def _operation(
    translator: _Translator, operation: dict[str, Any], path_parameters: list[Any]
) -> dict[str, Any]:
    operation_id = operation["operationId"]
    trigger = operation_id in TRIGGERS
    out: dict[str, Any] = {
        "operationId": operation_id,
        "summary": operation["summary"],
        "description": " ".join(operation["description"].split()),
        "parameters": [_parameter(p) for p in [*path_parameters, *operation.get("parameters", [])]],
        "responses": _responses(translator, operation["responses"]),
    }
    if "requestBody" in operation:
        out["parameters"].append(_body(translator, operation["requestBody"], trigger))
    if operation_id in INTERNAL:
        out["x-ms-visibility"] = "internal"
    if trigger:
        out["x-ms-trigger"] = "single"
    ok: dict[str, Any] = next(
        (r for s, r in operation["responses"].items() if s.startswith("2")), {}
    )
    answer = ok.get("content", {}).get("application/json", {}).get("schema", {})
    if NEXT_LINK in translator.resolve(answer).get("properties", {}):
        out["x-ms-pageable"] = {"nextLinkName": NEXT_LINK}
    return out


def _notification(translator: _Translator, operation: dict[str, Any]) -> dict[str, Any]:
    """What a trigger's subscription POSTs: the schema of its callback's body."""
    (callback,) = operation["callbacks"].values()
    (target,) = callback.values()
    request = target["post"]["requestBody"]["content"]["application/json"]
    described = " ".join(target["post"]["description"].split())
    return {"description": described, "schema": translator.schema(request["schema"])}


def definition(openapi: dict[str, Any], public_url: str) -> dict[str, Any]:
    """``apiDefinition.swagger.json``: the connector's operations for ``public_url``."""
    openapi = copy.deepcopy(openapi)
    translator = _Translator(openapi)
    url = urlsplit(public_url)
    paths: dict[str, Any] = {}
    wanted = {*ACTIONS, *TRIGGERS, *INTERNAL}
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if operation.get("operationId") not in wanted:
                continue
            entry = paths.setdefault(path, {})
            entry[method] = _operation(translator, operation, item.get("parameters", []))
            if operation["operationId"] in TRIGGERS:
                entry["x-ms-notification-content"] = _notification(translator, operation)
    missing = wanted - {op["operationId"] for item in paths.values() for op in _ops(item)}
    if missing:
        raise ValueError(f"the service has no operation {sorted(missing)}")
    return {
        "swagger": "2.0",
        "info": {"title": TITLE, "description": DESCRIPTION, "version": "1.0"},
        "host": url.netloc,
        "basePath": url.path.rstrip("/") or "/",
        "schemes": [url.scheme],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": translator.definitions(),
        "securityDefinitions": {
            SECURITY: {"type": "apiKey", "in": "header", "name": "Authorization"}
        },
        "security": [{SECURITY: []}],
        "x-ms-connector-metadata": [
            {"propertyName": "Website", "propertyValue": public_url},
            {"propertyName": "Privacy policy", "propertyValue": public_url},
            {"propertyName": "Categories", "propertyValue": "Communication"},
        ],
    }


def _ops(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for k, v in item.items() if not k.startswith("x-") and isinstance(v, dict)]


def properties(pageable: list[str]) -> dict[str, Any]:
    """``apiProperties.json``: the connection (the user's service token) and the policy that
    routes ``nextLink`` pages through the connector."""
    return {
        "properties": {
            "connectionParameters": {
                SECURITY: {
                    "type": "securestring",
                    "uiDefinition": {
                        "displayName": "Service token",
                        "description": "Your nexmo-connector token (nct_…).",
                        "tooltip": "nexmo-connector users token YOUR-NAME prints a new one.",
                        "constraints": {"tabIndex": 2, "clearText": False, "required": "true"},
                    },
                }
            },
            "iconBrandColor": BRAND_COLOR,
            "capabilities": [],
            "publisher": "nexmo-connector",
            "stackOwner": "nexmo-connector",
            "policyTemplateInstances": [
                {
                    "templateId": "updatenextlink",
                    "title": "Page through nextLink",
                    "parameters": {
                        "x-ms-apimTemplate-operationName": pageable,
                        "x-ms-apimTemplateParameter.nextLinkPropertyName": NEXT_LINK,
                    },
                }
            ],
        }
    }


def pageable(swagger: dict[str, Any]) -> list[str]:
    """The operations of ``swagger`` that page with ``nextLink``."""
    return [
        op["operationId"]
        for item in swagger["paths"].values()
        for op in _ops(item)
        if "x-ms-pageable" in op
    ]

"""Reading Nexmo-style requests and writing each API's answer and error shapes.

Parameters come from the query string, a form or JSON body, merged (body wins); Basic
auth supplies ``api_key``/``api_secret`` when the parameters do not.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from typing import Any, Literal, overload
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.rules import TEXT_REASON, is_digits, is_text

Params = dict[str, str]
Api = Literal["sms", "tts", "voice", "numbers", "applications-v1", "applications-v2", "reports"]


class WireError(Exception):
    """A failure answered in the shape of the request's API, by one exception handler.

    ``code`` is the SMS/TTS status number (those APIs answer failures in HTTP 200 bodies);
    ``invalid`` lists field problems (``[{"name", "reason"}]``); ``retry_after`` seconds add
    a ``Retry-After`` header.
    """

    def __init__(
        self,
        http_status: int,
        text: str,
        *,
        code: int | None = None,
        invalid: list[dict[str, str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.text = text
        self.code = code
        self.invalid = invalid
        self.retry_after = retry_after

    def response(self, api: Api | None) -> Response:
        headers = retry_after(self.retry_after) if self.retry_after is not None else None
        return error_response(
            api, self.http_status, self.text, code=self.code, invalid=self.invalid, headers=headers
        )


class BadRequest(Exception):
    """The request cannot be read: too large, malformed, wrong types, not UTF-8."""

    def __init__(self, reason: str, http_status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status


def api_of(path: str) -> Api | None:
    """Which Nexmo API a path belongs to (None for the sandbox's own paths)."""
    if path == "/sms/json":
        return "sms"
    if path == "/tts/json":
        return "tts"
    if path in ("/account/numbers", "/number/search"):
        return "numbers"
    if path.startswith("/v1/applications"):
        return "applications-v1"
    if path.startswith("/v2/applications"):
        return "applications-v2"
    if path.startswith("/v2/reports"):
        return "reports"
    if path.startswith("/v1/calls"):
        return "voice"
    return None


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def error_response(
    api: Api | None,
    http_status: int,
    text: str,
    *,
    code: int | None = None,
    invalid: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error in the shape ``api`` uses; ``code`` is the SMS/TTS status number."""
    body: dict[str, Any]
    title = _TITLES.get(http_status, "Error")
    if api == "sms":
        entry = {"status": str(code if code is not None else 5), "error-text": text}
        body = {"message-count": "1", "messages": [entry]}
    elif api == "tts":
        body = {"status": str(code if code is not None else 5), "error_text": text}
    elif api == "numbers":
        body = {"error-code": str(http_status), "error-code-label": text}
    elif api in ("applications-v2", "reports", "voice"):
        body = {
            "type": f"https://developer.nexmo.com/api-errors#{title.lower().replace(' ', '-')}",
            "title": title,
            "detail": text,
            "instance": str(uuid.uuid4()),
        }
        if invalid:
            body["invalid_parameters"] = invalid
    elif api == "applications-v1":
        body = {"type": text, "error_title": title}
    else:
        body = {"detail": text}
    return json_response(body, http_status, headers)


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and is_digits(declared) and int(declared[:19]) > limit:
        raise BadRequest(f"request body larger than {limit} bytes", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"request body larger than {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


class InvalidParam(ValueError):
    """A parameter that is not a whole number in its range."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.reason = reason


@overload
def int_param(params: Params, name: str, low: int, high: int, default: int) -> int: ...
@overload
def int_param(
    params: Params, name: str, low: int, high: int, default: None = None
) -> int | None: ...
def int_param(
    params: Params, name: str, low: int, high: int, default: int | None = None
) -> int | None:
    """``params[name]`` as an int in ``low..high``; ``default`` when absent or empty."""
    raw = params.get(name, "")
    if raw == "":
        return default
    if not is_digits(raw):
        raise InvalidParam(name, "must be a whole number")
    if len(raw.lstrip("0")) > len(str(high)):  # out of range, however long (int() gives up)
        raise InvalidParam(name, f"must be between {low} and {high}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidParam(name, f"must be between {low} and {high}")
    return value


def _parse_qs(raw: bytes, where: str) -> Params:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {where} is not valid UTF-8") from exc
    params: Params = {}
    for key, value in pairs:
        params.setdefault(key, value)
    return params


def check_text(data: Any) -> None:
    """Refuse strings UTF-8 cannot carry (JSON's ``"\ud800"``) anywhere in ``data``."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not is_text(item):
                raise BadRequest(f"the body {TEXT_REASON}")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON body: {exc.msg} at position {exc.pos}") from exc
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise BadRequest(f"unreadable JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("the JSON body must be an object")
    check_text(data)
    return data


def _json_params(raw: bytes) -> Params:
    params: Params = {}
    for key, value in _json_object(raw).items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            params[key] = str(value)
        else:
            raise BadRequest(f"{key} must be a string or a number")
    return params


async def read_params(request: Request, limit: int) -> Params:
    """Query, form and JSON parameters merged (body wins), plus Basic credentials."""
    query = request.scope.get("query_string", b"")
    params = _parse_qs(query, "query string") if query else {}
    if request.method in ("POST", "PUT", "PATCH"):
        raw = await read_body(request, limit)
        if raw.strip():
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == "application/json" or ctype.endswith("+json"):
                params.update(_json_params(raw))
            elif ctype in ("", "application/x-www-form-urlencoded", "text/plain"):
                params.update(_parse_qs(raw, "body"))
            else:
                raise BadRequest(f"unsupported content type {ctype!r}", 415)
    if "api_key" not in params and (basic := basic_credentials(request)):
        params["api_key"], params["api_secret"] = basic
    return params


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """A JSON object body (``{}`` when empty)."""
    raw = await read_body(request, limit)
    return _json_object(raw) if raw.strip() else {}


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(key, secret)`` from an ``Authorization: Basic`` header, if well formed."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else None


def retry_after(seconds: float) -> dict[str, str]:
    """A ``Retry-After`` header in whole seconds (at least 1)."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}

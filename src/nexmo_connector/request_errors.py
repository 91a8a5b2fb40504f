"""FastAPI's request errors as a field and a reason each, the way the service and the
sandbox's inspection API answer them: a body that is not JSON, not UTF-8, nested too deep
or not an object is named ``body`` and said plainly."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

_OBJECT = "must be a JSON object (Content-Type: application/json)"
_BODY = {
    "missing": "is required: a JSON object (Content-Type: application/json)",
    "dict_type": _OBJECT,
    "model_attributes_type": _OBJECT,
}
"""A body of the wrong kind, said as what it must be."""
_UNREADABLE: dict[type, str] = {
    UnicodeDecodeError: "is not UTF-8",
    RecursionError: "nests too deep",
}
"""Why FastAPI could not read a JSON body (its 400 chains the cause)."""


def invalid_fields(exc: RequestValidationError) -> list[tuple[str, str]]:
    """``(field, reason)`` for each of FastAPI's validation errors."""
    return [_field(error) for error in exc.errors()]


def unreadable_body(exc: HTTPException) -> str | None:
    """Why the JSON body could not be read, when that is what ``exc`` (a 400) means."""
    cause = exc.__cause__
    return _UNREADABLE.get(type(cause)) if exc.status_code == 400 and cause else None


def _field(error: Any) -> tuple[str, str]:
    if error["type"] == "json_invalid":  # its loc is the character where JSON broke off
        why = error.get("ctx", {}).get("error")
        return "body", f"not JSON: {why} at character {error['loc'][-1]}"
    if tuple(error["loc"]) == ("body",) and error["type"] in _BODY:
        return "body", _BODY[error["type"]]
    field = ".".join(str(p) for p in error["loc"][1:]) or str(error["loc"][0])
    if error["type"] == "value_error":  # our own reason, without pydantic's "Value error, "
        return field, str(error.get("ctx", {}).get("error", error["msg"]))
    return field, error["msg"]

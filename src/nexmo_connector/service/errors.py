"""Problems (RFC 9457) and the one mapping from the library's errors to them.

A route never catches: operations raise ``Problem`` or let a ``NexmoError`` through, and the
handlers installed by ``install`` answer ``application/problem+json``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector import errors
from nexmo_connector.request_errors import invalid_fields, unreadable_body

log = logging.getLogger("nexmo_connector.service")
PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Content",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


class Problem(Exception):
    """An answer that is not a success: ``type`` is a stable name under ``/problems/``."""

    def __init__(
        self,
        status: int,
        type: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.type, self.detail = status, type, detail
        self.headers = headers or {}
        self.extensions = extensions

    def document(self, request_id: str) -> dict[str, Any]:
        """The problem document (``instance`` is the request id)."""
        return {
            "type": f"/problems/{self.type}",
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "instance": request_id,
            **self.extensions,
        }

    def response(self, request_id: str) -> Response:
        body = json.dumps(self.document(request_id))
        return Response(body, self.status, headers=self.headers, media_type=PROBLEM_JSON)


def field_name(field: str) -> str:
    """A client field as the wire spells it (``client_ref`` → ``client-ref``)."""
    wire = {
        "from_": "from",
        "client_ref": "client-ref",
        "status_report_req": "status-report-req",
        "message_class": "message-class",
        "protocol_id": "protocol-id",
    }
    return wire.get(field, field)


def _parts(parts: list[Any]) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json", by_alias=True, exclude_none=True) for p in parts]


def problem_of(exc: errors.NexmoError, *, creates: bool) -> Problem:
    """The outcome table (service-api §5) for an error of the library."""
    if isinstance(exc, errors.ValidationError):
        name = field_name(exc.field)
        return Problem(
            422,
            "invalid-input",
            f"{name}: {exc.reason}",
            errors=[{"field": name, "reason": exc.reason}],
        )
    if isinstance(exc, errors.AuthenticationError):
        return Problem(
            424,
            "credentials-rejected",
            "Nexmo rejected this connection's "
            "credentials: update the connection (PATCH) with working ones",
        )
    if isinstance(exc, errors.ThrottledError):
        wait = max(1, round(exc.retry_after or 1))
        return Problem(
            429,
            "upstream-throttled",
            "Nexmo is throttling this account",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, errors.NotFoundError):
        return Problem(404, "not-found", str(exc))
    if isinstance(exc, errors.RejectedError) and exc.status != 5:
        nexmo: dict[str, Any] = {"status": exc.status, "error_text": exc.error_text}
        if isinstance(exc, errors.SmsRejectedError) and exc.accepted:
            nexmo["accepted"] = _parts(exc.accepted)
        status, kind = {8: (403, "account-barred"), 9: (402, "out-of-credit")}.get(
            exc.status, (422, "rejected-by-nexmo")
        )
        return Problem(
            status, kind, str(exc), nexmo_status=exc.status, error_text=exc.error_text, nexmo=nexmo
        )
    if isinstance(exc, errors.BadRequestError):
        return Problem(422, "rejected-by-nexmo", str(exc))
    if creates and exc.may_have_been_accepted:
        return Problem(
            504,
            "outcome-unknown",
            f"{exc}: the request may have been accepted; retry only with the same Idempotency-Key",
            outcome="unknown",
        )
    return Problem(502, "upstream-failed", f"{exc}: nothing was sent")


def _request_id(request: Request) -> str:
    return str(request.scope.get("request_id", ""))


def install(app: FastAPI) -> None:
    """The handlers: problems, the library's errors, FastAPI's own, and the unexpected."""

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return exc.response(_request_id(request))

    @app.exception_handler(errors.NexmoError)
    async def nexmo(request: Request, exc: errors.NexmoError) -> Response:
        return problem_of(exc, creates=request.method == "POST").response(_request_id(request))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"field": f, "reason": r} for f, r in invalid_fields(exc)]
        detail = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        return Problem(422, "invalid-input", detail, errors=problems).response(_request_id(request))

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> Response:
        if reason := unreadable_body(exc):
            problem = Problem(422, "invalid-input", f"body: {reason}",
                              errors=[{"field": "body", "reason": reason}])  # fmt: skip
            return problem.response(_request_id(request))
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return Problem(exc.status_code, kind, str(exc.detail)).response(_request_id(request))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.scope.get("path"))
        return Problem(
            500, "internal", "an unexpected error; quote the instance when reporting it"
        ).response(_request_id(request))

"""What routes declare for OpenAPI beyond their signatures: request bodies from the library's
models (the ones that validate them), answers, problems, and the triggers' callbacks.

`/openapi.json` and the Power Platform definition are both generated from these."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header
from pydantic import BaseModel

from nexmo_connector.service.answers import EVENTS, ProblemAnswer
from nexmo_connector.service.operations import MAX_KEY

PROBLEMS: dict[int | str, dict[str, Any]] = {
    "default": {"model": ProblemAnswer, "description": "A problem (RFC 9457)."}
}
RATE_HEADERS = {
    name: {"description": description, "schema": {"type": "string"}}
    for name, description in (
        ("RateLimit", "The connection's remaining calls and seconds to reset."),
        ("RateLimit-Policy", "The connection's limit (by default 100 calls per 60 seconds)."),
    )
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        title="Idempotency Key",
        description=f"Send once, whatever the retries (at most {MAX_KEY} characters).",
        max_length=MAX_KEY,
    ),
]
INTERNAL = {"x-ms-visibility": "internal"}
"""A parameter Power Platform users never see (the CSV form of a batch, say)."""
LOCATION = {"Location": {"description": "Where the new resource is.", "schema": {"type": "string"}}}


def body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a JSON body that ``model`` validates (by wire names)."""
    schema = model.model_json_schema(by_alias=True)
    del schema["title"], schema["description"]  # the library's names, not the route's
    content = {"application/json": {"schema": schema}}
    described = "The action's parameters, by the seed's keys."
    return {"requestBody": {"required": True, "description": described, "content": content}}


def answer(
    status: int, model: Any, description: str, headers: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """``responses``: ``model`` on ``status``, a problem otherwise."""
    documented: dict[str, Any] = {"model": model, "description": description}
    if headers:
        documented["headers"] = headers
    return {status: documented, **PROBLEMS}


def callbacks(event_type: str) -> list[Any]:
    """The POST a subscription makes to its URL for each ``event_type`` event."""
    router = APIRouter()
    shape = EVENTS[event_type]

    async def deliver(event: Any) -> None:
        """The event as JSON, signed per Standard Webhooks (``webhook-signature``)."""

    deliver.__annotations__["event"] = Annotated[shape, Body()]
    router.add_api_route(
        "{$request.body#/url}",
        deliver,
        methods=["POST"],
        operation_id=f"Deliver{shape.__name__}",
        summary=f"Deliver a {event_type} event",
        status_code=204,
        responses={"default": {"description": "Retried, unless 2xx (done) or 410 (stop)."}},
    )
    return list(router.routes)

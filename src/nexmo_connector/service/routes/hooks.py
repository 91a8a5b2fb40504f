"""``/hooks/{hook_token}/…``: where Nexmo posts a connection's receipts, inbound SMS and
call outcomes, as GET (query) or POST (form or JSON). Stored first, then answered 204."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from nexmo_connector.rules import TEXT_REASON, is_text
from nexmo_connector.service import events
from nexmo_connector.service.deps import Context, Session
from nexmo_connector.service.docs import PROBLEMS
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.store import connections

router = APIRouter(prefix="/hooks/{hook_token}", tags=["Nexmo callbacks"], responses=PROBLEMS)
Kind = Literal["receipts", "inbound", "calls"]
INGEST = {"receipts": events.receipt, "inbound": events.inbound, "calls": events.call}
MAX_FIELD = 4096
MAX_BODY = 64 * 1024


async def _body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Problem(413, "too-large", f"a Nexmo callback is at most {MAX_BODY} bytes")
    return body


async def _params(request: Request) -> dict[str, str]:
    """The callback's fields, from the query, a form or a JSON object; all strings."""
    params: dict[str, Any] = dict(request.query_params)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST":
        if media == "application/json":
            try:
                body = json.loads(await _body(request))
            except (ValueError, UnicodeDecodeError, RecursionError):
                raise Problem(422, "invalid-input", "the body is not JSON") from None
            if not isinstance(body, dict):
                raise Problem(422, "invalid-input", "the body must be a JSON object")
            params |= body
        elif media == "application/x-www-form-urlencoded":
            try:
                params |= dict(parse_qsl((await _body(request)).decode(), keep_blank_values=True))
            except UnicodeDecodeError:
                raise Problem(422, "invalid-input", "the form is not UTF-8") from None
    try:
        fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    except RecursionError:
        raise Problem(422, "invalid-input", "the body nests too deep") from None
    for name, value in fields.items():
        if len(value) > MAX_FIELD or len(name) > 64:
            raise Problem(422, "invalid-input", f"{name[:64]!r}: too long for a Nexmo callback")
        if not (is_text(name) and is_text(value)):
            raise Problem(422, "invalid-input", f"{name[:64]!r}: {TEXT_REASON}")
    return fields


@router.post(
    "/{kind}",
    status_code=204,
    operation_id="NexmoCallback",
    summary="A callback from Nexmo (paste this URL into the Nexmo dashboard)",
)
@router.get(
    "/{kind}", status_code=204, operation_id="NexmoCallbackByGet", summary="A callback (GET)"
)
async def callback(
    request: Request,
    kind: Kind,
    session: Session,
    context: Context,
    hook_token: Annotated[str, Path(description="The connection's secret hook token.")],
) -> Response:
    connection = await context.owners.find(
        session, ("hook", hook_token), lambda: connections.by_hook_token(session, hook_token)
    )
    if connection is None:
        raise Problem(404, "not-found", "no such hook")
    params = await _params(request)
    client = context.clients.client_for(connection)
    if client.signs and not client.verify_callback(params):
        raise Problem(401, "bad-signature", "this connection's callbacks must be signed by Nexmo")
    request.scope["connection_id"] = connection.id
    stored = await INGEST[kind](session, connection, params)
    await session.commit()
    if stored:
        await context.listeners.notify(connection.id)
    return Response(status_code=204)

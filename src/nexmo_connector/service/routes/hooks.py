"""``/hooks/{hook_token}/…``: where Nexmo posts a connection's receipts, inbound SMS and
call outcomes, as GET (query) or POST (form or JSON). Stored first, then answered 204."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from nexmo_connector.service import events
from nexmo_connector.service.deps import Context, Session
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.store import connections

router = APIRouter(prefix="/hooks/{hook_token}", tags=["Nexmo callbacks"])
Kind = Literal["receipts", "inbound", "calls"]
INGEST = {"receipts": events.receipt, "inbound": events.inbound, "calls": events.call}
MAX_FIELD = 4096


async def _params(request: Request) -> dict[str, str]:
    """The callback's fields, from the query, a form or a JSON object; all strings."""
    params: dict[str, Any] = dict(request.query_params)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST":
        if media == "application/json":
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                raise Problem(422, "invalid-input", "the body is not JSON") from None
            if not isinstance(body, dict):
                raise Problem(422, "invalid-input", "the body must be a JSON object")
            params |= body
        elif media == "application/x-www-form-urlencoded":
            try:
                params |= dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            except UnicodeDecodeError:
                raise Problem(422, "invalid-input", "the form is not UTF-8") from None
    fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    too_long = next((k for k, v in fields.items() if len(v) > MAX_FIELD or len(k) > 64), None)
    if too_long is not None:
        raise Problem(422, "invalid-input", f"{too_long[:64]}: too long for a Nexmo callback")
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
    connection = context.owners.get("hook", hook_token)
    if connection is None:
        connection = await connections.by_hook_token(session, hook_token)
        if connection is None:
            raise Problem(404, "not-found", "no such hook")
        context.owners.put(connection, "hook", hook_token)
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

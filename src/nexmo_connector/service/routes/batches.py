"""``/v1/connections/{connection_id}/batches``: many SMS from one template, each sent
exactly once, followed by polling (202 while running, 200 once finished)."""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response, StreamingResponse

from nexmo_connector.service import batch_rows
from nexmo_connector.service.answers import BatchAnswer, BatchSummary
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.deps import Context, OwnedConnection, Session
from nexmo_connector.service.docs import INTERNAL, LOCATION, PROBLEMS, IdempotencyKey, answer
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.operations import fingerprint
from nexmo_connector.service.schemas import Input
from nexmo_connector.service.store import batches, idempotency
from nexmo_connector.service.tables import Batch, BatchRow, Connection

router = APIRouter(
    prefix="/v1/connections/{connection_id}/batches", tags=["Batches"], responses=PROBLEMS
)
MAX_ROWS = 100_000
RESULT_COLUMNS = ("row", "to", "state", "client-ref", "message-ids", "parts", "price", "error")
RETRY_AFTER = "5"
BatchId = Annotated[str, Path(title="Batch Id", description="The batch's id.")]
POLL = {
    **LOCATION,
    "Retry-After": {"description": "Seconds to wait before polling.", "schema": {"type": "string"}},
}
RUNNING: dict[int | str, dict[str, Any]] = {
    202: {"model": BatchAnswer, "description": "Still running: poll Location.", "headers": POLL}
}


class BatchIn(Input):
    """`text` may hold `{column}` placeholders, filled from each row."""

    from_: str = Field(alias="from", min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=3200)
    rows: list[dict[str, str]] = Field(min_length=1, max_length=MAX_ROWS)
    options: dict[str, Any] = Field(default_factory=dict, description="SMS keys for every row.")
    resend_unknown: bool = False


def _view(context: ServiceContext, batch: Batch, summary: BatchSummary) -> BatchAnswer:
    return {
        "id": batch.id,
        "connection_id": batch.connection_id,
        "state": batch.state,  # type: ignore[typeddict-item]
        "error": batch.error,
        **summary,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "location": f"{context.public_url}/v1/connections/{batch.connection_id}/batches/{batch.id}",
    }


def _row_view(row: BatchRow) -> dict[str, Any]:
    return {"row": row.line, "to": row.to, "state": row.state, "client-ref": row.client_ref or None,
            "message-ids": row.message_ids.split(), "parts": row.parts, "price": row.price or None,
            "error": row.error or None}  # fmt: skip


async def _answer(
    context: ServiceContext, session: AsyncSession, batch: Batch, replayed: bool = False
) -> Response:
    summary = await batches.totals(session, batch.id)
    running = batch.state in ("queued", "running")
    headers = {"Location": _view(context, batch, summary)["location"]}
    if running:
        headers["Retry-After"] = RETRY_AFTER
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(_view(context, batch, summary), 202 if running else 200, headers=headers)


_BODIES = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": BatchIn.model_json_schema(by_alias=True)},
            "text/csv": {
                "schema": {"type": "string"},
                "example": "to,name\n447700900000,Ada\n447700900001,Grace\n",
            },
        },
    }
}


@router.post(
    "",
    status_code=202,
    operation_id="CreateBatch",
    summary="Send many SMS",
    openapi_extra=_BODIES,
    responses=answer(202, BatchAnswer, "Accepted: poll Location until it answers 200.", POLL),
)
async def create(
    request: Request,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    skip_invalid: Annotated[bool, Query(description="Record bad rows `invalid`.")] = False,
    sender: Annotated[
        str | None, Query(alias="from", description="CSV: the sender.", json_schema_extra=INTERNAL)
    ] = None,
    text: Annotated[
        str | None, Query(description="CSV: the template.", json_schema_extra=INTERNAL)
    ] = None,
    resend_unknown: Annotated[
        bool, Query(description="CSV: resend unknown rows.", json_schema_extra=INTERNAL)
    ] = False,
    key: IdempotencyKey = None,
) -> Response:
    """JSON (`from`, `text`, `rows`, `options`) or CSV (`text/csv`, a `to` column; `from` and
    `text` as query parameters). Every row is validated first; 202 with `Location`: poll it
    until it answers 200."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/csv":
        if not sender or not text:
            raise Problem(422, "invalid-input", "from, text: required as query parameters",
                          errors=[{"field": "from" if not sender else "text",
                                   "reason": "required with a CSV body"}])  # fmt: skip
        given = {"from": sender, "text": text, "rows": [{}], "resend_unknown": resend_unknown}
        spec = _spec(lambda: BatchIn.model_validate(given), "query")  # rows come from the CSV
        body, digest = await batch_rows.spool(request)
        wanted = fingerprint({"csv": digest, "from": sender, "text": text,
                              "skip_invalid": skip_invalid, "resend": resend_unknown})  # fmt: skip
        rows: Any = batch_rows.csv_rows(body)
    else:
        content = await request.body()
        spec = _spec(lambda: BatchIn.model_validate_json(content), "body")
        wanted = fingerprint({"body": spec.model_dump(by_alias=True), "skip_invalid": skip_invalid})
        rows = enumerate(spec.rows, start=1)
    if key is not None:
        replay = await _replay(context, session, connection, key, wanted)
        if replay is not None:
            return replay
    batch = _new_batch(connection, spec)
    batch_rows.template_of(batch.text)
    session.add(batch)
    await session.flush()
    batch.rows = await batch_rows.store(session, batch, rows, skip_invalid)
    if not await batches.open_rows(session, batch.id):  # nothing to send: done already
        batch.state, batch.finished_at = "finished", time.time()
    if key is not None:
        record = await idempotency.claim(session, connection.id, "CreateBatch", key, wanted)
        if record is None:
            raise Problem(409, "idempotency-key-in-flight", "a batch with this key is being made")
        record.state, record.send_id = "done", batch.id
    await session.commit()
    context.batches_queued.set()
    return await _answer(context, session, batch)


def _spec(parse: Callable[[], BatchIn], where: str) -> BatchIn:
    """The batch's settings, or the 422 naming the fields (``where``: body or query)."""
    try:
        return parse()
    except ValidationError as exc:
        found = exc.errors(include_url=False)
        raise RequestValidationError([{**e, "loc": (where, *e["loc"])} for e in found]) from None


async def _replay(
    context: ServiceContext, session: AsyncSession, connection: Connection, key: str, wanted: str
) -> Response | None:
    """The batch an earlier request with this key made (same body), or None."""
    record = await idempotency.find(session, connection.id, "CreateBatch", key)
    if record is None:
        return None
    if record.fingerprint != wanted:
        raise Problem(
            422, "idempotency-key-reused", "this Idempotency-Key was used with another body"
        )
    earlier = await session.get(Batch, record.send_id) if record.send_id else None
    return None if earlier is None else await _answer(context, session, earlier, replayed=True)


def _new_batch(connection: Connection, body: BatchIn) -> Batch:
    return Batch(
        id=secrets.token_hex(16),
        connection_id=connection.id,
        sender=body.from_,
        text=body.text,
        options=json.dumps(body.options),
        resend_unknown=body.resend_unknown,
        state="queued",
        rows=0,
    )


@router.get("", operation_id="ListBatches", summary="The connection's batches, newest first")
async def list_batches(connection: OwnedConnection, session: Session, context: Context) -> Any:
    found = await batches.of_connection(session, connection.id)
    return {"batches": [_view(context, b, await batches.totals(session, b.id)) for b in found]}


async def _batch(session: AsyncSession, connection: Connection, batch_id: str) -> Batch:
    batch = await batches.get(session, connection.id, batch_id)
    if batch is None:
        raise Problem(404, "not-found", f"no batch {batch_id[:64]}")
    return batch


@router.get(
    "/{batch_id}",
    operation_id="GetBatch",
    summary="Get a batch",
    responses={**answer(200, BatchAnswer, "Finished, cancelled or paused."), **RUNNING},
)
async def get(
    batch_id: BatchId, connection: OwnedConnection, session: Session, context: Context
) -> Response:
    """A batch's state and totals: 202 while it runs, 200 once every row has an outcome."""
    return await _answer(context, session, await _batch(session, connection, batch_id))


@router.get("/{batch_id}/rows", operation_id="ListBatchRows", summary="Per-row results")
async def rows(
    batch_id: BatchId,
    connection: OwnedConnection,
    session: Session,
    state: Annotated[str | None, Query(description="Only rows in this state.")] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ROWS, description="The last row seen.")] = 0,
) -> Any:
    if state is not None and state not in batches.ROW_STATES:
        raise Problem(422, "invalid-input", f"state: one of {', '.join(batches.ROW_STATES)}")
    batch = await _batch(session, connection, batch_id)
    found = await batches.rows(session, batch.id, state, after)
    page: dict[str, Any] = {"rows": [_row_view(r) for r in found]}
    if len(found) == batches.PAGE:
        page["next"] = found[-1].line
    return page


@router.get(
    "/{batch_id}/results.csv",
    operation_id="GetBatchResults",
    summary="Per-row results as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def results(
    batch_id: BatchId, connection: OwnedConnection, session: Session, context: Context
) -> StreamingResponse:
    batch = await _batch(session, connection, batch_id)
    await session.commit()

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        out.writerow(RESULT_COLUMNS)
        after = 0
        while True:
            async with context.sessions() as reading:
                page = await batches.rows(reading, batch.id, None, after)
            for row in page:
                view = _row_view(row)
                out.writerow([view["row"], view["to"], view["state"], view["client-ref"] or "",
                              " ".join(view["message-ids"]), view["parts"], view["price"] or "",
                              view["error"] or ""])  # fmt: skip
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(page) < batches.PAGE:
                return
            after = page[-1].line

    headers = {"Content-Disposition": f'attachment; filename="batch-{batch.id}.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/{batch_id}/cancel", operation_id="CancelBatch", summary="Stop pending rows")
async def cancel(
    batch_id: BatchId, connection: OwnedConnection, session: Session, context: Context
) -> Response:
    batch = await _batch(session, connection, batch_id)
    await batches.cancel(session, batch.id)
    await session.commit()
    await session.refresh(batch)
    return await _answer(context, session, batch)

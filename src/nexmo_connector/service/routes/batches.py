"""``/v1/connections/{connection_id}/batches``: many SMS from one template, each sent
exactly once, followed by polling (202 while running, 200 once finished)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from nexmo_connector import errors
from nexmo_connector.batch import Template, TemplateError
from nexmo_connector.service.batches import row_of
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.deps import Context, OwnedConnection, Session
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.operations import MAX_KEY, fingerprint
from nexmo_connector.service.schemas import Input
from nexmo_connector.service.store import batches, idempotency
from nexmo_connector.service.tables import Batch, BatchRow, Connection

router = APIRouter(prefix="/v1/connections/{connection_id}/batches", tags=["Batches"])
MAX_ROWS = 100_000
RETRY_AFTER = "5"
BatchId = Annotated[str, Path(description="The batch's id.")]


class BatchIn(Input):
    """``text`` may hold ``{column}`` placeholders filled from each row."""

    from_: str = Field(alias="from", min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=3200)
    rows: list[dict[str, str]] = Field(min_length=1, max_length=MAX_ROWS)
    options: dict[str, Any] = Field(default_factory=dict, description="SMS keys for every row")
    resend_unknown: bool = False


def _view(context: ServiceContext, batch: Batch, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": batch.id,
        "connection_id": batch.connection_id,
        "state": batch.state,
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


def _validated(body: BatchIn, skip_invalid: bool) -> tuple[Template, list[dict[str, Any]]]:
    """Every row checked before anything is queued: the rows, or a 422 naming them."""
    try:
        template = Template.parse(body.text)
    except TemplateError as exc:
        raise Problem(422, "invalid-input", f"text: {exc}",
                      errors=[{"field": "text", "reason": str(exc)}]) from None  # fmt: skip
    probe = Batch(sender=body.from_, text=body.text, options=json.dumps(body.options))
    problems: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for line, values in enumerate(body.rows, start=1):
        reason = field = None
        missing = sorted(template.fields - set(values))
        if "to" not in values:
            field, reason = "to", "required in every row"
        elif missing:
            field, reason = "text", f"this row has no column {missing[0]!r}"
        else:
            try:
                row_of(probe, line, values, values["to"])
            except errors.ValidationError as exc:
                field, reason = exc.field, exc.reason
        if reason is not None:
            problems.append({"row": line, "field": field, "reason": reason})
        state = "invalid" if reason is not None else "pending"
        rows.append({"line": line, "to": values.get("to", "")[:32], "values": json.dumps(values),
                     "state": state, "error": f"{field}: {reason}" if reason else ""})  # fmt: skip
    if problems and not skip_invalid:
        shown = "; ".join(f"row {p['row']}: {p['field']}: {p['reason']}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise Problem(422, "invalid-input", shown + more, errors=problems[:1000])
    return template, rows


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


@router.post("", status_code=202, operation_id="CreateBatch", summary="Send many SMS")
async def create(
    body: BatchIn,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    skip_invalid: Annotated[bool, Query(description="Record bad rows `invalid`.")] = False,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=MAX_KEY)] = None,
) -> Response:
    """Every row is validated first; 202 with `Location`: poll it until it answers 200."""
    wanted = fingerprint({"body": body.model_dump(by_alias=True), "skip_invalid": skip_invalid})
    if key is not None:
        record = await idempotency.find(session, connection.id, "CreateBatch", key)
        if record is not None:
            if record.fingerprint != wanted:
                raise Problem(422, "idempotency-key-reused",
                              "this Idempotency-Key was used with another body")  # fmt: skip
            earlier = await session.get(Batch, record.send_id) if record.send_id else None
            if earlier is not None:
                return await _answer(context, session, earlier, replayed=True)
    _, rows = _validated(body, skip_invalid)
    batch = _new_batch(connection, body, len(rows))
    if all(row["state"] == "invalid" for row in rows):  # nothing to send: done already
        batch.state, batch.finished_at = "finished", time.time()
    await batches.add(session, batch, rows)
    if key is not None:
        record = await idempotency.claim(session, connection.id, "CreateBatch", key, wanted)
        if record is None:
            raise Problem(409, "idempotency-key-in-flight", "a batch with this key is being made")
        record.state, record.send_id = "done", batch.id
    await session.commit()
    context.batches_queued.set()
    return await _answer(context, session, batch)


def _new_batch(connection: Connection, body: BatchIn, count: int) -> Batch:
    return Batch(
        id=secrets.token_hex(16),
        connection_id=connection.id,
        sender=body.from_,
        text=body.text,
        options=json.dumps(body.options),
        resend_unknown=body.resend_unknown,
        state="queued",
        rows=count,
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


@router.get("/{batch_id}", operation_id="GetBatch", summary="A batch (202 while it runs)")
async def get(
    batch_id: BatchId, connection: OwnedConnection, session: Session, context: Context
) -> Response:
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


@router.post("/{batch_id}/cancel", operation_id="CancelBatch", summary="Stop pending rows")
async def cancel(
    batch_id: BatchId, connection: OwnedConnection, session: Session, context: Context
) -> Response:
    batch = await _batch(session, connection, batch_id)
    await batches.cancel(session, batch.id)
    await session.commit()
    await session.refresh(batch)
    return await _answer(context, session, batch)

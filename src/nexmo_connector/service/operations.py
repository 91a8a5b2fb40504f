"""The nine actions for one connection: validate, throttle, record, call, answer.

No FastAPI here: routes call these with what their dependencies resolved. Order matters
and is the contract's: input is validated first (a 422 is not counted), then the
connection's throttle admits the call, then an ``Idempotency-Key`` is claimed, then a send
is recorded (committed) before its request leaves.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from nexmo_connector import actions, errors
from nexmo_connector.actions import Action
from nexmo_connector.client import AsyncNexmoClient
from nexmo_connector.lookup import SentLookup, is_loopback
from nexmo_connector.models import (
    ApplicationRequest,
    InboundNumbersRequest,
    ListApplicationsRequest,
    OwnedNumbersRequest,
    SmsRequest,
    TtsRequest,
    check_application_id,
    validated,
)
from nexmo_connector.service import events
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.errors import Problem, problem_of
from nexmo_connector.service.store import connections, idempotency, sends
from nexmo_connector.service.tables import Connection, IdempotencyRecord, Send

MAX_KEY = 255
T = TypeVar("T")
Perform = Callable[[], Awaitable[tuple[int, Any]]]


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def fingerprint(body: Any) -> str:
    """The canonical JSON of a request body, hashed (same body, same fingerprint)."""
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


# -- the throttle ---------------------------------------------------------------------
async def admit(context: ServiceContext, connection: Connection) -> dict[str, str]:
    """Count one call of ``connection``, or refuse it (429); the RateLimit headers."""
    throttle = context.throttle
    wait = await throttle.try_acquire_async(connection.id)
    remaining, reset = await throttle.remaining_async(connection.id)
    reset_s = max(1, round(reset + 0.499)) if remaining < throttle.amount else 0
    headers = {
        "RateLimit-Policy": f'"connection";q={throttle.amount};w={throttle.window}',
        "RateLimit": f'"connection";r={remaining};t={reset_s}',
        "RateLimit-Limit": str(throttle.amount),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset_s),
    }
    if wait is not None:
        context.metrics.throttled.inc()
        retry = str(max(1, int(wait + 0.999)))
        raise Problem(
            429,
            "connection-throttled",
            f"this connection is limited to {throttle.amount} calls per {throttle.window} s",
            headers={**headers, "Retry-After": retry},
        )
    return headers


# -- calling upstream ----------------------------------------------------------------
async def observed(context: ServiceContext, client: AsyncNexmoClient, action: Action[T]) -> T:
    """Run ``action``, its upstream latency recorded by operation."""
    started = time.perf_counter()
    try:
        return await client.run(action)
    finally:
        context.metrics.upstream.labels(action.name).observe(time.perf_counter() - started)


async def call(
    context: ServiceContext, session: AsyncSession, connection: Connection, action: Action[T]
) -> T:
    """Run ``action`` for the connection; a refused credential marks it ``rejected``.

    The request's transaction ends first: none stays open across an upstream call."""
    await session.commit()
    try:
        return await observed(context, context.clients.client_for(connection), action)
    except errors.AuthenticationError:
        await _rejected(context, session, connection)
        await session.commit()
        raise


async def _rejected(context: ServiceContext, session: AsyncSession, connection: Connection) -> None:
    """Nexmo refused the credentials: the connection says so until they are updated."""
    await connections.set_status(session, connection.id, "rejected")
    context.owners.forget(connection.id)


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    return JSONResponse(body, status, headers=headers)


async def read(
    context: ServiceContext, session: AsyncSession, connection: Connection, action: Action[Any]
) -> Response:
    """An action that creates nothing: admitted, run, answered (a delete: the seed's ``common``)."""
    headers = await admit(context, connection)
    result = await call(context, session, connection, action)
    body = {"type": "Success"} if result is None else _dump(result)
    context.metrics.calls.labels(action.name, "200").inc()
    return _json(200, body, headers)


# -- sends and idempotency ------------------------------------------------------------
def _key(key: str | None) -> str | None:
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise Problem(
            422,
            "invalid-input",
            f"Idempotency-Key: must be 1 to {MAX_KEY} characters",
            errors=[{"field": "Idempotency-Key", "reason": "1 to 255 characters"}],
        )
    return key


def _replay(record: IdempotencyRecord) -> Response:
    media = "application/json" if (record.status_code or 200) < 400 else "application/problem+json"
    return Response(
        record.body or "{}",
        record.status_code or 200,
        media_type=media,
        headers={"Idempotent-Replayed": "true"},
    )


def _sms_answer(found_ids: tuple[str, ...], send: Send) -> dict[str, Any]:
    """An smsResponse for a send proven accepted by a lookup (its parts' ids)."""
    parts = [
        {"status": "0", "message-id": mid, "to": send.to, "client-ref": send.client_ref}
        for mid in found_ids
    ]
    return {"message-count": str(len(parts)), "messages": parts}


class Sender:
    """One idempotent operation (SendSms, SendTts, CreateApplication) of one connection."""

    def __init__(
        self,
        context: ServiceContext,
        session: AsyncSession,
        connection: Connection,
        operation: str,
    ) -> None:
        self.context, self.session, self.connection = context, session, connection
        self.operation = operation

    async def run(
        self, body: Any, key: str | None, perform: Perform, send: Send | None = None
    ) -> Response:
        """Answer ``body`` once per key: replayed, refused, resolved or performed now."""
        key = _key(key)
        record = None
        if key is not None:
            record = await idempotency.find(self.session, self.connection.id, self.operation, key)
            if record is not None:
                if record.fingerprint != fingerprint(body):
                    raise Problem(
                        422,
                        "idempotency-key-reused",
                        "this Idempotency-Key was used with another body",
                    )
                if record.state == "running":
                    raise Problem(
                        409,
                        "idempotency-key-in-flight",
                        "the first request with this key is still running",
                        headers={"Retry-After": "1"},
                    )
                if record.state == "done":
                    return _replay(record)
                return await self._resolve(record, perform)
        headers = await admit(self.context, self.connection)
        if key is not None:
            record = await idempotency.claim(
                self.session, self.connection.id, self.operation, key, fingerprint(body)
            )
            if record is None:
                raise Problem(
                    409,
                    "idempotency-key-in-flight",
                    "the first request with this key is still running",
                    headers={"Retry-After": "1"},
                )
        if send is not None:
            await sends.record(self.session, send)
            if record is not None:
                record.send_id = send.id
        await self.session.commit()  # recorded before the request leaves
        return await self._perform(record, send, perform, headers)

    async def _perform(
        self,
        record: IdempotencyRecord | None,
        send: Send | None,
        perform: Perform,
        headers: dict[str, str],
    ) -> Response:
        try:
            status, answer = await perform()
        except errors.NexmoError as exc:
            problem = problem_of(exc, creates=True)
            problem.headers = {**headers, **problem.headers}
            await self._failed(record, send, exc, problem)
            raise problem from None
        early: dict[str, str] = {}
        if send is not None:
            early = await sends.sent(self.session, send, " ".join(_ids(answer)), _price(answer))
            if early:  # receipts came before this answer was stored
                await events.settle(self.session, send, early, None)
        if record is not None:
            record.state, record.status_code, record.body = "done", status, json.dumps(answer)
        await self.session.commit()
        if early:  # the message's status may have been stored just now
            await self.context.listeners.notify(self.connection.id)
        self.context.metrics.calls.labels(self.operation, str(status)).inc()
        return _json(status, answer, headers)

    async def _failed(
        self,
        record: IdempotencyRecord | None,
        send: Send | None,
        exc: errors.NexmoError,
        problem: Problem,
    ) -> None:
        self.context.metrics.calls.labels(self.operation, str(problem.status)).inc()
        if isinstance(exc, errors.AuthenticationError):
            await _rejected(self.context, self.session, self.connection)
        unknown = problem.status == 504
        untouched = not exc.may_have_been_accepted and problem.status in (429, 502)
        if send is not None:
            state = "unknown" if unknown else "failed" if untouched else "rejected"
            await sends.save(
                self.session, send, state=state, error=problem.detail, updated_at=time.time()
            )
        if record is not None:
            if unknown:
                record.state = "unknown"
            elif untouched:  # nothing reached Nexmo: a corrected retry must work
                await self.session.delete(record)
            else:
                record.state, record.status_code = "done", problem.status
                record.body = json.dumps(problem.document(""))
        await self.session.commit()

    async def _resolve(self, record: IdempotencyRecord, perform: Perform) -> Response:
        """A repeat of a send whose outcome was unknown: ask upstream, never resend blindly."""
        send = await sends.get(self.session, record.send_id) if record.send_id else None
        found = None
        if send is not None and send.kind == "sms" and send.client_ref:
            client = self.context.clients.client_for(self.connection)
            sandbox = self.context.sandbox_url is not None or is_loopback(client.rest_url)
            found = await SentLookup(client, sandbox=sandbox).find(
                send.client_ref, send.to, send.created_at
            )
        if found is None or send is None:
            raise Problem(
                409,
                "outcome-unknown",
                "Nexmo cannot tell whether the first request was accepted; it is not sent again",
            )
        if found.message_ids:
            answer = _sms_answer(found.message_ids, send)
            price = None if found.price is None else str(found.price)
            await sends.save(
                self.session,
                send,
                state="sent",
                message_ids=" ".join(found.message_ids),
                price=price,
                updated_at=time.time(),
            )
            record.state, record.status_code, record.body = "done", 200, json.dumps(answer)
            await self.session.commit()
            return _replay(record)
        record.state = "running"  # proven not accepted: send it now
        await self.session.commit()
        headers = await admit(self.context, self.connection)
        return await self._perform(record, send, perform, headers)


def _ids(answer: Any) -> list[str]:
    if isinstance(answer, dict) and isinstance(answer.get("messages"), list):
        return [m["message-id"] for m in answer["messages"] if m.get("message-id")]
    if isinstance(answer, dict) and answer.get("call_id"):
        return [answer["call_id"]]
    return []


def _price(answer: Any) -> str | None:
    if isinstance(answer, dict) and isinstance(answer.get("messages"), list):
        prices = [m.get("message-price") for m in answer["messages"]]
        return str(sum((Decimal(str(p)) for p in prices), Decimal(0))) if all(prices) else None
    return None


# -- the nine actions -----------------------------------------------------------------
def _validated(model: type[Any], body: Any) -> Any:
    if not isinstance(body, dict):
        raise Problem(422, "invalid-input", "the body must be a JSON object")
    return validated(model, **body)


async def _send(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    body: Any,
    key: str | None,
    kind: str,
) -> Response:
    """SendSms or SendTts: recorded before it leaves, answered once per key."""
    model: type[SmsRequest | TtsRequest] = SmsRequest if kind == "sms" else TtsRequest
    request = _validated(model, body)
    send = Send(id=str(uuid.uuid4()), connection_id=connection.id, kind=kind, to=request.to)
    hooks = context.hooks_url(connection.hook_token)
    changes: dict[str, Any] = {}
    if isinstance(request, SmsRequest):
        if request.client_ref is None:
            # a reference of our own: a lookup finds the message after a crash, a receipt
            # its send before Nexmo's answer is stored
            changes["client_ref"] = "s" + send.id.replace("-", "")[:31]
        if request.callback is None and request.status_report_req is not False:
            changes["callback"] = hooks + "/receipts"
    elif request.callback is None:
        changes["callback"] = hooks + "/calls"
    request = request.model_copy(update=changes) if changes else request
    send.client_ref = getattr(request, "client_ref", None)
    client = context.clients.client_for(connection)
    action = (actions.send_sms(request) if isinstance(request, SmsRequest)
              else client.tts_action(request))  # fmt: skip

    async def perform() -> tuple[int, Any]:
        return 200, _dump(await observed(context, client, action))

    operation = "SendSms" if kind == "sms" else "SendTts"
    return await Sender(context, session, connection, operation).run(body, key, perform, send)


async def send_sms(
    context: ServiceContext, session: AsyncSession, connection: Connection, body: Any,
    key: str | None,
) -> Response:  # fmt: skip
    return await _send(context, session, connection, body, key, "sms")


async def send_tts(
    context: ServiceContext, session: AsyncSession, connection: Connection, body: Any,
    key: str | None,
) -> Response:  # fmt: skip
    return await _send(context, session, connection, body, key, "tts")


async def create_application(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    body: Any,
    key: str | None,
) -> Response:
    request: ApplicationRequest = _validated(ApplicationRequest, body)
    client = context.clients.client_for(connection)

    async def perform() -> tuple[int, Any]:
        created = await observed(context, client, actions.create_application(request))
        answer = _dump(created)
        if created.keys.private_key is not None:  # returned this once, never stored in clear
            answer["keys"]["private_key"] = created.keys.private_key.get_secret_value()
        return 201, answer

    sender = Sender(context, session, connection, "CreateApplication")
    return await sender.run(body, key, perform)


def _next(base: str, query: dict[str, Any], name: str, value: int) -> str:
    return f"{base}?{urlencode({**query, name: value})}"


async def list_numbers(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    query: dict[str, Any],
    base: str,
    owned: bool,
) -> Response:
    """ListOwnedNumbers (``owned``) or ListInboundNumbers."""
    if owned:
        request: Any = validated(OwnedNumbersRequest, **query)
        action = actions.list_owned_numbers(request)
    else:
        request = validated(InboundNumbersRequest, **query)
        action = actions.list_inbound_numbers(request)
    return await _numbers(context, session, connection, action, request, query, base)


async def _numbers(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    action: Action[Any],
    request: Any,
    query: dict[str, Any],
    base: str,
) -> Response:
    headers = await admit(context, connection)
    page = await call(context, session, connection, action)
    body = _dump(page)
    index, size = request.index or 1, request.size or 10
    if index * size < page.count and page.numbers:
        body["nextLink"] = _next(base, query, "index", index + 1)
    context.metrics.calls.labels(action.name, "200").inc()
    return _json(200, body, headers)


async def list_applications(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    query: dict[str, Any],
    base: str,
) -> Response:
    request = validated(ListApplicationsRequest, **query)
    headers = await admit(context, connection)
    page = await call(context, session, connection, actions.list_applications(request))
    index, size = request.page_index or 0, request.page_size or 10
    body = {
        "count": page.count,
        "page_size": size,
        "page_index": index,
        "_embedded": {"applications": [_dump(a) for a in page.applications]},
    }
    if (index + 1) * size < page.count and page.applications:
        body["nextLink"] = _next(base, query, "page_index", index + 1)
    context.metrics.calls.labels("list_applications", "200").inc()
    return _json(200, body, headers)


async def get_application(
    context: ServiceContext, session: AsyncSession, connection: Connection, application_id: str
) -> Response:
    action = actions.get_application(check_application_id(application_id))
    return await read(context, session, connection, action)


async def update_application(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    application_id: str,
    body: Any,
) -> Response:
    request = _validated(ApplicationRequest, body)
    action = actions.update_application(check_application_id(application_id), request)
    return await read(context, session, connection, action)


async def delete_application(
    context: ServiceContext, session: AsyncSession, connection: Connection, application_id: str
) -> Response:
    action = actions.delete_application(check_application_id(application_id))
    return await read(context, session, connection, action)

"""``/v1/connections``: a user's own connections (another user's are never found)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from nexmo_connector import errors
from nexmo_connector.service.answers import ConnectionAnswer, ConnectionList
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.deps import Context, CurrentUser, OwnedConnection, Session
from nexmo_connector.service.docs import LOCATION, PROBLEMS, answer
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.schemas import ConnectionIn, ConnectionPatch, connection_view
from nexmo_connector.service.store import connections, sends
from nexmo_connector.service.tables import Connection, Send
from nexmo_connector.voice import ApplicationKey

router = APIRouter(prefix="/v1/connections", tags=["Connections"], responses=PROBLEMS)


async def _check(
    context: ServiceContext, api_key: str, api_secret: str, signature: str | None, method: str
) -> None:
    """Ask Nexmo once, read-only, whether the credentials work (not counted)."""
    client = context.clients.build(api_key, api_secret, signature, method)  # type: ignore[arg-type]
    try:
        await client.list_owned_numbers(size=1)
    except errors.AuthenticationError:
        raise Problem(
            422,
            "invalid-input",
            "api_secret: Nexmo rejected these credentials",
            errors=[{"field": "api_secret", "reason": "rejected by Nexmo"}],
        ) from None
    except errors.NexmoError as exc:
        raise Problem(502, "upstream-failed", f"cannot check the credentials: {exc}") from None


async def _check_application(
    context: ServiceContext, api_key: str, api_secret: str, application_id: str, pem: str
) -> str:
    """The application's id, once Nexmo knows it for these credentials and the private key
    is its own (a read-only call, not counted). A ``ValidationError`` is a 422 naming its
    field, as everywhere."""
    key = ApplicationKey(application_id, pem.encode())  # bytes: never read as a file name
    client = context.clients.build(api_key, api_secret)
    try:
        application = await client.get_application(key.application_id)
    except errors.NotFoundError:
        reason = "is not an application of this Nexmo account"
        raise errors.ValidationError("application_id", reason) from None
    except errors.NexmoError as exc:
        raise Problem(502, "upstream-failed", f"cannot check the application: {exc}") from None
    if not key.matches(application.keys.public_key or ""):
        raise errors.ValidationError("private_key", "is not the private key of this application")
    return key.application_id


def _voice_pair(application_id: str | None, private_key: str | None) -> None:
    """Both, or neither."""
    if application_id and not private_key:
        raise errors.ValidationError("private_key", "is required with application_id")
    if private_key and not application_id:
        raise errors.ValidationError("application_id", "is required with private_key")


def _view(context: ServiceContext, connection: Connection) -> ConnectionAnswer:
    return connection_view(connection, context.public_url)


@router.post(
    "",
    status_code=201,
    operation_id="CreateConnection",
    summary="Create a connection",
    responses=answer(201, ConnectionAnswer, "The connection (its secrets never shown).", LOCATION),
)
async def create(
    body: ConnectionIn, user: CurrentUser, session: Session, context: Context
) -> Response:
    if await connections.named(session, user.id, body.name) is not None:
        raise Problem(409, "name-taken", f"you have a connection named {body.name!r} already")
    secret = body.api_secret.get_secret_value()
    signature = body.signature_secret.get_secret_value() if body.signature_secret else None
    pem = body.private_key.get_secret_value() if body.private_key else None
    _voice_pair(body.application_id, pem)
    await _check(context, body.api_key, secret, signature, body.signature_method)
    application_id = None
    if body.application_id and pem:
        application_id = await _check_application(
            context, body.api_key, secret, body.application_id, pem
        )
    connection = Connection(
        user_id=user.id,
        name=body.name,
        api_key=body.api_key,
        api_secret=context.cipher.encrypt(secret),
        signature_secret=context.cipher.encrypt(signature) if signature else None,
        signature_method=body.signature_method,
        application_id=application_id,
        private_key=context.cipher.encrypt(pem) if application_id and pem else None,
        hook_token=connections.new_hook_token(),
    )
    session.add(connection)
    await session.flush()
    location = f"{context.public_url}/v1/connections/{connection.id}"
    return JSONResponse(_view(context, connection), 201, headers={"Location": location})


@router.get(
    "",
    operation_id="ListConnections",
    summary="List your connections",
    responses=answer(200, ConnectionList, "Your connections."),
)
async def list_connections(user: CurrentUser, session: Session, context: Context) -> Any:
    """Your connections, each a set of Nexmo credentials only you can use."""
    return {"connections": [_view(context, c) for c in await connections.of_user(session, user.id)]}


@router.get(
    "/{connection_id}",
    operation_id="GetConnection",
    summary="Get a connection",
    responses=answer(200, ConnectionAnswer, "The connection."),
)
async def get(connection: OwnedConnection, context: Context) -> Any:
    return _view(context, connection)


@router.patch(
    "/{connection_id}",
    operation_id="UpdateConnection",
    summary="Update a connection",
    responses=answer(200, ConnectionAnswer, "The connection."),
)
async def update(
    body: ConnectionPatch, owned: OwnedConnection, session: Session, context: Context
) -> Any:
    connection = await session.get(Connection, owned.id)
    if connection is None:  # deleted since it was looked up
        raise Problem(404, "not-found", f"no connection {owned.id}")
    if body.name is not None and body.name != connection.name:
        if await connections.named(session, connection.user_id, body.name) is not None:
            raise Problem(409, "name-taken", f"you have a connection named {body.name!r} already")
        connection.name = body.name
    credentials = {"api_key", "api_secret", "signature_secret", "signature_method"}
    if body.model_fields_set & credentials:
        cipher = context.cipher
        key = body.api_key or connection.api_key
        secret = (
            body.api_secret.get_secret_value()
            if body.api_secret
            else cipher.decrypt(connection.api_secret)
        )
        signature = (
            body.signature_secret.get_secret_value()
            if body.signature_secret
            else None
            if "signature_secret" in body.model_fields_set
            else cipher.decrypt(connection.signature_secret)
            if connection.signature_secret
            else None
        )
        method = body.signature_method or connection.signature_method
        await _check(context, key, secret, signature, method)
        connection.api_key, connection.api_secret = key, cipher.encrypt(secret)
        connection.signature_secret = cipher.encrypt(signature) if signature else None
        connection.signature_method, connection.status = method, "ok"
        connection.version += 1
        context.clients.forget(connection.id)
    if body.model_fields_set & {"application_id", "private_key"}:
        await _update_application(context, connection, body)
    context.owners.forget(connection.id)  # here at once; other replicas within its TTL
    return _view(context, connection)


def _send_view(send: Send) -> dict[str, Any]:
    return {
        "id": send.id,
        "kind": send.kind,
        "to": send.to,
        "client-ref": send.client_ref,
        "state": send.state,
        "message-ids": send.message_ids.split(),
        "price": send.price,
        "error": send.error,
        "created_at": send.created_at,
        "updated_at": send.updated_at,
    }


async def _update_application(
    context: ServiceContext, connection: Connection, body: ConnectionPatch
) -> None:
    """Set, replace or (``application_id: null``) remove the connection's application."""
    cipher, given = context.cipher, body.model_fields_set
    application_id = body.application_id if "application_id" in given else connection.application_id
    if "private_key" in given:
        pem = body.private_key.get_secret_value() if body.private_key else None
    elif connection.private_key and application_id:
        pem = cipher.decrypt(connection.private_key)
    else:
        pem = None
    _voice_pair(application_id, pem)
    if application_id and pem:
        secret = cipher.decrypt(connection.api_secret)
        application_id = await _check_application(
            context, connection.api_key, secret, application_id, pem
        )
    connection.application_id = application_id or None
    connection.private_key = cipher.encrypt(pem) if application_id and pem else None
    connection.version += 1
    context.clients.forget(connection.id)


@router.get(
    "/{connection_id}/messages",
    operation_id="ListMessages",
    summary="Sends of a connection, oldest first",
)
async def messages(
    connection: OwnedConnection,
    session: Session,
    client_ref: Annotated[str | None, Query(alias="client-ref")] = None,
    to: str | None = None,
    after: Annotated[
        float | None, Query(allow_inf_nan=False, description="created_at of the last one seen")
    ] = None,
) -> Any:
    found = await sends.of_connection(
        session, connection.id, client_ref=client_ref, to=to, after=after
    )
    return {"messages": [_send_view(s) for s in found]}


@router.get(
    "/{connection_id}/messages/{message_id}",
    operation_id="GetMessage",
    summary="The send one part id belongs to",
)
async def message(connection: OwnedConnection, session: Session, message_id: str) -> Any:
    send = await sends.by_message_id(session, connection.id, message_id)
    if send is None:
        raise Problem(404, "not-found", f"no message with id {message_id[:64]}")
    return _send_view(send)


@router.delete(
    "/{connection_id}",
    status_code=204,
    operation_id="DeleteConnection",
    summary="Delete a connection",
)
async def delete(connection: OwnedConnection, session: Session, context: Context) -> Response:
    await connections.remove(session, connection.id)
    context.owners.forget(connection.id)
    context.clients.forget(connection.id)
    return Response(status_code=204)

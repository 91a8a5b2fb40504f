"""Typed dependencies: the session (owning the transaction), the caller, the connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.store import connections, users
from nexmo_connector.service.tables import Connection, Subscription, User


async def _context(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.context
    return context


Context = Annotated[ServiceContext, Depends(_context)]


async def _session(context: Context) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, else rolled back."""
    async with context.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


Session = Annotated[AsyncSession, Depends(_session)]


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, rest = header.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else header.strip()


def _unauthorized() -> Problem:
    return Problem(
        401,
        "unauthorized",
        "a valid token is required: Authorization: Bearer nct_…",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _user(request: Request, session: Session) -> User:
    user = await users.by_token(session, _token(request))
    if user is None:
        raise _unauthorized()
    return user


CurrentUser = Annotated[User, Depends(_user)]


async def _connection(
    session: Session,
    context: Context,
    request: Request,
    connection_id: Annotated[
        str, Path(title="Connection", description="The Nexmo connection to use.")
    ],
) -> Connection:
    """The caller's connection, found with the caller in one query (or remembered).

    A snapshot, not attached to the session: the store changes it by statements."""
    token = _token(request)
    digest = users.token_hash(token)
    connection = await context.owners.find(
        session,
        ("owner", digest, connection_id),
        lambda: connections.owned_by_token(session, digest, connection_id),
    )
    if connection is None:
        if await users.by_token(session, token) is None:
            raise _unauthorized()
        raise Problem(404, "not-found", f"no connection {connection_id[:64]}")  # not disclosed
    request.scope["connection_id"] = connection.id
    return connection


OwnedConnection = Annotated[Connection, Depends(_connection)]


async def _subscription(
    session: Session,
    context: Context,
    request: Request,
    subscription_id: Annotated[str, Path(description="The subscription's id.")],
) -> Subscription:
    """The caller's subscription (another user's is not found)."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is not None:
        try:
            await _connection(session, context, request, subscription.connection_id)
            return subscription
        except Problem as exc:
            if exc.status == 401:
                raise
    raise Problem(404, "not-found", f"no subscription {subscription_id[:64]}")


OwnedSubscription = Annotated[Subscription, Depends(_subscription)]

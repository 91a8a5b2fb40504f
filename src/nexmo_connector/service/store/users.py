"""Users and their tokens (random, ``nct_``-prefixed, stored only as hashes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import User

TOKEN_PREFIX = "nct_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add(session: AsyncSession, name: str) -> tuple[User, str]:
    """A new user and its token (shown this once)."""
    token = new_token()
    user = User(name=name, token_hash=token_hash(token))
    session.add(user)
    await session.flush()
    return user, token


async def by_name(session: AsyncSession, name: str) -> User | None:
    return await session.scalar(select(User).where(User.name == name))


async def by_token(session: AsyncSession, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    wanted = token_hash(token)
    user = await session.scalar(select(User).where(User.token_hash == wanted))
    return user if user is not None and hmac.compare_digest(user.token_hash, wanted) else None


async def every(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.name)))


async def remove(session: AsyncSession, name: str) -> bool:
    result = await session.execute(delete(User).where(User.name == name))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def renew_token(session: AsyncSession, user: User) -> str:
    """A new token for ``user``; the old one stops working."""
    token = new_token()
    user.token_hash = token_hash(token)
    await session.flush()
    return token

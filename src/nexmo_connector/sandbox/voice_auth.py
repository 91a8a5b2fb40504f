"""The Voice API's authentication: an RS256 JWT signed with an application's private key,
verified against the public key the sandbox holds for that application."""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request

from nexmo_connector.sandbox.faults import current_request
from nexmo_connector.sandbox.records import Account, Application
from nexmo_connector.sandbox.state import SandboxState
from nexmo_connector.sandbox.wire import WireError

CLOCK_SKEW = 60
"""Seconds an ``iat``/``nbf`` may lie in the future (clocks differ)."""
REQUIRED_CLAIMS = ("application_id", "iat", "jti")


def _refused(reason: str) -> WireError:
    return WireError(401, f"You did not provide correct credentials: {reason}.")


def _part(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _refused("the token is not a JWT") from None


def _json(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_part(segment))
    except (ValueError, UnicodeDecodeError):
        raise _refused("the token is not a JWT") from None
    if not isinstance(value, dict):
        raise _refused("the token is not a JWT")
    return value


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refused(f"the {name} claim must be a number")
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise _refused(f"the {name} claim is out of range") from None


def application_of(state: SandboxState, request: Request) -> tuple[Application, Account]:
    """The application whose key signed the request's bearer JWT, and its account."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused("an application's JWT is required (Authorization: Bearer …)")
    segments = token.strip().split(".")
    if len(segments) != 3:
        raise _refused("the token is not a JWT")
    header, claims = _json(segments[0]), _json(segments[1])
    if header.get("alg") != "RS256":
        raise _refused("the token must be signed with RS256")
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise _refused(f"the token has no {missing[0]} claim")
    application = state.applications.get(str(claims["application_id"]))
    if application is None:
        raise _refused("no such application (or it was deleted)")
    key = load_pem_public_key(application.public_key.encode())
    if not isinstance(key, rsa.RSAPublicKey):  # pragma: no cover - applications hold RSA keys
        raise _refused("the application's key is not RSA")
    signed = f"{segments[0]}.{segments[1]}".encode()
    try:
        key.verify(_part(segments[2]), signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise _refused("the token's signature does not match the application's key") from None
    now = time.time()
    expires, issued, not_before = (_number(claims, n) for n in ("exp", "iat", "nbf"))
    if expires is not None and expires <= now:
        raise _refused("the token has expired")
    if max(issued or 0, not_before or 0) > now + CLOCK_SKEW:
        raise _refused("the token is not valid yet")
    logged = current_request.get()
    if logged is not None:
        logged.api_key = application.api_key
    account = state.accounts.get(application.api_key)
    if account is None:
        raise _refused("the application's account no longer exists")
    return application, account

"""Nexmo request signing and webhook signature checks.

The string to sign is every parameter but ``sig``, sorted by key, each value with ``&`` and
``=`` replaced by ``_``, joined as ``&k1=v1&k2=v2`` (leading ``&``). ``md5hash`` appends the
secret and takes an MD5 hex digest; the HMAC methods key the digest with the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Literal

SignatureMethod = Literal["md5hash", "md5", "sha1", "sha256", "sha512"]
SIGNATURE_METHODS: tuple[SignatureMethod, ...] = ("md5hash", "md5", "sha1", "sha256", "sha512")
MAX_CLOCK_SKEW_SECONDS = 300


def _string_to_sign(params: Mapping[str, object]) -> str:
    parts = []
    for key in sorted(params):
        if key == "sig":
            continue
        value = str(params[key]).replace("&", "_").replace("=", "_")
        parts.append(f"&{key}={value}")
    return "".join(parts)


def signature(params: Mapping[str, object], secret: str, method: SignatureMethod) -> str:
    """The hex signature of ``params`` (``sig`` itself is ignored)."""
    payload = _string_to_sign(params)
    if method == "md5hash":
        return hashlib.md5((payload + secret).encode()).hexdigest()
    if method not in SIGNATURE_METHODS:
        raise ValueError(f"unknown signature method {method!r}")
    return hmac.new(secret.encode(), payload.encode(), method).hexdigest()


def sign(
    params: Mapping[str, object],
    secret: str,
    method: SignatureMethod = "md5hash",
    timestamp: int | None = None,
) -> dict[str, str]:
    """A copy of ``params`` with ``timestamp`` (now, unless given) and ``sig`` added."""
    signed = {k: str(v) for k, v in params.items() if k != "sig"}
    signed.setdefault("timestamp", str(int(time.time()) if timestamp is None else timestamp))
    signed["sig"] = signature(signed, secret, method)
    return signed


def check_signature(
    params: Mapping[str, object],
    secret: str,
    method: SignatureMethod = "md5hash",
    *,
    max_skew: float | None = MAX_CLOCK_SKEW_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``params['sig']`` matches and ``timestamp`` is fresh (±``max_skew`` s)."""
    given = params.get("sig")
    if not isinstance(given, str) or not given:
        return False
    if max_skew is not None:
        try:
            stamp = int(str(params.get("timestamp", "")))
        except ValueError:
            return False
        if abs((time.time() if now is None else now) - stamp) > max_skew:
            return False
    expected = signature(params, secret, method)
    return hmac.compare_digest(expected.lower(), given.lower())

"""Signatures as Nexmo computes them, checked against independently built strings."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from nexmo_connector.signing import check_signature, sign, signature

PARAMS = {"api_key": "abc", "to": "447700900000", "text": "a&b=c", "timestamp": "1700000000"}
STRING = "&api_key=abc&text=a_b_c&timestamp=1700000000&to=447700900000"


def test_md5hash_appends_the_secret() -> None:
    expected = hashlib.md5((STRING + "s3cret").encode()).hexdigest()
    assert signature(PARAMS, "s3cret", "md5hash") == expected


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_hmac_methods(method: str) -> None:
    expected = hmac.new(b"s3cret", STRING.encode(), method).hexdigest()
    assert signature({**PARAMS, "sig": "ignored"}, "s3cret", method) == expected


def test_sign_then_check_round_trip_and_freshness() -> None:
    signed = sign({"a": 1, "b": "x"}, "k", "sha256")
    assert check_signature(signed, "k", "sha256")
    assert not check_signature({**signed, "b": "y"}, "k", "sha256")
    assert not check_signature(signed, "other", "sha256")
    stale = sign({"a": 1}, "k", timestamp=int(time.time()) - 3600)
    assert not check_signature(stale, "k")
    assert check_signature(stale, "k", max_skew=None)
    assert not check_signature({"a": "1"}, "k")


def test_unknown_method_refused() -> None:
    with pytest.raises(ValueError, match="unknown signature method"):
        signature(PARAMS, "k", "crc32")  # type: ignore[arg-type]

"""Phone numbers on the wire: E.164 digits without ``+``, checked with phonenumbers."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_DIGITS = re.compile(r"[0-9]{7,15}")
CACHED = 4096
"""Numbers whose parse is remembered: a hot set repeats, a 100,000-row batch must not
keep every number (65,536 parses held 24 MB)."""


class InvalidNumber(ValueError):
    """The value is not a possible E.164 number."""


@lru_cache(maxsize=CACHED)
def _parse(digits: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise InvalidNumber("unknown country calling code") from exc
        raise InvalidNumber("not an international number") from exc
    if phonenumbers.region_code_for_country_code(number.country_code or 0) == "ZZ":
        raise InvalidNumber("unknown country calling code")
    if not phonenumbers.is_possible_number(number):
        raise InvalidNumber("impossible length for its country")
    return number


def normalize_msisdn(value: str) -> str:
    """E.164 digits of ``value`` (``+``, ``00``, spaces, dots and dashes removed).

    Raises ``InvalidNumber`` naming the reason when it is not a possible number.
    """
    digits = re.sub(r"[\s().-]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    check_msisdn(digits)
    return digits


def check_msisdn(digits: str) -> None:
    """Accept exactly the wire form: 7–15 digits, a possible number (see the reference)."""
    if not _DIGITS.fullmatch(digits):
        raise InvalidNumber("must be 7 to 15 digits in E.164 format")
    _parse(digits)


@lru_cache(maxsize=CACHED)
def region_of(digits: str) -> str:
    """ISO 3166-1 alpha-2 region of a possible number (``ZZ`` when unknown)."""
    number = _parse(digits)
    region = phonenumbers.region_code_for_number(number)
    if region in (None, "ZZ", "001"):
        region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return region or "ZZ"


def check_country(code: str) -> str:
    """The upper-case ISO 3166-1 alpha-2 code, or ``ValueError`` when unknown."""
    import pycountry  # its tables load on first use

    upper = code.strip().upper()
    if len(upper) != 2 or pycountry.countries.get(alpha_2=upper) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return upper

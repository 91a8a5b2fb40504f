"""GSM-7 / UCS-2 detection and SMS part counting, shared by the client and the sandbox.

GSM-7 (3GPP TS 23.038): 160 septets in one part, 153 per part when split; characters of
the extension table take two septets and are never split across parts. UCS-2: 70 UTF-16
code units in one part, 67 per part when split; a surrogate pair is never split.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from gsm0338.charset import BASIC_CHARACTER_SET, BASIC_CHARACTER_SET_EXTENSION

Encoding = Literal["gsm7", "ucs2"]

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

_ESCAPE = "\x1b"
GSM7_BASIC: frozenset[str] = frozenset(
    unicodedata.lookup(name) for name in BASIC_CHARACTER_SET.values() if name != "ESCAPE"
)
GSM7_EXTENSION: frozenset[str] = frozenset(
    unicodedata.lookup(name) for name in BASIC_CHARACTER_SET_EXTENSION.values()
)


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` exists in the GSM-7 alphabet."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def to_gsm7(text: str) -> str:
    """What a GSM-7 network delivers: each character it cannot carry becomes ``?``."""
    return "".join(ch if ch in GSM7_BASIC or ch in GSM7_EXTENSION else "?" for ch in text)


def _septets(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _utf16_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


@dataclass(frozen=True, slots=True)
class SmsParts:
    """How a text travels: its encoding, the number of parts and the units it takes.

    ``units`` counts septets for ``gsm7`` and UTF-16 code units for ``ucs2``;
    ``segments`` holds the text of each part.
    """

    encoding: Encoding
    count: int
    units: int
    segments: tuple[str, ...]

    @property
    def type(self) -> Literal["text", "unicode"]:
        """The Nexmo ``type`` parameter that carries this encoding."""
        return "text" if self.encoding == "gsm7" else "unicode"


def _split(text: str, single: int, multi: int, *, ucs2: bool) -> SmsParts:
    unit_of = _utf16_units if ucs2 else _septets
    costs = [unit_of(ch) for ch in text]
    total = sum(costs)
    encoding: Encoding = "ucs2" if ucs2 else "gsm7"
    if total <= single:
        return SmsParts(encoding, 1, total, (text,))
    segments: list[str] = []
    start, used = 0, 0
    for i, c in enumerate(costs):
        if used + c > multi:
            segments.append(text[start:i])
            start, used = i, 0
        used += c
    segments.append(text[start:])
    return SmsParts(encoding, len(segments), total, tuple(segments))


def sms_parts(text: str, type: str | None = None) -> SmsParts:
    """Count the parts of ``text``.

    ``type=None`` is what an automatic send does: GSM-7 when every character fits,
    else UCS-2. ``"text"`` forces GSM-7 (characters it cannot carry count as ``?``);
    ``"unicode"`` forces UCS-2.
    """
    if type == "unicode" or (type is None and not is_gsm7(text)):
        return _split(text, UCS2_SINGLE, UCS2_MULTI, ucs2=True)
    if type not in (None, "text"):
        raise ValueError(f"type must be 'text' or 'unicode' for part counting, not {type!r}")
    return _split(to_gsm7(text), GSM7_SINGLE, GSM7_MULTI, ucs2=False)

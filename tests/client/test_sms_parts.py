"""Part counting at its edges, and properties that hold for any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexmo_connector.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    sms_parts,
    to_gsm7,
)


@pytest.mark.parametrize(
    ("length", "parts"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_part_edges(length: int, parts: int) -> None:
    result = sms_parts("a" * length)
    assert (result.encoding, result.count, result.units) == ("gsm7", parts, length)


@pytest.mark.parametrize(("length", "parts"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_part_edges(length: int, parts: int) -> None:
    result = sms_parts("ж" * length)
    assert (result.encoding, result.count, result.units) == ("ucs2", parts, length)


def test_extension_characters_take_two_septets() -> None:
    assert sms_parts("€" * 80).count == 1
    assert sms_parts("€" * 81).count == 2
    assert sms_parts("{}[]~|^\\€").units == 18


def test_escape_never_split_across_parts() -> None:
    result = sms_parts("a" * 152 + "€" + "a" * 10)
    assert result.segments[0] == "a" * 152
    assert result.segments[1].startswith("€")


def test_surrogate_pair_never_split() -> None:
    result = sms_parts("ж" * 66 + "😀" + "ж" * 10)
    assert result.segments[0] == "ж" * 66
    assert result.segments[1].startswith("😀")
    assert sms_parts("😀" * 35).count == 1
    assert sms_parts("😀" * 36).count == 2


def test_auto_detection_and_forced_types() -> None:
    assert sms_parts("héllo @ £5").encoding == "gsm7"
    assert sms_parts("ça va").encoding == "ucs2"  # lower-case ç is not in GSM-7
    assert sms_parts("ça va", "text").encoding == "gsm7"
    assert sms_parts("hello", "unicode").encoding == "ucs2"
    assert to_gsm7("ça ✓") == "?a ?"
    assert sms_parts("a", "text").type == "text" and sms_parts("ж").type == "unicode"
    with pytest.raises(ValueError, match="type"):
        sms_parts("a", "binary")


def test_alphabet_is_the_standard_one() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points less the escape
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert is_gsm7("Ñandù @ $ ¥ è") and not is_gsm7("ú") and not is_gsm7("\x1b")


texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), st.characters(codec="utf-8")
    ),
    max_size=700,
)


@given(texts, st.sampled_from([None, "text", "unicode"]))
def test_parts_cover_the_text_within_limits(text: str, forced: str | None) -> None:
    result = sms_parts(text, forced)
    sent = to_gsm7(text) if result.encoding == "gsm7" else text
    assert "".join(result.segments) == sent
    assert result.count == len(result.segments)
    if result.encoding == "gsm7":
        cost = [sum(2 if c in GSM7_EXTENSION else 1 for c in s) for s in result.segments]
        single, multi = 160, 153
    else:
        cost = [len(s.encode("utf-16-le")) // 2 for s in result.segments]
        single, multi = 70, 67
    assert sum(cost) == result.units
    if result.units <= single:
        assert result.count == 1
    else:
        assert all(0 < c <= multi for c in cost)
        # greedy: no part could have taken the next part's first character
        for i, following in enumerate(result.segments[1:]):
            first = following[0]
            if result.encoding == "gsm7":
                extra = 2 if first in GSM7_EXTENSION else 1
            else:
                extra = 2 if ord(first) > 0xFFFF else 1
            assert cost[i] + extra > multi


@given(texts)
def test_auto_picks_gsm7_exactly_when_possible(text: str) -> None:
    assert (sms_parts(text).encoding == "gsm7") == is_gsm7(text)

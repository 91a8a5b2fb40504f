"""A deterministic inventory of numbers for sale in each country.

Each number is valid in its country's numbering plan (``phonenumbers.is_valid_number``)
and the same every run: the country code seeds the generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

NUMBER_TYPES = ("landline", "mobile-lvn", "landline-toll-free")
FEATURES = ("SMS", "VOICE", "MMS")

_PLAN: tuple[tuple[str, int, int, Decimal], ...] = (
    ("mobile-lvn", PhoneNumberType.MOBILE, 40, Decimal("1.25")),
    ("landline", PhoneNumberType.FIXED_LINE, 30, Decimal("0.90")),
    ("landline-toll-free", PhoneNumberType.TOLL_FREE, 10, Decimal("4.50")),
)
_NORTH_AMERICA = {"US", "CA"}


@dataclass(frozen=True, slots=True)
class InventoryNumber:
    country: str
    msisdn: str
    type: str
    features: tuple[str, ...]
    cost: str

    def wire(self) -> dict[str, object]:
        """The ``/number/search`` entry."""
        return {
            "country": self.country,
            "msisdn": self.msisdn,
            "cost": self.cost,
            "type": self.type,
            "features": list(self.features),
        }


def _features(country: str, kind: str) -> tuple[str, ...]:
    if kind == "mobile-lvn":
        return ("MMS", "SMS", "VOICE") if country in _NORTH_AMERICA else ("SMS", "VOICE")
    if country in _NORTH_AMERICA:
        return ("SMS", "VOICE")
    return ("VOICE",)


def _variants(country: str, number_type: int, wanted: int, rng: random.Random) -> list[str]:
    example = phonenumbers.example_number_for_type(country, number_type)
    if example is None:
        return []
    national = str(example.national_number)
    keep = max(1, len(national) - 6)
    found: set[str] = set()
    for _ in range(wanted * 20):
        tail = "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
        candidate = phonenumbers.PhoneNumber(
            country_code=example.country_code, national_number=int(national[:keep] + tail)
        )
        if phonenumbers.is_valid_number_for_region(candidate, country) and phonenumbers.number_type(
            candidate
        ) in (number_type, PhoneNumberType.FIXED_LINE_OR_MOBILE):
            found.add(
                phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)[1:]
            )
            if len(found) == wanted:
                break
    return sorted(found)


@lru_cache(maxsize=256)
def inventory(country: str) -> tuple[InventoryNumber, ...]:
    """Every number for sale in ``country`` (ISO alpha-2), sorted by msisdn."""
    rng = random.Random(f"nexmo-sandbox:{country}")
    numbers: list[InventoryNumber] = []
    for kind, number_type, wanted, base_cost in _PLAN:
        cost = base_cost * Decimal(rng.randint(80, 160)) / 100
        for msisdn in _variants(country, number_type, wanted, rng):
            numbers.append(
                InventoryNumber(country, msisdn, kind, _features(country, kind), f"{cost:.2f}")
            )
    numbers.sort(key=lambda n: n.msisdn)
    return tuple(numbers)


def matches_pattern(msisdn: str, pattern: str | None, search_pattern: int) -> bool:
    """``pattern`` against the full msisdn: 0 starts with, 1 contains, 2 ends with."""
    if not pattern:
        return True
    if search_pattern == 0:
        return msisdn.startswith(pattern)
    if search_pattern == 2:
        return msisdn.endswith(pattern)
    return pattern in msisdn

"""Prices and mobile networks per destination country.

SMS prices are EUR per part; call rates EUR per minute. Networks are real MCCMNC codes of
the country's larger operators; a number maps to one of them deterministically.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

SMS_PRICE: dict[str, Decimal] = {
    code: Decimal(price)
    for code, price in {
        "GB": "0.03330000",
        "US": "0.00700000",
        "CA": "0.00700000",
        "DE": "0.07800000",
        "FR": "0.06500000",
        "ES": "0.05500000",
        "IT": "0.06200000",
        "NL": "0.08800000",
        "IE": "0.05900000",
        "AU": "0.04500000",
        "IN": "0.00450000",
        "BR": "0.02100000",
    }.items()
}
DEFAULT_SMS_PRICE = Decimal("0.05000000")

CALL_RATE: dict[str, Decimal] = {
    "GB": Decimal("0.01200000"),
    "US": Decimal("0.01100000"),
    "CA": Decimal("0.01100000"),
}
DEFAULT_CALL_RATE = Decimal("0.02500000")

NETWORKS: dict[str, tuple[str, ...]] = {
    "GB": ("23410", "23415", "23420", "23430"),
    "US": ("310260", "310410", "311480"),
    "CA": ("302720", "302610", "302220"),
    "DE": ("26201", "26202", "26203"),
    "FR": ("20801", "20810", "20820"),
    "ES": ("21401", "21403", "21407"),
    "IT": ("22201", "22210", "22288"),
    "NL": ("20404", "20408", "20416"),
    "BE": ("20601", "20610", "20620"),
    "CH": ("22801", "22802", "22803"),
    "AT": ("23201", "23203", "23205"),
    "IE": ("27201", "27202", "27205"),
    "PT": ("26801", "26803", "26806"),
    "SE": ("24001", "24007", "24008"),
    "NO": ("24201", "24202"),
    "DK": ("23801", "23802", "23820"),
    "FI": ("24405", "24491", "24412"),
    "PL": ("26001", "26002", "26003", "26006"),
    "CZ": ("23001", "23002", "23003"),
    "GR": ("20201", "20205", "20210"),
    "HU": ("21620", "21630", "21670"),
    "RO": ("22601", "22603", "22610"),
    "TR": ("28601", "28602", "28603"),
    "IN": ("40410", "40445", "40420"),
    "CN": ("46000", "46001", "46011"),
    "JP": ("44010", "44020", "44050"),
    "KR": ("45005", "45008", "45006"),
    "AU": ("50501", "50502", "50503"),
    "NZ": ("53001", "53005", "53024"),
    "SG": ("52501", "52503", "52505"),
    "HK": ("45400", "45406", "45412"),
    "MY": ("50212", "50213", "50216"),
    "ID": ("51010", "51011", "51001"),
    "PH": ("51502", "51503"),
    "TH": ("52001", "52004", "52005"),
    "BR": ("72405", "72406", "72410", "72431"),
    "MX": ("334020", "334030", "334050"),
    "AR": ("722070", "722310", "722341"),
    "CL": ("73001", "73002", "73003"),
    "CO": ("732101", "732123"),
    "ZA": ("65501", "65507", "65510"),
    "NG": ("62120", "62130", "62150"),
    "KE": ("63902", "63903"),
    "EG": ("60201", "60202", "60203"),
    "AE": ("42402", "42403"),
    "SA": ("42001", "42003", "42004"),
    "IL": ("42501", "42502", "42503"),
    "PK": ("41001", "41003", "41006"),
    "LU": ("27001", "27077", "27099"),
    "IS": ("27401", "27402"),
    "HR": ("21901", "21902", "21910"),
    "SK": ("23101", "23102", "23106"),
    "BG": ("28401", "28403", "28405"),
    "LT": ("24601", "24602", "24603"),
    "LV": ("24701", "24702"),
    "EE": ("24801", "24802", "24803"),
}
FALLBACK_NETWORK = "90101"
"""Used for countries outside the table above."""


def sms_price(country: str) -> Decimal:
    """Price of one SMS part to ``country``."""
    return SMS_PRICE.get(country, DEFAULT_SMS_PRICE)


def call_rate(country: str) -> Decimal:
    """Per-minute rate of a call to ``country``."""
    return CALL_RATE.get(country, DEFAULT_CALL_RATE)


def network_for(msisdn: str, country: str) -> str:
    """The MCCMNC that ``msisdn`` is registered with (stable for a given number)."""
    networks = NETWORKS.get(country)
    if not networks:
        return FALLBACK_NETWORK
    return networks[zlib.crc32(msisdn.encode()) % len(networks)]

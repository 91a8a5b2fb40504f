"""``/account/numbers`` and ``/number/search``."""

from __future__ import annotations

import httpx
import phonenumbers
import pytest

from tests.conftest import CREDS, KEY, SECRET


def search(http: httpx.Client, **params: object) -> httpx.Response:
    return http.get("/number/search", params={**CREDS, **params})


def test_inventory_valid_deterministic_and_counted(http: httpx.Client) -> None:
    first = search(http, country="GB", size=100).json()
    again = search(http, country="GB", size=100).json()
    assert first == again and first["count"] == len(first["numbers"]) > 40
    for number in first["numbers"]:
        parsed = phonenumbers.parse("+" + number["msisdn"])
        assert phonenumbers.is_valid_number_for_region(parsed, "GB")
        assert number["country"] == "GB" and isinstance(number["cost"], str)
        assert number["type"] in {"landline", "mobile-lvn", "landline-toll-free"}
    assert {n["type"] for n in first["numbers"]} == {"landline", "mobile-lvn", "landline-toll-free"}


def test_pattern_modes_match_the_full_msisdn(http: httpx.Client) -> None:
    numbers = search(http, country="GB", size=100).json()["numbers"]
    sample = numbers[5]["msisdn"]
    starts = search(http, country="GB", pattern="447", search_pattern=0, size=100).json()["numbers"]
    assert starts and all(n["msisdn"].startswith("447") for n in starts)
    ends = search(http, country="GB", pattern=sample[-4:], search_pattern=2).json()["numbers"]
    assert sample in [n["msisdn"] for n in ends] and all(
        n["msisdn"].endswith(sample[-4:]) for n in ends
    )
    contains = search(http, country="GB", pattern=sample[3:8], search_pattern=1).json()["numbers"]
    assert all(sample[3:8] in n["msisdn"] for n in contains)
    assert search(http, country="GB", pattern="000000000").json() == {"count": 0}


def test_type_features_and_paging(http: httpx.Client) -> None:
    voice_only = search(http, country="GB", features="SMS", type="landline").json()
    assert voice_only == {"count": 0}
    us = search(http, country="US", features="SMS,MMS", size=100).json()
    assert us["count"] > 0 and all({"SMS", "MMS"} <= set(n["features"]) for n in us["numbers"])
    everything = search(http, country="DE", size=100).json()["numbers"]
    pages = [search(http, country="DE", size=7, index=i).json() for i in range(1, 4)]
    assert [n for p in pages for n in p["numbers"]] == everything[:21]
    assert all(p["count"] == len(everything) for p in pages)


@pytest.mark.parametrize(
    ("params", "label"),
    [
        ({}, "country is required"),
        ({"country": "XX"}, "country must be an ISO 3166-1 alpha-2 country code"),
        ({"country": "GB", "size": 101}, "size must be between 1 and 100"),
        ({"country": "GB", "index": 0}, "index must be between 1 and 1000000"),
        ({"country": "GB", "search_pattern": 3}, "search_pattern must be between 0 and 2"),
        ({"country": "GB", "pattern": "44x"}, "pattern must contain digits only"),
        (
            {"country": "GB", "type": "satellite"},
            "type must be one of landline, mobile-lvn, landline-toll-free",
        ),
        ({"country": "GB", "features": "FAX"}, "features must be among SMS, VOICE, MMS"),
    ],
)
def test_bad_parameters_are_400(http: httpx.Client, params: dict, label: str) -> None:
    response = search(http, **params)
    assert response.status_code == 400
    assert response.json() == {"error-code": "400", "error-code-label": label}


def test_owned_numbers_and_filters(http: httpx.Client) -> None:
    owned = http.get("/account/numbers", params=CREDS).json()
    assert owned["count"] == 3 and {n["country"] for n in owned["numbers"]} == {"GB", "US"}
    app_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    http.post(
        "/_sandbox/numbers", json={"msisdn": "447700900123", "app_id": app_id}
    ).raise_for_status()
    linked = http.get("/account/numbers", params={**CREDS, "has_application": "true"}).json()
    assert linked["count"] == 1 and linked["numbers"][0]["app_id"] == app_id
    assert linked["numbers"][0]["voiceCallbackValue"] == app_id
    by_app = http.get("/account/numbers", params={**CREDS, "application_id": app_id}).json()
    assert by_app["count"] == 1
    gb = http.get(
        "/account/numbers", params={**CREDS, "country": "gb", "size": 1, "index": 2}
    ).json()
    assert gb["count"] == 3 and len(gb["numbers"]) == 1
    ends = http.get(
        "/account/numbers", params={**CREDS, "pattern": "123", "search_pattern": 2}
    ).json()
    assert [n["msisdn"] for n in ends["numbers"]] == ["447700900123"]


def test_basic_auth_and_401(http: httpx.Client) -> None:
    assert http.get("/account/numbers", auth=(KEY, SECRET)).status_code == 200
    for params in ({}, {"api_key": KEY, "api_secret": "no"}):
        response = http.get("/account/numbers", params=params)
        assert response.status_code == 401
        assert response.json() == {"error-code": "401", "error-code-label": "authentication failed"}


def test_rate_limit_429_with_retry_after(make_sandbox) -> None:
    sandbox = make_sandbox(rate_limits=True, api_rate_limit=2)
    with httpx.Client(base_url=sandbox.url) as http:
        responses = [http.get("/account/numbers", params=CREDS) for _ in range(4)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited and int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["error-code"] == "429"

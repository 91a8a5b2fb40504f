"""Bad input never yields a 5xx or a traceback: unknown paths, hostile ids, fuzzed params."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CREDS, KEY, SECRET


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/applications/..%2F..%2Fetc%2Fpasswd", 404),
        ("GET", "/v1/applications/%00", 404),
        ("GET", "/v2/applications/" + "a" * 5000, 404),
        ("DELETE", "/v1/applications/';DROP TABLE", 404),
        ("PUT", "/sms/json", 405),
        ("GET", "/nothing/here", 404),
        ("PATCH", "/v2/applications/x", 405),
    ],
)
def test_hostile_paths_get_clean_errors(
    http: httpx.Client, method: str, path: str, status: int
) -> None:
    response = http.request(method, path, params=CREDS, auth=(KEY, SECRET))
    assert response.status_code == status
    assert (
        "Traceback" not in response.text and response.headers["content-type"] == "application/json"
    )


def test_application_errors_keep_their_api_shape(http: httpx.Client) -> None:
    v1 = http.get("/v1/applications/nope/extra", params=CREDS).json()
    v2 = http.get("/v2/applications/nope/extra", auth=(KEY, SECRET)).json()
    assert set(v1) == {"type", "error_title"}
    assert {"type", "title", "detail"} <= set(v2)


def test_openapi_documents_the_inspection_api(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert {
        "/_sandbox/messages",
        "/_sandbox/receipts",
        "/_sandbox/calls",
        "/_sandbox/accounts",
        "/_sandbox/numbers",
        "/_sandbox/faults/{api}",
        "/sms/json",
    } <= set(paths)
    sms = paths["/sms/json"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert {"api_key", "from", "to", "text", "client-ref", "sig"} <= set(
        sms["schema"]["properties"]
    )
    search = {p["name"]: p for p in paths["/number/search"]["get"]["parameters"]}
    assert search["country"]["required"] and search["size"]["schema"]["maximum"] == 100
    app_id = paths["/v1/applications/{application_id}"]["get"]["parameters"][0]
    assert (app_id["name"], app_id["in"], app_id["required"]) == ("application_id", "path", True)


param_values = st.one_of(st.text(max_size=50), st.integers().map(str), st.just(""))
# No "callback": a fuzzed URL must never make the sandbox call a host off this machine.
fields = st.sampled_from(
    [
        "from",
        "to",
        "text",
        "type",
        "ttl",
        "client-ref",
        "message-class",
        "udh",
        "body",
        "protocol-id",
        "status-report-req",
        "title",
        "url",
        "validity",
        "vcard",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(fields, param_values, max_size=8))
def test_fuzzed_sms_parameters_never_5xx(http: httpx.Client, params: dict) -> None:
    response = http.post("/sms/json", data={**CREDS, **params})
    assert response.status_code == 200
    for entry in response.json()["messages"]:
        assert entry["status"] == "0" or entry["error-text"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(
            ["to", "text", "lg", "voice", "repeat", "machine_timeout", "callback_method"]
        ),
        param_values,
    )
)
def test_fuzzed_tts_parameters_never_5xx(http: httpx.Client, params: dict) -> None:
    assert http.post("/tts/json", data={**CREDS, **params}).status_code in (200, 429)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
        max_leaves=10,
    )
)
def test_fuzzed_v2_bodies_never_5xx(http: httpx.Client, body: object) -> None:
    response = http.post(
        "/v2/applications", auth=(KEY, SECRET), json={"name": "f", "capabilities": body}
    )
    assert response.status_code in (201, 400)


def test_inspection_inputs_are_validated(http: httpx.Client) -> None:
    bad_country = http.post(
        "/_sandbox/accounts", json={"api_key": "x", "api_secret": "y", "numbers": ["Mars"]}
    )
    assert bad_country.status_code == 422
    assert bad_country.json()["invalid_parameters"][0]["name"] == "numbers"
    made = http.post(
        "/_sandbox/accounts", json={"api_key": "x", "api_secret": "y", "numbers": ["de", "US"]}
    )
    assert made.status_code == 201
    owned = http.get("/account/numbers", params={"api_key": "x", "api_secret": "y"}).json()
    assert {n["country"] for n in owned["numbers"]} == {"DE", "US"}
    assert (
        http.post("/_sandbox/accounts", json={"api_key": "x", "api_secret": "z"}).status_code == 409
    )
    assert http.post("/_sandbox/numbers", json={"msisdn": "12"}).status_code == 422
    assert http.patch("/_sandbox/accounts/nobody", json={"balance": "1"}).status_code == 404
    assert http.patch("/_sandbox/accounts/x", json={"receipt_url": "nope"}).status_code == 422
    null_balance = http.patch("/_sandbox/accounts/x", json={"balance": None})
    assert null_balance.status_code == 422
    assert null_balance.json()["invalid_parameters"][0]["name"] == "balance"
    unsigned = http.patch("/_sandbox/accounts/x", json={"signature_secret": None})
    assert unsigned.status_code == 200 and unsigned.json()["signed"] is False
    assert "api_secret" not in http.get("/_sandbox/accounts/x").text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{nope", "not JSON: Expecting property name"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deep"),
        (b'{"drop-rate": "\xff"}', "is not UTF-8"),
        (b"[1]", "must be a JSON object"),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("PUT", "/_sandbox/faults/sms"),
                                              ("POST", "/_sandbox/inbound")])  # fmt: skip
def test_the_inspection_api_names_a_body_it_cannot_read(
    http: httpx.Client, method: str, path: str, content: bytes, reason: str
) -> None:
    answer = http.request(method, path, content=content,
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 422
    (problem,) = answer.json()["invalid_parameters"]
    assert problem["name"] == "body" and problem["reason"].startswith(reason)

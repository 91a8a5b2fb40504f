"""``/v1/calls``: JWT authentication, request and NCCO validation, calls read back."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from nexmo_connector.sandbox.applications import new_key_pair
from nexmo_connector.voice import ApplicationKey
from tests.conftest import CREDS

TO = "447700900001"
CALL = {"to": [{"type": "phone", "number": TO}], "from": {"type": "phone", "number": "447700900002"},
        "ncco": [{"action": "talk", "text": "Hello there"}]}  # fmt: skip


@pytest.fixture
def app(http: httpx.Client) -> tuple[str, str]:
    body = {"name": "calls", "capabilities": {"voice": {"webhooks": {
        "answer_url": {"address": "http://127.0.0.1:9/a", "http_method": "GET"},
        "event_url": {"address": "http://127.0.0.1:9/e", "http_method": "POST"}}}}}  # fmt: skip
    created = http.post("/v2/applications", json=body, auth=tuple(CREDS.values())).json()
    return created["id"], created["keys"]["private_key"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(private_key: str, claims: dict[str, Any], alg: str = "RS256") -> str:
    """A token signed by hand, so that every claim can be wrong on purpose."""
    key = serialization.load_pem_private_key(private_key.encode(), password=None)
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg]
    return f"{head}.{body}.{_b64(signature)}"


def claims_of(application_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"application_id": application_id, "iat": now, "exp": now + 900,
            "jti": str(uuid.uuid4()), **changes}  # fmt: skip


def without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k != name}


def create(http: httpx.Client, token: str, body: dict[str, Any] = CALL) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.post("/v1/calls", json=body, headers=headers)


def test_a_valid_token_creates_a_call(http: httpx.Client, app: tuple[str, str]) -> None:
    answer = create(http, ApplicationKey(app[0], app[1]).token())
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"uuid", "status", "direction", "conversation_uuid"}
    assert body["status"] == "started" and body["direction"] == "outbound"
    assert uuid.UUID(body["uuid"]) and body["conversation_uuid"].startswith("CON-")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("expired", "expired"),
        ("not yet valid", "not valid yet"),
        ("wrong key", "signature"),
        ("unknown application", "no such application"),
        ("no application_id", "application_id"),
        ("no jti", "jti"),
        ("no iat", "iat"),
        ("HS256", "RS256"),
        ("huge exp", "out of range"),
        ("not a JWT", "not a JWT"),
        ("no token", "Bearer"),
    ],
)
def test_bad_tokens_are_401_in_the_voice_apis_shape(
    http: httpx.Client, app: tuple[str, str], case: str, reason: str
) -> None:
    app_id, key = app
    now = int(time.time())
    tokens = {
        "expired": lambda: jwt(key, claims_of(app_id, iat=now - 1000, exp=now - 10)),
        "not yet valid": lambda: jwt(key, claims_of(app_id, iat=now + 3600, exp=now + 4000)),
        "wrong key": lambda: jwt(new_key_pair()[0], claims_of(app_id)),
        "unknown application": lambda: jwt(key, claims_of(str(uuid.uuid4()))),
        "no application_id": lambda: jwt(key, without(claims_of(app_id), "application_id")),
        "no jti": lambda: jwt(key, without(claims_of(app_id), "jti")),
        "no iat": lambda: jwt(key, without(claims_of(app_id), "iat")),
        "HS256": lambda: jwt(key, claims_of(app_id), alg="HS256"),
        "huge exp": lambda: jwt(key, claims_of(app_id, exp=10**400)),
        "not a JWT": lambda: "abc.def",
        "no token": lambda: "",
    }
    answer = create(http, tokens[case]())
    assert answer.status_code == 401
    body = answer.json()
    assert body["title"] == "Unauthorized" and body["type"].endswith("#unauthorized")
    assert reason in body["detail"] and body["instance"]
    assert http.get("/_sandbox/calls").json()["calls"] == []


def test_a_deleted_applications_token_is_refused(http: httpx.Client, app: tuple[str, str]) -> None:
    token = ApplicationKey(*app).token()
    http.delete(f"/v2/applications/{app[0]}", auth=tuple(CREDS.values())).raise_for_status()
    assert create(http, token).status_code == 401


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"to": []}, "to"),
        ({"to": [{"type": "phone", "number": "12"}]}, "to[0].number"),
        ({"to": [{"type": "sip", "uri": "sip:a@b"}]}, "to[0]"),
        ({"random_from_number": True}, "from"),
        ({"from": None}, "from"),
        ({"ncco": []}, "ncco"),
        ({"ncco": [{"action": "connect"}]}, "ncco[0].action"),
        ({"ncco": [{"action": "talk"}]}, "ncco[0].text"),
        ({"ncco": [{"action": "talk", "text": "x" * 1501}]}, "ncco[0].text"),
        ({"ncco": [{"action": "talk", "text": "hi", "language": "xx-XX"}]}, "ncco[0].language"),
        ({"ncco": [{"action": "talk", "text": "hi", "style": -1}]}, "style"),
        ({"ncco": [{"action": "talk", "text": "hi", "loop": "2"}]}, "loop"),
        ({"ncco": [{"action": "talk", "text": "hi", "level": 2}]}, "ncco[0].level"),
        ({"ncco": [{"action": "talk", "text": "hi", "voiceName": "Amy"}]}, "ncco[0].voiceName"),
        ({"event_url": "http://127.0.0.1:9/e"}, "event_url"),
        ({"event_url": ["ftp://x"]}, "event_url"),
        ({"event_method": "PUT"}, "event_method"),
        ({"machine_detection": "true"}, "machine_detection"),
        ({"length_timer": 0}, "length_timer"),
        ({"answer_url": ["http://127.0.0.1:9/a"]}, "answer_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_requests_are_400_naming_the_parameter(
    http: httpx.Client, app: tuple[str, str], change: dict[str, Any], name: str
) -> None:
    body = {**CALL, **change}
    body = {k: v for k, v in body.items() if v is not None}
    answer = create(http, ApplicationKey(*app).token(), body)
    assert answer.status_code == 400, answer.text
    problems = answer.json()["invalid_parameters"]
    assert problems[0]["name"] == name and problems[0]["reason"]


def test_random_from_number_uses_an_owned_number(http: httpx.Client, app: tuple[str, str]) -> None:
    body = {k: v for k, v in CALL.items() if k != "from"} | {"random_from_number": True}
    call_uuid = create(http, ApplicationKey(*app).token(), body).json()["uuid"]
    call = http.get(f"/_sandbox/calls/{call_uuid.replace('-', '')}").json()
    owned = {n["msisdn"] for n in http.get("/account/numbers", auth=tuple(CREDS.values()))
             .json()["numbers"]}  # fmt: skip
    assert call["from"] in owned


def test_calls_are_read_back_as_the_voice_api_shows_them(
    http: httpx.Client, app: tuple[str, str]
) -> None:
    key = ApplicationKey(*app)
    headers = {"Authorization": f"Bearer {key.token()}"}
    made = [create(http, key.token()).json()["uuid"] for _ in range(3)]
    busy = create(http, key.token(), {**CALL, "to": [{"type": "phone", "number": "447700900931"}]})
    deadline = time.monotonic() + 10
    while (one := http.get(f"/v1/calls/{made[0]}", headers=headers).json())[
        "status"
    ] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert one["to"] == {"type": "phone", "number": TO} and one["direction"] == "outbound"
    assert float(one["price"]) > 0 and int(one["duration"]) > 0 and one["rate"]
    assert one["_links"]["self"]["href"].endswith(f"/v1/calls/{made[0]}")
    listed = http.get("/v1/calls", params={"page_size": 2}, headers=headers).json()
    assert listed["count"] == 4 and len(listed["_embedded"]["calls"]) == 2
    assert "next" in listed["_links"]
    rest = http.get("/v1/calls", params={"page_size": 2, "record_index": 2},
                    headers=headers).json()  # fmt: skip
    assert len(rest["_embedded"]["calls"]) == 2 and "next" not in rest["_links"]
    while http.get(f"/v1/calls/{busy.json()['uuid']}", headers=headers).json()["status"] != "busy":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    by_status = http.get("/v1/calls", params={"status": "busy"}, headers=headers).json()
    assert [c["uuid"] for c in by_status["_embedded"]["calls"]] == [busy.json()["uuid"]]
    conversation = one["conversation_uuid"]
    found = http.get("/v1/calls", params={"conversation_uuid": conversation}, headers=headers)
    assert [c["uuid"] for c in found.json()["_embedded"]["calls"]] == [made[0]]
    assert http.get("/v1/calls", params={"page_size": "0"}, headers=headers).status_code == 400
    assert http.get(f"/v1/calls/{uuid.uuid4()}", headers=headers).status_code == 404


def test_another_accounts_calls_are_not_found(http: httpx.Client, app: tuple[str, str]) -> None:
    made = create(http, ApplicationKey(*app).token()).json()["uuid"]
    http.post("/_sandbox/accounts", json={"api_key": "other", "api_secret": "other-secret"})
    other = http.post("/v2/applications", json={"name": "o", "capabilities": {"voice": {}}},
                      auth=("other", "other-secret")).json()  # fmt: skip
    token = ApplicationKey(other["id"], other["keys"]["private_key"]).token()
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(f"/v1/calls/{made}", headers=headers).status_code == 404
    assert http.get("/v1/calls", headers=headers).json()["count"] == 0


def test_the_slow_number_delays_the_answer(make_sandbox) -> None:
    sandbox = make_sandbox(slow_seconds=0.4)
    with httpx.Client(base_url=sandbox.url) as http:
        body = {"name": "slow", "capabilities": {"voice": {}}}
        created = http.post("/v2/applications", json=body, auth=tuple(CREDS.values())).json()
        token = ApplicationKey(created["id"], created["keys"]["private_key"]).token()
        slow = {**CALL, "to": [{"type": "phone", "number": "447700900940"}]}
        started = time.monotonic()
        assert create(http, token, slow).status_code == 201
        assert time.monotonic() - started >= 0.4


def test_a_calls_events_arrive_in_order_even_when_one_is_retried(
    http: httpx.Client, app: tuple[str, str]
) -> None:
    from tests.receiver import Receiver

    with Receiver(fail_first=1) as receiver:
        body = {**CALL, "event_url": [receiver.url]}
        assert create(http, ApplicationKey(*app).token(), body).status_code == 201
        received = receiver.wait_for(5)
    statuses = [json.loads(r.body)["status"] for r in received]
    assert statuses == ["started", "started", "ringing", "answered", "completed"]


def test_faults_and_the_request_log_cover_the_voice_api(
    http: httpx.Client, app: tuple[str, str]
) -> None:
    http.put("/_sandbox/faults/voice", json={"error-rate": 1.0, "error-status": 503})
    assert create(http, ApplicationKey(*app).token()).status_code == 503
    http.delete("/_sandbox/faults")
    assert create(http, ApplicationKey(*app).token()).status_code == 201
    logged = [r for r in http.get("/_sandbox/requests").json()["requests"] if r["api"] == "voice"]
    assert len(logged) == 2 and logged[-1]["api-key"] == CREDS["api_key"]  # the one answered

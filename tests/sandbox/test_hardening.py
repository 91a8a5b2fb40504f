"""Regression tests for defects found by attacking the sandbox (hardening issue)."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time

import httpx
import pytest

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.sandbox.records import Message
from tests.conftest import CREDS, KEY, SECRET, send_sms

SURROGATE_JSON = '"\\ud800"'
DEEP = "[" * 2000 + "]" * 2000
HUGE = "9" * 4301


def raw_json(http: httpx.Client, method: str, path: str, body: str, **kwargs) -> httpx.Response:
    return http.request(
        method, path, content=body.encode(), headers={"Content-Type": "application/json"}, **kwargs
    )


def sms_json(**fields: str) -> str:
    plain = {**CREDS, "from": "Acme", "to": "447700900000", "text": "hi"}
    items = [f'"{k}": "{v}"' for k, v in plain.items() if k not in fields]
    items += [f'"{k}": {v}' for k, v in fields.items()]
    return "{" + ", ".join(items) + "}"


def test_a_lone_surrogate_is_refused_everywhere_and_bricks_nothing(http: httpx.Client) -> None:
    sms = raw_json(http, "POST", "/sms/json", sms_json(text=SURROGATE_JSON)).json()
    assert sms["messages"][0]["status"] == "3" and "surrogate" in sms["messages"][0]["error-text"]
    tts = raw_json(http, "POST", "/tts/json", sms_json(text=SURROGATE_JSON)).json()
    assert tts["status"] == "3"
    app = raw_json(
        http, "POST", "/v2/applications", f'{{"name": {SURROGATE_JSON}}}', auth=(KEY, SECRET)
    )
    assert app.status_code == 400 and app.json()["title"] == "Bad Request"
    account = raw_json(
        http, "POST", "/_sandbox/accounts",
        f'{{"api_key": "k2", "api_secret": "s", "receipt_url": "http://x/{SURROGATE_JSON[1:-1]}"}}',
    )  # fmt: skip
    assert account.status_code == 422
    assert http.get("/_sandbox/messages").status_code == 200
    assert http.get("/_sandbox/accounts").status_code == 200


def test_a_stored_surrogate_cannot_break_the_inspection_api(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    send_sms(http, **{"from": "Acme", "to": "447700900000", "text": "fine"})
    stored = sandbox.sandbox.state.messages[0]
    sandbox.sandbox.state.messages.append(
        Message.model_validate(stored.dump() | {"text": "bad \ud800", "message-ids": ["X1"]})
    )
    listed = http.get("/_sandbox/messages")
    assert listed.status_code == 200 and listed.json()["messages"][1]["text"] == "bad \ud800"


@pytest.mark.parametrize("hostile", [DEEP, HUGE], ids=["deep", "huge-int"])
@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("POST", "/sms/json", None),
        ("POST", "/tts/json", None),
        ("POST", "/v1/applications", None),
        ("POST", "/v2/applications", (KEY, SECRET)),
        ("PUT", "/v2/applications/00000000-0000-0000-0000-000000000000", (KEY, SECRET)),
    ],
)
def test_hostile_json_gets_the_endpoints_error_shape(
    http: httpx.Client, caplog: pytest.LogCaptureFixture, method: str, path: str, auth, hostile: str
) -> None:
    caplog.set_level(logging.ERROR)
    body = sms_json(text=hostile) if path.endswith("json") else hostile
    response = raw_json(http, method, path, body, auth=auth)
    assert response.status_code < 500, response.text
    if path == "/sms/json":
        assert response.json()["messages"][0]["status"] == "3"
    elif path == "/tts/json":
        assert response.json()["status"] == "3"
    else:
        assert response.status_code in (400, 401, 404) and (
            "title" in response.text or "type" in response.text
        )
    assert not caplog.records, "no traceback for a user's mistake"


@pytest.mark.parametrize(
    "params",
    [
        {"to": "٤٤٧٧٠٠٩٠٠٠٠٠"},
        {"to": "４４７７００９０００００"},
        {"ttl": "2_0000"},
        {"ttl": "+20000"},
        {"ttl": "２００００"},
        {"message-class": " 1"},
    ],
)
def test_sms_numbers_are_ascii_digits(http: httpx.Client, params: dict) -> None:
    body = send_sms(http, **{"from": "Acme", "to": "447700900000", "text": "hi", **params})
    assert body["messages"][0]["status"] == "3"


@pytest.mark.parametrize("params", [{"pattern": "²"}, {"size": "+5"}, {"index": "１"}])
def test_number_filters_are_ascii_digits(http: httpx.Client, params: dict) -> None:
    response = http.get("/account/numbers", params={**CREDS, **params})
    assert response.status_code == 400 and "error-code-label" in response.json()


def test_tts_from_is_ascii_digits(http: httpx.Client) -> None:
    body = http.post("/tts/json", data={**CREDS, "to": "447700900000", "text": "hi",
                                        "from": "٤٤٧٧٠٠٩٠٠٠٠٠"}).json()  # fmt: skip
    assert body["status"] == "3"


def test_inspection_refuses_unknown_fields_and_huge_bodies(http: httpx.Client) -> None:
    assert http.put("/_sandbox/faults/sms", json={"errorRate": 1.0}).status_code == 422
    assert http.get("/_sandbox/faults").json()["faults"] == {}
    patch = http.patch(f"/_sandbox/accounts/{KEY}", json={"balanse": "5"})
    assert patch.status_code == 422
    huge = http.post(
        "/_sandbox/accounts", content=b'{"api_key": "' + b"k" * 2_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert huge.status_code == 413


def test_a_caller_leaving_during_injected_latency_logs_nothing(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    http.put("/_sandbox/faults/*", json={"latency-ms": 400})
    for method, path in (("POST", "/sms/json"), ("GET", "/account/numbers")):
        with pytest.raises(httpx.TimeoutException):
            http.request(method, path, data=CREDS, timeout=0.1)
    time.sleep(0.6)
    assert not caplog.records


def test_search_lists_only_numbers_for_sale(http: httpx.Client) -> None:
    owned = {n["msisdn"] for n in http.get("/account/numbers", params=CREDS).json()["numbers"]}
    search = http.get("/number/search", params={**CREDS, "country": "GB", "size": 100}).json()
    offered = {n["msisdn"] for n in search["numbers"]}
    assert offered and not owned & offered
    assert search["count"] == len(offered) or search["count"] > 100


def test_a_delete_with_stray_bytes_still_gets_its_answer(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    app = http.post("/v2/applications", json={"name": "x"}, auth=(KEY, SECRET)).json()
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    request = (
        f"DELETE /v2/applications/{app['id']} HTTP/1.1\r\nHost: sandbox\r\n"
        f"Authorization: Basic {token}\r\n\r\n{{}}"
    ).encode()
    with socket.create_connection((sandbox.host, sandbox.port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 204"), answer
    assert http.get(f"/v2/applications/{app['id']}", auth=(KEY, SECRET)).status_code == 404


def test_the_request_log_names_the_api_key(http: httpx.Client) -> None:
    send_sms(http, **{"from": "Acme", "to": "447700900000", "text": "hi"})
    http.get("/account/numbers", auth=(KEY, SECRET))
    http.get("/account/numbers", params={"api_key": "someone", "api_secret": "wrong"})
    logged = http.get("/_sandbox/requests").json()["requests"]
    assert [r["api-key"] for r in logged] == [KEY, KEY, "someone"]


def test_inspection_reads_never_race_the_api(http: httpx.Client, sandbox: SandboxServer) -> None:
    failures: list[str] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=sandbox.url) as own:
            i = 0
            while not stop.is_set():
                own.post("/sms/json", data={**CREDS, "from": "Acme", "text": "race",
                                            "to": f"4477009{i % 100000:05d}"})  # fmt: skip
                i += 1

    def read() -> None:
        with httpx.Client(base_url=sandbox.url) as own:
            for _ in range(150):
                for path in ("/_sandbox/requests", "/_sandbox/messages"):
                    try:
                        response = own.get(path)
                        if response.status_code != 200:
                            failures.append(f"{path}: {response.status_code}")
                    except httpx.HTTPError as exc:
                        failures.append(f"{path}: {exc!r}")

    senders = [threading.Thread(target=send) for _ in range(3)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in senders + readers:
        thread.start()
    for thread in readers:
        thread.join()
    stop.set()
    for thread in senders:
        thread.join()
    assert not failures
    assert len(http.get("/_sandbox/messages").json()["messages"]) > 100

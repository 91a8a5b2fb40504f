"""The nine actions through the service, against the real sandbox."""

from __future__ import annotations

import httpx
import pytest

from tests.service.conftest import User

SMS = {"from": "Acme", "to": "447700900000", "text": "Hello from the service"}


def test_send_an_sms_and_see_it_upstream(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    response = alice.http.post(f"/v1/connections/{connection['id']}/sms", json=SMS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messages"][0]["status"] == "0" and body["message-count"] == "1"
    (recorded,) = http.get("/_sandbox/messages").json()["messages"]
    assert recorded["text"] == SMS["text"] and recorded["client-ref"]
    assert response.headers["RateLimit-Limit"] == "100"
    assert response.headers["RateLimit-Remaining"] == "99"


BAD_BODIES = [
    (b"{nope", "application/json", "not JSON: Expecting property name"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "nests too deep"),
    (b'{"text": "\xff"}', "application/json", "is not UTF-8"),
    (b"[1, 2]", "application/json", "must be a JSON object"),
    (b"from=Acme&to=447700900000&text=hi", "application/x-www-form-urlencoded",
     "must be a JSON object (Content-Type: application/json)"),
    (b"", None, "is required: a JSON object"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "media", "reason"), BAD_BODIES)
@pytest.mark.parametrize("path", ["/sms", "/applications", ""])
def test_a_body_that_cannot_be_read_is_a_422_naming_the_body(
    alice: User, path: str, content: bytes, media: str | None, reason: str
) -> None:
    connection = alice.connect()
    target = f"/v1/connections/{connection['id']}{path}" if path else "/v1/connections"
    headers = {"Content-Type": media} if media else {}
    answer = alice.http.post(target, content=content, headers=headers)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == "body" and error["reason"].startswith(reason), error


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_that_is_not_finite_is_refused(alice: User, value: str) -> None:
    connection = alice.connect()
    base = f"/v1/connections/{connection['id']}"
    for path, name in ((f"{base}/messages", "after"), (f"{base}/events", "wait")):
        answer = alice.http.get(path, params={name: value})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == name


def test_a_nul_in_any_text_is_refused_naming_its_field(alice: User) -> None:
    # PostgreSQL cannot store a NUL in text: it was a 500 there
    connection = alice.connect()
    base = f"/v1/connections/{connection['id']}"
    creds = {"api_key": "sandbox", "api_secret": "sandbox-secret"}
    for path, body, field in [
        ("/v1/connections", {"name": "a\u0000", **creds}, "name"),
        (f"{base}/subscriptions", {"url": "https://example.com/", "description": "\u0000"},
         "description"),
        (f"{base}/sms", {**SMS, "client-ref": "r\u0000"}, "client-ref"),
        (f"{base}/batches", {"from": "Acme", "text": "hi {name}",
                             "rows": [{"to": "447700900000", "name": "x\u0000"}]}, None),
    ]:  # fmt: skip
        answer = alice.http.post(path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert "NUL" in answer.json()["detail"] and not answer.json()["detail"].startswith("Value")
        if field:
            assert answer.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("field", ["name", "api_key", "api_secret", "signature_method"])
def test_a_patch_cannot_remove_what_a_connection_always_has(alice: User, field: str) -> None:
    connection = alice.connect()
    answer = alice.http.patch(f"/v1/connections/{connection['id']}", json={field: None})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": field, "reason": "cannot be null: leave it out to keep it"}
    ]
    assert alice.http.get(f"/v1/connections/{connection['id']}").json() == connection


@pytest.mark.parametrize("name", ["   ", "tab\there", "line\nbreak"])
def test_a_connection_name_is_printable_and_not_blank(alice: User, name: str) -> None:
    creds = {"api_key": "sandbox", "api_secret": "sandbox-secret"}
    created = alice.http.post("/v1/connections", json={"name": name, **creds})
    connection = alice.connect()
    renamed = alice.http.patch(f"/v1/connections/{connection['id']}", json={"name": name})
    for answer in (created, renamed):
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "name"
        assert answer.json()["errors"][0]["reason"].startswith("must be 1 to 100 printable")

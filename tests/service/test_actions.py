"""The nine actions through the service, against the real sandbox."""

from __future__ import annotations

import httpx

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

"""A connection with a Voice API application: SendTts goes by the Voice API, its events
become ``call.status``; the private key is checked, encrypted and never shown."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from nexmo_connector.sandbox.applications import new_key_pair
from nexmo_connector.service.server import ServiceServer
from tests.conftest import KEY, SECRET, required_program
from tests.service.conftest import User
from tests.service.test_events import wait_events


@pytest.fixture
def application(http: httpx.Client) -> tuple[str, str]:
    """A voice application of the sandbox account: its id and private key."""
    body = {"name": "connector", "capabilities": {"voice": {}}}
    created = http.post("/v2/applications", json=body, auth=(KEY, SECRET)).json()
    return created["id"], created["keys"]["private_key"]


def voice_connection(user: User, application: tuple[str, str]) -> dict:
    return user.connect(application_id=application[0], private_key=application[1])


def test_speech_goes_by_the_voice_api_and_ends_as_call_status(
    alice: User, application: tuple[str, str], http: httpx.Client
) -> None:
    connection = voice_connection(alice, application)
    assert connection["speech"] == "voice" and connection["application_id"] == application[0]
    assert "private_key" not in connection
    answer = alice.http.post(f"/v1/connections/{connection['id']}/tts",
                             json={"to": "447700900001", "text": "Hello there", "lg": "en-gb"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    call = answer.json()
    assert call["status"] == "0" and len(call["call_id"]) == 32
    recorded = http.get(f"/_sandbox/calls/{call['call_id']}").json()
    assert recorded["api"] == "voice" and recorded["params"]["language"] == "en-GB"
    assert recorded["params"]["event_url"] == connection["webhooks"]["calls"]
    (event,) = wait_events(alice, connection["id"], 1, types="call.status")
    data = event["data"]
    assert data["call_id"] == call["call_id"] and data["status"] == "completed"
    assert data["duration"] > 0 and data["price"] and data["machine"] is False
    sent = alice.http.get(f"/v1/connections/{connection['id']}/messages/{call['call_id']}")
    assert sent.status_code == 200 and sent.json()["state"] == "sent"


def test_a_machine_answered_voice_call_is_marked(alice: User, application: tuple[str, str]) -> None:
    connection = voice_connection(alice, application)
    body = {"to": "447700900930", "text": "Hello there", "machine_detection": "true"}
    call = alice.http.post(f"/v1/connections/{connection['id']}/tts", json=body).json()
    (event,) = wait_events(alice, connection["id"], 1, types="call.status")
    assert event["data"]["call_id"] == call["call_id"]
    assert event["data"]["status"] == "completed" and event["data"]["machine"] is True


def test_what_the_voice_api_cannot_carry_is_a_422_and_nothing_is_sent(
    alice: User, application: tuple[str, str], http: httpx.Client
) -> None:
    connection = voice_connection(alice, application)
    base = f"/v1/connections/{connection['id']}"
    refused = alice.http.post(f"{base}/tts", json={"to": "447700900001", "text": "x",
                                                   "machine_timeout": 5000})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "machine_timeout"
    assert http.get("/_sandbox/calls").json()["calls"] == []
    assert alice.http.get(f"{base}/messages").json()["messages"] == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"application_id": "0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11"}, "private_key"),
        ({"private_key": "pem"}, "application_id"),
        ({"application_id": "not-a-uuid", "private_key": "pem"}, "application_id"),
        ({"application_id": "0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11", "private_key": "nope"},
         "private_key"),
        # a file name is never read on the server: it is not a key
        ({"application_id": "0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11", "private_key": "/no/such/app.key"},
         "private_key"),
    ],
)  # fmt: skip
def test_bad_application_settings_are_refused(
    alice: User, fields: dict[str, str], field: str
) -> None:
    body = {"name": "v", "api_key": KEY, "api_secret": SECRET, **fields}
    refused = alice.http.post("/v1/connections", json=body)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field
    assert "cannot read" not in refused.text
    assert alice.http.get("/v1/connections").json()["connections"] == []


def test_the_application_and_its_key_are_checked_upstream(
    alice: User, application: tuple[str, str]
) -> None:
    body = {"name": "v", "api_key": KEY, "api_secret": SECRET}
    unknown = alice.http.post("/v1/connections", json={
        **body, "application_id": "0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11",
        "private_key": application[1]})  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "application_id"
    stranger = alice.http.post("/v1/connections", json={
        **body, "application_id": application[0], "private_key": new_key_pair()[0]})  # fmt: skip
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "private_key"


def test_a_patch_sets_and_removes_the_application(
    alice: User, application: tuple[str, str], http: httpx.Client
) -> None:
    connection = alice.connect()
    assert connection["speech"] == "legacy"
    path = f"/v1/connections/{connection['id']}"
    voiced = alice.http.patch(path, json={"application_id": application[0],
                                          "private_key": application[1]})  # fmt: skip
    assert voiced.status_code == 200 and voiced.json()["speech"] == "voice"
    call = alice.http.post(f"{path}/tts", json={"to": "447700900001", "text": "hi"}).json()
    assert http.get(f"/_sandbox/calls/{call['call_id']}").json()["api"] == "voice"
    legacy = alice.http.patch(path, json={"application_id": None})
    assert legacy.status_code == 200 and legacy.json()["speech"] == "legacy"
    assert legacy.json()["application_id"] is None
    call = alice.http.post(f"{path}/tts", json={"to": "447700900001", "text": "hi"}).json()
    assert http.get(f"/_sandbox/calls/{call['call_id']}").json()["api"] == "tts"


def test_the_private_key_is_never_on_disk_in_plaintext(
    alice: User, application: tuple[str, str], service: ServiceServer
) -> None:
    voice_connection(alice, application)
    time.sleep(0.1)
    if service.config.database_url:
        content = subprocess.run([required_program("pg_dump", "postgresql"), service.config.database_url],
                                 capture_output=True, check=True).stdout  # fmt: skip
    else:
        database = (service.config.data_dir / "connector.db").read_bytes()
        wal = service.config.data_dir / "connector.db-wal"
        content = database + (wal.read_bytes() if wal.exists() else b"")
    assert application[0].encode() in content  # the id is not a secret
    body_line = application[1].splitlines()[1].encode()
    assert body_line not in content and b"PRIVATE KEY" not in content

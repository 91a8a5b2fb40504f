"""Send a speech file through the Voice API (``speech="voice"``): the seed's parameters
mapped onto an NCCO, refusals before anything is sent, the JWT, and the real sandbox."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nexmo_connector import NexmoClient, parse_call_event
from nexmo_connector.errors import AuthenticationError, CallRejectedError, ValidationError
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.testing import MockTransport, json_response
from nexmo_connector.transport import HttpRequest
from nexmo_connector.voice import STYLES, ApplicationKey
from tests.conftest import KEY, SECRET
from tests.receiver import Receiver

CREATED = {"uuid": "63f61863-4a51-4f6b-86e1-46edebcf9356", "status": "started",
           "direction": "outbound", "conversation_uuid": "CON-f972836a"}  # fmt: skip
APP_ID = "0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11"


@pytest.fixture(scope="module")
def private_key() -> str:
    from nexmo_connector.sandbox.applications import new_key_pair

    return new_key_pair()[0]


def voice_client(private_key: str, **settings: Any) -> tuple[NexmoClient, MockTransport]:
    transport = MockTransport(lambda request: json_response(CREATED, 201))
    client = NexmoClient(KEY, SECRET, application_id=APP_ID, private_key=private_key,
                         transport=transport, trust_env=False, **settings)  # fmt: skip
    return client, transport


def sent(transport: MockTransport) -> tuple[HttpRequest, dict[str, Any]]:
    (request,) = transport.requests
    assert request.json is not None
    return request, dict(request.json)


def claims(request: HttpRequest) -> dict[str, Any]:
    assert request.headers is not None
    scheme, token = request.headers["Authorization"].split(" ")
    assert scheme == "Bearer"
    header, payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "RS256", "typ": "JWT"}
    return json.loads(base64.urlsafe_b64decode(payload + "=="))


def test_every_seed_parameter_is_mapped(private_key: str) -> None:
    client, transport = voice_client(private_key)
    answer = client.send_tts(
        "447700900001", "Your code is 1 2 3", from_="447700900002", lg="en-gb", voice="male",
        repeat=3, machine_detection="true", callback="https://example.com/events",
        callback_method="GET",
    )  # fmt: skip
    request, body = sent(transport)
    assert request.method == "POST" and request.url.endswith("/v1/calls")
    assert body == {
        "to": [{"type": "phone", "number": "447700900001"}],
        "from": {"type": "phone", "number": "447700900002"},
        "ncco": [{"action": "talk", "text": "Your code is 1 2 3", "language": "en-GB",
                  "style": STYLES["en-GB"]["male"], "loop": 3}],
        "machine_detection": "continue",
        "event_url": ["https://example.com/events"],
        "event_method": "GET",
    }  # fmt: skip
    assert "api_secret" not in json.dumps(body) and SECRET not in json.dumps(body)
    assert answer.call_id == CREATED["uuid"].replace("-", "") and answer.status == 0
    assert answer.to == "447700900001"
    assert answer.model_dump()["uuid"] == CREATED["uuid"]


def test_defaults_map_to_the_voice_apis(private_key: str) -> None:
    client, transport = voice_client(private_key)
    client.send_tts("447700900001", "Hello", machine_detection="hangup")
    _, body = sent(transport)
    assert body["random_from_number"] is True and "from" not in body
    assert body["ncco"] == [{"action": "talk", "text": "Hello"}]
    assert body["machine_detection"] == "hangup" and "event_url" not in body


def test_the_jwt_carries_the_claims_the_voice_api_wants(private_key: str) -> None:
    client, transport = voice_client(private_key)
    client.send_tts("447700900001", "Hello")
    found = claims(transport.requests[0])
    assert found["application_id"] == APP_ID and found["jti"]
    assert found["iat"] <= time.time() + 1 and found["exp"] == found["iat"] + 15 * 60
    client.send_tts("447700900001", "Again")
    assert claims(transport.requests[1])["jti"] != found["jti"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"machine_timeout": 5000}, "machine_timeout"),
        ({"lg": "xx-yy"}, "lg"),
        ({"lg": "ko-kr", "voice": "male"}, "voice"),
    ],
)
def test_what_voice_mode_cannot_carry_is_refused(
    private_key: str, options: dict[str, Any], field: str
) -> None:
    client, transport = voice_client(private_key)
    with pytest.raises(ValidationError) as refused:
        client.send_tts("447700900001", "Hello", **options)
    assert refused.value.field == field
    assert transport.requests == []  # nothing was sent


def test_legacy_mode_is_unchanged(private_key: str) -> None:
    transport = MockTransport(lambda request: json_response(
        {"call_id": "c" * 32, "to": "447700900001", "status": "0"}))  # fmt: skip
    client = NexmoClient(KEY, SECRET, transport=transport, trust_env=False)
    assert client.speech == "legacy"
    client.send_tts("447700900001", "Hello", machine_timeout=5000)
    assert transport.requests[0].url.endswith("/tts/json")
    forced = NexmoClient(KEY, SECRET, application_id=APP_ID, private_key=private_key,
                         speech="legacy", transport=transport, trust_env=False)  # fmt: skip
    forced.send_tts("447700900001", "Hello")
    assert transport.requests[1].url.endswith("/tts/json")


def test_settings_are_checked_and_the_key_never_shown(private_key: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as missing:
        NexmoClient(KEY, SECRET, application_id=APP_ID, trust_env=False)
    assert missing.value.field == "private_key"
    with pytest.raises(ValidationError) as needed:
        NexmoClient(KEY, SECRET, speech="voice", trust_env=False)
    assert needed.value.field == "application_id"
    with pytest.raises(ValidationError) as garbled:
        NexmoClient(KEY, SECRET, application_id=APP_ID, private_key="-----BEGIN nonsense",
                    trust_env=False)  # fmt: skip
    assert garbled.value.field == "private_key"
    with pytest.raises(ValidationError) as absent:
        NexmoClient(KEY, SECRET, application_id=APP_ID, private_key=tmp_path / "none.key",
                    trust_env=False)  # fmt: skip
    assert absent.value.field == "private_key"
    with pytest.raises(ValidationError) as not_uuid:
        ApplicationKey("app", private_key)
    assert not_uuid.value.field == "application_id"
    (tmp_path / "app.key").write_text(private_key)
    client = NexmoClient(KEY, SECRET, application_id=APP_ID, private_key=tmp_path / "app.key",
                         trust_env=False)  # fmt: skip
    assert client.speech == "voice"
    key_body = private_key.splitlines()[1]
    assert key_body not in repr(client) and key_body not in repr(client._application)


def test_the_environment_selects_voice_mode(
    private_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.key").write_text(private_key)
    monkeypatch.setenv("NEXMO_APPLICATION_ID", APP_ID)
    monkeypatch.setenv("NEXMO_PRIVATE_KEY", str(tmp_path / "app.key"))
    assert NexmoClient(KEY, SECRET).speech == "voice"
    assert NexmoClient(KEY, SECRET, trust_env=False).speech == "legacy"


def test_parse_call_event_reads_the_voice_apis_events() -> None:
    event = parse_call_event({
        "uuid": CREATED["uuid"], "conversation_uuid": "CON-1", "status": "completed",
        "direction": "outbound", "timestamp": "2026-12-01T10:00:00.000Z", "from": "447700900002",
        "to": "447700900001", "duration": "12", "price": "0.00240000", "rate": "0.01200000",
        "start_time": "2026-12-01T09:59:48.000Z", "end_time": "2026-12-01T10:00:00.000Z",
        "network": "23410",
    })  # fmt: skip
    assert event.final and event.duration == 12 and str(event.price) == "0.00240000"
    assert event.call_id == CREATED["uuid"].replace("-", "") and event.from_ == "447700900002"
    assert not parse_call_event({"uuid": "u", "status": "ringing"}).final
    with pytest.raises(ValidationError) as bad:
        parse_call_event({"uuid": "u", "status": "exploded"})
    assert bad.value.field == "status"
    with pytest.raises(ValidationError) as missing:
        parse_call_event({"status": "completed"})
    assert missing.value.field == "uuid"


# -- against the real sandbox ------------------------------------------------------------
@pytest.fixture
def application(sandbox: SandboxServer, receiver: Receiver) -> tuple[str, str]:
    """A voice application of the sandbox's account: its id and private key."""
    with NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url,
                     trust_env=False) as client:  # fmt: skip
        created = client.create_application(
            "voice", "voice", answer_url="http://127.0.0.1:9/answer", event_url=receiver.url
        )
    assert created.keys.private_key is not None
    return created.id, created.keys.private_key.get_secret_value()


def sandbox_client(sandbox: SandboxServer, application: tuple[str, str]) -> NexmoClient:
    return NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, trust_env=False,
                       application_id=application[0], private_key=application[1])  # fmt: skip


def statuses(receiver: Receiver, count: int) -> list[str]:
    return [json.loads(r.body)["status"] for r in receiver.wait_for(count)]


def test_a_voice_call_reaches_the_sandbox_and_reports_its_events(
    sandbox: SandboxServer, application: tuple[str, str], receiver: Receiver, http: httpx.Client
) -> None:
    client = sandbox_client(sandbox, application)
    answer = client.send_tts("447700900001", "Your code is 1 2 3", voice="female", lg="en-us",
                             repeat=2, callback=receiver.url)  # fmt: skip
    assert statuses(receiver, 4) == ["started", "ringing", "answered", "completed"]
    completed = parse_call_event(json.loads(receiver.received[-1].body))
    assert completed.call_id == answer.call_id and completed.duration and completed.price
    call = http.get(f"/_sandbox/calls/{answer.call_id}").json()
    assert call["api"] == "voice" and call["application-id"] == application[0]
    assert call["params"]["language"] == "en-US" and call["params"]["loop"] == "2"


def test_the_application_event_url_is_used_without_a_callback(
    sandbox: SandboxServer, application: tuple[str, str], receiver: Receiver
) -> None:
    sandbox_client(sandbox, application).send_tts("447700900001", "Hello")
    assert statuses(receiver, 4)[-1] == "completed"


@pytest.mark.parametrize(
    ("to", "detection", "expected"),
    [
        ("447700900930", "true", ["started", "ringing", "answered", "machine", "completed"]),
        ("447700900930", "hangup", ["started", "ringing", "answered", "machine", "completed"]),
        ("447700900930", None, ["started", "ringing", "answered", "completed"]),
        ("447700900901", None, ["started", "failed"]),
        ("447700900900", None, ["started", "rejected"]),
        ("447700900931", None, ["started", "ringing", "busy"]),
        ("447700900932", None, ["started", "ringing", "unanswered"]),
    ],
)
def test_the_magic_numbers_outcomes(
    sandbox: SandboxServer, application: tuple[str, str], receiver: Receiver,
    to: str, detection: str | None, expected: list[str],
) -> None:  # fmt: skip
    options: dict[str, Any] = {"machine_detection": detection} if detection else {}
    sandbox_client(sandbox, application).send_tts(to, "Hello there", **options)
    assert statuses(receiver, len(expected)) == expected
    final = json.loads(receiver.received[-1].body)
    if expected[-1] == "completed":
        talked = detection != "hangup"
        assert (int(final["duration"]) > 0) == talked


def test_the_sandbox_refuses_a_key_that_is_not_the_applications(
    sandbox: SandboxServer, application: tuple[str, str], private_key: str
) -> None:
    stranger = NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url,
                           trust_env=False, application_id=application[0],
                           private_key=private_key)  # fmt: skip
    with pytest.raises(AuthenticationError):
        stranger.send_tts("447700900001", "Hello")


def test_a_barred_account_is_refused(
    sandbox: SandboxServer, application: tuple[str, str], http: httpx.Client
) -> None:
    http.patch(f"/_sandbox/accounts/{KEY}", json={"barred": True}).raise_for_status()
    with pytest.raises(CallRejectedError) as refused:
        sandbox_client(sandbox, application).send_tts("447700900001", "Hello")
    assert refused.value.status == 8 and "barred" in str(refused.value).lower()

"""Every validation rule: refused before any byte leaves, with the field and the reason."""

from __future__ import annotations

import httpx
import pytest

from nexmo_connector import NexmoClient, errors
from tests.conftest import requests_seen

TO = "447700900000"
SMS_CASES = [
    ({"from_": "Acme", "to": "12", "text": "x"}, "to", "7 to 15 digits"),
    ({"from_": "Acme", "to": "999123456789", "text": "x"}, "to", "unknown country calling code"),
    ({"from_": "Acme", "to": "1202555", "text": "x"}, "to", "impossible length"),
    ({"from_": "Too long sender", "to": TO, "text": "x"}, "from", "at most 11"),
    ({"from_": "A&B", "to": TO, "text": "x"}, "from", "letters, digits"),
    ({"from_": "Acme", "to": TO}, "text", "required for type text"),
    ({"from_": "Acme", "to": TO, "text": "x" * 3201}, "text", "at most 3200"),
    ({"from_": "Acme", "to": TO, "text": "x", "type": "fax"}, "type", "input should be"),
    (
        {"from_": "Acme", "to": TO, "text": "x", "message_class": 4},
        "message_class",
        "less than or equal to 3",
    ),
    ({"from_": "Acme", "to": TO, "text": "x", "ttl": 100}, "ttl", "greater than or equal to 20000"),
    ({"from_": "Acme", "to": TO, "text": "x", "ttl": 604800001}, "ttl", "less than or equal"),
    ({"from_": "Acme", "to": TO, "text": "x", "client_ref": "r" * 41}, "client_ref", "at most 40"),
    ({"from_": "Acme", "to": TO, "text": "x", "callback": "not a url"}, "callback", "http(s) URL"),
    (
        {"from_": "Acme", "to": TO, "text": "x", "callback": "https://e.com/" + "a" * 90},
        "callback",
        "at most 100",
    ),
    ({"from_": "Acme", "to": TO, "type": "binary", "body": "zz"}, "body", "hex"),
    (
        {"from_": "Acme", "to": TO, "type": "binary", "body": "00" * 139, "udh": "0000"},
        "body",
        "140 octets",
    ),
    ({"from_": "Acme", "to": TO, "type": "binary"}, "body", "required for type binary"),
    ({"from_": "Acme", "to": TO, "text": "x", "udh": "00"}, "udh", "does not go with type text"),
    (
        {"from_": "Acme", "to": TO, "text": "x", "protocol_id": 256},
        "protocol_id",
        "less than or equal to 255",
    ),
    (
        {"from_": "Acme", "to": TO, "type": "wappush", "title": "t"},
        "url",
        "required for type wappush",
    ),
    (
        {"from_": "Acme", "to": TO, "type": "wappush", "title": "t", "url": "ftp://x"},
        "url",
        "http(s) URL",
    ),
    (
        {"from_": "Acme", "to": TO, "text": "x", "callback": "http://example.com:0/r"},
        "callback",
        "http(s) URL",
    ),
    (
        {"from_": "Acme", "to": TO, "text": "x", "callback": "http://example.com:65536/r"},
        "callback",
        "http(s) URL",
    ),
    ({"from_": "Acme", "to": TO, "type": "vcard"}, "vcard", "required for type vcard"),
    ({"from_": "Acme", "to": TO, "text": "x", "bogus": 1}, "bogus", "extra inputs"),
]


@pytest.mark.parametrize(("kwargs", "field", "reason"), SMS_CASES)
def test_sms_rules(
    client: NexmoClient, http: httpx.Client, kwargs: dict, field: str, reason: str
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        client.send_sms(**kwargs)
    assert caught.value.field == field and reason in caught.value.reason
    assert str(caught.value).startswith(f"{field}: ")
    assert requests_seen(http, "sms") == 0


TTS_CASES = [
    ({"to": "12", "text": "x"}, "to"),
    ({"to": TO, "text": ""}, "text"),
    ({"to": TO, "text": "x" * 1501}, "text"),
    ({"to": TO, "text": "x", "from_": "Acme"}, "from"),
    ({"to": TO, "text": "x", "lg": "english"}, "lg"),
    ({"to": TO, "text": "x", "voice": "robot"}, "voice"),
    ({"to": TO, "text": "x", "repeat": 0}, "repeat"),
    ({"to": TO, "text": "x", "repeat": 11}, "repeat"),
    ({"to": TO, "text": "x", "machine_detection": "maybe"}, "machine_detection"),
    ({"to": TO, "text": "x", "machine_timeout": 399}, "machine_timeout"),
    ({"to": TO, "text": "x", "machine_timeout": 10001}, "machine_timeout"),
    ({"to": TO, "text": "x", "callback": "nope"}, "callback"),
    ({"to": TO, "text": "x", "callback_method": "PUT"}, "callback_method"),
]


@pytest.mark.parametrize(("kwargs", "field"), TTS_CASES)
def test_tts_rules(client: NexmoClient, http: httpx.Client, kwargs: dict, field: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        client.send_tts(**kwargs)
    assert caught.value.field == field
    assert requests_seen(http, "tts") == 0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.list_inbound_numbers("XX"), "country"),
        (lambda c: c.list_inbound_numbers("GB", size=101), "size"),
        (lambda c: c.list_inbound_numbers("GB", size=0), "size"),
        (lambda c: c.list_inbound_numbers("GB", index=0), "index"),
        (lambda c: c.list_inbound_numbers("GB", pattern="44x"), "pattern"),
        (lambda c: c.list_inbound_numbers("GB", search_pattern=3), "search_pattern"),
        (lambda c: c.list_inbound_numbers("GB", features="FAX"), "features.0"),
        (lambda c: c.list_inbound_numbers("GB", type="satellite"), "type"),
        (lambda c: c.list_owned_numbers(country="Britain"), "country"),
        (lambda c: c.list_applications(page_size=101), "page_size"),
        (lambda c: c.list_applications(page_index=-1), "page_index"),
        (lambda c: c.get_application("../../etc/passwd"), "application_id"),
        (lambda c: c.delete_application("not-a-uuid"), "application_id"),
        (
            lambda c: c.create_application(
                "", "voice", answer_url="https://a.io", event_url="https://a.io"
            ),
            "name",
        ),
        (lambda c: c.create_application("a", "fax"), "type"),
        (lambda c: c.create_application("a", "voice", event_url="https://a.io"), "answer_url"),
        (
            lambda c: c.create_application("a", "voice", answer_url="x", event_url="https://a.io"),
            "answer_url",
        ),
        (
            lambda c: c.create_application(
                "a",
                "voice",
                answer_url="https://a.io",
                event_url="https://a.io",
                answer_method="PUT",
            ),
            "answer_method",
        ),
        (lambda c: c.create_application("a", "messages", inbound_url="https://a.io"), "status_url"),
    ],
)
def test_numbers_and_applications_rules(
    client: NexmoClient, http: httpx.Client, call, field: str
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        call(client)
    assert caught.value.field == field
    assert requests_seen(http, "numbers") == requests_seen(http, "applications-v2") == 0


def test_pattern_keeps_leading_zeros_and_accepts_ints(client: NexmoClient) -> None:
    assert client.list_inbound_numbers("GB", pattern=447, search_pattern=0).count > 0
    assert client.list_inbound_numbers("GB", pattern="0", search_pattern=1).count >= 0


def test_client_settings_validated(monkeypatch) -> None:
    for name in ("NEXMO_API_KEY", "NEXMO_API_SECRET", "NEXMO_REST_URL", "NEXMO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(errors.ValidationError, match="api_key: is required"):
        NexmoClient()
    with pytest.raises(errors.ValidationError, match="api_secret"):
        NexmoClient("key")
    with pytest.raises(errors.ValidationError, match="rest_url"):
        NexmoClient("k", "s", rest_url="localhost:14000")
    monkeypatch.setenv("NEXMO_API_KEY", "env-key")
    monkeypatch.setenv("NEXMO_API_SECRET", "env-secret")
    monkeypatch.setenv("NEXMO_REST_URL", "http://127.0.0.1:1/")
    client = NexmoClient()
    assert client.api_key == "env-key" and client.rest_url == "http://127.0.0.1:1"
    assert client.api_url == "https://api.nexmo.com"


def test_timeouts_must_be_positive(client: NexmoClient) -> None:
    with pytest.raises(errors.ValidationError, match="timeout: must be a positive"):
        client.list_owned_numbers(timeout=0)
    with pytest.raises(errors.ValidationError, match="timeout"):
        NexmoClient("k", "s", timeout=-1)

"""The official Vonage Python SDK, unchanged but for its host, works against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from requests.adapters import HTTPAdapter
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import ApplicationConfig, ListApplicationsFilter
from vonage_numbers import ListOwnedNumbersFilter, SearchAvailableNumbersFilter
from vonage_sms import SmsMessage

from nexmo_connector.sandbox import SandboxServer
from tests.conftest import KEY, SECRET


class PlainHttp(HTTPAdapter):
    """The SDK hard-codes https://; route its requests to the plain-HTTP sandbox."""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


@pytest.fixture
def vonage(sandbox: SandboxServer) -> Iterator[Vonage]:
    host = f"{sandbox.host}:{sandbox.port}"
    client = Vonage(
        Auth(api_key=KEY, api_secret=SECRET),
        HttpClientOptions(api_host=host, rest_host=host, timeout=10),
    )
    client.http_client._session.mount("https://", PlainHttp())
    yield client


def test_sms_send(vonage: Vonage, http) -> None:
    response = vonage.sms.send(
        SmsMessage(to="447700900000", from_="Acme", text="Hello from the SDK", client_ref="sdk-1")
    )
    assert response.message_count == "1"
    assert response.messages[0].status == "0" and response.messages[0].client_ref == "sdk-1"
    recorded = http.get("/_sandbox/messages", params={"client-ref": "sdk-1"}).json()["messages"]
    assert recorded[0]["text"] == "Hello from the SDK"


def test_numbers_owned_and_search(vonage: Vonage) -> None:
    owned, count, _ = vonage.numbers.list_owned_numbers(ListOwnedNumbersFilter())
    assert count == 3 and {n.country for n in owned} == {"GB", "US"}
    found, total, next_index = vonage.numbers.search_available_numbers(
        SearchAvailableNumbersFilter(country="GB", size=10, pattern="447", search_pattern=0)
    )
    assert len(found) == 10 and total > 10 and next_index == 2
    assert all(n.msisdn.startswith("447") for n in found)


def test_application_crud_v2(vonage: Vonage) -> None:
    config = ApplicationConfig.model_validate(
        {
            "name": "sdk-app",
            "capabilities": {
                "voice": {
                    "webhooks": {
                        "answer_url": {
                            "address": "https://example.com/answer",
                            "http_method": "GET",
                        },
                        "event_url": {
                            "address": "https://example.com/event",
                            "http_method": "POST",
                        },
                    }
                }
            },
        }
    )
    created = vonage.application.create_application(config)
    assert created.keys.private_key.startswith("-----BEGIN PRIVATE KEY-----")
    assert vonage.application.get_application(created.id).name == "sdk-app"
    updated = vonage.application.update_application(created.id, ApplicationConfig(name="renamed"))
    assert updated.name == "renamed"
    apps, next_page = vonage.application.list_applications(ListApplicationsFilter(page_size=10))
    assert [a.id for a in apps] == [created.id] and next_page is None
    vonage.application.delete_application(created.id)
    apps, _ = vonage.application.list_applications()
    assert apps == []


def test_voice_create_call_with_the_applications_jwt(sandbox: SandboxServer, http) -> None:
    from vonage_voice import CreateCallRequest, Phone, Talk, ToPhone
    from vonage_voice.models import ListCallsFilter

    created = http.post("/v2/applications", auth=(KEY, SECRET), json={
        "name": "sdk-voice", "capabilities": {"voice": {}}}).json()  # fmt: skip
    host = f"{sandbox.host}:{sandbox.port}"
    client = Vonage(
        Auth(application_id=created["id"], private_key=created["keys"]["private_key"]),
        HttpClientOptions(api_host=host, rest_host=host, timeout=10),
    )
    client.http_client._session.mount("https://", PlainHttp())
    call = client.voice.create_call(CreateCallRequest(
        to=[ToPhone(number="447700900001")], from_=Phone(number="447700900002"),
        ncco=[Talk(text="Hello from the SDK", language="en-GB", style=1, loop=2)],
    ))  # fmt: skip
    assert call.status == "started" and call.direction == "outbound"
    info = client.voice.get_call(call.uuid)
    assert info.uuid == call.uuid and info.to.number == "447700900001"
    calls, _ = client.voice.list_calls(ListCallsFilter(page_size=10))
    assert [c.uuid for c in calls] == [call.uuid]
    recorded = http.get(f"/_sandbox/calls/{call.uuid.replace('-', '')}").json()
    assert recorded["params"]["language"] == "en-GB" and recorded["params"]["loop"] == "2"

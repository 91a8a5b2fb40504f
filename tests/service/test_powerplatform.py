"""The Power Platform custom connector (service-api §9): the exported files validate against
Microsoft's schemas, follow the certification rules, match the committed snapshot, and work
when a client builds every request from the definition alone, as Power Automate does."""

from __future__ import annotations

import difflib
import json
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_swagger
from typer.testing import CliRunner

from nexmo_connector.cli.main import app as cli
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service.app import create_app
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.connector_export import documents, export
from nexmo_connector.service.server import ServiceServer
from tests.receiver import Receiver
from tests.service.conftest import User, service_config

SCHEMAS = Path(__file__).parents[1] / "powerplatform"
SNAPSHOT = Path(__file__).parent / "connector"
SNAPSHOT_URL = "https://nexmo.example.com"
REGENERATE = f"nexmo-connector connector export tests/service/connector --public-url {SNAPSHOT_URL}"

# The seed's actions: name, description, and each parameter's key → Name column.
SEED: dict[str, tuple[str, str, dict[str, str]]] = {
    "SendSms": ("Send an SMS", "This operation is used to send an SMS.", {
        "from": "Sender Id", "to": "To Phone Number", "text": "Text", "type": "Type",
        "status-report-req": "Delivery Receipts", "client-ref": "Client Reference",
        "vcard": "Business Card", "vcal": "Calendar Event", "ttl": "Lifespan of SMS",
        "callback": "Callback URL", "message-class": "Message Class", "udh": "User Data Header",
        "protocol-id": "Higher Level Protocol", "body": "Body (If type is binary.)",
        "title": "Title", "url": "Url", "validity": "Availability (If type is wappush.)"}),
    "SendTts": ("Send a speech file", "This operation is used to send a synthesized speech or "
                "recorded sound file to a phone number.", {
        "to": "To Phone Number", "from": "From Phone Number", "text": "Message", "lg": "Language",
        "voice": "Gender", "repeat": "Repeat Count", "machine_detection": "Allow Machine Detection",
        "machine_timeout": "Machine Timeout", "callback": "Callback URL",
        "callback_method": "Callback Method"}),
    "ListOwnedNumbers": ("List owned numbers", "This operation retrieves all numbers associated "
                         "with your account.", {
        "search_pattern": "Search Pattern", "index": "Page Index", "size": "Result Count",
        "pattern": "Pattern"}),
    "ListInboundNumbers": ("List inbound numbers", "This operation is used to retrieve all the "
                           "inbound numbers that are available for a given country.", {
        "country": "Country", "search_pattern": "Search Pattern", "pattern": "Pattern",
        "features": "Available Features", "size": "Result Count", "index": "Page Index"}),
    "ListApplications": ("List applications", "Retrieves a list of all applications associated "
                         "with your account.", {
        "page_size": "Result Count", "page_index": "Page Index"}),
    "CreateApplication": ("Create new application", "This operation is used to create a new "
                          "application in your account.", {
        "name": "Name", "type": "Type", "answer_url": "Answer Url", "event_url": "Events Url",
        "answer_method": "Answer Method", "event_method": "Event Method"}),
    "GetApplication": ("Get application by Id", "This operation is used to retrieve information "
                       "about a single application, given its id.", {
        "application_id": "Application Id"}),
    "UpdateApplication": ("Update an application", "This operation is used to modify an existing "
                          "application in your account.", {
        "application_id": "Application Id", "name": "Name", "type": "Type",
        "answer_url": "Answer Url", "event_url": "Events Url", "answer_method": "Answer Method",
        "event_method": "Event Method"}),
    "DeleteApplication": ("Delete an application", "This operation is used to delete an existing "
                          "application in your account.", {
        "application_id": "Application Id"}),
}  # fmt: skip
TRIGGERS = {
    "OnSmsStatus": "sms.status",
    "OnSmsReceipt": "sms.receipt",
    "OnSmsInbound": "sms.inbound",
    "OnCallStatus": "call.status",
    "OnBatchFinished": "batch.finished",
}
METHODS = ("get", "put", "post", "delete", "patch")


def load_schema(name: str) -> dict[str, Any]:
    """Microsoft's schema files are JSON with ``//`` comments: strip them (outside strings)."""
    text, out, in_string, i = (SCHEMAS / name).read_text(), [], False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(text[i : i + 2] if char == "\\" else char)
            i += 2 if char == "\\" else 1
            in_string = char != '"'
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        else:
            out.append(char)
            in_string = char == '"'
            i += 1
    return json.loads("".join(out))


def operations(definition: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in definition["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def by_id(definition: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op) for path, method, op in operations(definition)}


def walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


@pytest.fixture(scope="module")
def exported() -> tuple[dict[str, Any], dict[str, Any]]:
    return documents(create_app(ServiceConfig(port=0)).openapi(), SNAPSHOT_URL)


# -- the files -----------------------------------------------------------------------------
def test_both_files_validate_against_microsofts_schemas(exported: Any) -> None:
    definition, properties = exported
    jsonschema.Draft4Validator(load_schema("apiDefinition.swagger.schema.json")).validate(
        definition
    )
    jsonschema.Draft7Validator(load_schema("paconn-apiProperties.schema.json")).validate(properties)
    validate_swagger(definition)


def test_the_schema_check_catches_unknown_extensions(exported: Any) -> None:
    """The vendored schema really is strict: an unknown ``x-ms-*`` key fails it."""
    definition = json.loads(json.dumps(exported[0]))
    definition["paths"]["/v1/connections/{connection_id}/sms"]["post"]["x-ms-unknown"] = 1
    validator = jsonschema.Draft4Validator(load_schema("apiDefinition.swagger.schema.json"))
    assert any("x-ms-unknown" in error.message for error in validator.iter_errors(definition))


def test_the_certification_rules_hold(exported: Any) -> None:
    definition, properties = exported
    info = definition["info"]
    assert len(info["title"]) <= 30 and not re.search(r"\b(API|Connector)\b", info["title"], re.I)
    assert 30 <= len(info["description"]) <= 500
    assert definition["host"] == "nexmo.example.com" and definition["schemes"] == ["https"]
    metadata = {
        m["propertyName"]: m["propertyValue"] for m in definition["x-ms-connector-metadata"]
    }
    assert set(metadata) == {"Website", "Privacy policy", "Categories"}
    assert metadata["Categories"] == "Communication"
    for path, node in walk(definition):
        if not isinstance(node, dict):
            continue
        for key in ("summary", "x-ms-summary"):
            if isinstance(text := node.get(key), str):
                assert 0 < len(text) <= 80 and text[-1] not in ".:;,!?", (path, text)
        if isinstance(text := node.get("description"), str):
            assert text.endswith("."), (path, text)
    for _, _, op in operations(definition):
        assert re.fullmatch(r"(?:[A-Z][a-z0-9]+)+", op["operationId"]), op["operationId"]
        success = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert success, op["operationId"]
        for status, response in success.items():
            assert status == "204" or "schema" in response, (op["operationId"], status)
    connection = properties["properties"]["connectionParameters"]["api_key"]
    assert connection["type"] == "securestring"
    assert connection["uiDefinition"]["constraints"]["required"] == "true"
    assert definition["securityDefinitions"]["api_key"] == {
        "type": "apiKey", "in": "header", "name": "Authorization"}  # fmt: skip


def test_the_nine_actions_are_the_seeds(exported: Any) -> None:
    definition = exported[0]
    found = by_id(definition)
    for operation_id, (summary, description, names) in SEED.items():
        _, _, op = found[operation_id]
        assert op["summary"] == summary and op["description"] == description
        assert op.get("x-ms-visibility") != "internal"
        parameters = {p["name"]: p for p in op["parameters"] if p["in"] != "body"}
        body = next((p["schema"] for p in op["parameters"] if p["in"] == "body"), None)
        fields = {**parameters, **(body or {}).get("properties", {})}
        for key, name in names.items():
            assert fields[key]["x-ms-summary"] == name, (operation_id, key)
        required = {k for k, p in parameters.items() if p["required"]}
        required |= set((body or {}).get("required", ()))
        for key, field in fields.items():
            assert (field.get("x-ms-visibility") == "advanced") == (key not in required), key
        connection = parameters["connection_id"]
        assert connection["x-ms-dynamic-values"]["operationId"] == "ListConnections"
        assert "schema" in op["responses"]["201" if operation_id == "CreateApplication" else "200"]
    assert found["ListConnections"][2]["x-ms-visibility"] == "internal"
    assert found["DeleteSubscription"][2]["x-ms-visibility"] == "internal"
    for paged in ("ListOwnedNumbers", "ListInboundNumbers", "ListApplications"):
        assert found[paged][2]["x-ms-pageable"] == {"nextLinkName": "nextLink"}
    assert {"smsResponse", "ttsResponse", "ListNumbersResponse", "applicationResponse",
            "common"} <= set(definition["definitions"])  # fmt: skip


def test_triggers_and_the_async_batch_are_declared(exported: Any) -> None:
    definition = exported[0]
    found = by_id(definition)
    for operation_id, event_type in TRIGGERS.items():
        path, method, op = found[operation_id]
        assert method == "post" and path.endswith(f"/triggers/{event_type}")
        assert op["x-ms-trigger"] == "single"
        assert "Location" in op["responses"]["201"]["headers"]
        (body,) = [p for p in op["parameters"] if p["in"] == "body"]
        url = body["schema"]["properties"]["url"]
        assert url["x-ms-notification-url"] is True and url["x-ms-visibility"] == "internal"
        content = definition["paths"][path]["x-ms-notification-content"]["schema"]
        event = definition["definitions"][content["$ref"].split("/")[-1]]
        assert event["properties"]["type"]["enum"] == [event_type]
    _, _, batch = found["CreateBatch"]
    assert {"Location", "Retry-After"} <= set(batch["responses"]["202"]["headers"])
    assert set(found["GetBatch"][2]["responses"]) >= {"200", "202"}


def test_the_definition_matches_the_committed_snapshot(tmp_path: Path) -> None:
    """Any change to an operation, parameter or schema shows here, to be reviewed: Power
    Automate breaks flows whose connector operations change."""
    export(tmp_path, create_app(ServiceConfig(port=0)).openapi(), SNAPSHOT_URL)
    for name in sorted(p.name for p in SNAPSHOT.iterdir()):
        made, kept = (tmp_path / name).read_bytes(), (SNAPSHOT / name).read_bytes()
        if made != kept:
            diff = "".join(list(difflib.unified_diff(
                kept.decode(errors="replace").splitlines(True),
                made.decode(errors="replace").splitlines(True), f"committed/{name}",
                f"exported/{name}"))[:80])  # fmt: skip
            pytest.fail(f"{name} changed; review it, then run: {REGENERATE}\n{diff}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in SNAPSHOT.iterdir())


def test_the_cli_exports_the_four_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["connector", "export", str(tmp_path / "out"), "--public-url", "https://x.example/n"]
    )
    assert result.exit_code == 0, result.output
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert files == {"apiDefinition.swagger.json", "apiProperties.json", "icon.png", "README.md"}
    definition = json.loads((tmp_path / "out/apiDefinition.swagger.json").read_text())
    assert (definition["host"], definition["basePath"]) == ("x.example", "/n")
    png = (tmp_path / "out/icon.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height >= 100 and len(png) < 1_000_000
    readme = (tmp_path / "out/README.md").read_text()
    assert "paconn create" in readme and "`SendSms`" in readme and "Service token" in readme


def test_the_cli_names_a_bad_public_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["connector", "export", str(tmp_path), "--public-url", "nope"])
    assert result.exit_code == 2 and "--public-url" in result.output
    assert "Traceback" not in result.output


def test_the_cli_names_a_directory_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(cli, ["connector", "export", str(tmp_path / "file" / "sub")])
    assert result.exit_code == 2 and "DIRECTORY" in result.output


# -- a client that knows only the definition -------------------------------------------------
class DefinitionClient:
    """Builds each request from the Swagger document alone (path, parameters by location,
    the body from the body schema, the API key where securityDefinitions puts it) and checks
    each answer against the document's schema for its status — what Power Automate does."""

    def __init__(self, definition: dict[str, Any], api_key: str) -> None:
        self.definition, self.operations = definition, by_id(definition)
        scheme, host = definition["schemes"][0], definition["host"]
        self.base = f"{scheme}://{host}{definition['basePath'].rstrip('/')}"
        (security,) = definition["securityDefinitions"].values()
        self.auth = {security["name"]: api_key}
        self.http = httpx.Client(timeout=20)

    def call(self, operation_id: str, **values: Any) -> httpx.Response:
        path, method, op = self.operations[operation_id]
        query, headers, body = {}, dict(self.auth), None
        declared = set()
        for parameter in op["parameters"]:
            name, where = parameter["name"], parameter["in"]
            if where == "body":
                properties = parameter["schema"].get("properties", {})
                body = {k: values[k] for k in properties if k in values}
                declared |= set(properties)
                missing = set(parameter["schema"].get("required", ())) - set(body)
                assert not missing, f"{operation_id}: {missing} required by the definition"
                continue
            declared.add(name)
            if name not in values:
                assert not parameter["required"], f"{operation_id}: {name} is required"
                continue
            if where == "path":
                path = path.replace("{" + name + "}", str(values[name]))
            elif where == "query":
                query[name] = values[name]
            elif where == "header":
                headers[name] = values[name]
        assert set(values) <= declared, f"{operation_id}: {set(values) - declared} undeclared"
        answer = self.http.request(
            method.upper(), self.base + path, params=query, headers=headers, json=body
        )
        self.check(op, answer)
        return answer

    def get(self, url: str, op: dict[str, Any]) -> httpx.Response:
        """A URL the service handed out (nextLink, Location), with the connection's key."""
        answer = self.http.get(url, headers=self.auth)
        self.check(op, answer)
        return answer

    def check(self, op: dict[str, Any], answer: httpx.Response) -> None:
        documented = op["responses"].get(str(answer.status_code)) or op["responses"]["default"]
        if "schema" in documented:
            self.validate(answer.json(), documented["schema"])

    def validate(self, value: Any, schema: dict[str, Any]) -> None:
        """JSON Schema draft 4 over the document, ``x-nullable`` read as Power Platform does."""
        document = json.loads(json.dumps({**schema, "definitions": self.definition["definitions"]}))
        for _, node in walk(document):
            if not isinstance(node, dict) or not node.pop("x-nullable", False):
                continue
            if "$ref" in node:
                node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
            elif "type" in node:
                node["type"] = [node["type"], "null"]
        jsonschema.Draft4Validator(document).validate(value)


@pytest.fixture
def running(sandbox: SandboxServer, tmp_path: Path) -> Iterator[ServiceServer]:
    with ServiceServer(service_config(tmp_path / "data", sandbox)) as service:
        yield service


def test_the_served_files_are_public(running: ServiceServer) -> None:
    for name in ("apiDefinition.swagger.json", "apiProperties.json"):
        answer = httpx.get(f"{running.url}/v1/connector/{name}")
        assert answer.status_code == 200 and answer.json()
    definition = httpx.get(f"{running.url}/v1/connector/apiDefinition.swagger.json").json()
    assert definition["host"] == running.url.split("//")[1]
    icon = httpx.get(f"{running.url}/v1/connector/icon.png")
    assert icon.headers["content-type"] == "image/png" and icon.content.startswith(b"\x89PNG")


def test_the_nine_actions_work_from_the_definition_alone(running: ServiceServer) -> None:
    user = User(running, "maker")
    definition = httpx.get(f"{running.url}/v1/connector/apiDefinition.swagger.json").json()
    client = DefinitionClient(definition, user.token)  # the bare token, as the API key
    conn = {"connection_id": user.connect()["id"]}
    listed = client.call("ListConnections").json()["connections"]  # the dropdown's values
    assert [c["id"] for c in listed] == [conn["connection_id"]]

    sms = client.call("SendSms", **conn, **{"from": "Acme", "to": "447700900001", "text": "hi",
                                            "client-ref": "flow-1"})  # fmt: skip
    assert sms.status_code == 200 and sms.json()["messages"][0]["status"] == "0"
    tts = client.call("SendTts", **conn, to="447700900001", text="Hello there", repeat=2)
    assert tts.status_code == 200 and tts.json()["status"] == "0"

    owned = client.call("ListOwnedNumbers", **conn, size=1)
    assert owned.status_code == 200 and len(owned.json()["numbers"]) == 1
    _, _, list_owned = client.operations["ListOwnedNumbers"]
    second = client.get(owned.json()["nextLink"], list_owned)  # paging as Power Automate does
    assert second.json()["numbers"][0]["msisdn"] != owned.json()["numbers"][0]["msisdn"]
    inbound = client.call("ListInboundNumbers", **conn, country="GB", features="SMS", size=2)
    assert inbound.status_code == 200 and inbound.json()["numbers"]

    hooks = "http://127.0.0.1:9"
    app_fields = {"type": "voice", "answer_url": f"{hooks}/answer", "event_url": f"{hooks}/event"}
    created = client.call("CreateApplication", **conn, name="flow app", **app_fields)
    assert created.status_code == 201 and created.json()["keys"]["private_key"]
    app_id = created.json()["id"]
    client.call("CreateApplication", **conn, name="second app", **app_fields)
    got = client.call("GetApplication", **conn, application_id=app_id)
    assert got.status_code == 200 and got.json()["name"] == "flow app"
    updated = client.call("UpdateApplication", **conn, application_id=app_id, name="renamed",
                          event_method="GET", **app_fields)  # fmt: skip
    assert updated.status_code == 200 and updated.json()["name"] == "renamed"
    page = client.call("ListApplications", **conn, page_size=1)
    assert page.status_code == 200 and page.json()["nextLink"]
    _, _, list_apps = client.operations["ListApplications"]
    rest = client.get(page.json()["nextLink"], list_apps).json()["_embedded"]["applications"]
    first = page.json()["_embedded"]["applications"]
    assert rest and rest[0]["id"] != first[0]["id"]
    deleted = client.call("DeleteApplication", **conn, application_id=app_id)
    assert deleted.status_code == 200
    assert client.call("GetApplication", **conn, application_id=app_id).status_code == 404

    refused = client.call("SendSms", **conn, **{"from": "Acme", "to": "not a number"})
    assert refused.status_code == 422  # a problem, as the definition's default response says


def test_the_async_batch_is_polled_at_location(running: ServiceServer) -> None:
    user = User(running, "batcher")
    definition = httpx.get(f"{running.url}/v1/connector/apiDefinition.swagger.json").json()
    client = DefinitionClient(definition, user.token)
    conn = {"connection_id": user.connect()["id"]}
    rows = [{"to": f"44770090{n:04d}", "name": f"n{n}"} for n in range(5)]
    accepted = client.call("CreateBatch", **conn, **{"from": "Acme", "text": "Hi {name}",
                                                     "rows": rows})  # fmt: skip
    assert accepted.status_code == 202
    _, _, get_batch = client.operations["GetBatch"]
    deadline = time.monotonic() + 20
    while (polled := client.get(accepted.headers["location"], get_batch)).status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert polled.status_code == 200 and polled.json()["totals"]["sent"] == 5


def test_a_trigger_subscribes_notifies_and_unsubscribes(
    running: ServiceServer, receiver: Receiver
) -> None:
    user = User(running, "flow")
    definition = httpx.get(f"{running.url}/v1/connector/apiDefinition.swagger.json").json()
    client = DefinitionClient(definition, user.token)
    conn = {"connection_id": user.connect()["id"]}
    subscribed = client.call("OnSmsStatus", **conn, url=receiver.url)  # Power Automate's URL
    assert subscribed.status_code == 201
    location = subscribed.headers["location"]

    client.call("SendSms", **conn, **{"from": "Acme", "to": "447700900002", "text": "first"})
    (notification,) = receiver.wait_for(1)
    path = client.operations["OnSmsStatus"][0]
    content = definition["paths"][path]["x-ms-notification-content"]["schema"]
    client.validate(json.loads(notification.body), content)
    assert json.loads(notification.body)["data"]["status"] == "delivered"

    assert httpx.delete(location).status_code == 204  # Power Automate sends no credentials
    client.call("SendSms", **conn, **{"from": "Acme", "to": "447700900003", "text": "second"})
    events = f"{running.url}/v1/connections/{conn['connection_id']}/events"
    deadline = time.monotonic() + 10
    while len(user.http.get(events, params={"types": "sms.status"}).json()["events"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    assert len(receiver.received) == 1

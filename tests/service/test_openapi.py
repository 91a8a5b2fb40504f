"""Schemathesis over the service's own OpenAPI document: no input yields a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service.app import create_app
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.server import ServiceServer
from tests.conftest import FAST
from tests.service.conftest import User, service_config

schema = schemathesis.openapi.from_dict(create_app(ServiceConfig(port=0)).openapi())
# Generated URLs must never make the sandbox call a host off this machine.
WEBHOOK_FIELDS = ("callback", "url", "answer_url", "event_url")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceServer, str, str]]:
    """A service of its own (throttle raised) with a user and a connection to fuzz."""
    with SandboxServer(FAST) as sandbox:
        config = service_config(tmp_path_factory.mktemp("openapi"), sandbox,
                                throttle="1000000/60 seconds")  # fmt: skip
        with ServiceServer(config) as service:
            user = User(service, "fuzz")
            yield service, user.token, user.connect()["id"]


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_yields_a_server_error(case: Any, fuzzed: tuple[ServiceServer, str, str]) -> None:
    service, token, connection_id = fuzzed
    if case.path_parameters and "connection_id" in case.path_parameters:
        case.path_parameters["connection_id"] = connection_id
    for fields in (case.body, case.query):
        if isinstance(fields, dict):
            for name in WEBHOOK_FIELDS:
                fields.pop(name, None)
    case.call_and_validate(
        base_url=service.url, headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance], timeout=20,
    )  # fmt: skip


def test_the_document_names_the_seed_operations() -> None:
    operations = {
        op["operationId"]
        for item in create_app(ServiceConfig(port=0)).openapi()["paths"].values()
        for op in item.values()
    }
    assert {"SendSms", "SendTts", "ListOwnedNumbers", "ListInboundNumbers", "ListApplications",
            "CreateApplication", "GetApplication", "UpdateApplication",
            "DeleteApplication"} <= operations  # fmt: skip


def _write_only(document: dict[str, Any], node: Any, seen: set[str]) -> Iterator[str]:
    """The write-only properties ``node`` reaches, its references followed."""
    if isinstance(node, list):
        for item in node:
            yield from _write_only(document, item, seen)
    elif isinstance(node, dict):
        if (ref := node.get("$ref")) and ref not in seen:
            seen.add(ref)
            yield from _write_only(document, document["components"]["schemas"][ref.split("/")[-1]], seen)  # fmt: skip
        for name, value in node.get("properties", {}).items():
            if '"writeOnly": true' in json.dumps(value):
                yield name
        for value in node.values():
            yield from _write_only(document, value, seen)


def test_no_answer_documents_a_field_as_write_only() -> None:
    # a write-only field in an answer is one a validating client must refuse (as the
    # private key of a new application once was)
    document = create_app(ServiceConfig(port=0)).openapi()
    found = {
        f"{op['operationId']} {status}: {name}"
        for item in document["paths"].values()
        for op in item.values()
        for status, response in op.get("responses", {}).items()
        for name in _write_only(document, response, set())
    }
    assert found == set()

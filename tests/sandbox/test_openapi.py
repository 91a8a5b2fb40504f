"""Schemathesis against the sandbox's own OpenAPI document: no input yields a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from nexmo_connector.sandbox.app import create_app
from nexmo_connector.sandbox.server import SandboxServer
from tests.conftest import FAST, KEY, SECRET

# Left out: PUT /_sandbox/faults (answering 5xx is its job) and the event stream (endless).
EXCLUDED = r"^/_sandbox/(faults|events)"
# Generated URLs must never make the sandbox call a host off this machine.
WEBHOOK_FIELDS = ("callback", "receipt_url")
schema = schemathesis.openapi.from_dict(create_app(FAST).app.openapi()).exclude(path_regex=EXCLUDED)


@pytest.fixture(scope="module")
def openapi_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of its own: the generated calls reset and delete freely."""
    with SandboxServer(FAST) as server:
        yield server


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_yields_a_server_error(case: Any, openapi_sandbox: SandboxServer) -> None:
    for fields in (case.body, case.query):
        if isinstance(fields, dict):
            for name in WEBHOOK_FIELDS:
                fields.pop(name, None)
    case.call_and_validate(
        base_url=openapi_sandbox.url, auth=(KEY, SECRET), checks=[not_a_server_error], timeout=10
    )


# Hostile values schemathesis does not generate by itself: every Nexmo operation in the
# document, each of its parameters set to each of them, as JSON and as form or query.
HOSTILE_JSON = {
    "lone-surrogate": '"\\ud800"',
    "deep": "[" * 2000 + "]" * 2000,
    "huge-int": "9" * 4301,
}
WIRE_OPERATIONS = [
    (path, method.upper(), operation)
    for path, item in create_app(FAST).app.openapi()["paths"].items()
    if not path.startswith("/_sandbox")
    for method, operation in item.items()
]


def _names(operation: dict) -> list[str]:
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    for content in operation.get("requestBody", {}).get("content", {}).values():
        names += list(content.get("schema", {}).get("properties", {}))
    return sorted(set(names) - {"api_key", "api_secret", "callback", "url"})


@pytest.mark.parametrize("kind", list(HOSTILE_JSON))
@pytest.mark.parametrize(
    ("path", "method", "operation"),
    WIRE_OPERATIONS,
    ids=[f"{m} {p}" for p, m, _ in WIRE_OPERATIONS],
)
def test_hostile_values_in_every_parameter_never_5xx(
    openapi_sandbox: SandboxServer, path: str, method: str, operation: dict, kind: str
) -> None:
    url = openapi_sandbox.url + path.replace(
        "{application_id}", "00000000-0000-0000-0000-000000000000"
    )
    with httpx.Client(auth=(KEY, SECRET), timeout=10) as http:
        for name in _names(operation) or ["name"]:
            body = (
                f'{{"api_key": "{KEY}", "api_secret": "{SECRET}", "{name}": {HOSTILE_JSON[kind]}}}'
            )
            # a lone surrogate as a query string carries it: UTF-8 bytes of U+D800
            raw = "%ED%A0%80" if kind == "lone-surrogate" else "9" * 4301
            answers = [
                http.request(
                    method, url, content=body, headers={"Content-Type": "application/json"}
                ),
                http.request(method, f"{url}?{name}={raw}"),
            ]
            for answer in answers:
                assert answer.status_code < 500, f"{name}: {answer.status_code} {answer.text[:200]}"


def test_every_operation_declares_each_parameter_once() -> None:
    for path, item in create_app(FAST).app.openapi()["paths"].items():
        for method, operation in item.items():
            names = [(p["name"], p["in"]) for p in operation.get("parameters", [])]
            assert len(names) == len(set(names)), (method, path, names)

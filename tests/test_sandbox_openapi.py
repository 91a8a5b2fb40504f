"""Schemathesis against the sandbox's own OpenAPI document: no input yields a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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

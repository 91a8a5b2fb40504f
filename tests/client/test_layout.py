"""The library's shape: light imports, and sync/async twins that cannot drift apart."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

from nexmo_connector import AsyncNexmoClient, NexmoClient

SERVERS = ("fastapi", "uvicorn", "starlette", "nexmo_connector.sandbox.app",
           "nexmo_connector.sandbox.server")  # fmt: skip


def loaded_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60)  # fmt: skip
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_library_loads_no_server_cli_or_sandbox() -> None:
    modules = loaded_after("from nexmo_connector import AsyncNexmoClient, NexmoClient")
    unwanted = {"typer", "rich", "aiohttp", "limits", *SERVERS}
    assert not {m for m in modules if m.split(".")[0] in unwanted or m in unwanted}
    assert not {m for m in modules if m.startswith("nexmo_connector.sandbox")}


def test_the_cli_help_loads_no_server() -> None:
    code = "from nexmo_connector.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    modules = loaded_after(code)
    assert not {m for m in modules for s in SERVERS if m == s or m.startswith(s + ".")}


def own_methods(cls: type, closer: str) -> set[str]:
    """What the class itself defines (helpers of the shared base are the same by birth)."""
    return {n for n, m in vars(cls).items()
            if inspect.isfunction(m) and not n.startswith("_") and n != closer}  # fmt: skip


PUBLIC = own_methods(NexmoClient, "close")


def test_the_twins_have_the_same_methods_signatures_and_docstrings() -> None:
    sync_names, async_names = PUBLIC, own_methods(AsyncNexmoClient, "aclose")
    assert sync_names == async_names and len(sync_names) == 10  # the nine actions and run
    for name in sync_names:
        ours, theirs = getattr(NexmoClient, name), getattr(AsyncNexmoClient, name)
        sync_sig, async_sig = inspect.signature(ours), inspect.signature(theirs)
        assert list(sync_sig.parameters) == list(async_sig.parameters), name
        for param in sync_sig.parameters:
            a, b = sync_sig.parameters[param], async_sig.parameters[param]
            assert (a.kind, a.default, a.annotation) == (b.kind, b.default, b.annotation), name
        assert inspect.getdoc(ours) == inspect.getdoc(theirs), name
        returns = str(sync_sig.return_annotation).replace("Iterator", "AsyncIterator")
        assert str(async_sig.return_annotation) == returns, name
        if not name.startswith("iter_"):
            assert inspect.iscoroutinefunction(theirs), name


def test_pages_are_read_the_way_their_client_sends() -> None:
    from nexmo_connector.testing import MockTransport, json_response

    transport = MockTransport(lambda request: json_response({"count": 1, "numbers": [
        {"country": "GB", "msisdn": "447700900001"}]}))  # fmt: skip
    sync = NexmoClient("k", "s", transport=transport, trust_env=False)
    assert [n.msisdn for n in sync.iter_owned_numbers()] == ["447700900001"]
    asynchronous = AsyncNexmoClient("k", "s", transport=transport, trust_env=False)
    try:
        list(asynchronous.iter_owned_numbers())  # type: ignore[call-overload]
    except TypeError as exc:
        assert "async for" in str(exc)
    else:
        raise AssertionError("a for loop over an async client's pages must be refused")

"""``nexmo-connector sandbox``: start the offline Nexmo API server."""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nexmo_connector.cli.common import EXIT_LISTEN, EXIT_USAGE, fail, whole
from nexmo_connector.rules import url_problem
from nexmo_connector.sandbox.config import DEFAULT_API_SECRET, SandboxConfig
from nexmo_connector.signing import SIGNATURE_METHODS

if TYPE_CHECKING:  # the server is imported when it starts, not for every command's --help
    from nexmo_connector.sandbox.state import SandboxState

DEFAULTS = SandboxConfig()
ENV = "NEXMO_CONNECTOR_SANDBOX_"


def _balance(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter("must be an amount in EUR, like 10.50") from None
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter("must be a non-negative amount in EUR")
    return amount


def _method(value: str) -> str:
    if value not in SIGNATURE_METHODS:
        raise typer.BadParameter(f"must be one of {', '.join(SIGNATURE_METHODS)}")
    return value


def _http_method(value: str) -> str:
    if value.upper() not in ("GET", "POST"):
        raise typer.BadParameter("must be GET or POST")
    return value.upper()


def _url(value: str) -> str:
    if problem := url_problem(value):
        raise typer.BadParameter(problem)
    return value


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(parser=whole(0, 65535), metavar="PORT", help="Port (0: any free one).")
    ] = 14000,
    api_key: Annotated[
        str, typer.Option(envvar=ENV + "API_KEY", help="API key of the seeded account.")
    ] = DEFAULTS.api_key,
    api_secret: Annotated[
        str,
        typer.Option(
            envvar=ENV + "API_SECRET", show_default=False, help="API secret of the seeded account."
        ),
    ] = DEFAULTS.api_secret,
    signature_secret: Annotated[
        str | None,
        typer.Option(
            envvar=ENV + "SIGNATURE_SECRET",
            help="Signature secret: sign receipts, accept signed requests.",
        ),
    ] = None,
    signature_method: Annotated[
        str, typer.Option(callback=_method, help="md5hash, md5, sha1, sha256 or sha512.")
    ] = DEFAULTS.signature_method,
    balance: Annotated[
        Decimal, typer.Option(parser=_balance, metavar="EUR", help="Starting balance in EUR.")
    ] = DEFAULTS.balance,
    receipt_url: Annotated[
        str | None, typer.Option(parser=_url, help="Account default receipt URL.")
    ] = None,
    receipt_method: Annotated[
        str, typer.Option(parser=_http_method, help="GET or POST (JSON) receipts.")
    ] = DEFAULTS.receipt_method,
    inbound_url: Annotated[
        str | None, typer.Option(parser=_url, help="Account default URL for inbound SMS.")
    ] = None,
    inbound_method: Annotated[
        str, typer.Option(parser=_http_method, help="GET or POST (JSON) inbound SMS.")
    ] = DEFAULTS.inbound_method,
    sms_rate_limit: Annotated[
        int,
        typer.Option(
            parser=whole(0), metavar="N", help="SMS requests per second per key (0 = off)."
        ),
    ] = DEFAULTS.sms_rate_limit,
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Turn every limit off.")
    ] = False,
    state: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps state across restarts.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(parser=whole(0), metavar="N", help="Seed for reproducible faults.")
    ] = None,
    receipt_delay: Annotated[
        float, typer.Option(min=0, max=86400, help="Seconds before receipts are sent.")
    ] = DEFAULTS.receipt_delay,
    call_time_scale: Annotated[
        float, typer.Option(min=0, max=1000, help="Simulated call seconds per real second.")
    ] = DEFAULTS.call_time_scale,
    webhook_attempts: Annotated[
        int,
        typer.Option(
            parser=whole(1, 100), metavar="N", help="Delivery attempts per receipt or callback."
        ),
    ] = DEFAULTS.webhook_attempts,
    slow_seconds: Annotated[
        float, typer.Option(min=0, max=3600, help="Delay of the slow-upstream magic number.")
    ] = DEFAULTS.slow_seconds,
    max_messages: Annotated[
        int,
        typer.Option(
            parser=whole(0), metavar="N", help="Keep at most N messages, oldest dropped (0 = all)."
        ),
    ] = DEFAULTS.max_messages,
) -> None:
    """Start the offline Nexmo sandbox.

    Secrets can come from the environment (NEXMO_CONNECTOR_SANDBOX_API_SECRET,
    NEXMO_CONNECTOR_SANDBOX_SIGNATURE_SECRET) rather than the command line, where other users
    of the machine can see them.

    Example: nexmo-connector sandbox --port 14000 --api-key KEY
    """
    config = SandboxConfig(
        api_key=api_key,
        api_secret=api_secret,
        signature_secret=signature_secret,
        signature_method=signature_method,  # type: ignore[arg-type]
        balance=balance,
        receipt_url=receipt_url,
        receipt_method=receipt_method,
        inbound_url=inbound_url,
        inbound_method=inbound_method,
        sms_rate_limit=sms_rate_limit,
        rate_limits=not no_rate_limits,
        state_path=state,
        seed=seed,
        receipt_delay=receipt_delay,
        call_time_scale=call_time_scale,
        webhook_attempts=webhook_attempts,
        slow_seconds=slow_seconds,
        max_messages=max_messages,
    )
    try:
        from nexmo_connector.sandbox.server import build, listen
    except ImportError as exc:
        fail(f"the sandbox needs its extra ({exc.name} is missing): "
             "pip install 'nexmo-connector[sandbox]'", EXIT_USAGE)  # fmt: skip

    try:
        sock = listen(host, port)
    except OSError as exc:
        fail(f"--port: cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_LISTEN)
    try:
        server = build(config)
    except (OSError, sqlite3.Error) as exc:
        sock.close()
        fail(f"--state: cannot keep state in {state}: {exc}", EXIT_USAGE)
    bound_host, bound_port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    _banner(f"http://{shown_host}:{bound_port}", config, server.sandbox.state)
    server.run(sockets=[sock])


def _banner(url: str, config: SandboxConfig, state: SandboxState) -> None:
    """Where it listens and with which account; a secret only when it is the default."""
    from nexmo_connector.sandbox.records import hash_secret

    console = Console(stderr=True)
    console.print(f"Nexmo sandbox listening on [bold]{url}[/] (both rest and api hosts)")
    account = state.accounts.get(config.api_key)
    default = hash_secret(DEFAULT_API_SECRET)
    if state.restored:
        console.print(
            f"  state restored from {config.state_path}: {len(state.accounts)} account(s), "
            f"{len(state.messages)} message(s); accounts, secrets and balances are as stored "
            "(--api-secret, --balance and --signature-secret only seed a new state)",
            markup=False,
        )
    if account is None:
        console.print(f"  api key: {config.api_key} is not an account of this state", markup=False)
    else:
        secret = DEFAULT_API_SECRET if account.secret_hash == default else "(not shown)"
        console.print(
            f"  api key: {account.api_key}   api secret: {secret}   balance: {account.balance:.2f}",
            markup=False,
        )
    console.print(f"  inbox:          {url}/_sandbox/inbox")
    console.print(f"  inspection API: {url}/_sandbox/messages")
    console.print(f"  OpenAPI:        {url}/docs")

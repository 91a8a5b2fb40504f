"""``nexmo-connector sandbox``: start the offline Nexmo API server."""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nexmo_connector.cli.common import EXIT_USAGE, fail
from nexmo_connector.sandbox.config import DEFAULT_API_KEY, DEFAULT_API_SECRET, SandboxConfig
from nexmo_connector.sandbox.server import serve
from nexmo_connector.signing import SIGNATURE_METHODS


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


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 14000,
    api_key: Annotated[str, typer.Option(help="API key of the seeded account.")] = DEFAULT_API_KEY,
    api_secret: Annotated[
        str, typer.Option(help="API secret of the seeded account.")
    ] = DEFAULT_API_SECRET,
    signature_secret: Annotated[
        str | None, typer.Option(help="Signature secret: sign receipts, accept signed requests.")
    ] = None,
    signature_method: Annotated[
        str, typer.Option(callback=_method, help="md5hash, md5, sha1, sha256 or sha512.")
    ] = "md5hash",
    balance: Annotated[
        Decimal, typer.Option(parser=_balance, metavar="EUR", help="Starting balance in EUR.")
    ] = Decimal("100"),
    receipt_url: Annotated[str | None, typer.Option(help="Account default receipt URL.")] = None,
    receipt_method: Annotated[str, typer.Option(help="GET or POST (JSON) receipts.")] = "POST",
    sms_rate_limit: Annotated[
        int, typer.Option(min=0, help="SMS requests per second per key (0 = off).")
    ] = 30,
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Turn every limit off.")
    ] = False,
    state: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps state across restarts.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible faults.")] = None,
    receipt_delay: Annotated[
        float, typer.Option(min=0, help="Seconds before receipts are sent.")
    ] = 1.0,
    call_time_scale: Annotated[
        float, typer.Option(min=0, help="Simulated call seconds per real second.")
    ] = 0.05,
    webhook_attempts: Annotated[
        int, typer.Option(min=1, max=100, help="Delivery attempts per receipt or callback.")
    ] = 6,
    slow_seconds: Annotated[
        float, typer.Option(min=0, help="Delay of the slow-upstream magic number.")
    ] = 3.0,
    max_messages: Annotated[
        int, typer.Option(min=0, help="Keep at most N messages, oldest dropped (0 = all).")
    ] = 0,
) -> None:
    """Start the offline Nexmo sandbox.

    Example: nexmo-connector sandbox --port 14000 --api-key KEY --api-secret SECRET
    """
    if receipt_method.upper() not in ("GET", "POST"):
        raise typer.BadParameter("must be GET or POST", param_hint="--receipt-method")
    config = SandboxConfig(
        api_key=api_key,
        api_secret=api_secret,
        signature_secret=signature_secret,
        signature_method=signature_method,  # type: ignore[arg-type]
        balance=balance,
        receipt_url=receipt_url,
        receipt_method=receipt_method.upper(),
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
    console = Console(stderr=True)
    url = f"http://{host}:{port}"
    console.print(f"Nexmo sandbox listening on [bold]{url}[/] (both rest and api hosts)")
    console.print(f"  api key: {api_key}   api secret: {api_secret}")
    console.print(f"  inbox:          {url}/_sandbox/inbox")
    console.print(f"  inspection API: {url}/_sandbox/messages")
    console.print(f"  OpenAPI:        {url}/docs")
    try:
        serve(config, host, port)
    except (OSError, sqlite3.Error) as exc:
        if state is None:
            raise
        fail(f"--state: cannot keep state in {state}: {exc}", EXIT_USAGE)

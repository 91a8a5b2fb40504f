"""``nexmo-connector serve``, ``users …`` and ``db upgrade``: the connector service.

Every flag also reads ``NEXMO_CONNECTOR_<NAME>``; flags win. Server modules are imported
when a command runs, never for ``--help``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from nexmo_connector.cli.common import EXIT_LISTEN, EXIT_USAGE, fail, whole

if TYPE_CHECKING:
    from nexmo_connector.service.config import ServiceConfig
    from nexmo_connector.service.context import ServiceContext
    from nexmo_connector.service.setup import Demo

users_app = typer.Typer(help="Users of the service and their tokens.", no_args_is_help=True)
db_app = typer.Typer(help="The service's database.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(help="SQLite file and key file live here.")]
DatabaseUrl = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL (postgresql://… to scale out).")
]


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that cannot be opened is one line naming the setting, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        fail(f"--database-url/--data-dir: cannot use the database: {reason}", EXIT_USAGE)


def service_config(**given: Any) -> ServiceConfig:
    """The settings: flags given, then ``NEXMO_CONNECTOR_*``, then the defaults."""
    try:
        from nexmo_connector.service.config import ServiceConfig
    except ImportError as exc:
        fail(
            f"the service needs its extra ({exc.name} is missing): "
            "pip install 'nexmo-connector[service]'",
            EXIT_USAGE,
        )
    from pydantic import ValidationError

    try:
        return ServiceConfig(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = "--" + str(error["loc"][0]).replace("_", "-") if error["loc"] else "settings"
        fail(f"{name}: {error['msg']}", EXIT_USAGE)


def _settle_memory() -> None:
    """What start-up built lives as long as the process: out of the collector's way
    (measured: 5-8% of a call's CPU went to collections that walked it)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(parser=whole(0, 65535), metavar="PORT", help="Port [default: 8080]."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    redis_url: Annotated[str | None, typer.Option(help="Redis shared by replicas.")] = None,
    upstream_rest_url: Annotated[
        str | None, typer.Option(help="Nexmo's SMS host (none: the embedded sandbox).")
    ] = None,
    upstream_api_url: Annotated[str | None, typer.Option(help="Nexmo's API host.")] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Where Nexmo and subscribers reach this service.")
    ] = None,
    throttle: Annotated[
        str | None, typer.Option(help="Per-connection limit [default: 100/60 seconds].")
    ] = None,
    upstream_rate: Annotated[
        str | None, typer.Option(help="Pacing per Nexmo API key [default: 30/second; 0 off].")
    ] = None,
    sandbox_port: Annotated[
        int | None,
        typer.Option(
            parser=whole(0, 65535),
            metavar="PORT",
            help="The embedded sandbox's port [default: 14000].",
        ),
    ] = None,
    log_format: Annotated[str | None, typer.Option(help="text or json.")] = None,
    concat_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds a long inbound SMS waits for missing parts [default: 60]."),
    ] = None,
    batch_share: Annotated[
        float | None,
        typer.Option(help="The share of each connection's throttle batches use [default: 0.8]."),
    ] = None,
    delivery_retry_scale: Annotated[
        float | None,
        typer.Option(help="Multiplies the subscribers' retry schedule [default: 1]."),
    ] = None,
    webhook_allow: Annotated[
        str | None,
        typer.Option(help="Hosts subscriptions may target although private (comma-separated)."),
    ] = None,
) -> None:
    """Run the connector service (with the embedded sandbox when no upstream is given).

    Example: nexmo-connector serve --port 8080 --data-dir ./data
    """
    config = service_config(**{k: v for k, v in locals().items()})
    from nexmo_connector.sandbox.server import listen
    from nexmo_connector.service.server import embedded_sandbox, uvicorn_config
    from nexmo_connector.service.setup import DataDirBusy, lock_data_dir, release

    try:
        release(lock_data_dir(config))
    except DataDirBusy as exc:
        fail(f"--data-dir: {exc}", EXIT_USAGE)
    sandbox = None
    if config.embedded_sandbox:
        sandbox = embedded_sandbox(config)
        try:
            sandbox.start()
        except RuntimeError:
            fail(f"--sandbox-port: cannot start the embedded sandbox on {sandbox.url}", EXIT_LISTEN)
    try:
        sock = listen(config.host, config.port)
    except OSError as exc:
        fail(
            f"--port: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
            EXIT_LISTEN,
        )
    bound = sock.getsockname()[1]
    url = sandbox.url if sandbox else None

    async def ready(context: ServiceContext) -> None:
        from nexmo_connector.service.setup import ensure_demo

        _banner(context, await ensure_demo(context) if context.sandbox_url else None)
        _settle_memory()

    import uvicorn

    try:
        uvicorn.Server(uvicorn_config(config, bound, url, "warning", ready)).run(sockets=[sock])
    finally:
        if sandbox is not None:
            sandbox.stop()


def _banner(context: ServiceContext, demo: Demo | None) -> None:
    """Where everything is; on the embedded sandbox, the demo token and curls to try."""
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    base = context.public_url
    console.print(f"Nexmo connector listening on [bold]{base}[/]   API docs: {base}/docs")
    console.print(f"  Power Platform connector: {base}/v1/connector/apiDefinition.swagger.json")
    if demo is None:
        return
    sandbox, token = context.sandbox_url, demo.token
    connection = f"{base}/v1/connections/{demo.connection.id}"
    auth = f"-H 'Authorization: Bearer {token}'"
    json_body = "-H 'Content-Type: application/json'"
    console.print(f"  embedded sandbox: {sandbox}   inbox: {sandbox}/_sandbox/inbox")
    console.print(f"  demo token: {token}", markup=False)
    console.print("  send an SMS:", markup=False)
    console.print(
        f'    curl -s {connection}/sms {auth} {json_body} -d \'{{"from": "Acme", '
        '"to": "447700900000", "text": "Hello from the connector"}\'',
        markup=False,
    )
    if demo.number:
        console.print("  a handset answers (two-way SMS):", markup=False)
        console.print(
            f'    curl -s {sandbox}/_sandbox/inbound {json_body} -d \'{{"from": '
            f'"447700900000", "to": "{demo.number}", "text": "Thanks!"}}\'',
            markup=False,
        )
    console.print("  the events (receipts, replies), waiting up to 25 s:", markup=False)
    console.print(f"    curl -s '{connection}/events?wait=25' {auth}", markup=False)


@users_app.command("add")
def users_add(
    name: str,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add a user; its token is printed this once."""
    from nexmo_connector.service import admin

    try:
        with _database_errors():
            token = admin.add_user(
                service_config(data_dir=data_dir, database_url=database_url), name
            )
    except ValueError as exc:
        fail(f"NAME: {exc}", EXIT_USAGE)
    print(json.dumps({"name": name, "token": token}) if as_json else token)


@users_app.command("list")
def users_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """The users, one a line."""
    from nexmo_connector.service import admin

    with _database_errors():
        names = admin.list_users(service_config(data_dir=data_dir, database_url=database_url))
    for name in names:
        print(name)


@users_app.command("remove")
def users_remove(name: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Remove a user, with its connections."""
    from nexmo_connector.service import admin

    try:
        with _database_errors():
            admin.remove_user(service_config(data_dir=data_dir, database_url=database_url), name)
    except admin.UnknownUser:
        fail(f"NAME: no user {name!r}", EXIT_USAGE)


@users_app.command("token")
def users_token(name: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """A new token for a user (the old one stops working)."""
    from nexmo_connector.service import admin

    try:
        with _database_errors():
            print(
                admin.new_token(service_config(data_dir=data_dir, database_url=database_url), name)
            )
    except admin.UnknownUser:
        fail(f"NAME: no user {name!r}", EXIT_USAGE)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply the database migrations."""
    from nexmo_connector.service import admin

    with _database_errors():
        admin.migrate(service_config(data_dir=data_dir, database_url=database_url))
    print("database up to date", file=sys.stderr)

"""``nexmo-connector apps list|get|create|update|delete``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexmo_connector.cli.common import (
    EXIT_USAGE,
    Settings,
    fail,
    shared_options,
    table,
    upstream_errors,
    whole,
)
from nexmo_connector.rules import ApplicationType, HttpMethod

if TYPE_CHECKING:
    from nexmo_connector.models import ApplicationResponse

app = typer.Typer(help="Create, inspect, change and delete applications.", no_args_is_help=True)

AppId = Annotated[str, typer.Argument(help="The application id (a UUID).")]
Name = Annotated[str, typer.Option(help="Application name.")]
Type = Annotated[ApplicationType, typer.Option("--type", help="voice, messages or rtc.")]
AnswerUrl = Annotated[str | None, typer.Option(help="Where the call control object is fetched.")]
EventUrl = Annotated[str | None, typer.Option(help="Where call events are sent.")]
Method = Annotated[HttpMethod | None, typer.Option(help="GET or POST.")]
InboundUrl = Annotated[str | None, typer.Option(help="Inbound messages (type messages).")]
StatusUrl = Annotated[str | None, typer.Option(help="Message statuses (type messages).")]


def _rows(applications: list[ApplicationResponse]) -> list[list[Any]]:
    rows = []
    for application in applications:
        capability = getattr(application, application.type or "voice", None)
        hooks = (
            ", ".join(f"{w.endpoint_type}={w.endpoint}" for w in capability.webhooks)
            if capability
            else ""
        )
        rows.append([application.id, application.name, application.type, hooks])
    return rows


def _show(
    settings: Settings, title: str, data: Any, applications: list[ApplicationResponse]
) -> None:
    settings.out.emit(
        data, lambda: table(title, ["id", "name", "type", "webhooks"], _rows(applications))
    )


WEBHOOK_OPTIONS = (
    "answer_url", "event_url", "answer_method", "event_method", "inbound_url", "status_url",
)  # fmt: skip


def _webhooks(arguments: dict[str, Any]) -> dict[str, Any]:
    """The webhook options a command was given (from its ``locals()``)."""
    return {name: arguments[name] for name in WEBHOOK_OPTIONS if arguments[name] is not None}


def _check_key_destination(path: Path | None) -> None:
    """Refuse before creating anything if the private key could not be written."""
    if path is not None and path.exists():
        fail(f"--private-key-file: {path} exists already", EXIT_USAGE)
    folder = (path or Path("x")).resolve().parent
    if not os.access(folder, os.W_OK):
        fail(f"--private-key-file: cannot write in {folder}", EXIT_USAGE)


@app.command("list")
@shared_options
def list_applications(
    settings: Settings,
    page_size: Annotated[
        int | None, typer.Option(parser=whole(), metavar="N", help="Per page (≤ 100).")
    ] = None,
    page_index: Annotated[
        int | None, typer.Option(parser=whole(), metavar="N", help="Page, from 0.")
    ] = None,
    every_page: Annotated[bool, typer.Option("--all", help="Follow every page.")] = False,
) -> None:
    """List applications.

    Example: nexmo-connector apps list --all
    """
    with upstream_errors(), settings.client() as client:
        if every_page:
            applications = list(client.iter_applications())
        else:
            applications = client.list_applications(page_size, page_index).applications
    _show(settings, "Applications", applications, applications)


POSITIONAL = ("application_id",)
"""The client field these commands take as an argument, not a flag."""


@app.command("get")
@shared_options
def get(settings: Settings, application_id: AppId) -> None:
    """Show one application.

    Example: nexmo-connector apps get 0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11
    """
    with upstream_errors(POSITIONAL), settings.client() as client:
        application = client.get_application(application_id)
    _show(settings, "Application", application, [application])


def _write_key(path: Path, application_id: str, pem: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        fail(
            f"--private-key-file: cannot write {path} ({exc.strerror}); application "
            f"{application_id} was created without a usable key: delete it and try again",
            EXIT_USAGE,
        )
    with os.fdopen(fd, "w") as handle:
        handle.write(pem)


@app.command("create")
@shared_options
def create(
    settings: Settings,
    name: Name,
    app_type: Type,
    answer_url: AnswerUrl = None,
    event_url: EventUrl = None,
    answer_method: Method = None,
    event_method: Method = None,
    inbound_url: InboundUrl = None,
    status_url: StatusUrl = None,
    private_key_file: Annotated[
        Path | None, typer.Option(help="Where to write the private key (default: <id>.key).")
    ] = None,
    show_private_key: Annotated[
        bool, typer.Option("--show-private-key", help="Also print the private key.")
    ] = False,
) -> None:
    """Create an application; its private key is written to <id>.key (mode 0600).

    Example: nexmo-connector apps create --name demo --type voice
    --answer-url https://example.com/answer --event-url https://example.com/event
    """
    _check_key_destination(private_key_file)
    with upstream_errors(), settings.client() as client:
        application = client.create_application(name, app_type, **_webhooks(locals()))
    key = application.keys.private_key
    if key is not None:
        path = private_key_file or Path(f"{application.id}.key")
        _write_key(path, application.id, key.get_secret_value())
        settings.out.note(f"private key written to {path} (mode 0600)")
    data = application.model_dump(mode="json", exclude_none=True)
    if show_private_key and key is not None:
        data["keys"]["private_key"] = key.get_secret_value()
    else:
        data["keys"].pop("private_key", None)
    _show(settings, "Application created", data, [application])
    if show_private_key and key is not None and not settings.json:
        typer.echo(key.get_secret_value())


@app.command("update")
@shared_options
def update(
    settings: Settings,
    application_id: AppId,
    name: Name,
    app_type: Type,
    answer_url: AnswerUrl = None,
    event_url: EventUrl = None,
    answer_method: Method = None,
    event_method: Method = None,
    inbound_url: InboundUrl = None,
    status_url: StatusUrl = None,
) -> None:
    """Change an application (name, type and webhooks are all given again).

    Example: nexmo-connector apps update ID --name demo --type voice
    --answer-url https://example.com/answer --event-url https://example.com/event
    """
    webhooks = _webhooks(locals())
    with upstream_errors(POSITIONAL), settings.client() as client:
        application = client.update_application(application_id, name, app_type, **webhooks)
    _show(settings, "Application updated", application, [application])


@app.command("delete")
@shared_options
def delete(settings: Settings, application_id: AppId) -> None:
    """Delete an application.

    Example: nexmo-connector apps delete 0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11
    """
    with upstream_errors(POSITIONAL), settings.client() as client:
        client.delete_application(application_id)
    settings.out.emit({"deleted": application_id}, lambda: f"deleted {application_id}")

"""What every command shares: connection options, output, errors and exit codes.

The shared options (credentials, URLs, ``--sandbox``, ``--json``, ``--quiet``) are accepted
both before the command name and after it: ``shared_options`` adds them to a command.
Precedence: a flag, wherever it stands (after the command wins over before), then the
environment, then the default. The environment is read here, once, after the flags are
merged, so that it can never override a flag.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, get_type_hints

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from nexmo_connector import errors
from nexmo_connector.retries import RetryPolicy
from nexmo_connector.rules import whole_number

if TYPE_CHECKING:  # the clients load when a command runs, not for --help
    from nexmo_connector.client import AsyncNexmoClient, NexmoClient
    from nexmo_connector.throttle import RateLimiter

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_AUTH, EXIT_THROTTLED, EXIT_TRANSPORT, EXIT_LISTEN = range(
    7
)
EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 upstream rejected, 2 bad usage or validation, 3 authentication, "
    "4 throttled, 5 transport (unreachable, timeout), 6 cannot listen (a server's address "
    "is taken or not allowed)."
)

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_THROTTLE_WAIT = RetryPolicy().throttle_budget
ENVIRONMENT = {
    "api_key": "NEXMO_API_KEY",
    "api_secret": "NEXMO_API_SECRET",
    "rest_url": "NEXMO_REST_URL",
    "api_url": "NEXMO_API_URL",
    "throttle_wait": "NEXMO_CONNECTOR_THROTTLE_WAIT",
}
"""The variable each shared option falls back to when no flag gives it."""


def whole(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """A parser for an integer option in ASCII digits (click's own takes ``1_0`` and ``٤``)."""

    def parse(value: str) -> int:
        try:
            number = whole_number(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        if (low is not None and number < low) or (high is not None and number > high):
            raise typer.BadParameter(f"must be between {low} and {high}")
        return number

    return parse


@dataclass(frozen=True)
class Settings:
    """The shared options, merged from before and after the command name."""

    api_key: str | None = None
    api_secret: str | None = field(default=None, repr=False)
    rest_url: str | None = None
    api_url: str | None = None
    sandbox: str | None = None
    json: bool = False
    quiet: bool = False
    throttle_wait: float | None = None

    def merged(self, later: Settings) -> Settings:
        """``later`` (given after the command name) wins where it is set."""
        changes = {
            f.name: value
            for f in fields(self)
            if (value := getattr(later, f.name)) is not None and value is not False
        }
        return replace(self, **changes)

    def with_environment(self) -> Settings:
        """Settings no flag gave, from the environment (``ENVIRONMENT``)."""
        changes: dict[str, Any] = {}
        for name, variable in ENVIRONMENT.items():
            value = os.environ.get(variable)
            if getattr(self, name) is None and value:
                changes[name] = value
        if "throttle_wait" in changes:
            wait = changes["throttle_wait"]
            changes["throttle_wait"] = _seconds(wait, ENVIRONMENT["throttle_wait"])
        return replace(self, **changes)

    def urls(self) -> dict[str, str | None]:
        """``--sandbox`` wins over the separate URLs (which may come from the environment)."""
        return {"rest_url": self.sandbox or self.rest_url, "api_url": self.sandbox or self.api_url}

    def _client_settings(self, rate_limiter: RateLimiter | None) -> dict[str, Any]:
        wait = DEFAULT_THROTTLE_WAIT if self.throttle_wait is None else self.throttle_wait
        return {
            "rate_limiter": rate_limiter,
            "retry": RetryPolicy(throttle_budget=wait),
            "trust_env": False,  # the environment was merged in above, under the flags
            **self.urls(),
        }

    def client(self, rate_limiter: RateLimiter | None = None, **options: Any) -> NexmoClient:
        """A client of these settings; ``options``: more of ``NexmoClient``'s arguments."""
        from nexmo_connector.client import NexmoClient

        settings = {**self._client_settings(rate_limiter), **options}
        with upstream_errors():
            return NexmoClient(self.api_key, self.api_secret, **settings)

    def async_client(self, rate_limiter: RateLimiter | None = None) -> AsyncNexmoClient:
        from nexmo_connector.client import AsyncNexmoClient

        settings = self._client_settings(rate_limiter)
        with upstream_errors():
            return AsyncNexmoClient(self.api_key, self.api_secret, **settings)

    @property
    def out(self) -> Output:
        return Output(self.json, self.quiet)


SHARED_OPTIONS: dict[str, Any] = {
    "api_key": Annotated[
        str | None,
        typer.Option("--api-key", help="API key [env: NEXMO_API_KEY].", show_default=False),
    ],
    "api_secret": Annotated[
        str | None,
        typer.Option(
            "--api-secret", help="API secret [env: NEXMO_API_SECRET].", show_default=False
        ),
    ],
    "rest_url": Annotated[
        str | None,
        typer.Option("--rest-url", help="SMS and Numbers base URL [env: NEXMO_REST_URL]."),
    ],
    "api_url": Annotated[
        str | None,
        typer.Option("--api-url", help="Voice and Applications base URL [env: NEXMO_API_URL]."),
    ],
    "sandbox": Annotated[
        str | None,
        typer.Option("--sandbox", metavar="URL", help="Use a sandbox: sets both URLs."),
    ],
    "json": Annotated[
        bool, typer.Option("--json", help="Machine output: one JSON document on stdout.")
    ],
    "quiet": Annotated[bool, typer.Option("--quiet", "-q", help="No progress or notes on stderr.")],
    "throttle_wait": Annotated[
        float | None,
        typer.Option(
            "--throttle-wait",
            min=0,
            max=86400,
            metavar="SECONDS",
            help="How long to wait out upstream throttling "
            f"(default {DEFAULT_THROTTLE_WAIT:g}) [env: NEXMO_CONNECTOR_THROTTLE_WAIT].",
        ),
    ],
}
_DEFAULTS = {"json": False, "quiet": False}


def _seconds(value: str, variable: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        fail(f"{variable}: must be a number of seconds from 0 to 86400", EXIT_USAGE)
    return seconds


_CONTEXT = "shared_options_context"


def root_settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def shared_options(command: F) -> F:
    """Add the shared options to ``command``, which receives them as ``settings``."""
    hints = get_type_hints(command, include_extras=True)
    params = inspect.signature(command).parameters.values()
    wants_context = [p.name for p in params if hints.get(p.name) is typer.Context]
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in params
        if p.name != "settings" and p.name not in wants_context
    ]
    extra = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS.get(name), annotation=hint
        )
        for name, hint in SHARED_OPTIONS.items()
    ]

    context = inspect.Parameter(_CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = Settings(**{name: kwargs.pop(name) for name in SHARED_OPTIONS})
        ctx = kwargs.pop(_CONTEXT)
        settings = root_settings(ctx).merged(given).with_environment()
        return command(*args, settings=settings, **kwargs, **dict.fromkeys(wants_context, ctx))

    wrapper.__signature__ = inspect.Signature([*own, *extra, context])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{k: v for k, v in hints.items() if k != "settings" and k not in wants_context},
        **SHARED_OPTIONS,
        _CONTEXT: typer.Context,
    }
    return wrapper  # type: ignore[return-value]


def console(stderr: bool = False) -> Console:
    """A terminal gets colour and its width; a pipe or file gets plain lines, never folded."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty()
    return Console(stderr=stderr, soft_wrap=True, width=100_000 if piped else None, no_color=piped)


class Output:
    """Human tables on stdout, or one JSON document; notes and errors on stderr."""

    def __init__(self, as_json: bool, quiet: bool) -> None:
        self.as_json = as_json
        self.quiet = quiet
        self.stdout = console()
        self.stderr = console(stderr=True)

    def emit(self, data: Any, table: Callable[[], Table | str] | None = None) -> None:
        if self.as_json:
            sys.stdout.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")
        elif table is not None:
            self.stdout.print(table())

    def note(self, message: str) -> None:
        if not self.quiet:
            self.stderr.print(message, highlight=False)


def to_jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(data, list):
        return [to_jsonable(item) for item in data]
    if isinstance(data, dict):
        return {key: to_jsonable(value) for key, value in data.items()}
    return data


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    return grid


def fail(message: str, code: int) -> NoReturn:
    console(stderr=True).print(f"error: {message}", highlight=False, markup=False)
    raise typer.Exit(code)


def flag(field: str, arguments: Collection[str] = ()) -> str:
    """The command-line flag for a client field name (``client_ref`` → ``--client-ref``);
    one of the command's positional ``arguments`` by its usage name (``APPLICATION_ID``)."""
    name = field.split(".")[0]
    return name.upper() if name in arguments else "--" + name.replace("_", "-")


def exit_code(exc: errors.NexmoError) -> int:
    if isinstance(exc, errors.ValidationError):
        return EXIT_USAGE
    if isinstance(exc, errors.AuthenticationError):
        return EXIT_AUTH
    if isinstance(exc, errors.ThrottledError):
        return EXIT_THROTTLED
    if isinstance(exc, errors.TransportError):
        return EXIT_TRANSPORT
    return EXIT_REJECTED


def describe(exc: errors.NexmoError, arguments: Collection[str] = ()) -> str:
    if isinstance(exc, errors.ValidationError):
        return f"{flag(exc.field, arguments)}: {exc.reason}"
    return str(exc)


@contextmanager
def upstream_errors(arguments: Collection[str] = ()) -> Iterator[None]:
    """Turn the library's errors into one line on stderr and the documented exit code
    (``arguments``: the client fields the command takes positionally)."""
    try:
        yield
    except errors.NexmoError as exc:
        fail(describe(exc, arguments), exit_code(exc))

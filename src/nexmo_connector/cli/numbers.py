"""``nexmo-connector numbers owned|search``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexmo_connector.cli.common import Settings, shared_options, table, upstream_errors
from nexmo_connector.rules import NumberType

if TYPE_CHECKING:
    from nexmo_connector.models import Number

app = typer.Typer(help="Numbers you own and numbers for sale.", no_args_is_help=True)

Pattern = Annotated[str | None, typer.Option(help="Digits to look for (country code included).")]
SearchPattern = Annotated[
    str | None,
    typer.Option("--search-pattern", metavar="N", help="0 starts with, 1 contains, 2 ends with."),
]
Size = Annotated[str | None, typer.Option(metavar="N", help="Results per page (≤ 100).")]
Index = Annotated[str | None, typer.Option(metavar="N", help="Page number, from 1.")]
All = Annotated[bool, typer.Option("--all", help="Follow every page.")]


def _show(settings: Settings, title: str, numbers: list[Number], count: int) -> None:
    rows = [[n.msisdn, n.country, n.type, ",".join(n.features), n.cost, n.app_id] for n in numbers]
    settings.out.emit(
        {"count": count, "numbers": numbers},
        lambda: table(
            f"{title}: {len(numbers)} of {count}",
            ["msisdn", "country", "type", "features", "cost (EUR)", "application"],
            rows,
        ),
    )


def _page(index: str | None) -> dict[str, Any]:
    return {} if index is None else {"index": index}


def _filters(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@app.command("owned")
@shared_options
def owned(
    settings: Settings,
    pattern: Pattern = None,
    search_pattern: SearchPattern = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2.")] = None,
    application_id: Annotated[str | None, typer.Option(help="Linked to this application.")] = None,
    size: Size = None,
    index: Index = None,
    every_page: All = False,
) -> None:
    """List the numbers your account owns.

    Example: nexmo-connector numbers owned --pattern 44 --search-pattern 0 --all
    """
    filters = _filters(
        pattern=pattern, search_pattern=search_pattern, country=country,
        application_id=application_id, size=size,
    )  # fmt: skip
    with upstream_errors(), settings.client() as client:
        if every_page:
            numbers = list(client.iter_owned_numbers(**filters))
            count = len(numbers)
        else:
            page = client.list_owned_numbers(**filters, **_page(index))
            numbers, count = page.numbers, page.count
    _show(settings, "Owned numbers", numbers, count)


@app.command("search")
@shared_options
def search(
    settings: Settings,
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2, like GB.")],
    pattern: Pattern = None,
    search_pattern: SearchPattern = None,
    features: Annotated[str | None, typer.Option(help="SMS, VOICE, MMS, comma separated.")] = None,
    number_type: Annotated[
        NumberType | None, typer.Option("--type", help="landline, mobile-lvn, landline-toll-free.")
    ] = None,
    size: Size = None,
    index: Index = None,
    every_page: All = False,
) -> None:
    """Search the numbers for sale in a country.

    Example: nexmo-connector numbers search --country GB --features SMS --size 20
    """
    filters = _filters(
        pattern=pattern, search_pattern=search_pattern, features=features, type=number_type,
        size=size,
    )  # fmt: skip
    with upstream_errors(), settings.client() as client:
        if every_page:
            numbers = list(client.iter_inbound_numbers(country, **filters))
            count = len(numbers)
        else:
            page = client.list_inbound_numbers(country, **filters, **_page(index))
            numbers, count = page.numbers, page.count
    _show(settings, f"Numbers for sale in {country.upper()}", numbers, count)

"""``nexmo-connector connector export DIR``: the files a maker imports into Power Platform —
the definition, its properties, the icon and a README telling how."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nexmo_connector.service import powerplatform
from nexmo_connector.service.icon import icon_png

DEFINITION = "apiDefinition.swagger.json"
PROPERTIES = "apiProperties.json"
ICON = "icon.png"
README = "README.md"


def documents(openapi: dict[str, Any], public_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The definition and its properties, for a service reachable at ``public_url``."""
    definition = powerplatform.definition(openapi, public_url)
    return definition, powerplatform.properties(powerplatform.pageable(definition))


def _table(definition: dict[str, Any]) -> str:
    lines = ["| Operation | operationId | Kind |", "|---|---|---|"]
    for item in definition["paths"].values():
        for method, op in item.items():
            if method.startswith("x-") or op.get("x-ms-visibility") == "internal":
                continue
            kind = "trigger" if "x-ms-trigger" in op else "action"
            lines.append(f"| {op['summary']} | `{op['operationId']}` | {kind} |")
    return "\n".join(lines)


def readme(definition: dict[str, Any], public_url: str) -> str:
    return f"""# Nexmo (self-hosted): a Power Platform custom connector

These files describe the nexmo-connector service at {public_url} to Power Automate,
Power Apps and Logic Apps. Power Platform must reach that URL (use `--public-url` with an
https address it can reach, or an on-premises data gateway).

## Import

With the `paconn` command line (`pip install paconn`, then `paconn login`):

    paconn create --api-def {DEFINITION} --api-prop {PROPERTIES} --icon {ICON}

Or in the maker portal: **Data → Custom connectors → New custom connector → Import an
OpenAPI file**, pick `{DEFINITION}`, upload `{ICON}` on the General tab, and create it.
(The portal does not read `{PROPERTIES}`; its Security tab already shows an API key named
`Authorization` in the header.)

## The connection

A new connection asks for one thing: **Service token**, your own nexmo-connector token
(`nct_…`; `nexmo-connector users token YOUR-NAME` prints a new one). Each action then asks
which of your Nexmo connections to use (a dropdown of your connections). A token is one
user's: a flow shared with someone else makes them create their own connection, so nobody
sends through another user's Nexmo account (Microsoft's 2020 schema has no sharing flag, so
the definition cannot say "not shareable" itself).

## Operations

{_table(definition)}

The first nine are the seed connector's actions, with its operationIds and parameters.
Triggers subscribe to the service's events; Power Automate removes the subscription when a
flow is turned off or deleted.
"""


def export(directory: Path, openapi: dict[str, Any], public_url: str) -> list[Path]:
    """Write the four files into ``directory`` (made if missing); their paths."""
    definition, properties = documents(openapi, public_url)
    directory.mkdir(parents=True, exist_ok=True)
    contents: dict[str, str | bytes] = {
        DEFINITION: json.dumps(definition, indent=2, ensure_ascii=False) + "\n",
        PROPERTIES: json.dumps(properties, indent=2, ensure_ascii=False) + "\n",
        ICON: icon_png(powerplatform.BRAND_COLOR),
        README: readme(definition, public_url),
    }
    written = []
    for name, content in contents.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written

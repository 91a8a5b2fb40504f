"""Where subscribers' webhooks may go: public http(s) addresses, so that a subscription
cannot become a way into the operator's network. Private, loopback and link-local
targets are refused unless the service itself listens on loopback (a developer's machine)
or ``--webhook-allow`` names the host."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from nexmo_connector.rules import url_problem

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


async def target_problem(url: str, listening_on: str, allowed: str) -> str | None:
    """Why ``url`` may not receive webhooks, or None."""
    if problem := url_problem(url):
        return problem
    host = urlsplit(url).hostname or ""
    if listening_on in LOOPBACK_HOSTS or host in {h.strip() for h in allowed.split(",")}:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # unknown, or not a name (a label too long)
        return f"the host {host[:100]} cannot be resolved"
    if any(_private(str(entry[4][0])) for entry in found):
        return f"{host[:100]} is a private or loopback address (allow it with --webhook-allow)"
    return None

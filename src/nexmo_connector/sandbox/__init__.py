"""A Nexmo-compatible API server for offline development, tests and demos.

Names load on first use (``from nexmo_connector.sandbox import SandboxServer``), so that
importing ``nexmo_connector.sandbox.config`` does not load FastAPI and uvicorn.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexmo_connector.sandbox.app import create_app
    from nexmo_connector.sandbox.config import SandboxConfig
    from nexmo_connector.sandbox.server import SandboxServer, build, listen

_HOMES = {
    "create_app": "app",
    "SandboxConfig": "config",
    "SandboxServer": "server",
    "build": "server",
    "listen": "server",
}
__all__ = ["SandboxConfig", "SandboxServer", "build", "create_app", "listen"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)

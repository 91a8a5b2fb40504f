"""A Nexmo-compatible API server for offline development, tests and demos."""

from nexmo_connector.sandbox.app import create_app
from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.sandbox.server import SandboxServer, build, listen

__all__ = ["SandboxConfig", "SandboxServer", "build", "create_app", "listen"]

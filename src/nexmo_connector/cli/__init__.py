"""The ``nexmo-connector`` command line (the ``cli`` extra: typer and rich)."""

try:
    import rich  # noqa: F401
    import typer  # noqa: F401
except ImportError:  # pragma: no cover - only without the extra
    raise SystemExit(
        "nexmo-connector: the command line needs its extra: pip install 'nexmo-connector[cli]'"
    ) from None

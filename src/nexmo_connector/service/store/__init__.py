"""Queries per aggregate. Functions take a session and never commit: the caller owns the
transaction (the request's session dependency, or a CLI command)."""

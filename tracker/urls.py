"""Web addresses as they arrive from outside: split them without tripping on malformed ones."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def split_url(value: str) -> SplitResult | None:
    """Split an address into its parts; return None when it has none (e.g. "http://[::1")."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it is the check: a port out of range or not a number
    except ValueError:
        return None
    return parts

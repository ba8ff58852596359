"""Web addresses as they arrive from outside: split them without tripping on malformed ones."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

API_PREFIX = "/api/v1"
# The API's documentation is a page of the site, not an answer of the API.
API_DOCS_PATH = API_PREFIX + "/docs"


def is_api_path(path: str) -> bool:
    """Whether a path belongs to the API (JSON answers, no session)."""
    return path.startswith("/api/") and path.rstrip("/") != API_DOCS_PATH


def split_url(value: str) -> SplitResult | None:
    """Split an address into its parts; return None when it has none (e.g. "http://[::1")."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it is the check: a port out of range or not a number
    except ValueError:
        return None
    return parts

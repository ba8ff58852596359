"""Who is calling the API, and which bucket their requests are counted in.

The API never reads the session cookie: a request is anonymous unless it carries its
own credentials.
"""

from __future__ import annotations

from flask_limiter.util import get_remote_address


def current_api_user():
    """Return the account the request acts for (None: anonymous, the public audience)."""
    return None


def rate_limit_key() -> str:
    """Name the bucket a request is counted in: its address while every caller is anonymous."""
    return f"address:{get_remote_address()}"

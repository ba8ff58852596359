"""Template globals and filters shared by every blueprint."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, format_decimal

from tracker.i18n import current_language, label


def safe_next(target: str | None, fallback: str) -> str:
    """Return target when it stays on this site, fallback otherwise."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    query = urlencode(args, doseq=True)
    return request.path + (f"?{query}" if query else "")


def register_template_helpers(app: Flask) -> None:
    """Expose labels, localisation and URL helpers to Jinja."""

    @app.context_processor
    def _globals():
        return {
            "label": label,
            "lang": current_language(),
            "url_with": url_with,
            "languages": app.config["LANGUAGES"],
        }

    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["datetime"] = (
        lambda d, fmt="medium": format_datetime(d, fmt) if d else ""
    )
    app.jinja_env.filters["number"] = lambda n: format_decimal(n or 0)
    app.jinja_env.filters["loc"] = lambda obj, field="name": (
        obj.localized(field) if obj is not None else ""
    )
    app.jinja_env.globals["url_for"] = url_for

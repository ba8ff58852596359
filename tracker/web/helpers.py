"""Template globals and filters shared by every blueprint."""

from __future__ import annotations

from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from flask import Flask, Request, current_app, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent
from werkzeug.utils import cached_property

from tracker.i18n import SESSION_KEY, current_language, file_size, label
from tracker.services.markdown import render_markdown
from tracker.services.submissions import new_submission_key
from tracker.urls import is_api_path, split_url


def safe_next(target: str | None, fallback: str) -> str:
    """Return target when it is a path on this site, fallback otherwise."""
    if not target or not target.startswith("/"):
        return fallback
    # Browsers read "/\evil" as "//evil" and drop tabs and newlines inside URLs.
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 for ch in target):
        return fallback
    parts = split_url(target)
    if parts is None or parts.scheme or parts.netloc or target.startswith("//"):
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


def web_url(value: str | None) -> str | None:
    """Return an http(s) address as given, anything else (javascript:, data:) as None."""
    if not value:
        return None
    parts = split_url(value.strip())
    scheme = parts.scheme.lower() if parts else ""
    return value.strip() if scheme in ("http", "https") else None


def language_name(code: str | None, in_language: str | None = None, *,
                  in_sentence: bool = False) -> str:
    """Name a language in the user's language (or in in_language), from the CLDR data.

    Capitalised as a label; ``in_sentence`` keeps the language's own case ("en español").
    """
    if not code:
        return ""
    try:
        name = Locale.parse(code).get_display_name(in_language or current_language())
    except (ValueError, UnknownLocaleError):
        return code
    if not name:
        return code
    return name if in_sentence else name[:1].upper() + name[1:]


def has_endpoint(name: str) -> bool:
    """Whether a route exists, so templates link only to pages that are there."""
    return name in current_app.view_functions


def _without_nul(values):
    if not any("\x00" in value for _key, value in values.items(multi=True)):
        return values
    return type(values)((key, value.replace("\x00", ""))
                        for key, value in values.items(multi=True))


class WebRequest(Request):
    """A request whose query and form hold no NUL character.

    No one types it, and PostgreSQL cannot store it or even compare text with it.
    """

    @cached_property
    def is_api(self) -> bool:
        """Whether the API answers this request: in JSON, without reading the session."""
        return is_api_path(self.path)

    @cached_property
    def args(self):
        return _without_nul(Request.args.fget(self))

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])


def remember_language() -> None:
    """Keep a ?lang= choice for the following pages."""
    if request.is_api:
        return
    asked = request.args.get("lang")
    if asked in current_app.config["LANGUAGES"] and session.get(SESSION_KEY) != asked:
        session[SESSION_KEY] = asked


def register_template_helpers(app: Flask) -> None:
    """Expose labels, localisation and URL helpers to Jinja."""

    @app.context_processor
    def _globals():
        return {
            "label": label,
            "lang": current_language(),
            "url_with": url_with,
            "languages": app.config["LANGUAGES"],
            "language_name": language_name,
            "has_endpoint": has_endpoint,
        }

    from tracker import policy

    # Templates ask the same permission functions as the views.
    app.jinja_env.globals["policy"] = policy
    app.jinja_env.globals["new_submission_key"] = new_submission_key
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["datetime"] = (
        lambda d, fmt="medium": format_datetime(d, fmt) if d else ""
    )
    app.jinja_env.filters["number"] = lambda n: format_decimal(n or 0)
    app.jinja_env.filters["percent"] = lambda x: format_percent(x or 0)
    app.jinja_env.filters["filesize"] = file_size
    app.jinja_env.filters["loc"] = lambda obj, field="name": (
        obj.localized(field) if obj is not None else ""
    )
    app.jinja_env.filters["web_url"] = web_url
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["url_for"] = url_for

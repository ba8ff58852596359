"""The HTTP manners of every API answer: language, caching, CORS for reads, rate limits."""

from __future__ import annotations

import time
from http import HTTPStatus

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_pgettext

from tracker.extensions import limiter
from tracker.i18n import current_language
from tracker.web.api.auth import current_api_user, rate_limit_key

READ_METHODS = ("GET", "HEAD")
# What a browser script may read of an answer from another origin.
EXPOSED = ("ETag, Link, Content-Language, Retry-After, "
           "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Repr-Digest, Digest")
ASKABLE = "Accept, Accept-Language, Authorization, If-None-Match"
# What the documentation says of each status the API answers with (HTTP's phrases).
STATUS_PHRASES = {
    200: lazy_pgettext("HTTP status", "OK"),
    201: lazy_pgettext("HTTP status", "Created"),
    202: lazy_pgettext("HTTP status", "Accepted"),
    204: lazy_pgettext("HTTP status", "No content"),
    304: lazy_pgettext("HTTP status", "Not modified"),
    400: lazy_pgettext("HTTP status", "Bad request"),
    401: lazy_pgettext("HTTP status", "Unauthorized"),
    403: lazy_pgettext("HTTP status", "Forbidden"),
    404: lazy_pgettext("HTTP status", "Not found"),
    405: lazy_pgettext("HTTP status", "Method not allowed"),
    406: lazy_pgettext("HTTP status", "Not acceptable"),
    409: lazy_pgettext("HTTP status", "Conflict"),
    413: lazy_pgettext("HTTP status", "Request too large"),
    415: lazy_pgettext("HTTP status", "Unsupported media type"),
    422: lazy_pgettext("HTTP status", "Unprocessable content"),
    429: lazy_pgettext("HTTP status", "Too many requests"),
    500: lazy_pgettext("HTTP status", "Server error"),
}


def status_phrase(status: int):
    """A status's phrase for the document, a lazy text in the reader's language (HTTP's own
    English phrase for a status the API never answers with)."""
    return STATUS_PHRASES.get(int(status)) or HTTPStatus(int(status)).phrase


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _preflight() -> ResponseReturnValue | None:
    """Answer a browser's CORS preflight: reads from any origin, nothing else."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = current_app.response_class(status=204)
    if request.headers["Access-Control-Request-Method"] in READ_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
        response.headers["Access-Control-Allow-Headers"] = ASKABLE
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _rate_headers(response) -> None:
    found = limiter.current_limit
    if found is None:
        return
    wait = max(int(found.reset_at - time.time()), 0)
    response.headers["RateLimit-Limit"] = str(found.limit.amount)
    response.headers["RateLimit-Remaining"] = str(max(found.remaining, 0))
    response.headers["RateLimit-Reset"] = str(wait)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(wait, 1))


def _finish(response):
    """Add the headers every API answer carries; answer 304 to a matching If-None-Match."""
    if not getattr(request, "is_api", False):
        return response
    response.headers["Content-Language"] = current_language()
    response.vary.update(("Accept-Language", "Authorization"))
    _rate_headers(response)
    if request.method not in READ_METHODS:
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if response.status_code == 200 and not response.is_streamed:
        response.add_etag()
        response.make_conditional(request)
    kept_nowhere = "no-store" in response.headers.get("Cache-Control", "")
    if response.status_code in (200, 304) and not kept_nowhere:
        anonymous = current_api_user() is None
        response.headers["Cache-Control"] = ("public, max-age=60" if anonymous
                                             else "private, no-store")
    return response


def register_http(app: Flask, blueprints: list[Blueprint]) -> None:
    """Limit the API's blueprints and give every API answer its headers."""
    shared = limiter.shared_limit(_api_limit, scope="api", key_func=rate_limit_key)
    for blueprint in blueprints:
        shared(blueprint)

    @app.before_request
    def _api_preflight():
        if getattr(request, "is_api", False):
            return _preflight()
        return None

    app.after_request(_finish)

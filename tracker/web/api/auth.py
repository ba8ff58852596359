"""Who is calling the API, and which bucket their requests are counted in.

The API never reads the session cookie: a request is anonymous unless it presents a
personal API token (``Authorization: Bearer trk_…``). A token that is presented but not
live (malformed, unknown, expired, revoked, its holder deactivated) is refused with 401,
never taken for an anonymous request, so that a caller notices at once.
"""

from __future__ import annotations

import functools
import logging

from flask import Flask, g, request
from flask_limiter.util import get_remote_address

from tracker.extensions import db
from tracker.models import ApiScope, ApiToken
from tracker.services import api_tokens
from tracker.web.api.problems import ApiProblem

log = logging.getLogger(__name__)
_NOT_CHECKED = object()


def _presented() -> ApiToken | None | bool:
    """The live token the request presents; None when it presents none; False when the one
    it presents is not live. Checked once per request."""
    found = g.get("api_token", _NOT_CHECKED)
    if found is _NOT_CHECKED:
        header = request.headers.get("Authorization", "")
        if not header:
            found = None
        else:
            scheme, _, secret = header.strip().partition(" ")
            token = (api_tokens.authenticate(secret.strip(), request.remote_addr)
                     if scheme.lower() == "bearer" else None)
            found = token if token is not None else False
        g.api_token = found
    return found


def current_token() -> ApiToken | None:
    """The request's live token, None for an anonymous request; 401 for a dead one."""
    found = _presented()
    if found is False:
        raise ApiProblem("unauthorized")
    return found


def current_api_user():
    """Return the account the request acts for (None: anonymous, the public audience)."""
    token = current_token()
    return token.user if token is not None else None


def require_scope(scope: ApiScope):
    """Let the view run only for a live token carrying ``scope`` whose holder's role allows it."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            token = current_token()
            if token is None:
                raise ApiProblem("unauthorized")
            if not api_tokens.has_scope(token, scope):
                raise ApiProblem("insufficient-scope")
            return view(*args, **kwargs)

        return guarded

    return decorate


def rate_limit_key() -> str:
    """Name the bucket a request is counted in: its token's, else its address's."""
    found = _presented()
    if found:
        return f"token:{found.id}"
    return f"address:{get_remote_address()}"


def register_token_use(app: Flask) -> None:
    """Put every request made with a live token in the audit trail, whatever its outcome."""

    @app.after_request
    def _record_use(response):
        token = g.get("api_token") if getattr(request, "is_api", False) else None
        if not token:
            return response
        try:
            if not db.session.is_active:
                db.session.rollback()
            api_tokens.record_use(token, request.method, request.path, response.status_code)
            db.session.commit()
        except Exception:  # the answer stands; the trail's gap is logged
            db.session.rollback()
            log.exception("could not record the use of API token %s", token.id)
        return response

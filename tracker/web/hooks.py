"""Per-request set-up: who is acting (for the audit trail) and session lifetime."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from tracker import audit, logs
from tracker.web.api.auth import current_api_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


class SchemeAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie, and every cookie of an HTTPS response, Secure.

    TRACKER_ENV_NAME=production is not the only sign of HTTPS: a request that came over
    it (as ProxyFix reports behind the configured proxies) must not get back a cookie
    that a browser would also send over plain HTTP.
    """

    def get_cookie_secure(self, app) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)

    def save_session(self, app, session, response) -> None:
        if serves_static_file() or request.is_api:
            # A static file is cached publicly for a year, and the API reads no session:
            # neither answer carries a cookie, nor varies with one.
            return
        super().save_session(app, session, response)
        # Saving the session comes after every after-request hook, Flask-Login's remember
        # cookie included, which reads its Secure flag from the configuration only.
        if request.is_secure:
            cookies = response.headers.getlist("Set-Cookie")
            response.headers.remove("Set-Cookie")
            for cookie in cookies:
                if "; secure" not in cookie.lower():
                    cookie += "; Secure"
                response.headers.add("Set-Cookie", cookie)


def serves_static_file() -> bool:
    """Whether this request asks for a static file, the same bytes for everyone."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def register_hooks(app: Flask) -> None:
    """Attribute each request's changes to its user and address; secure the answers."""
    app.session_interface = SchemeAwareSessionInterface()

    @app.before_request
    def _set_actor():
        if serves_static_file():
            return  # no one to look up: the file is public and its answer may be shared
        if request.is_api:
            user = current_api_user()  # never the session's user
        else:
            user = current_user if current_user.is_authenticated else None
        logs.user_id.set(user.id if user else None)
        audit.set_actor(
            audit.Actor(
                user_id=user.id if user else None,
                label=user.email if user else None,
                address=request.remote_addr,
            )
        )

    @app.teardown_request
    def _clear_actor(_exc):
        audit.set_actor(audit.Actor())

    @app.after_request
    def _security_headers(response):
        # Everything the pages need is served from here: no CDN, no inline script.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not serves_static_file() and not request.is_api and current_user.is_authenticated:
            # Pages of signed-in people hold unpublished work: never keep them in caches.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

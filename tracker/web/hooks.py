"""Per-request set-up: who is acting (for the audit trail) and session lifetime."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from tracker import audit

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def register_hooks(app: Flask) -> None:
    """Attribute each request's changes to its user and address."""

    @app.before_request
    def _set_actor():
        user = current_user if current_user.is_authenticated else None
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
        if current_user.is_authenticated:
            # Pages of signed-in people hold unpublished work: never keep them in caches.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

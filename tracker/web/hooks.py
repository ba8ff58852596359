"""Per-request set-up: who is acting (for the audit trail) and session lifetime."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from tracker import audit


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

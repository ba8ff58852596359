"""View decorators that ask ``tracker.policy`` before a view runs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from tracker.extensions import login_manager


def require(check: Callable[[object], bool]):
    """Let the view run only when ``check(current_user)`` holds.

    Anonymous visitors are sent to sign in; signed-in users without the right get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_check = check
        return wrapped

    return decorator

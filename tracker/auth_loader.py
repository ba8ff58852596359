"""How Flask-Login finds the signed-in user from the session cookie."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_token: str):
    from tracker.models import User

    user = db.session.execute(
        db.select(User).where(User.session_token == session_token)
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    return user

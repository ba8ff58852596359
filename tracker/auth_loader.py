"""How Flask-Login finds the signed-in user from the session or remember cookie."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(device_token: str):
    from tracker.services import sessions

    user = sessions.resume_session(device_token)
    if user is not None and sessions.needs_heartbeat(user.device):
        # The user is loaded by the first before-request hook, before the view has
        # changed anything, so this commit holds the last-seen stamp alone.
        sessions.note_seen(user.device)
        db.session.commit()
    return user

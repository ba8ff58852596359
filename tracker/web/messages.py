"""Each person's own messages, as the tracker e-mailed them: the list, and the bell."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from tracker.extensions import db
from tracker.services import notifications
from tracker.web.ids import arg_page
from tracker.web.transaction import commit

bp = Blueprint("messages", __name__)


def _unread_count() -> int:
    try:
        return notifications.unread_count(current_user)
    except SQLAlchemyError:
        # The error page of a failed database must still render; it goes without the count.
        return 0


@bp.app_context_processor
def _unread_messages():
    # A function, so that only pages that draw the account bar pay for the count.
    return {"unread_messages": _unread_count}


@bp.get("/messages")
@login_required
def my_messages():
    page = db.paginate(notifications.my_notifications(current_user), page=arg_page(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    # Which were new is told from the state before this visit; opening the list reads them.
    unread = {note.id for note in page.items if note.read_at is None}
    notifications.mark_read(current_user, sorted(unread))
    commit()
    return render_template("messages/list.html", page=page, unread=unread)

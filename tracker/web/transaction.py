"""The request's single commit, followed by what must wait for it (e-mails, tasks)."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from tracker.extensions import db
from tracker.services.errors import ConflictError, ServiceError
from tracker.services.notify import discard_outbox, dispatch_outbox
from tracker.services.submissions import claim_submission, new_submission_key, record_outcome


def commit() -> None:
    """Commit the request's work, then send what it queued."""
    db.session.commit()
    dispatch_outbox()


def rollback() -> None:
    """Drop the request's work and anything it queued."""
    db.session.rollback()
    discard_outbox()


def run(service: Callable, *args, **kwargs):
    """Call one service and commit; on refusal roll back. Return ``(result, error)``."""
    return _commit_or_refuse(lambda: service(*args, **kwargs))


def run_once(key: str | None, leads_to: Callable, service: Callable, *args, **kwargs):
    """Like ``run``, once per form key. Return ``(result, error, earlier)``.

    ``leads_to(result)`` names the page the sending leads to; a repeat of the key does
    nothing and gets ``earlier``, the page the first sending led to (result and error are
    None).
    """
    earlier = claim_submission(current_user, key)
    if earlier is not None:
        return None, None, earlier

    def act_and_record():
        result = service(*args, **kwargs)
        record_outcome(key, leads_to(result))
        return result

    return (*_commit_or_refuse(act_and_record), None)


def submission_key_field() -> HiddenField:
    """The hidden field of a state-changing form: a new key each time the form is drawn."""
    return HiddenField(default=new_submission_key)


def already_done(location: str):
    """Answer a repeated form: nothing was done again; go where the first sending led."""
    flash(_("This form had already been sent: it was not sent again."), "info")
    return redirect(location)


def _commit_or_refuse(work: Callable):
    try:
        result = work()
        commit()
    except StaleDataError:  # saved by someone else between our check and our write
        rollback()
        return None, ConflictError()
    except ServiceError as exc:
        rollback()
        return None, exc
    return result, None

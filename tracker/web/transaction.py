"""The request's single commit, followed by what must wait for it (e-mails, tasks)."""

from __future__ import annotations

from tracker.extensions import db
from tracker.services.notify import discard_outbox, dispatch_outbox


def commit() -> None:
    """Commit the request's work, then send what it queued."""
    db.session.commit()
    dispatch_outbox()


def rollback() -> None:
    """Drop the request's work and anything it queued."""
    db.session.rollback()
    discard_outbox()

"""The request's single commit, followed by what must wait for it (e-mails, tasks)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm.exc import StaleDataError

from tracker.extensions import db
from tracker.services.errors import ConflictError, ServiceError
from tracker.services.notify import discard_outbox, dispatch_outbox


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
    try:
        result = service(*args, **kwargs)
        commit()
    except StaleDataError:  # saved by someone else between our check and our write
        rollback()
        return None, ConflictError()
    except ServiceError as exc:
        rollback()
        return None, exc
    return result, None

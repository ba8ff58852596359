"""Errors a service raises for the view to show; the message is in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError


class ServiceError(Exception):
    """A request the domain refuses; ``status`` is the HTTP status a view should answer."""

    def __init__(self, message, status: int = 400, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class ConflictError(ServiceError):
    """Someone else saved the record since the form was loaded."""

    def __init__(self, message=None):
        super().__init__(
            message or _l("Someone else changed this record while you were editing it. "
                          "Your changes were not saved; the form now shows the current version."),
            status=409,
        )


def check_version(obj, version: int | None) -> None:
    """Raise ConflictError when the form's version is not the row's current one."""
    if version is None or int(version) != obj.version:
        raise ConflictError()


def flush_or_conflict(duplicate_message=None) -> None:
    """Flush the session, reporting a save that raced another as a 409 the user can read.

    A stale version becomes ConflictError; a unique constraint broken meanwhile becomes
    a 409 with ``duplicate_message`` (without one, the IntegrityError propagates).
    """
    from tracker.extensions import db

    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConflictError() from exc
    except IntegrityError as exc:
        if duplicate_message is None:
            raise
        raise ServiceError(duplicate_message, status=409) from exc

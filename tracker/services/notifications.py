"""The messages as people read them in the app: their own, and the office's view of all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytz
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import selectinload

from tracker import audit, policy
from tracker.extensions import db
from tracker.models import Notification, NotificationKind, NotificationStatus, User, utcnow
from tracker.services.errors import ServiceError
from tracker.services.notify import OUTBOX


def unread_count(user: User) -> int:
    """Count the user's messages not opened yet in the app."""
    query = policy.own_notifications(
        user, select(func.count()).select_from(Notification).where(
            Notification.read_at.is_(None)))
    return db.session.execute(query).scalar_one()


def my_notifications(user: User) -> Select:
    """Return the query of the user's own messages, newest first."""
    return policy.own_notifications(user, select(Notification)).order_by(
        Notification.created_at.desc(), Notification.id.desc())


def mark_read(user: User, note_ids: list[int]) -> int:
    """Mark these messages of the user as read now; return how many were unread."""
    if not note_ids:
        return 0
    query = policy.own_notifications(user, select(Notification.id)).where(
        Notification.id.in_(note_ids), Notification.read_at.is_(None))
    result = db.session.execute(
        update(Notification).where(Notification.id.in_(query.scalar_subquery()))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


@dataclass(frozen=True)
class NotificationFilter:
    status: NotificationStatus | None = None
    kind: NotificationKind | None = None
    recipient: str | None = None  # name or e-mail contains
    date_from: date | None = None  # inclusive, in the reader's timezone
    date_to: date | None = None  # inclusive, in the reader's timezone


def _local_midnight(day: date, timezone: str) -> datetime:
    return pytz.timezone(timezone).localize(datetime.combine(day, time.min))


def all_notifications(filters: NotificationFilter, timezone: str = "UTC") -> Select:
    """Return every message matching the filters, newest first (the office's view)."""
    query = select(Notification).options(selectinload(Notification.recipient))
    if filters.status:
        query = query.where(Notification.status == filters.status)
    if filters.kind:
        query = query.where(Notification.kind == filters.kind)
    if filters.recipient:
        pattern = f"%{filters.recipient.strip().lower()}%"
        query = query.where(or_(
            func.lower(Notification.recipient_email).like(pattern),
            Notification.recipient.has(func.lower(User.name).like(pattern)),
        ))
    if filters.date_from:
        query = query.where(
            Notification.created_at >= _local_midnight(filters.date_from, timezone))
    if filters.date_to and filters.date_to < date.max:
        next_day = filters.date_to + timedelta(days=1)
        query = query.where(Notification.created_at < _local_midnight(next_day, timezone))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def resend_notification(actor: User, note_id: int) -> Notification:
    """Put a failed message back in the queue, to be sent once the request commits."""
    note = db.session.get(Notification, note_id, with_for_update=True)
    if note is None:
        raise ServiceError(_l("This message does not exist."), status=404)
    if not policy.can_resend_notification(actor, note):
        raise ServiceError(_l("Only a message that failed can be sent again."), status=409)
    # A fresh count of attempts: the sweep retries it again should the new try fail too.
    note.status = NotificationStatus.PENDING
    note.attempts = 0
    db.session.flush()
    audit.record(db.session, "notification_resent", "notification", note.id,
                 {"kind": note.kind.value, "error": note.error})
    db.session.info.setdefault(OUTBOX, []).append(note.id)
    return note

"""Reading the audit trail: filters, newest first, and the values of the filter menus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytz
from sqlalchemy import Select, func, or_, select

from tracker.extensions import db
from tracker.models import AuditEvent, User


@dataclass
class AuditFilter:
    actor: str | None = None  # part of the actor's name or e-mail
    actor_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    date_from: date | None = None  # inclusive, in the reader's timezone
    date_to: date | None = None  # inclusive, in the reader's timezone


def _local_midnight(day: date, timezone: str) -> datetime:
    # pytz, as Flask-Babel uses: it ships its own zone data, so it works without tzdata.
    return pytz.timezone(timezone).localize(datetime.combine(day, time.min))


def audit_events(filters: AuditFilter, timezone: str = "UTC") -> Select:
    """Return the query of the events that match the filters, newest first."""
    query = select(AuditEvent)
    if filters.actor and filters.actor.strip():
        wanted = filters.actor.strip().lower()
        # The trail keeps the e-mail; people are known by name, so look in both.
        named = select(User.id).where(func.lower(User.name).contains(wanted, autoescape=True))
        query = query.where(or_(
            func.lower(AuditEvent.actor_label).contains(wanted, autoescape=True),
            AuditEvent.actor_id.in_(named)))
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.entity_id and filters.entity_id.strip():
        query = query.where(AuditEvent.entity_id == filters.entity_id.strip())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEvent.at >= _local_midnight(filters.date_from, timezone))
    # The last day the calendar has needs no upper bound (and has no next day to end it).
    if filters.date_to and filters.date_to < date.max:
        next_day = filters.date_to + timedelta(days=1)
        query = query.where(AuditEvent.at < _local_midnight(next_day, timezone))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def recorded_values() -> tuple[list[str], list[str]]:
    """Return the entity types and the actions present in the trail, for the filter menus."""
    types = db.session.execute(
        select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)).scalars()
    actions = db.session.execute(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars()
    return list(types), list(actions)

"""Reading the audit trail: filters, newest first, and the changes laid out for display."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytz
from sqlalchemy import Select, func, select

from tracker.extensions import db
from tracker.models import AuditEvent


@dataclass
class AuditFilter:
    actor: str | None = None  # part of the actor's e-mail (the label kept on each event)
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
        query = query.where(func.lower(AuditEvent.actor_label).contains(
            filters.actor.strip().lower(), autoescape=True))
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
    if filters.date_to:
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


@dataclass
class ChangeRow:
    field: str
    before: str | None
    after: str | None
    kind: str = "change"  # "change" (before → after), "links" (removed / added), "value"


def _show(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(_show(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_rows(changes: dict | None) -> list[ChangeRow]:
    """Lay out an event's changes as rows: field, value before, value after."""
    rows = []
    for field, value in sorted((changes or {}).items()):
        if isinstance(value, dict) and ("before" in value or "after" in value):
            rows.append(ChangeRow(field, _show(value.get("before")), _show(value.get("after"))))
        elif isinstance(value, dict) and ("added" in value or "removed" in value):
            rows.append(ChangeRow(field, _show(value.get("removed")) or None,
                                  _show(value.get("added")) or None, "links"))
        else:
            rows.append(ChangeRow(field, None, _show(value), "value"))
    return rows

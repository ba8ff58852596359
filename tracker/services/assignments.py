"""Assignments: which institutions report on a recommendation, as what, and how often.

Every change of one assignment goes through the ORM and so reaches the audit trail by
itself; the bulk assignment, done with set-based SQL for thousands of rows, records its
own event.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import joinedload

from tracker import audit, policy
from tracker.database import refresh_statistics
from tracker.extensions import db
from tracker.models import (
    REPORTING_RHYTHMS,
    Assignment,
    AssignmentRole,
    Institution,
    Recommendation,
    utcnow,
)
from tracker.models.base import UTCDateTime
from tracker.services.errors import ServiceError, check_version, flush_or_conflict
from tracker.services.event_mails import (
    LISTED_REFERENCES,
    Assigned,
    new_assignment_action,
    queue_assignment_mails,
)


@dataclass
class AssignmentTerms:
    """What an assignment asks of the institution: its role, rhythm and next due date."""

    role: AssignmentRole | str = AssignmentRole.LEAD
    rhythm_months: int = 6
    next_due: date | None = None


@dataclass
class AssignResult:
    created: int = 0
    updated: int = 0
    recommendations: int = 0


# --- dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` later (or earlier), kept within the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_today(moment: datetime | None = None) -> date:
    """Return the date of ``moment`` (default now) in the office's time zone."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    return (moment or utcnow()).astimezone(zone).date()


# --- checks ----------------------------------------------------------------------------------


def _allow(actor) -> None:
    if not policy.can_assign(actor):
        raise ServiceError(_l("Only office staff may assign recommendations."), status=403)


def _terms(data: AssignmentTerms) -> tuple[AssignmentRole, int, date | None]:
    try:
        role = AssignmentRole(data.role)
    except ValueError as exc:
        raise ServiceError(_l("Choose lead or support."), field="role") from exc
    try:
        rhythm = int(data.rhythm_months)
    except (TypeError, ValueError):
        rhythm = 0
    if rhythm not in REPORTING_RHYTHMS:
        raise ServiceError(_l("Choose a reporting rhythm of 1, 3, 6 or 12 months."),
                           field="rhythm_months")
    return role, rhythm, data.next_due


def _institutions(institution_ids: Iterable[int]) -> list[Institution]:
    ids = sorted({int(i) for i in institution_ids if i})
    if not ids:
        raise ServiceError(_l("Choose at least one institution."), field="institution_ids")
    found = db.session.scalars(select(Institution).where(Institution.id.in_(ids))).all()
    if len(found) != len(ids):
        raise ServiceError(_l("One of the chosen institutions does not exist."),
                           field="institution_ids")
    inactive = [i.acronym for i in found if not i.active]
    if inactive:
        raise ServiceError(_l("%(names)s is no longer active; choose an active institution.",
                              names=", ".join(inactive)), field="institution_ids")
    return sorted(found, key=lambda i: i.acronym)


def _flush() -> None:
    flush_or_conflict(_l("Someone assigned the same recommendation meanwhile. "
                              "Reload the page and try again."))


def _get_assignment(assignment_id: int) -> Assignment:
    found = db.session.get(Assignment, assignment_id)
    if found is None:
        raise ServiceError(_l("This assignment does not exist."), status=404)
    return found


# --- one recommendation ----------------------------------------------------------------------


def assign(actor, rec_id: int, institution_ids: Iterable[int], data: AssignmentTerms
           ) -> AssignResult:
    """Assign a recommendation to institutions; update or reactivate existing assignments."""
    _allow(actor)
    rec = db.session.get(Recommendation, rec_id)
    if rec is None:
        raise ServiceError(_l("This recommendation does not exist."), status=404)
    role, rhythm, next_due = _terms(data)
    institutions = _institutions(institution_ids)
    existing = {
        a.institution_id: a
        for a in db.session.scalars(
            select(Assignment).where(Assignment.recommendation_id == rec_id,
                                     Assignment.institution_id.in_([i.id for i in institutions]))
        )
    }
    result = AssignResult(recommendations=1)
    default_due = add_months(local_today(), rhythm)
    # Only an institution that did not have the recommendation yet hears of it.
    given = {inst.id: Assigned(1, [rec.reference]) for inst in institutions
             if inst.id not in existing or not existing[inst.id].active}
    for inst in institutions:
        found = existing.get(inst.id)
        if found is None:
            db.session.add(Assignment(
                recommendation_id=rec_id, institution_id=inst.id, role=role,
                rhythm_months=rhythm, next_due=next_due or default_due, active=True,
                created_by_id=actor.id))
            result.created += 1
            continue
        if not found.active or found.next_due is None:
            found.next_due = next_due or default_due
        elif next_due:
            found.next_due = next_due
        found.role, found.rhythm_months = role, rhythm
        found.active, found.ended_at = True, None
        result.updated += 1
    _flush()
    queue_assignment_mails(new_assignment_action(), given)
    return result


def update_assignment(actor, assignment_id: int, data: AssignmentTerms,
                      version: int | None) -> Assignment:
    """Change an assignment's role, rhythm or next due date, unless changed meanwhile."""
    _allow(actor)
    found = _get_assignment(assignment_id)
    check_version(found, version)
    role, rhythm, next_due = _terms(data)
    if next_due is None:
        raise ServiceError(_l("Give the next due date."), field="next_due")
    found.role, found.rhythm_months, found.next_due = role, rhythm, next_due
    _flush()
    return found


def end_assignment(actor, assignment_id: int, version: int | None) -> Assignment:
    """End an assignment: the institution no longer reports on the recommendation."""
    _allow(actor)
    found = _get_assignment(assignment_id)
    check_version(found, version)
    if not found.active:
        raise ServiceError(_l("This assignment has already ended."), status=409)
    found.active, found.ended_at = False, utcnow()
    _flush()
    return found


def get_assignment(assignment_id: int) -> Assignment | None:
    """Load an assignment with its recommendation and institution."""
    return db.session.scalar(
        select(Assignment).where(Assignment.id == assignment_id)
        .options(joinedload(Assignment.recommendation), joinedload(Assignment.institution)))


# --- many recommendations at once ------------------------------------------------------------


def bulk_assign(actor, rec_ids: Select, institution_ids: Iterable[int], data: AssignmentTerms,
                scope: dict | None = None) -> AssignResult:
    """Assign every recommendation ``rec_ids`` selects to the institutions, in set-based SQL.

    Existing assignments are updated (and reactivated when ended), never duplicated.
    ``scope`` describes the selection for the audit trail (filters or ticked ids).
    """
    _allow(actor)
    role, rhythm, next_due = _terms(data)
    institutions = _institutions(institution_ids)
    ids = rec_ids.subquery()
    total = db.session.scalar(select(func.count()).select_from(ids)) or 0
    if total == 0:
        raise ServiceError(_l("No recommendation matches; nothing was assigned."))
    default_due = add_months(local_today(), rhythm)
    now = utcnow()
    result = AssignResult(recommendations=total)
    table = Assignment.__table__
    given = {}
    for inst in institutions:
        given[inst.id] = _newly_given(ids, inst.id)
        mine = and_(table.c.institution_id == inst.id,
                    table.c.recommendation_id.in_(select(ids.c.id)))
        existing = db.session.scalar(select(func.count()).select_from(table).where(mine)) or 0
        # A new due date replaces the old one; without one, only ended or undated
        # assignments get today + rhythm, the others keep theirs.
        due = literal(next_due) if next_due else case(
            (and_(table.c.active.is_(True), table.c.next_due.is_not(None)), table.c.next_due),
            else_=literal(default_due))
        db.session.execute(
            update(table).where(mine).values(
                role=role, rhythm_months=rhythm, next_due=due, active=True,
                ended_at=None, updated_at=now, version=table.c.version + 1))
        already = exists().where(table.c.institution_id == inst.id,
                                 table.c.recommendation_id == ids.c.id)
        db.session.execute(insert(table).from_select(
            ["recommendation_id", "institution_id", "role", "rhythm_months", "next_due",
             "active", "created_by_id", "created_at", "updated_at", "version"],
            select(ids.c.id, literal(inst.id), literal(role, table.c.role.type),
                   literal(rhythm), literal(next_due or default_due), literal(True),
                   literal(actor.id), literal(now, UTCDateTime()), literal(now, UTCDateTime()),
                   literal(1)).where(~already)))
        result.created += total - existing
        result.updated += existing
    _expire_loaded_assignments()
    audit.record(db.session, "bulk_assign", "assignment", None, {
        "institutions": [i.acronym for i in institutions], "role": role.value,
        "rhythm_months": rhythm, "next_due": next_due.isoformat() if next_due else None,
        "recommendations": total, "created": result.created, "updated": result.updated,
        "scope": scope or {}})
    refresh_statistics(db.session, [table], result.created + result.updated)
    queue_assignment_mails(new_assignment_action(), given)
    return result


def _newly_given(ids, institution_id: int) -> Assigned:
    # Counted before the change: what the institution did not actively hold yet.
    table = Assignment.__table__
    held = exists().where(table.c.institution_id == institution_id,
                          table.c.recommendation_id == Recommendation.id,
                          table.c.active.is_(True))
    fresh = select(Recommendation.id, Recommendation.reference).where(
        Recommendation.id.in_(select(ids.c.id)), ~held).subquery()
    count = db.session.scalar(select(func.count()).select_from(fresh)) or 0
    references = db.session.scalars(
        select(fresh.c.reference).order_by(fresh.c.id).limit(LISTED_REFERENCES)
    ).all() if count else []
    return Assigned(count, list(references))


def _expire_loaded_assignments() -> None:
    # The set-based statements bypassed the identity map; reload what it holds.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Assignment | Recommendation):
            db.session.expire(obj)


# --- after an approved progress report -------------------------------------------------------


def advance_due_dates(report) -> None:
    """Move the next due dates of the assignments an approved report answers.

    For each recommendation the report covers, the ACTIVE assignment of the report's
    institution (others are left alone) gets a new next due date, counted from the
    approval date (``report.decided_at``, else now; as a date in the office's time zone):

    - no next due date yet: approval date + rhythm;
    - otherwise the date moves forward by the rhythm, once if the period it closes had
      begun by the approval date (next_due - rhythm <= approval date), and then again and
      again while it is still on or before the approval date. So an overdue assignment
      jumps to the first due date after the approval, an assignment reported on early in
      its period moves one period on, and a second report approved within the same period
      does not skip the next one.
    """
    approved_on = local_today(report.decided_at)
    assignments = db.session.scalars(
        select(Assignment).where(
            Assignment.institution_id == report.institution_id,
            Assignment.active.is_(True),
            Assignment.recommendation_id.in_([r.id for r in report.recommendations]),
        )
    ).all()
    for found in assignments:
        found.next_due = next_due_after(found.next_due, found.rhythm_months, approved_on)
    db.session.flush()


def next_due_after(next_due: date | None, rhythm: int, approved_on: date) -> date:
    """Return the due date that follows a report approved on ``approved_on`` (see above)."""
    if next_due is None:
        return add_months(approved_on, rhythm)
    if add_months(next_due, -rhythm) <= approved_on:
        next_due = add_months(next_due, rhythm)
    while next_due <= approved_on:
        next_due = add_months(next_due, rhythm)
    return next_due


def assignments_of(actor, rec_id: int) -> list[Assignment]:
    """Return a recommendation's assignments the user may see: active ones first, then ended."""
    return list(db.session.scalars(policy.assignments_visible_to(
        actor,
        select(Assignment).where(Assignment.recommendation_id == rec_id)
        .options(joinedload(Assignment.institution))
        .order_by(Assignment.active.desc(), Assignment.role, Assignment.id))))

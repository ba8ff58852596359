"""Status reminders: the focal points' daily digest and the reviewers' weekly escalation.

A pass loads everything it needs in a few set-based queries, groups it in Python and
queues one notification per person under a dedupe key per (person, kind, period), so a
second pass, or a second beat process, queues nothing. The caller commits, then sends.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from tracker.extensions import db
from tracker.models import (
    Assignment,
    Institution,
    Notification,
    NotificationKind,
    ProgressReport,
    Recommendation,
    ReportState,
    Role,
    User,
)
from tracker.services.notify import external_url, queue_notification

log = logging.getLogger(__name__)
DIGEST, ESCALATION = "digest", "escalation"
KINDS = (DIGEST, ESCALATION)
# The escalation lists the oldest overdue items of each institution, then counts the rest
# and links to them: a weekly e-mail must stay readable when thousands are late.
ESCALATION_ITEMS_PER_INSTITUTION = 15


# The mails name a recommendation by its reference and status: its texts are not loaded,
# so that a pass costs the same statements however many assignments are due.
_REFERENCE_ONLY = contains_eager(Assignment.recommendation).lazyload(Recommendation.texts)


@dataclass
class DigestItem:
    assignment: Assignment
    overdue: bool
    link: str

    @property
    def recommendation(self) -> Recommendation:
        return self.assignment.recommendation


@dataclass
class InstitutionEscalation:
    institution: Institution
    overdue: list[tuple[Assignment, str]] = field(default_factory=list)
    waiting: list[tuple[ProgressReport, str]] = field(default_factory=list)
    overdue_total: int = 0
    all_overdue_link: str = ""

    @property
    def more_overdue(self) -> int:
        return self.overdue_total - len(self.overdue)


@dataclass
class PlannedMessage:
    """One reminder e-mail a pass would queue: who, which kind, under which key, what."""

    person: User
    kind: NotificationKind
    dedupe_key: str
    template: str
    item_count: int
    context: dict


def digest_key(person_id: int, day: date) -> str:
    """Return the dedupe key of a person's digest for one local date."""
    return f"reminder-digest:{person_id}:{day.isoformat()}"


def escalation_key(person_id: int, day: date) -> str:
    """Return the dedupe key of a person's escalation for the ISO week of a local date."""
    year, week, _ = day.isocalendar()
    return f"escalation:{person_id}:{year}-W{week:02d}"


def plan_digests(today: date) -> list[PlannedMessage]:
    """Return the digest of each active focal point, not opted out, with something due."""
    soon = int(current_app.config.get("REMINDER_DUE_SOON_DAYS", 14))
    people = db.session.scalars(
        select(User).where(User.role == Role.FOCAL_POINT, User.active.is_(True),
                           User.digest_opt_out.is_(False), User.institution_id.is_not(None))
        .order_by(User.id)
    ).all()
    if not people:
        return []
    # Focal points see active assignments of published recommendations only.
    due = db.session.scalars(
        select(Assignment).join(Assignment.recommendation)
        .where(Assignment.active.is_(True), Recommendation.is_published.is_(True),
               Assignment.next_due <= today + timedelta(days=soon),
               Assignment.institution_id.in_({p.institution_id for p in people}))
        .options(_REFERENCE_ONLY)
        .order_by(Assignment.next_due, Recommendation.reference, Assignment.id)
    ).all()
    by_institution: dict[int, list[DigestItem]] = defaultdict(list)
    for found in due:
        link = external_url("focal.new_report", rec=found.recommendation_id)
        by_institution[found.institution_id].append(
            DigestItem(found, found.next_due < today, link))
    planned = []
    for person in people:
        items = by_institution.get(person.institution_id)
        if not items:
            continue
        overdue = [i for i in items if i.overdue]
        due_soon = [i for i in items if not i.overdue]
        planned.append(PlannedMessage(
            person, NotificationKind.REMINDER_DIGEST, digest_key(person.id, today),
            "reminder_digest", len(items),
            {"overdue": overdue, "due_soon": due_soon, "today": today, "soon_days": soon,
             "workspace": external_url("focal.home")}))
    return planned


def _local_midnight(day: date) -> datetime:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    return datetime.combine(day, time(), tzinfo=zone)


def plan_escalations(today: date) -> list[PlannedMessage]:
    """Return the weekly escalation of each active reviewer and admin, when anything qualifies."""
    overdue_days = int(current_app.config.get("ESCALATION_OVERDUE_DAYS", 30))
    waiting_days = int(current_app.config.get("REVIEW_WAITING_DAYS", 7))
    people = db.session.scalars(
        select(User).where(User.role.in_((Role.REVIEWER, Role.ADMIN)), User.active.is_(True))
        .order_by(User.id)
    ).all()
    if not people:
        return []
    late_condition = (Assignment.active.is_(True),
                      Assignment.next_due < today - timedelta(days=overdue_days))
    ranked = select(
        Assignment.id,
        func.row_number().over(partition_by=Assignment.institution_id,
                               order_by=(Assignment.next_due, Assignment.id)).label("rank"),
    ).where(*late_condition).subquery()
    late = db.session.scalars(
        select(Assignment).join(ranked, ranked.c.id == Assignment.id)
        .join(Assignment.recommendation).join(Assignment.institution)
        .where(ranked.c.rank <= ESCALATION_ITEMS_PER_INSTITUTION)
        .options(_REFERENCE_ONLY, contains_eager(Assignment.institution))
        .order_by(Assignment.next_due, Recommendation.reference, Assignment.id)
    ).all()
    late_totals = dict(db.session.execute(
        select(Assignment.institution_id, func.count()).where(*late_condition)
        .group_by(Assignment.institution_id)).all())
    waiting = db.session.scalars(
        select(ProgressReport).join(ProgressReport.institution)
        .where(ProgressReport.state == ReportState.SUBMITTED,
               ProgressReport.submitted_at < _local_midnight(today - timedelta(days=waiting_days)))
        .options(contains_eager(ProgressReport.institution))
        .order_by(ProgressReport.submitted_at, ProgressReport.id)
    ).all()
    groups: dict[int, InstitutionEscalation] = {}
    for found in late:
        groups.setdefault(found.institution_id,
                          InstitutionEscalation(found.institution)).overdue.append(
            (found, external_url("review.recommendation_detail", rec_id=found.recommendation_id)))
    for institution_id, group in groups.items():
        group.overdue_total = late_totals.get(institution_id, 0)
        group.all_overdue_link = external_url("review.recommendations",
                                              institution=institution_id)
    for report in waiting:
        groups.setdefault(report.institution_id,
                          InstitutionEscalation(report.institution)).waiting.append(
            (report, external_url("review.report", report_id=report.id)))
    if not groups:
        return []
    ordered = sorted(groups.values(), key=lambda g: g.institution.acronym)
    count = sum(late_totals.values()) + len(waiting)
    context = {"groups": ordered, "today": today, "overdue_days": overdue_days,
               "waiting_days": waiting_days, "review_link": external_url("review.queue")}
    return [PlannedMessage(person, NotificationKind.ESCALATION, escalation_key(person.id, today),
                           "escalation", count, context) for person in people]


def plan_pass(today: date, kind: str = "all") -> list[PlannedMessage]:
    """Return the messages a pass would queue for a local date, leaving out those already sent."""
    planned = []
    if kind in (DIGEST, "all"):
        planned += plan_digests(today)
    if kind in (ESCALATION, "all"):
        planned += plan_escalations(today)
    if not planned:
        return []
    known = set(db.session.scalars(select(Notification.dedupe_key).where(
        Notification.dedupe_key.in_([p.dedupe_key for p in planned]))))
    return [p for p in planned if p.dedupe_key not in known]


def queue_reminders(today: date, kind: str = "all") -> list[PlannedMessage]:
    """Queue the reminder e-mails of a pass; return those queued (the caller commits and sends)."""
    queued = []
    for message in plan_pass(today, kind):
        try:
            # A savepoint per message: another pass that queued the same key first, or a
            # message that cannot be rendered, costs that message only.
            with db.session.begin_nested():
                note = queue_notification(message.person, message.kind, message.dedupe_key,
                                          message.template, **message.context)
        except IntegrityError:
            log.info("reminder %s already queued by another pass", message.dedupe_key)
            continue
        except Exception:
            log.exception("reminder %s could not be queued", message.dedupe_key)
            continue
        if note is not None:
            queued.append(message)
    return queued

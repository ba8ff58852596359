"""Mails that follow events: reports submitted for review, recommendations assigned.

Submissions reach reviewers batched (one digest per person per hour at most, built by a
periodic pass); assignments reach an institution's focal points once per assigning action,
however many recommendations it covered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import (
    Institution,
    Notification,
    NotificationKind,
    ProgressReport,
    ReportState,
    ReportTransition,
    Role,
    User,
    utcnow,
)
from tracker.services.notify import external_url, queue_notification

DIGEST_EVERY = timedelta(hours=1)
# A submission is stamped before its request commits. A pass reads only submissions at
# least this old, and the next pass starts where it stopped, so that one committed just
# after a pass is in the following digest instead of in none.
SETTLE = timedelta(minutes=1)
# A mail lists this many items; a longer list ends with how many more there are.
LISTED_SUBMISSIONS = 50
LISTED_REFERENCES = 20


@dataclass
class Submission:
    report_id: int
    title: str
    institution: str
    at: datetime
    resubmitted: bool
    link: str


@dataclass
class Assigned:
    """What one assigning action gave one institution: how many, and the first references."""

    count: int = 0
    references: list[str] = field(default_factory=list)


# --- reviewers: the submission digest ---------------------------------------------------------


def queue_submission_digests(now: datetime | None = None) -> int:
    """Queue one digest per reviewer and admin of the reports submitted since their last one.

    Nobody gets a digest less than an hour after the previous one; what is submitted
    meanwhile waits for the next. Returns how many digests were queued.
    """
    now = now or utcnow()
    until = now - SETTLE
    last_digest = (
        select(Notification.recipient_id, func.max(Notification.created_at).label("last"))
        .where(Notification.kind == NotificationKind.SUBMISSION_DIGEST)
        .group_by(Notification.recipient_id).subquery())
    staff = db.session.execute(
        select(User, last_digest.c.last)
        .outerjoin(last_digest, last_digest.c.recipient_id == User.id)
        .where(User.active.is_(True), User.role.in_([Role.REVIEWER, Role.ADMIN]))
        .order_by(User.id)).all()
    due = [(person, until - DIGEST_EVERY if last is None else last - SETTLE)
           for person, last in staff if last is None or now - last >= DIGEST_EVERY]
    if not due:
        return 0
    submissions = _submissions(min(since for _, since in due), until)
    queued = 0
    for person, since in due:
        mine = [s for s in submissions if s.at > since]
        if not mine:
            continue
        note = queue_notification(
            person, NotificationKind.SUBMISSION_DIGEST,
            f"submission-digest:{person.id}:{now:%Y-%m-%dT%H}", "submission_digest",
            submissions=mine[:LISTED_SUBMISSIONS], total=len(mine),
            queue_link=external_url("review.queue"))
        if note is not None:
            # The next window starts where this one ended (see SETTLE).
            note.created_at = now
            queued += 1
    db.session.flush()
    return queued


def _submissions(since: datetime, until: datetime) -> list[Submission]:
    rows = db.session.execute(
        select(ReportTransition.at, ReportTransition.from_state, ProgressReport.id,
               ProgressReport.title, Institution.acronym)
        .join(ProgressReport, ProgressReport.id == ReportTransition.report_id)
        .join(Institution, Institution.id == ProgressReport.institution_id)
        .where(ReportTransition.to_state == ReportState.SUBMITTED,
               ReportTransition.at > since, ReportTransition.at <= until)
        .order_by(ReportTransition.at, ReportTransition.id)).all()
    return [Submission(report_id=report_id, title=title, institution=acronym, at=at,
                       resubmitted=from_state == ReportState.RETURNED,
                       link=external_url("review.report", report_id=report_id))
            for at, from_state, report_id, title, acronym in rows]


# --- focal points: recommendations assigned to their institution ------------------------------


def new_assignment_action() -> str:
    """Return an id for one assigning action: the mails it causes share it."""
    return uuid.uuid4().hex


def queue_assignment_mails(action: str, assigned: dict[int, Assigned]) -> int:
    """Queue one mail per active focal point of each institution that was given work.

    ``assigned`` maps institution ids to what the action gave them. Returns how many
    mails were queued.
    """
    given = {inst_id: what for inst_id, what in assigned.items() if what.count}
    if not given:
        return 0
    people = db.session.execute(
        select(User, Institution).join(Institution, Institution.id == User.institution_id)
        .where(User.role == Role.FOCAL_POINT, User.active.is_(True),
               User.institution_id.in_(list(given)))
        .order_by(User.id)).all()
    link = external_url("focal.home")
    queued = 0
    for person, institution in people:
        what = given[institution.id]
        note = queue_notification(
            person, NotificationKind.ASSIGNMENT, f"assignment:{action}:{person.id}",
            "assignment", institution=institution, count=what.count,
            references=what.references[:LISTED_REFERENCES], link=link)
        queued += note is not None
    return queued

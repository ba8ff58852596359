"""The lifecycle of a progress report.

draft -> submitted -> approved (public or internal)
                   -> returned (with comments) -> submitted again -> ...

Every change of state writes a ``ReportTransition`` holding who, when, the comment
and a snapshot of the report as it stood, plus an audit event. Services flush;
the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from tracker import audit, policy
from tracker.extensions import db
from tracker.models import (
    Assignment,
    MeasureKind,
    NotificationKind,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportTransition,
    ReportVisibility,
    Role,
    StoredFile,
    User,
    utcnow,
)
from tracker.services.errors import ServiceError, check_version, flush_or_conflict
from tracker.services.notify import external_url, queue_notification

MAX_TITLE = 300
MAX_DESCRIPTION = 50_000
MAX_COMMENT = 10_000


@dataclass
class ReportInput:
    """What a focal point types in the report form."""

    title: str
    description: str = ""
    period_start: date | None = None
    period_end: date | None = None
    measure_kind: MeasureKind = MeasureKind.OTHER
    recommendation_ids: list[int] = field(default_factory=list)


def assignable_recommendations_query(actor):
    """Return a select of the recommendations assigned (actively) to the actor's institution."""
    if not policy.can_write_reports(actor):
        return select(Recommendation).where(Recommendation.id.is_(None))
    assigned = policy.assignments_visible_to(
        actor,
        select(Assignment.recommendation_id).where(
            Assignment.institution_id == actor.institution_id, Assignment.active.is_(True)),
    )
    return policy.recommendations_visible_to(
        actor, select(Recommendation).where(Recommendation.id.in_(assigned)))


def _flush() -> None:
    flush_or_conflict()


def _get(actor, report_id: int, *, lock: bool = False) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id,
                            with_for_update=True if lock else None, populate_existing=lock)
    if report is None or not policy.can_view_report(actor, report):
        raise ServiceError(_l("No such progress report."), status=404)
    return report


def _state_refusal(report: ProgressReport) -> ServiceError:
    if report.state == ReportState.SUBMITTED:
        return ServiceError(_l("This report has been submitted for review and can no longer be "
                               "changed. Nothing was changed."), status=409)
    if report.state == ReportState.APPROVED:
        return ServiceError(_l("This report has been approved and can no longer be changed. "
                               "Nothing was changed."), status=409)
    return ServiceError(_l("This report cannot be changed now."), status=409)


def _editable(actor, report_id: int, version: int | None) -> ProgressReport:
    report = _get(actor, report_id, lock=True)
    if not policy.is_own_institution(actor, report.institution_id):
        raise ServiceError(_l("Only the report's institution may change it."), status=403)
    if not policy.can_edit_report(actor, report):
        raise _state_refusal(report)
    check_version(report, version)
    return report


def _clean(actor, data: ReportInput, report: ProgressReport | None) -> tuple[dict, list]:
    title = " ".join((data.title or "").split())
    if not title:
        raise ServiceError(_l("Give the report a title."), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(_l("The title is too long."), field="title")
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(_l("The description is too long."), field="description")
    if data.period_start and data.period_end and data.period_end < data.period_start:
        raise ServiceError(_l("The period cannot end before it starts."), field="period_end")
    try:
        measure = MeasureKind(data.measure_kind)
    except ValueError:
        raise ServiceError(_l("Choose a kind of measure."), field="measure_kind") from None
    wanted = sorted({int(i) for i in data.recommendation_ids or []})
    if not wanted:
        raise ServiceError(_l("Choose at least one recommendation the report is about."),
                           field="recommendation_ids")
    allowed = {rec.id: rec for rec in db.session.scalars(
        assignable_recommendations_query(actor).where(Recommendation.id.in_(wanted)))}
    # A recommendation already covered stays allowed even if its assignment has ended.
    if report is not None:
        allowed.update({rec.id: rec for rec in report.recommendations if rec.id in wanted})
    refused = [i for i in wanted if i not in allowed]
    if refused:
        raise ServiceError(
            ngettext("You can only report on recommendations assigned to your institution; "
                     "%(num)d of those chosen is not. Nothing was saved.",
                     "You can only report on recommendations assigned to your institution; "
                     "%(num)d of those chosen are not. Nothing was saved.", len(refused)),
            field="recommendation_ids")
    values = {"title": title, "description": description, "period_start": data.period_start,
              "period_end": data.period_end, "measure_kind": measure}
    return values, [allowed[i] for i in wanted]


def snapshot(report: ProgressReport) -> dict:
    """Return the report's content as it stands, for the history of versions."""
    return {
        "title": report.title,
        "description": report.description,
        "period_start": report.period_start.isoformat() if report.period_start else None,
        "period_end": report.period_end.isoformat() if report.period_end else None,
        "measure_kind": report.measure_kind.value if report.measure_kind else None,
        "visibility": report.visibility.value if report.visibility else None,
        "recommendations": [rec.reference for rec in report.recommendations],
        "evidence": [{"label": ev.label, "kind": ev.kind.value, "is_public": ev.is_public}
                     for ev in report.evidence],
    }


def _transition(actor, report: ProgressReport, to_state: ReportState,
                comment: str | None = None) -> ReportTransition:
    from_state = None if report.id is None else report.state
    report.state = to_state
    step = ReportTransition(report=report, from_state=from_state, to_state=to_state,
                            actor_id=actor.id, at=utcnow(), comment=comment or None,
                            snapshot=snapshot(report))
    db.session.add(step)
    _flush()
    audit.record(db.session, "transition", "progress_report", report.id, {
        "state": {"before": from_state.value if from_state else None, "after": to_state.value},
        "transition_id": step.id,
        "comment": comment or None,
        "visibility": report.visibility.value if report.visibility else None,
    })
    return step


def create_report(actor, data: ReportInput) -> ProgressReport:
    """Create a draft report for the actor's institution on recommendations assigned to it."""
    if not policy.can_write_reports(actor):
        raise ServiceError(_l("Only an institution's focal points write progress reports."),
                           status=403)
    values, recommendations = _clean(actor, data, None)
    report = ProgressReport(institution_id=actor.institution_id, author_id=actor.id,
                            state=ReportState.DRAFT, recommendations=recommendations, **values)
    db.session.add(report)
    _transition(actor, report, ReportState.DRAFT)
    return report


def update_report(actor, report_id: int, version: int | None, data: ReportInput) -> ProgressReport:
    """Save changes to a draft or returned report, unless someone saved it meanwhile."""
    report = _editable(actor, report_id, version)
    values, recommendations = _clean(actor, data, report)
    for key, value in values.items():
        setattr(report, key, value)
    report.recommendations = recommendations
    _flush()
    return report


def submit_report(actor, report_id: int, version: int | None) -> ProgressReport:
    """Send a draft or returned report to the office for review."""
    report = _editable(actor, report_id, version)
    report.submitted_at = utcnow()
    _transition(actor, report, ReportState.SUBMITTED)
    return report


def delete_report(actor, report_id: int, version: int | None) -> None:
    """Delete a draft that was never submitted, with its evidence files."""
    report = _get(actor, report_id, lock=True)
    if not policy.is_own_institution(actor, report.institution_id):
        raise ServiceError(_l("Only the report's institution may delete it."), status=403)
    if not policy.can_delete_report(actor, report):
        raise ServiceError(_l("Only a draft that was never submitted can be deleted. "
                              "Nothing was changed."), status=409)
    check_version(report, version)
    stored_ids = [ev.stored_file_id for ev in report.evidence if ev.stored_file_id]
    for step in list(report.transitions):
        db.session.delete(step)
    db.session.delete(report)
    _flush()
    for stored_id in stored_ids:
        db.session.delete(db.session.get(StoredFile, stored_id))
    _flush()


def _decidable(actor, report_id: int, version: int | None) -> ProgressReport:
    if not policy.can_review_reports(actor):
        raise ServiceError(_l("Only office staff review progress reports."), status=403)
    report = _get(actor, report_id, lock=True)
    if not policy.can_decide_report(actor, report):
        if report.state == ReportState.DRAFT:
            message = _l("Only submitted reports can be approved or returned; this one is "
                         "still a draft. Nothing was changed.")
        else:
            message = _l("This report has already been decided (it is now: %(state)s). "
                         "Nothing was changed.", state=_state_name(report.state))
        raise ServiceError(message, status=409)
    check_version(report, version)
    return report


def _state_name(state: ReportState) -> str:
    from tracker.i18n import label

    return label("report_state", state)


def approve_report(actor, report_id: int, version: int | None, *,
                   visibility: ReportVisibility, comment: str = "") -> ProgressReport:
    """Approve a submitted report, public or internal; move the institution's due dates."""
    report = _decidable(actor, report_id, version)
    try:
        visibility = ReportVisibility(visibility)
    except ValueError:
        raise ServiceError(_l("Choose whether the report is public or internal."),
                           field="decision") from None
    report.visibility = visibility
    report.decided_at = utcnow()
    step = _transition(actor, report, ReportState.APPROVED, _comment(comment))
    from tracker.services import assignments

    assignments.advance_due_dates(report)
    _flush()
    notify_review_result(report, step)
    return report


def return_report(actor, report_id: int, version: int | None, *, comment: str) -> ProgressReport:
    """Send a submitted report back to its institution with the reviewer's comments."""
    report = _decidable(actor, report_id, version)
    comment = _comment(comment)
    if not comment:
        raise ServiceError(_l("Say what the institution should change: a comment is required "
                              "to return a report."), field="comment")
    report.decided_at = utcnow()
    step = _transition(actor, report, ReportState.RETURNED, comment)
    notify_review_result(report, step)
    return report


def _comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ServiceError(_l("The comment is too long."), field="comment")
    return comment


def result_recipients(report: ProgressReport) -> list[User]:
    """Return who hears of a decision: the author and the institution's active focal points."""
    people = list(db.session.scalars(
        select(User).where(User.role == Role.FOCAL_POINT,
                           User.institution_id == report.institution_id,
                           User.active.is_(True)).order_by(User.id)))
    author = report.author
    if author is not None and author.active and author.id not in {p.id for p in people}:
        people.insert(0, author)
    return people


def notify_review_result(report: ProgressReport, step: ReportTransition) -> None:
    """Queue the e-mail telling the institution the review's result (sent after commit)."""
    link = external_url("focal.report", report_id=report.id)
    for person in result_recipients(report):
        queue_notification(person, NotificationKind.REVIEW_RESULT,
                           f"review-result:{step.id}:{person.id}", "review_result",
                           report=report, step=step, link=link)

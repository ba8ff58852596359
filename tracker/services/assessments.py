"""The office's judgement of how far a recommendation is implemented, with its history."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker import policy
from tracker.extensions import db
from tracker.models import (
    AssessmentSource,
    ImplementationStatus,
    ProgressReport,
    Recommendation,
    ReportState,
    StatusAssessment,
    utcnow,
)
from tracker.models.followup import report_recommendation
from tracker.services.errors import ServiceError, check_version, flush_or_conflict

RATIONALE_MAX = 10_000


def assess(actor, rec_id: int, status: ImplementationStatus | str, rationale: str,
           report_ids: Iterable[int], version: int | None) -> StatusAssessment:
    """Record the office's assessment of a recommendation and make it its current status."""
    if not policy.can_assess(actor):
        raise ServiceError(_l("Only office staff may assess recommendations."), status=403)
    rec = db.session.get(Recommendation, rec_id)
    if rec is None:
        raise ServiceError(_l("This recommendation does not exist."), status=404)
    check_version(rec, version)
    try:
        status = ImplementationStatus(status)
    except ValueError as exc:
        raise ServiceError(_l("Choose one of the statuses."), field="status") from exc
    rationale = (rationale or "").strip()
    if not rationale:
        raise ServiceError(_l("Explain why: the rationale is required."), field="rationale")
    if len(rationale) > RATIONALE_MAX:
        raise ServiceError(_l("Use at most %(n)d characters.", n=RATIONALE_MAX),
                           field="rationale")
    wanted = {int(i) for i in report_ids}
    allowed = {r.id: r for r in reports_covering(actor, rec_id, approved_only=True)}
    if wanted - allowed.keys():
        raise ServiceError(_l("An assessment can rest only on approved progress reports that "
                              "cover this recommendation."), field="report_ids")
    now = utcnow()
    assessment = StatusAssessment(
        recommendation=rec, status=status, rationale=rationale,
        source=AssessmentSource.OFFICE, assessed_by_id=actor.id, assessed_at=now,
        reports=[allowed[i] for i in sorted(wanted)])
    db.session.add(assessment)
    rec.status, rec.status_assessed_at = status, now
    flush_or_conflict()
    return assessment


def history(rec_id: int) -> list[StatusAssessment]:
    """Return every assessment of a recommendation, newest first, with its reports."""
    return list(db.session.scalars(
        select(StatusAssessment).where(StatusAssessment.recommendation_id == rec_id)
        .options(joinedload(StatusAssessment.assessed_by),
                 selectinload(StatusAssessment.reports))
        .order_by(StatusAssessment.assessed_at.desc(), StatusAssessment.id.desc())))


def reports_covering(actor, rec_id: int, *, approved_only: bool = False
                     ) -> list[ProgressReport]:
    """Return the reports covering a recommendation that the user may read (any state)."""
    query = (
        select(ProgressReport)
        .join(report_recommendation, report_recommendation.c.report_id == ProgressReport.id)
        .where(report_recommendation.c.recommendation_id == rec_id)
        .options(joinedload(ProgressReport.institution))
        .order_by(ProgressReport.decided_at.desc().nulls_last(),
                  ProgressReport.submitted_at.desc().nulls_last(), ProgressReport.id.desc())
    )
    if approved_only:
        query = query.where(ProgressReport.state == ReportState.APPROVED)
    return list(db.session.scalars(policy.progress_reports_visible_to(actor, query)))

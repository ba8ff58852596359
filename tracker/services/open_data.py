"""Open data: the downloads of a search and the feed of status changes, public only.

Whoever asks (a visitor, or office staff on the public list), open data holds what the
public may read: the published recommendations, through ``tracker.policy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import AnonymousUserMixin
from sqlalchemy import Select, func, select

from tracker import policy
from tracker.exports import Selection
from tracker.exports.open_data import Records
from tracker.extensions import db
from tracker.models import (
    AssessmentSource,
    ImplementationStatus,
    Recommendation,
    StatusAssessment,
    utcnow,
)
from tracker.services.catalogue import Filters
from tracker.services.catalogue.listing import _conditions

FEED_SIZE = 50


def _public_ids(filters: Filters) -> Select:
    """SELECT the ids of the published recommendations matching the filters."""
    return policy.recommendations_visible_to(
        AnonymousUserMixin(), select(Recommendation.id).where(*_conditions(filters)))


def open_records(filters: Filters, locale: str) -> Records:
    """Return every published recommendation matching the filters, to read in batches."""
    selection = Selection(ids=_public_ids(filters), public=True, locale=locale,
                          description=[], generated_at=utcnow())
    return Records(selection)


@dataclass(frozen=True)
class StatusChange:
    """One status assessment of a published recommendation, with the status before it."""

    id: int
    recommendation_id: int
    reference: str
    status: ImplementationStatus
    previous: ImplementationStatus | None
    assessed_at: datetime
    rationale: str
    source: AssessmentSource
    mechanism_grade: str | None


def status_changes(filters: Filters, limit: int = FEED_SIZE) -> list[StatusChange]:
    """Return the latest status assessments of the published recommendations, newest first."""
    A = StatusAssessment
    # The previous status is read over all of a recommendation's assessments, before the
    # newest are picked.
    ranked = select(
        A.id, A.recommendation_id, A.status, A.assessed_at, A.rationale, A.source,
        A.mechanism_grade,
        func.lag(A.status).over(partition_by=A.recommendation_id,
                                order_by=(A.assessed_at, A.id)).label("previous"),
    ).where(A.recommendation_id.in_(_public_ids(filters))).subquery()
    query = (select(ranked, Recommendation.reference)
             .join(Recommendation, Recommendation.id == ranked.c.recommendation_id)
             .order_by(ranked.c.assessed_at.desc(), ranked.c.id.desc())
             .limit(limit))
    return [
        StatusChange(
            id=row.id, recommendation_id=row.recommendation_id, reference=row.reference,
            status=ImplementationStatus(row.status),
            previous=ImplementationStatus(row.previous) if row.previous else None,
            assessed_at=row.assessed_at, rationale=row.rationale or "",
            source=AssessmentSource(row.source), mechanism_grade=row.mechanism_grade)
        for row in db.session.execute(query)
    ]

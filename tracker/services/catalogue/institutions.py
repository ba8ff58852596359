"""What the public pages of institutions show: their assignments, statuses and punctuality.

Only what the public may see is counted: active assignments of published recommendations
and published progress reports. The punctuality figures are counts of dates, never names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_login import AnonymousUserMixin
from sqlalchemy import Select, func, select

from tracker import policy
from tracker.exports.statistics import StatusCounts, count_by_status, status_by_role
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.ids import MAX_ID
from tracker.models import Assignment, AssignmentRole, Institution, ProgressReport, Recommendation
from tracker.models.followup import report_recommendation
from tracker.services import data_versions
from tracker.services.assignments import add_months, local_today
from tracker.services.catalogue.listing import Page

REPORTS_PER_PAGE = 20


def public_ids() -> Select:
    """SELECT the ids of the recommendations the public may read."""
    return policy.recommendations_visible_to(AnonymousUserMixin(), select(Recommendation.id))


def _cached(key: tuple, build):
    # Figures of the catalogue that also read progress reports: the activity counter and
    # the day (overdue depends on it) are part of the key.
    activity = data_versions.current(data_versions.ACTIVITY)
    return data_versions.cached(data_versions.CATALOGUE,
                                (*key, current_language(), activity, local_today()), build)


@dataclass(frozen=True)
class InstitutionRow:
    """One institution of the index, with its assignments of published recommendations."""

    id: int
    acronym: str
    name: str  # in the reader's language
    branch: str
    lead: int
    support: int


def list_institutions() -> list[InstitutionRow]:
    """List the active institutions and those with assignments, with their counts by role."""
    def build():
        rows = db.session.execute(
            select(Assignment.institution_id, Assignment.role, func.count())
            .where(Assignment.active.is_(True), Assignment.recommendation_id.in_(public_ids()))
            .group_by(Assignment.institution_id, Assignment.role)).all()
        counts: dict[int, dict[AssignmentRole, int]] = {}
        for inst_id, role, n in rows:
            counts.setdefault(inst_id, {})[role] = n
        institutions = db.session.scalars(
            select(Institution).where(Institution.active.is_(True)
                                      | Institution.id.in_(list(counts)))).all()
        found = [InstitutionRow(inst.id, inst.acronym, inst.name, inst.branch.value,
                                counts.get(inst.id, {}).get(AssignmentRole.LEAD, 0),
                                counts.get(inst.id, {}).get(AssignmentRole.SUPPORT, 0))
                 for inst in institutions]
        return sorted(found, key=lambda row: (-(row.lead + row.support), row.name.casefold()))
    return _cached(("institutions",), build)


def get_institution(institution_id: int) -> Institution | None:
    """Load an institution (None when the id names none)."""
    if not 0 < institution_id <= MAX_ID:
        return None
    return db.session.get(Institution, institution_id)


@dataclass(frozen=True)
class Punctuality:
    """How the institution kept its reporting dates (see the page for the definitions)."""

    due: int  # report due dates passed, of active assignments of published recommendations
    on_time: int  # a report submitted within the period ending on the due date
    late: int  # no report in that period, but one submitted after the due date
    missing: int  # no report submitted since the due date
    overdue_now: int  # active assignments whose due date has passed


def punctuality(institution_id: int, today: date) -> Punctuality:
    """Count the institution's report due dates that passed, kept on time, late or missing."""
    assignments = db.session.execute(
        select(Assignment.recommendation_id, Assignment.created_at, Assignment.rhythm_months,
               Assignment.next_due)
        .where(Assignment.institution_id == institution_id, Assignment.active.is_(True),
               Assignment.recommendation_id.in_(public_ids()))).all()
    submitted: dict[int, list[date]] = {}
    for rec_id, moment in db.session.execute(
            select(report_recommendation.c.recommendation_id, ProgressReport.submitted_at)
            .join(ProgressReport, ProgressReport.id == report_recommendation.c.report_id)
            .where(ProgressReport.institution_id == institution_id,
                   ProgressReport.submitted_at.is_not(None),
                   report_recommendation.c.recommendation_id.in_(public_ids()))):
        submitted.setdefault(rec_id, []).append(local_today(moment))
    due = on_time = late = missing = overdue = 0
    for rec_id, created_at, rhythm, next_due in assignments:
        if next_due is None:
            continue
        overdue += next_due < today
        start, dates = local_today(created_at), submitted.get(rec_id, [])
        # Skip the due dates still to come (a date set years ahead would loop long).
        ahead = (next_due.year - today.year) * 12 + next_due.month - today.month
        step = max(0, ahead // rhythm - 1)
        while True:
            # The due dates of an assignment step back from the next one by its rhythm.
            deadline = add_months(next_due, -rhythm * step)
            step += 1
            if deadline <= start:
                break
            if deadline >= today:
                continue
            due += 1
            opened = add_months(deadline, -rhythm)
            if any(opened < day <= deadline for day in dates):
                on_time += 1
            elif any(day > deadline for day in dates):
                late += 1
            else:
                missing += 1
    return Punctuality(due, on_time, late, missing, overdue)


@dataclass(frozen=True)
class InstitutionFigures:
    """The figures of an institution's page."""

    by_role: dict[AssignmentRole, StatusCounts]
    overall: StatusCounts
    punctuality: Punctuality
    published_reports: int

    @property
    def assigned(self) -> int:
        return self.overall.total


def institution_figures(institution_id: int) -> InstitutionFigures:
    """Gather the counts of an institution's page (built once per change of the data)."""
    def build():
        assigned = select(Assignment.recommendation_id).where(
            Assignment.institution_id == institution_id, Assignment.active.is_(True),
            Assignment.recommendation_id.in_(public_ids()))
        reports = db.session.scalar(
            select(func.count()).select_from(_published_reports(institution_id).subquery()))
        return InstitutionFigures(
            by_role=status_by_role(public_ids(), institution_id),
            overall=count_by_status(assigned),
            punctuality=punctuality(institution_id, local_today()),
            published_reports=reports or 0,
        )
    return _cached(("institution", institution_id), build)


def _published_reports(institution_id: int) -> Select:
    return policy.published_progress_reports(
        select(ProgressReport).where(ProgressReport.institution_id == institution_id))


def published_reports(institution_id: int, page: int) -> Page:
    """Return one page of the institution's published progress reports, newest first."""
    query = _published_reports(institution_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // REPORTS_PER_PAGE)))
    items = db.session.scalars(
        query.order_by(ProgressReport.decided_at.desc(), ProgressReport.id.desc())
        .limit(REPORTS_PER_PAGE).offset((page - 1) * REPORTS_PER_PAGE)).all() if total else []
    return Page(items=list(items), total=total, page=page, per_page=REPORTS_PER_PAGE)


def published_recommendations_of(report_ids: list[int]) -> dict[int, list[Recommendation]]:
    """Return, per report, the published recommendations it covers (for links)."""
    if not report_ids:
        return {}
    rows = db.session.execute(policy.recommendations_visible_to(
        AnonymousUserMixin(),
        select(report_recommendation.c.report_id, Recommendation)
        .join(Recommendation, Recommendation.id == report_recommendation.c.recommendation_id)
        .where(report_recommendation.c.report_id.in_(report_ids))
        .order_by(Recommendation.reference))).all()
    found: dict[int, list[Recommendation]] = {}
    for report_id, rec in rows:
        found.setdefault(report_id, []).append(rec)
    return found

"""What the institution workspace and the office's review pages list and count.

Every query starts from a ``tracker.policy`` scope, so a focal point only ever counts
or lists their own institution's unpublished work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Select, case, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker import policy
from tracker.extensions import db
from tracker.ids import parse_id
from tracker.models import (
    Assignment,
    Evidence,
    ImplementationStatus,
    Institution,
    Mechanism,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportTransition,
    utcnow,
)
from tracker.models.followup import report_recommendation
from tracker.services import data_versions
from tracker.services.catalogue import Page, text_condition

OVERDUE, DUE_SOON, LATER = "overdue", "due_soon", "later"
DUE_STATES = (OVERDUE, DUE_SOON, LATER)
MAX_QUERY_LENGTH = 200


def local_today() -> date:
    """Return today's date in the office's time zone."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    return utcnow().astimezone(zone).date()


def due_soon_days() -> int:
    """Return how many days ahead a due date counts as 'due soon'."""
    return int(current_app.config.get("REMINDER_DUE_SOON_DAYS", 14))


def due_state(next_due: date | None, today: date, soon_days: int) -> str:
    """Say whether a due date is overdue, due soon or later."""
    if next_due is None or next_due > today + timedelta(days=soon_days):
        return LATER
    return OVERDUE if next_due < today else DUE_SOON


def _due_condition(state: str, today: date, soon_days: int) -> ColumnElement[bool]:
    horizon = today + timedelta(days=soon_days)
    if state == OVERDUE:
        return Assignment.next_due < today
    if state == DUE_SOON:
        return Assignment.next_due.between(today, horizon)
    return or_(Assignment.next_due.is_(None), Assignment.next_due > horizon)


# --- the institution workspace ---------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceFilters:
    """What the focal point asked the list of assigned recommendations for."""

    due: str | None = None
    mechanism_id: int | None = None
    status: ImplementationStatus | None = None
    q: str = ""

    def as_args(self) -> dict[str, str]:
        """Return the filters as URL query arguments, leaving out the unset ones."""
        args = {"due": self.due, "mechanism": self.mechanism_id,
                "status": self.status.value if self.status else None, "q": self.q or None}
        return {k: str(v) for k, v in args.items() if v is not None}


@dataclass
class AssignmentRow:
    assignment: Assignment
    due_state: str

    @property
    def recommendation(self) -> Recommendation:
        return self.assignment.recommendation


def parse_workspace_filters(args: Mapping[str, str]) -> WorkspaceFilters:
    """Read the workspace filters from query arguments, ignoring what makes no sense."""
    due = args.get("due")
    try:
        status = ImplementationStatus(args.get("status") or "")
    except ValueError:
        status = None
    return WorkspaceFilters(
        due=due if due in DUE_STATES else None,
        mechanism_id=parse_id(args.get("mechanism")),
        status=status,
        q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
    )


def _institution_assignments(user) -> Select:
    """Active assignments of the user's institution whose recommendation the user may see."""
    if not policy.can_use_institution_workspace(user):
        # The same shape as the real query, so that callers may pick its columns.
        return select(Assignment).join(Assignment.recommendation).where(false())
    query = policy.assignments_visible_to(
        user,
        select(Assignment).join(Assignment.recommendation).where(
            Assignment.institution_id == user.institution_id, Assignment.active.is_(True)),
    )
    return policy.recommendations_visible_to(user, query)


@dataclass(frozen=True)
class WorkspaceSummary:
    """How many assigned recommendations each (mechanism, status) pair has, by due state.

    Every count the workspace shows without a text query derives from these few cells,
    so one pass over the institution's assignments serves the whole page.
    """

    cells: dict[tuple[int, ImplementationStatus], tuple[int, ...]]

    def count(self, filters: WorkspaceFilters) -> int:
        """How many assignments the filters (text query aside) leave."""
        states = [DUE_STATES.index(filters.due)] if filters.due else range(len(DUE_STATES))
        return sum(
            by_due[i]
            for (mechanism_id, status), by_due in self.cells.items()
            if filters.mechanism_id in (None, mechanism_id) and filters.status in (None, status)
            for i in states)

    def due_counts(self) -> dict[str, int]:
        counts = {state: sum(by_due[i] for by_due in self.cells.values())
                  for i, state in enumerate(DUE_STATES)}
        counts["total"] = sum(counts.values())
        return counts

    def mechanism_ids(self) -> set[int]:
        return {mechanism_id for mechanism_id, _status in self.cells}


def workspace_summary(user, today: date | None = None) -> WorkspaceSummary:
    """Count the user's institution's assignments once per state of the catalogue and day.

    An institution may have more than a hundred thousand assignments after a bulk
    assignment: the counts are kept until assignments, recommendations or the day change.
    """
    today = today or local_today()
    soon = due_soon_days()

    def build() -> WorkspaceSummary:
        columns = [func.coalesce(func.sum(case((_due_condition(state, today, soon), 1),
                                               else_=0)), 0)
                   for state in DUE_STATES]
        rows = db.session.execute(
            _institution_assignments(user)
            .with_only_columns(Recommendation.mechanism_id, Recommendation.status, *columns)
            .group_by(Recommendation.mechanism_id, Recommendation.status))
        return WorkspaceSummary({(row[0], row[1]): tuple(int(n) for n in row[2:])
                                 for row in rows})

    if not policy.can_use_institution_workspace(user):
        return WorkspaceSummary({})
    # The scope depends on the user's institution and role only.
    key = ("workspace", user.institution_id, user.role, today, soon)
    return data_versions.cached(data_versions.CATALOGUE, key, build)


def institution_assignments(user, filters: WorkspaceFilters, page: int, per_page: int,
                            today: date | None = None) -> Page:
    """Return one page of the institution's assigned recommendations, soonest due first."""
    today = today or local_today()
    soon = due_soon_days()
    query = _institution_assignments(user)
    if filters.due:
        query = query.where(_due_condition(filters.due, today, soon))
    if filters.mechanism_id:
        query = query.where(Recommendation.mechanism_id == filters.mechanism_id)
    if filters.status:
        query = query.where(Recommendation.status == filters.status)
    if filters.q:
        query = query.where(text_condition(filters.q))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:
        total = workspace_summary(user, today).count(filters)
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    rows = db.session.scalars(
        query.options(contains_eager(Assignment.recommendation)
                      .selectinload(Recommendation.mechanism))
        .order_by(Assignment.next_due.asc().nulls_last(), Recommendation.reference,
                  Assignment.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all() if total else []
    items = [AssignmentRow(a, due_state(a.next_due, today, soon)) for a in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


def due_counts(user, today: date | None = None) -> dict[str, int]:
    """Count the institution's assigned recommendations overdue, due soon and later."""
    return workspace_summary(user, today).due_counts()


def workspace_mechanisms(user) -> list[Mechanism]:
    """Return the mechanisms of the institution's assigned recommendations (filter choices)."""
    ids = workspace_summary(user).mechanism_ids()
    if not ids:
        return []
    return list(db.session.scalars(
        select(Mechanism).where(Mechanism.id.in_(ids))
        .order_by(Mechanism.sort_order, Mechanism.code)))


def _institution_reports(user) -> Select:
    if not policy.can_use_institution_workspace(user):
        return select(ProgressReport).where(ProgressReport.id.is_(None))
    return policy.progress_reports_visible_to(
        user, select(ProgressReport).where(ProgressReport.institution_id == user.institution_id))


def report_counts(user) -> dict[ReportState, int]:
    """Count the institution's progress reports in each state."""
    scope = _institution_reports(user).subquery()
    found = dict(db.session.execute(
        select(scope.c.state, func.count()).group_by(scope.c.state)).all())
    return {state: found.get(state, 0) for state in ReportState}


def institution_reports(user, state: ReportState, page: int, per_page: int) -> Page:
    """Return one page of the institution's reports in a state, most recently changed first."""
    query = _institution_reports(user).where(ProgressReport.state == state)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    items = list(db.session.scalars(
        query.options(selectinload(ProgressReport.recommendations),
                      joinedload(ProgressReport.author))
        .order_by(ProgressReport.updated_at.desc(), ProgressReport.id.desc())
        .limit(per_page).offset((page - 1) * per_page))) if total else []
    return Page(items=items, total=total, page=page, per_page=per_page)


# --- the office's review queue ---------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    institution_id: int | None = None
    mechanism_id: int | None = None

    def as_args(self) -> dict[str, str]:
        """Return the filters as URL query arguments, leaving out the unset ones."""
        args = {"institution": self.institution_id, "mechanism": self.mechanism_id}
        return {k: str(v) for k, v in args.items() if v is not None}


@dataclass
class QueueRow:
    report: ProgressReport
    evidence_count: int
    resubmitted: bool
    waiting_days: int


def parse_queue_filters(args: Mapping[str, str]) -> QueueFilters:
    """Read the queue filters from query arguments."""
    return QueueFilters(institution_id=parse_id(args.get("institution")),
                        mechanism_id=parse_id(args.get("mechanism")))


def _submitted(user) -> Select:
    if not policy.can_review_reports(user):
        return select(ProgressReport).where(ProgressReport.id.is_(None))
    return policy.progress_reports_visible_to(
        user, select(ProgressReport).where(ProgressReport.state == ReportState.SUBMITTED))


def _covers_mechanism(mechanism_id: int) -> ColumnElement[bool]:
    return exists(
        select(report_recommendation.c.report_id)
        .join(Recommendation, Recommendation.id == report_recommendation.c.recommendation_id)
        .where(report_recommendation.c.report_id == ProgressReport.id,
               Recommendation.mechanism_id == mechanism_id))


def _days_since(moment: datetime | None, today: date) -> int:
    if moment is None:
        return 0
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    return max(0, (today - moment.astimezone(zone).date()).days)


def review_queue(user, filters: QueueFilters, page: int, per_page: int) -> Page:
    """Return one page of the submitted reports, the longest waiting first."""
    query = _submitted(user)
    if filters.institution_id:
        query = query.where(ProgressReport.institution_id == filters.institution_id)
    if filters.mechanism_id:
        query = query.where(_covers_mechanism(filters.mechanism_id))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    evidence_count = (select(func.count(Evidence.id))
                      .where(Evidence.report_id == ProgressReport.id)
                      .correlate(ProgressReport).scalar_subquery())
    was_returned = exists(select(ReportTransition.id).where(
        ReportTransition.report_id == ProgressReport.id,
        ReportTransition.to_state == ReportState.RETURNED))
    rows = db.session.execute(
        query.add_columns(evidence_count, was_returned)
        .options(joinedload(ProgressReport.institution), joinedload(ProgressReport.author),
                 selectinload(ProgressReport.recommendations)
                 .selectinload(Recommendation.mechanism))
        .order_by(ProgressReport.submitted_at.asc(), ProgressReport.id.asc())
        .limit(per_page).offset((page - 1) * per_page)).all() if total else []
    today = local_today()
    items = [QueueRow(report, count or 0, bool(returned), _days_since(report.submitted_at, today))
             for report, count, returned in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


def queue_filter_options(user) -> tuple[list[Institution], list[Mechanism]]:
    """Return the institutions and mechanisms that have submitted reports waiting."""
    waiting = _submitted(user).with_only_columns(ProgressReport.id)
    institutions = db.session.scalars(
        select(Institution).where(Institution.id.in_(
            _submitted(user).with_only_columns(ProgressReport.institution_id)))
        .order_by(Institution.acronym)).all()
    mechanisms = db.session.scalars(
        select(Mechanism).where(Mechanism.id.in_(
            select(Recommendation.mechanism_id)
            .join(report_recommendation,
                  report_recommendation.c.recommendation_id == Recommendation.id)
            .where(report_recommendation.c.report_id.in_(waiting))))
        .order_by(Mechanism.sort_order, Mechanism.code)).all()
    return list(institutions), list(mechanisms)


@dataclass
class Dashboard:
    waiting: int
    oldest_waiting_days: int | None
    returned: int
    approved_this_month: int


def review_dashboard(user, today: date | None = None) -> Dashboard:
    """Count what the office has to review and what it decided this month."""
    today = today or local_today()
    scope = policy.progress_reports_visible_to(user, select(ProgressReport))

    def count(*conditions) -> int:
        return db.session.scalar(select(func.count()).select_from(
            scope.where(*conditions).subquery())) or 0

    oldest = db.session.scalar(
        scope.where(ProgressReport.state == ReportState.SUBMITTED)
        .with_only_columns(func.min(ProgressReport.submitted_at)))
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    month_start = datetime.combine(today.replace(day=1), time(), tzinfo=zone)
    return Dashboard(
        waiting=count(ProgressReport.state == ReportState.SUBMITTED),
        oldest_waiting_days=_days_since(oldest, today) if oldest else None,
        returned=count(ProgressReport.state == ReportState.RETURNED),
        approved_this_month=count(ProgressReport.state == ReportState.APPROVED,
                                  ProgressReport.decided_at >= month_start),
    )


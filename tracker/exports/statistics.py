"""Aggregate figures of a selection of recommendations: the numbers behind the status report.

Every figure is one GROUP BY over the selection's id query, so memory depends on the number
of groups (statuses × mechanisms, pillars, institutions, quarters), never on the number of
recommendations. Names come back in the language the caller passes, because a worker has no
request whose language ``Localized.localized()`` could read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import AnonymousUserMixin
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from tracker import policy
from tracker.exports import pick_name
from tracker.extensions import db
from tracker.i18n import label
from tracker.models import (
    Assignment,
    AssignmentRole,
    ImplementationStatus,
    Institution,
    Mechanism,
    OfficeAction,
    Recommendation,
    StatusAssessment,
    Term,
    Vocabulary,
)
from tracker.models.followup import office_action_recommendation, office_action_term
from tracker.models.recommendation import recommendation_term
from tracker.services.office_actions import PILLAR_VOCABULARY

# The order of every table and chart: from "nothing known" to "done", then "not applicable".
STATUSES: tuple[ImplementationStatus, ...] = tuple(ImplementationStatus)

# Beyond this many quarters the changes are counted per year, so a chart stays readable.
MAX_QUARTERS = 12


@dataclass(frozen=True)
class StatusCounts:
    """How many recommendations of one group (a mechanism, a quarter…) are in each status."""

    label: str  # short, for a chart's axis
    name: str  # in full, for a table
    counts: tuple[int, ...]  # one per STATUSES entry

    @property
    def total(self) -> int:
        return sum(self.counts)

    def count(self, status: ImplementationStatus) -> int:
        return self.counts[STATUSES.index(ImplementationStatus(status))]


@dataclass(frozen=True)
class ActionSummary:
    """One office action of the period, as the report lists it."""

    title: str
    kind: str
    start_date: date
    end_date: date | None
    pillars: tuple[str, ...]
    institutions: tuple[str, ...]
    # Recommendations of the selection that the action supports.
    recommendations: int


@dataclass(frozen=True)
class StatusStatistics:
    """Every figure the status report shows, for one selection."""

    period_start: date
    period_end: date
    overall: StatusCounts
    by_mechanism: list[StatusCounts]
    by_pillar: list[StatusCounts]
    by_institution: list[StatusCounts]
    # Recommendations of the selection with no active lead institution.
    without_lead: StatusCounts
    changes: list[StatusCounts]
    actions: list[ActionSummary]

    @property
    def total(self) -> int:
        return self.overall.total


def status_label(status: ImplementationStatus | str) -> str:
    """Return the status's label in the current language."""
    return label("status", status)


def _tally(rows: Iterable[tuple], key_len: int = 1) -> dict[tuple, list[int]]:
    # Rows are (key columns…, status, count); gather them into one count list per key.
    found: dict[tuple, list[int]] = {}
    for row in rows:
        key, status, n = tuple(row[:key_len]), row[key_len], row[key_len + 1]
        found.setdefault(key, [0] * len(STATUSES))[STATUSES.index(status)] += n
    return found


def _in_selection(ids: Select):
    return Recommendation.id.in_(ids)


# --- current status ----------------------------------------------------------------------


def count_by_status(ids: Select) -> StatusCounts:
    """Count the selected recommendations in each status."""
    rows = db.session.execute(
        select(Recommendation.status, func.count())
        .where(_in_selection(ids)).group_by(Recommendation.status))
    counts = _tally(((None, status, n) for status, n in rows)).get((None,), [0] * len(STATUSES))
    return StatusCounts(_("All recommendations"), _("All recommendations"), tuple(counts))


def status_by_mechanism(ids: Select, locale: str) -> list[StatusCounts]:
    """Count the selected recommendations in each status, per mechanism (usual order)."""
    # Grouped on the recommendation's own columns, the names read afterwards: grouping on
    # the mechanism's name columns made SQLite sort every row by them.
    tallied = _tally(db.session.execute(
        select(Recommendation.mechanism_id, Recommendation.status, func.count())
        .where(_in_selection(ids))
        .group_by(Recommendation.mechanism_id, Recommendation.status)))
    mechanisms = db.session.scalars(
        select(Mechanism).where(Mechanism.id.in_([key[0] for key in tallied]))
        .order_by(Mechanism.sort_order, Mechanism.code)).all()
    result = []
    for mechanism in mechanisms:
        name = pick_name(locale, mechanism.name_es, mechanism.name_en)
        short = pick_name(locale, mechanism.acronym_es, mechanism.acronym_en) or mechanism.code
        result.append(StatusCounts(short, f"{name} ({short})" if short != name else name,
                                   tuple(tallied[(mechanism.id,)])))
    return result


def _visible_actions(public: bool) -> Select:
    # An internal report counts every action; the public one only what the public may read.
    query = select(OfficeAction.id)
    return policy.office_actions_visible_to(AnonymousUserMixin(), query) if public else query


def _status_by_term(pairs: Select, ids: Select, locale: str
                    ) -> list[tuple[Term, StatusCounts]]:
    # pairs: SELECT (term_id, recommendation_id) without repeats. Counted from the link rows
    # with the status beside them, then named: joining the terms' names first made SQLite
    # sort every link row by them (seconds at 270,000 recommendations).
    found = pairs.subquery()
    tallied = _tally(db.session.execute(
        select(found.c.term_id, Recommendation.status, func.count())
        .join(Recommendation, Recommendation.id == found.c.recommendation_id)
        .where(_in_selection(ids))
        .group_by(found.c.term_id, Recommendation.status)))
    terms = db.session.scalars(select(Term).where(Term.id.in_([key[0] for key in tallied])))
    result = []
    for term in terms:
        name = pick_name(locale, term.name_es, term.name_en)
        result.append((term, StatusCounts(name, name, tuple(tallied[(term.id,)]))))
    return result


def status_by_pillar(ids: Select, public: bool, locale: str) -> list[StatusCounts]:
    """Count, per OHCHR pillar, the selected recommendations that its office actions support."""
    link, tagged = office_action_recommendation, office_action_term
    pillars = select(Term.id).join(Vocabulary, Vocabulary.id == Term.vocabulary_id).where(
        Vocabulary.code == PILLAR_VOCABULARY)
    # One recommendation supported by two actions of a pillar counts once.
    pairs = (select(tagged.c.term_id, link.c.recommendation_id)
             .join(link, link.c.action_id == tagged.c.action_id)
             .where(tagged.c.term_id.in_(pillars),
                    link.c.action_id.in_(_visible_actions(public)))
             .distinct())
    found = _status_by_term(pairs, ids, locale)
    return [row for _term, row in
            sorted(found, key=lambda item: (item[0].sort_order, item[1].name.casefold()))]


def _active_leads():
    return (Assignment.active.is_(True), Assignment.role == AssignmentRole.LEAD)


def status_by_institution(ids: Select, locale: str) -> list[StatusCounts]:
    """Count, per lead institution (active assignments), the selected recommendations by status."""
    columns = (Institution.id, Institution.acronym, Institution.name_es, Institution.name_en)
    rows = db.session.execute(
        select(*columns, Recommendation.status,
               func.count(func.distinct(Recommendation.id)))
        .select_from(Recommendation)
        .join(Assignment, Assignment.recommendation_id == Recommendation.id)
        .join(Institution, Institution.id == Assignment.institution_id)
        .where(_in_selection(ids), *_active_leads())
        .group_by(*columns, Recommendation.status))
    tallied = _tally(rows, key_len=len(columns))
    result = []
    for key, counts in tallied.items():
        name = pick_name(locale, key[2], key[3])
        result.append(StatusCounts(key[1], f"{name} ({key[1]})", tuple(counts)))
    # Most recommendations first: the institutions that carry the follow-up lead the table.
    return sorted(result, key=lambda row: (-row.total, row.name.casefold()))


def without_lead_institution(ids: Select) -> StatusCounts:
    """Count, by status, the selected recommendations that no institution leads."""
    led = select(Assignment.recommendation_id).where(*_active_leads())
    rows = db.session.execute(
        select(Recommendation.status, func.count())
        .where(_in_selection(ids), Recommendation.id.not_in(led))
        .group_by(Recommendation.status))
    counts = _tally(((None, status, n) for status, n in rows)).get((None,), [0] * len(STATUSES))
    name = _("No lead institution")
    return StatusCounts(name, name, tuple(counts))


def status_by_term(ids: Select, vocabulary: str, locale: str) -> list[StatusCounts]:
    """Count, per term of a vocabulary (themes, say), the selected recommendations by status."""
    terms = select(Term.id).join(Vocabulary, Vocabulary.id == Term.vocabulary_id).where(
        Vocabulary.code == vocabulary, Vocabulary.active.is_(True))
    pairs = select(recommendation_term.c.term_id, recommendation_term.c.recommendation_id
                   ).where(recommendation_term.c.term_id.in_(terms))
    found = [row for _term, row in _status_by_term(pairs, ids, locale)]
    return sorted(found, key=lambda row: (-row.total, row.name.casefold()))


def status_by_role(ids: Select, institution_id: int) -> dict[AssignmentRole, StatusCounts]:
    """Count, per role, the selected recommendations an institution has in each status."""
    rows = db.session.execute(
        select(Assignment.role, Recommendation.status, func.count(func.distinct(Recommendation.id)))
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .where(_in_selection(ids), Assignment.active.is_(True),
               Assignment.institution_id == institution_id)
        .group_by(Assignment.role, Recommendation.status))
    tallied = _tally(rows)
    return {role: StatusCounts(label("assignment_role", role), label("assignment_role", role),
                               tuple(tallied.get((role,), [0] * len(STATUSES))))
            for role in AssignmentRole}


@dataclass(frozen=True)
class OverdueCounts:
    """How many active assignments of an institution there are, and how many are overdue."""

    institution_id: int
    label: str
    name: str
    assignments: int
    overdue: int


def overdue_by_institution(ids: Select, today: date, locale: str) -> list[OverdueCounts]:
    """Count, per institution, the active assignments of the selection and those overdue today."""
    columns = (Institution.id, Institution.acronym, Institution.name_es, Institution.name_en)
    overdue = func.sum(case((Assignment.next_due < today, 1), else_=0))
    rows = db.session.execute(
        select(*columns, func.count(Assignment.id), overdue)
        .join(Assignment, Assignment.institution_id == Institution.id)
        .where(Assignment.recommendation_id.in_(ids), Assignment.active.is_(True))
        .group_by(*columns))
    result = [OverdueCounts(inst_id, acronym, f"{pick_name(locale, es, en)} ({acronym})",
                            count, int(late or 0))
              for inst_id, acronym, es, en, count, late in rows]
    # The most overdue first: the table answers "who is behind?".
    return sorted(result, key=lambda row: (-row.overdue, -row.assignments, row.name.casefold()))


# --- the period ----------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """Return the calendar date of a moment in the tracker's time zone."""
    return to_user_timezone(moment).date()


def report_period(start: date | None, end: date | None, generated_at: datetime
                  ) -> tuple[date, date]:
    """Return the period a report looks back on: as given, else the 12 months to generation."""
    end = end or local_date(generated_at)
    if start is None:
        try:
            year_before = end.replace(year=end.year - 1)
        except ValueError:  # 29 February
            year_before = end.replace(year=end.year - 1, day=28)
        start = year_before + timedelta(days=1)
    return (start, end) if start <= end else (end, start)


@dataclass(frozen=True)
class Bucket:
    """A stretch of the period in which status changes are counted together."""

    label: str
    start: date
    end: date  # inclusive


def change_buckets(start: date, end: date) -> list[Bucket]:
    """Split the period in calendar quarters (in years when there would be too many)."""
    quarters = []
    first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while first <= end:
        after = (date(first.year + 1, 1, 1) if first.month == 10
                 else date(first.year, first.month + 3, 1))
        quarters.append(Bucket(_("Q%(quarter)d %(year)d", quarter=(first.month + 2) // 3,
                                 year=first.year),
                               max(first, start), min(after - timedelta(days=1), end)))
        first = after
    if len(quarters) <= MAX_QUARTERS:
        return quarters
    return [Bucket(str(year), max(date(year, 1, 1), start), min(date(year, 12, 31), end))
            for year in range(start.year, end.year + 1)]


def _utc_midnight(day: date) -> datetime:
    # The period is in the tracker's local calendar; assessments are stored in UTC.
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


def status_changes(ids: Select, buckets: list[Bucket]) -> list[StatusCounts]:
    """Count, per bucket, the selected recommendations that moved to each status in it."""
    if not buckets:
        return []
    ends = [_utc_midnight(b.end + timedelta(days=1)) for b in buckets]
    sa = StatusAssessment
    history = (
        select(sa.recommendation_id, sa.status, sa.assessed_at,
               func.lag(sa.status).over(partition_by=sa.recommendation_id,
                                        order_by=(sa.assessed_at, sa.id)).label("previous"))
        .where(sa.recommendation_id.in_(ids), sa.assessed_at < ends[-1])
        .subquery())
    # Every quarter boundary is a bound parameter: grouping by the CASE itself would give
    # PostgreSQL two different expressions, so the bucket is named in a subquery first.
    bucket = case(*[(history.c.assessed_at < stop, n) for n, stop in enumerate(ends)],
                  else_=len(ends) - 1)
    # A first assessment moves a recommendation away from "no information"; a repeated
    # judgement that keeps the status is no change.
    moved = or_(
        history.c.previous.is_(None)
        & (history.c.status != ImplementationStatus.NO_INFORMATION),
        history.c.previous != history.c.status)
    changes = (
        select(bucket.label("bucket"), history.c.status, history.c.recommendation_id)
        .where(history.c.assessed_at >= _utc_midnight(buckets[0].start), moved)
        .subquery())
    rows = db.session.execute(
        select(changes.c.bucket, changes.c.status,
               func.count(func.distinct(changes.c.recommendation_id)))
        .group_by(changes.c.bucket, changes.c.status))
    tallied = _tally(((n, ImplementationStatus(status), count) for n, status, count in rows))
    return [StatusCounts(b.label, b.label, tuple(tallied.get((n,), [0] * len(STATUSES))))
            for n, b in enumerate(buckets)]


# --- what the office did -----------------------------------------------------------------


def actions_in_period(ids: Select, start: date, end: date, public: bool, locale: str
                      ) -> list[ActionSummary]:
    """List the office actions of the period and how many selected recommendations each supports."""
    # Every action of the period is listed, also one that supports no recommendation of the
    # selection (a workshop, a public report): it is still the office's work in the period.
    query = (select(OfficeAction)
             .where(OfficeAction.id.in_(_visible_actions(public)),
                    OfficeAction.start_date <= end,
                    func.coalesce(OfficeAction.end_date, OfficeAction.start_date) >= start)
             .options(selectinload(OfficeAction.terms).joinedload(Term.vocabulary),
                      selectinload(OfficeAction.institutions))
             .order_by(OfficeAction.start_date, OfficeAction.id))
    actions = db.session.scalars(query).all()
    if not actions:
        return []
    link = office_action_recommendation
    supported = dict(db.session.execute(
        select(link.c.action_id, func.count())
        .where(link.c.action_id.in_([a.id for a in actions]),
               link.c.recommendation_id.in_(ids))
        .group_by(link.c.action_id)).all())
    return [ActionSummary(
        title=action.title,
        kind=label("action_kind", action.kind),
        start_date=action.start_date,
        end_date=action.end_date,
        pillars=tuple(t.localized("name", locale) for t in
                      sorted(action.terms, key=lambda t: (t.sort_order, t.code))
                      if t.vocabulary.code == PILLAR_VOCABULARY),
        institutions=tuple(sorted(i.acronym for i in action.institutions)),
        recommendations=supported.get(action.id, 0),
    ) for action in actions]


def collect(ids: Select, *, public: bool, locale: str, generated_at: datetime,
            period_start: date | None = None, period_end: date | None = None,
            overall: StatusCounts | None = None,
            on_step: Callable[[int, int], None] | None = None) -> StatusStatistics:
    """Gather every figure of the status report for the selection (on_step: steps done, all)."""
    start, end = report_period(period_start, period_end, generated_at)
    steps = [
        lambda: overall if overall is not None else count_by_status(ids),
        lambda: status_by_mechanism(ids, locale),
        lambda: status_by_pillar(ids, public, locale),
        lambda: status_by_institution(ids, locale),
        lambda: without_lead_institution(ids),
        lambda: status_changes(ids, change_buckets(start, end)),
        lambda: actions_in_period(ids, start, end, public, locale),
    ]
    figures = []
    for done, step in enumerate(steps, start=1):
        figures.append(step())
        if on_step is not None:
            on_step(done, len(steps))
    return StatusStatistics(start, end, *figures)

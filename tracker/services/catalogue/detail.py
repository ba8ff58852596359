"""What the public page of one recommendation shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker import policy
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.ids import MAX_ID
from tracker.models import (
    Assignment,
    Evidence,
    OfficeAction,
    ProgressReport,
    Recommendation,
    StatusAssessment,
    Term,
    Vocabulary,
)
from tracker.models.followup import office_action_recommendation, report_recommendation
from tracker.models.recommendation import recommendation_term


@dataclass
class Detail:
    """Everything the public page of one recommendation shows besides the row itself."""

    terms_by_vocabulary: list[tuple[Vocabulary, list[Term]]]
    assignments: list[Assignment]
    assessments: list[StatusAssessment]
    reports: list[ProgressReport]
    evidence: dict[int, list[Evidence]] = field(default_factory=dict)
    # The office actions that support it (public ones only, unless the reader is staff).
    actions: list[OfficeAction] = field(default_factory=list)


def _with_page_rows(query):
    """Load with each recommendation what its page shows of the row itself."""
    return query.options(
        joinedload(Recommendation.document),
        joinedload(Recommendation.mechanism),
        selectinload(Recommendation.recommending_states),
        selectinload(Recommendation.assessments),
    )


def get_recommendation(rec_id: int) -> Recommendation | None:
    """Load one recommendation with what its page shows (the caller checks visibility)."""
    if not 0 < rec_id <= MAX_ID:
        return None
    return db.session.scalar(
        _with_page_rows(select(Recommendation).where(Recommendation.id == rec_id)))


def published_after(after_id: int, limit: int) -> list[Recommendation]:
    """Load the next ``limit`` published recommendations after this id, in id order, with
    what their pages show: a walk through the public catalogue, a batch at a time."""
    query = (select(Recommendation).where(Recommendation.id > after_id)
             .order_by(Recommendation.id).limit(limit)
             .options(selectinload(Recommendation.texts)))
    return list(db.session.scalars(
        policy.recommendations_visible_to(None, _with_page_rows(query))))


def recommendation_detail(user, rec: Recommendation) -> Detail:
    """Gather the terms, institutions, assessments and published progress of a recommendation."""
    lang = current_language()
    terms = db.session.scalars(
        policy.terms_visible_to(
            user,
            select(Term)
            .join(recommendation_term, recommendation_term.c.term_id == Term.id)
            .where(recommendation_term.c.recommendation_id == rec.id)
            .options(joinedload(Term.vocabulary)),
        )
    ).all()
    grouped: dict[int, tuple[Vocabulary, list[Term]]] = {}
    for term in terms:
        grouped.setdefault(term.vocabulary_id, (term.vocabulary, []))[1].append(term)
    terms_by_vocabulary = [
        (vocab, sorted(items, key=lambda t: (t.sort_order, t.localized("name", lang).casefold())))
        for vocab, items in sorted(grouped.values(), key=lambda g: (g[0].sort_order, g[0].code))
    ]
    assignments = db.session.scalars(
        policy.assignments_visible_to(
            user,
            select(Assignment)
            .where(Assignment.recommendation_id == rec.id, Assignment.active.is_(True))
            .options(joinedload(Assignment.institution))
            .order_by(Assignment.role, Assignment.id),
        )
    ).all()
    reports = db.session.scalars(
        policy.published_progress_reports(
            select(ProgressReport)
            .join(report_recommendation, report_recommendation.c.report_id == ProgressReport.id)
            .where(report_recommendation.c.recommendation_id == rec.id)
            .options(joinedload(ProgressReport.institution))
            .order_by(ProgressReport.decided_at.desc(), ProgressReport.id.desc())
        )
    ).all()
    evidence: dict[int, list[Evidence]] = {}
    if reports:
        items = db.session.scalars(
            policy.published_evidence(
                select(Evidence)
                .where(Evidence.report_id.in_([r.id for r in reports]))
                .options(joinedload(Evidence.stored_file))
                .order_by(Evidence.id)
            )
        ).all()
        for item in items:
            evidence.setdefault(item.report_id, []).append(item)
    actions = db.session.scalars(
        policy.office_actions_visible_to(
            user,
            select(OfficeAction)
            .join(office_action_recommendation,
                  office_action_recommendation.c.action_id == OfficeAction.id)
            .where(office_action_recommendation.c.recommendation_id == rec.id)
            .options(selectinload(OfficeAction.terms).joinedload(Term.vocabulary),
                     selectinload(OfficeAction.institutions))
            .order_by(OfficeAction.start_date.desc(), OfficeAction.id.desc())
        )
    ).all()
    return Detail(
        actions=list(actions),
        terms_by_vocabulary=terms_by_vocabulary,
        assignments=list(assignments),
        assessments=list(rec.assessments),
        reports=list(reports),
        evidence=evidence,
    )

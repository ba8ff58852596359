"""What the public pages of the OHCHR pillars show: the office's public actions under each
pillar and the published recommendations they support."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import AnonymousUserMixin
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker import policy
from tracker.exports.statistics import StatusCounts, count_by_status
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.ids import parse_id
from tracker.models import OfficeAction, Recommendation, Term, Vocabulary
from tracker.models.followup import office_action_recommendation, office_action_term
from tracker.services import data_versions
from tracker.services.catalogue.institutions import public_ids
from tracker.services.catalogue.listing import Page
from tracker.services.office_actions import PILLAR_VOCABULARY

ACTIONS_PER_PAGE = 20
# Under each action, at most this many supported recommendations are linked by name.
RECOMMENDATIONS_SHOWN = 12


def _public_actions():
    return policy.office_actions_visible_to(AnonymousUserMixin(), select(OfficeAction.id))


def _pillars_query():
    return policy.terms_visible_to(
        AnonymousUserMixin(),
        select(Term).join(Term.vocabulary).where(Vocabulary.code == PILLAR_VOCABULARY))


@dataclass(frozen=True)
class PillarRow:
    """A pillar in the index, with its public actions and the recommendations they support."""

    id: int
    code: str
    name: str
    description: str
    actions: int
    recommendations: int


def _cached(key: tuple, build):
    catalogue = data_versions.current(data_versions.CATALOGUE)
    return data_versions.cached(data_versions.ACTIVITY, (*key, current_language(), catalogue),
                                build)


def list_pillars() -> list[PillarRow]:
    """List the pillars in their usual order with their counts of public actions."""
    def build():
        tagged, link = office_action_term, office_action_recommendation
        actions = dict(db.session.execute(
            select(tagged.c.term_id, func.count())
            .where(tagged.c.action_id.in_(_public_actions()))
            .group_by(tagged.c.term_id)).all())
        supported = dict(db.session.execute(
            select(tagged.c.term_id, func.count(func.distinct(link.c.recommendation_id)))
            .join(link, link.c.action_id == tagged.c.action_id)
            .where(tagged.c.action_id.in_(_public_actions()),
                   link.c.recommendation_id.in_(public_ids()))
            .group_by(tagged.c.term_id)).all())
        terms = db.session.scalars(_pillars_query().order_by(Term.sort_order, Term.code)).all()
        return [PillarRow(t.id, t.code, t.name, t.localized("description"),
                          actions.get(t.id, 0), supported.get(t.id, 0)) for t in terms]
    return _cached(("pillars",), build)


def get_pillar(key: str) -> Term | None:
    """Find a pillar by its id or its code (None when neither names one)."""
    term_id = parse_id(key)
    if term_id is None and not (key.isprintable() and 0 < len(key) <= 128):
        return None  # PostgreSQL refuses NUL in text: such a code names nothing
    condition = Term.id == term_id if term_id is not None else Term.code == key[:128]
    return db.session.scalar(_pillars_query().where(condition))


def _supported_ids(term_id: int):
    link, tagged = office_action_recommendation, office_action_term
    return (select(link.c.recommendation_id)
            .join(tagged, tagged.c.action_id == link.c.action_id)
            .where(tagged.c.term_id == term_id, link.c.action_id.in_(_public_actions()),
                   link.c.recommendation_id.in_(public_ids())))


def pillar_status(term_id: int) -> StatusCounts:
    """Count, by status, the published recommendations the pillar's public actions support."""
    return _cached(("pillar", term_id), lambda: count_by_status(_supported_ids(term_id)))


@dataclass
class PillarActions:
    """One page of a pillar's public actions and what each supports."""

    page: Page
    supported: dict[int, list[Recommendation]]
    supported_count: dict[int, int]


def pillar_actions(term_id: int, page: int) -> PillarActions:
    """Return one page of the pillar's public actions, latest first, with their recommendations."""
    query = policy.office_actions_visible_to(
        AnonymousUserMixin(),
        select(OfficeAction).where(OfficeAction.id.in_(
            select(office_action_term.c.action_id)
            .where(office_action_term.c.term_id == term_id))))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // ACTIONS_PER_PAGE)))
    actions = list(db.session.scalars(
        query.options(selectinload(OfficeAction.terms).joinedload(Term.vocabulary),
                      selectinload(OfficeAction.institutions))
        .order_by(OfficeAction.start_date.desc(), OfficeAction.id.desc())
        .limit(ACTIONS_PER_PAGE).offset((page - 1) * ACTIONS_PER_PAGE)).all()) if total else []
    supported, counts = supported_recommendations([a.id for a in actions])
    return PillarActions(Page(actions, total, page, ACTIONS_PER_PAGE), supported, counts)


def supported_recommendations(action_ids: list[int]
                              ) -> tuple[dict[int, list[Recommendation]], dict[int, int]]:
    """Return, per action, the first published recommendations it supports and how many."""
    if not action_ids:
        return {}, {}
    link = office_action_recommendation
    counts = dict(db.session.execute(
        select(link.c.action_id, func.count())
        .where(link.c.action_id.in_(action_ids), link.c.recommendation_id.in_(public_ids()))
        .group_by(link.c.action_id)).all())
    rank = func.row_number().over(partition_by=link.c.action_id,
                                  order_by=Recommendation.reference).label("rank")
    ranked = (select(link.c.action_id, Recommendation.id.label("rec_id"), rank)
              .join(Recommendation, Recommendation.id == link.c.recommendation_id)
              .where(link.c.action_id.in_(action_ids), Recommendation.id.in_(public_ids()))
              .subquery())
    rows = db.session.execute(
        select(ranked.c.action_id, Recommendation)
        .join(Recommendation, Recommendation.id == ranked.c.rec_id)
        .where(ranked.c.rank <= RECOMMENDATIONS_SHOWN)
        .options(joinedload(Recommendation.mechanism))
        .order_by(ranked.c.action_id, ranked.c.rank)).all()
    found: dict[int, list[Recommendation]] = {}
    for action_id, rec in rows:
        found.setdefault(action_id, []).append(rec)
    return found, counts

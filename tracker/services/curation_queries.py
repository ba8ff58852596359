"""What the office's recommendation screens list and offer: filters, pages and form choices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker import policy
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.ids import parse_id
from tracker.models import (
    Assignment,
    Country,
    Document,
    ImplementationStatus,
    Institution,
    Mechanism,
    Recommendation,
    Term,
    Vocabulary,
)
from tracker.models.recommendation import recommendation_term
from tracker.services.catalogue import Page, text_condition

# --- choices the forms offer ---------------------------------------------------------------


def _sorted_terms(terms) -> list[Term]:
    lang = current_language()
    return sorted(terms, key=lambda t: (t.sort_order, t.localized("name", lang).casefold()))


def term_options(linked: list[Term] | None = None, *, for_actions: bool = False
                 ) -> list[tuple[Vocabulary, list[Term]]]:
    """Return the terms to offer, by vocabulary: active ones, plus those already linked."""
    applies = (Vocabulary.applies_to_actions if for_actions
               else Vocabulary.applies_to_recommendations)
    rows = db.session.scalars(
        select(Term).join(Term.vocabulary)
        .where(applies.is_(True), Vocabulary.active.is_(True), Term.active.is_(True))
        .options(contains_eager(Term.vocabulary))
    ).all()
    grouped: dict[int, tuple[Vocabulary, dict[int, Term]]] = {}
    for term in [*rows, *(linked or [])]:
        grouped.setdefault(term.vocabulary_id, (term.vocabulary, {}))[1][term.id] = term
    return [(vocab, _sorted_terms(terms.values()))
            for vocab, terms in sorted(grouped.values(),
                                       key=lambda g: (g[0].sort_order, g[0].code))]


def country_options() -> list[Country]:
    """Return every country, sorted by its name in the user's language."""
    lang = current_language()
    return sorted(db.session.scalars(select(Country)).all(),
                  key=lambda c: c.localized("name", lang).casefold())


def mechanism_options() -> list[Mechanism]:
    """Return the mechanisms, in their usual order."""
    return list(db.session.scalars(select(Mechanism).order_by(Mechanism.sort_order,
                                                              Mechanism.code)))


def linked_terms(rec: Recommendation) -> list[tuple[Vocabulary, list[Term]]]:
    """Return the recommendation's terms grouped by vocabulary."""
    grouped: dict[int, tuple[Vocabulary, list[Term]]] = {}
    for term in rec.terms:
        grouped.setdefault(term.vocabulary_id, (term.vocabulary, []))[1].append(term)
    return [(vocab, _sorted_terms(terms))
            for vocab, terms in sorted(grouped.values(),
                                       key=lambda g: (g[0].sort_order, g[0].code))]


# --- the staff list ------------------------------------------------------------------------

MAX_DOCUMENT_OPTIONS = 400


@dataclass(frozen=True)
class ReviewFilters:
    """What the staff list is filtered by; None means 'any'."""

    published: bool | None = None
    mechanism_id: int | None = None
    document_id: int | None = None
    status: ImplementationStatus | None = None
    institution_id: int | None = None
    unassigned: bool = False
    term_id: int | None = None
    q: str = ""

    def as_args(self) -> dict[str, str]:
        """Return the filters as URL query arguments, leaving out the unset ones."""
        args = {
            "published": None if self.published is None else ("yes" if self.published else "no"),
            "mechanism": self.mechanism_id, "document": self.document_id,
            "status": self.status.value if self.status else None,
            "institution": "none" if self.unassigned else self.institution_id,
            "term": self.term_id, "q": self.q or None,
        }
        return {k: str(v) for k, v in args.items() if v is not None}

    @property
    def is_empty(self) -> bool:
        return not self.as_args()


def parse_filters(args) -> ReviewFilters:
    """Read the staff list's filters from query arguments, ignoring what does not parse."""
    status = args.get("status")
    institution = (args.get("institution") or "").strip()
    return ReviewFilters(
        published={"yes": True, "no": False}.get(args.get("published") or ""),
        mechanism_id=parse_id(args.get("mechanism")),
        document_id=parse_id(args.get("document")),
        status=(ImplementationStatus(status)
                if status in {s.value for s in ImplementationStatus} else None),
        institution_id=parse_id(institution),
        unassigned=institution == "none",
        term_id=parse_id(args.get("term")),
        q=" ".join((args.get("q") or "").split())[:200],
    )


def matching_ids(actor, filters: ReviewFilters) -> Select:
    """Return a SELECT of the ids of the recommendations the user may see that match."""
    query = policy.recommendations_visible_to(actor, select(Recommendation.id))
    if filters.published is not None:
        query = query.where(Recommendation.is_published.is_(filters.published))
    if filters.mechanism_id is not None:
        query = query.where(Recommendation.mechanism_id == filters.mechanism_id)
    if filters.document_id is not None:
        query = query.where(Recommendation.document_id == filters.document_id)
    if filters.status is not None:
        query = query.where(Recommendation.status == filters.status)
    active = select(Assignment.recommendation_id).where(Assignment.active.is_(True))
    if filters.institution_id is not None:
        query = query.where(Recommendation.id.in_(
            active.where(Assignment.institution_id == filters.institution_id)))
    if filters.unassigned:
        query = query.where(Recommendation.id.not_in(active))
    if filters.term_id is not None:
        query = query.where(Recommendation.id.in_(
            select(recommendation_term.c.recommendation_id)
            .where(recommendation_term.c.term_id == filters.term_id)))
    if filters.q:
        query = query.where(text_condition(filters.q))
    return query


def chosen_ids(actor, ids: list[int]) -> Select:
    """Return a SELECT of those of the given recommendation ids that the user may see."""
    return policy.recommendations_visible_to(
        actor, select(Recommendation.id).where(Recommendation.id.in_(set(ids))))


def search(actor, filters: ReviewFilters, page: int, per_page: int) -> Page:
    """Return one page of matching recommendations, newest first, counted separately."""
    ids = matching_ids(actor, filters)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    items = db.session.scalars(
        select(Recommendation).where(Recommendation.id.in_(ids))
        .options(joinedload(Recommendation.document), joinedload(Recommendation.mechanism),
                 selectinload(Recommendation.assignments).joinedload(Assignment.institution))
        .order_by(Recommendation.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all() if total else []
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def document_options(filters: ReviewFilters) -> list[Document]:
    """Return the documents the document filter offers: those of the chosen mechanism."""
    if filters.mechanism_id is None:
        chosen = db.session.get(Document, filters.document_id) if filters.document_id else None
        return [chosen] if chosen else []
    return list(db.session.scalars(
        select(Document).where(Document.mechanism_id == filters.mechanism_id)
        .order_by(Document.date.desc(), Document.symbol).limit(MAX_DOCUMENT_OPTIONS)))


def institution_options(*, active_only: bool = False) -> list[Institution]:
    """Return the institutions by acronym (only active ones when asked)."""
    query = select(Institution).order_by(Institution.acronym)
    if active_only:
        query = query.where(Institution.active.is_(True))
    return list(db.session.scalars(query))

"""The list of recommendations: filters, paging and counts, within what the user may see."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import contains_eager, selectinload

from tracker import policy
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.ids import parse_id
from tracker.models import (
    Document,
    ImplementationStatus,
    Mechanism,
    Recommendation,
    RecommendationType,
    Term,
    Vocabulary,
)
from tracker.models.recommendation import recommendation_term
from tracker.services.catalogue.text_search import text_condition

THEME_VOCABULARY = "themes"
MAX_QUERY_LENGTH = 200
# Above this many documents the unfiltered select would be unusable; ask for a mechanism first.
MAX_DOCUMENT_OPTIONS = 400


def paragraph_order() -> list[ColumnElement]:
    """Sort keys putting paragraphs in natural order: 9, 10, 26(a), 27, 82.99, 82.106, 83.1."""
    paragraph = Recommendation.paragraph
    digits = func.length(paragraph) - func.length(func.ltrim(paragraph, "0123456789"))
    return [digits, func.substr(paragraph, 1, digits), func.length(paragraph), paragraph]


@dataclass(frozen=True)
class Filters:
    """What the visitor asked the list for; None means 'any'."""

    mechanism_id: int | None = None
    document_id: int | None = None
    status: ImplementationStatus | None = None
    type: RecommendationType | None = None
    theme_id: int | None = None
    q: str = ""

    def as_args(self) -> dict[str, str]:
        """Return the filters as URL query arguments, leaving out the unset ones."""
        args = {
            "mechanism": self.mechanism_id,
            "document": self.document_id,
            "status": self.status.value if self.status else None,
            "type": self.type.value if self.type else None,
            "theme": self.theme_id,
            "q": self.q or None,
        }
        return {k: str(v) for k, v in args.items() if v is not None}

    @property
    def is_empty(self) -> bool:
        return not self.as_args()


@dataclass
class FilterOptions:
    """The choices offered by the list's filter form."""

    mechanisms: list[Mechanism]
    documents: list[Document]
    themes: list[Term]
    documents_truncated: bool = False


@dataclass
class Page:
    """One page of results and what the pager needs to draw itself."""

    items: list[Recommendation]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)

    def window(self, radius: int = 2) -> list[int | None]:
        """Return the page numbers to link, with None where a gap is drawn."""
        shown = {1, self.pages} | set(
            range(max(1, self.page - radius), min(self.pages, self.page + radius) + 1)
        )
        numbers: list[int | None] = []
        for n in sorted(shown):
            if numbers and n - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(n)
        return numbers


@dataclass
class Summary:
    """The home page's counts."""

    total: int
    by_status: list[tuple[ImplementationStatus, int]]
    by_mechanism: list[tuple[Mechanism, int]]
    documents: int


def _visible_ids(user) -> Select:
    return policy.recommendations_visible_to(user, select(Recommendation.id))


def _has_visible(user, column) -> ColumnElement[bool]:
    """An EXISTS over the visible recommendations whose ``column`` matches the outer row."""
    return policy.recommendations_visible_to(
        user, select(Recommendation.id).where(column)
    ).exists()


def _used_by_visible(user, outer, inner) -> ColumnElement[bool]:
    """``outer IN (inner of the visible recommendations)``.

    An IN list is built once; a correlated EXISTS per outer row made SQLite scan the
    recommendations once per document (seconds per page at 270,000 rows).
    """
    return outer.in_(policy.recommendations_visible_to(user, select(inner).distinct()))


def filter_options(user, filters: Filters) -> FilterOptions:
    """Return the mechanisms, documents (of the chosen mechanism, if any) and themes to offer."""
    mechanisms = db.session.scalars(
        select(Mechanism)
        .where(_used_by_visible(user, Mechanism.id, Recommendation.mechanism_id))
        .order_by(Mechanism.sort_order, Mechanism.code)
    ).all()
    docs_query = (
        select(Document)
        .join(Document.mechanism)
        .where(_used_by_visible(user, Document.id, Recommendation.document_id))
        .options(contains_eager(Document.mechanism))
        .order_by(Mechanism.sort_order, Mechanism.code, Document.date.desc(), Document.symbol)
    )
    if filters.mechanism_id is not None:
        docs_query = docs_query.where(Document.mechanism_id == filters.mechanism_id)
    documents = list(db.session.scalars(docs_query.limit(MAX_DOCUMENT_OPTIONS + 1)))
    truncated = len(documents) > MAX_DOCUMENT_OPTIONS
    if truncated:
        chosen = db.session.get(Document, filters.document_id) if filters.document_id else None
        documents = [chosen] if chosen else []
    themes = db.session.scalars(
        policy.terms_visible_to(
            user,
            select(Term)
            .join(Term.vocabulary)
            .where(Vocabulary.code == THEME_VOCABULARY, Term.active.is_(True)),
        )
    ).all()
    lang = current_language()
    return FilterOptions(
        mechanisms=list(mechanisms),
        documents=documents,
        themes=sorted(themes, key=lambda t: t.localized("name", lang).casefold()),
        documents_truncated=truncated,
    )



def _enum_arg(enum_cls, raw: str | None):
    try:
        return enum_cls(raw)
    except ValueError:
        return None


def _clean_text(raw: str | None) -> str:
    """Collapse spaces and drop control characters (PostgreSQL refuses NUL in text)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    return " ".join(printable.split())[:MAX_QUERY_LENGTH]


def parse_filters(user, args: Mapping[str, str]) -> tuple[Filters, list[str]]:
    """Read the filters from query arguments; return them and the names of those ignored."""
    ignored: list[str] = []

    def pick(name: str, parse):
        raw = args.get(name)
        if raw is None or raw.strip() == "":
            return None
        value = parse(raw)
        if value is None:
            ignored.append(name)
        return value

    def visible(column):
        def check(raw):
            value = parse_id(raw)
            if value is None:
                return None
            return value if db.session.scalar(select(_has_visible(user, column == value))) else None

        return check

    def theme(raw):
        value = parse_id(raw)
        if value is None:
            return None
        return db.session.scalar(
            policy.terms_visible_to(
                user,
                select(Term.id).join(Term.vocabulary).where(
                    Term.id == value, Vocabulary.code == THEME_VOCABULARY
                ),
            )
        )

    filters = Filters(
        mechanism_id=pick("mechanism", visible(Recommendation.mechanism_id)),
        document_id=pick("document", visible(Recommendation.document_id)),
        status=pick("status", lambda raw: _enum_arg(ImplementationStatus, raw)),
        type=pick("type", lambda raw: _enum_arg(RecommendationType, raw)),
        theme_id=pick("theme", theme),
        q=_clean_text(args.get("q")),
    )
    return filters, ignored


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.mechanism_id is not None:
        conditions.append(Recommendation.mechanism_id == filters.mechanism_id)
    if filters.document_id is not None:
        conditions.append(Recommendation.document_id == filters.document_id)
    if filters.status is not None:
        conditions.append(Recommendation.status == filters.status)
    if filters.type is not None:
        conditions.append(Recommendation.type == filters.type)
    if filters.theme_id is not None:
        conditions.append(
            Recommendation.id.in_(
                select(recommendation_term.c.recommendation_id).where(
                    recommendation_term.c.term_id == filters.theme_id
                )
            )
        )
    if filters.q:
        conditions.append(text_condition(filters.q))
    return conditions


def count_recommendations(user, filters: Filters) -> int:
    """Count the visible recommendations matching the filters."""
    ids = _visible_ids(user).where(*_conditions(filters))
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def search_recommendations(user, filters: Filters, page: int, per_page: int) -> Page:
    """Return one page of the visible recommendations matching the filters, newest first."""
    total = count_recommendations(user, filters)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    query = policy.recommendations_visible_to(
        user,
        select(Recommendation)
        .join(Recommendation.document)
        .where(*_conditions(filters))
        .options(contains_eager(Recommendation.document), selectinload(Recommendation.mechanism))
        .order_by(
            Document.date.desc().nulls_last(),
            Document.id.desc(),
            *paragraph_order(),
            Recommendation.reference,
            Recommendation.id,
        )
        .limit(per_page)
        .offset((page - 1) * per_page),
    )
    items = list(db.session.scalars(query).all()) if total else []
    return Page(items=items, total=total, page=page, per_page=per_page)


def summarise(user, top_mechanisms: int = 8) -> Summary:
    """Count the visible recommendations in total, by status, by mechanism, and their documents."""
    total = count_recommendations(user, Filters())
    status_counts = dict(
        db.session.execute(
            policy.recommendations_visible_to(
                user,
                select(Recommendation.status, func.count()).group_by(Recommendation.status),
            )
        ).all()
    )
    by_status = [(s, status_counts.get(s, 0)) for s in ImplementationStatus]
    n = func.count().label("n")
    mechanism_counts = db.session.execute(
        policy.recommendations_visible_to(
            user,
            select(Recommendation.mechanism_id, n)
            .group_by(Recommendation.mechanism_id)
            .order_by(n.desc(), Recommendation.mechanism_id)
            .limit(top_mechanisms),
        )
    ).all()
    mechanisms = {
        m.id: m
        for m in db.session.scalars(
            select(Mechanism).where(Mechanism.id.in_([row[0] for row in mechanism_counts]))
        )
    }
    documents = db.session.scalar(
        policy.recommendations_visible_to(
            user, select(func.count(Recommendation.document_id.distinct()))
        )
    )
    return Summary(
        total=total,
        by_status=by_status,
        by_mechanism=[(mechanisms[mid], count) for mid, count in mechanism_counts],
        documents=documents or 0,
    )

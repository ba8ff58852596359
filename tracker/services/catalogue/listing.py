"""What the list of recommendations is asked for: filters, paging, and the same in SQL.

Pages, counts and facets come from the in-memory facet index (``browse.py``);
``_conditions`` says the filters in SQL for lists and exports that stream from the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select

from tracker.ids import MAX_ID, parse_id, parse_page
from tracker.models import (
    Assignment,
    Country,
    Document,
    ImplementationStatus,
    Mechanism,
    MechanismFamily,
    Recommendation,
    RecommendationType,
    UprPosition,
)
from tracker.models.recommendation import recommendation_state, recommendation_term
from tracker.services.catalogue.facets import FACET_NAMES, TERM_FACETS, facet_index
from tracker.services.catalogue.text_search import text_condition

MAX_QUERY_LENGTH = 200


def paragraph_order() -> list[ColumnElement]:
    """Sort keys putting paragraphs in natural order: 9, 10, 26(a), 27, 82.99, 82.106, 83.1."""
    paragraph = Recommendation.paragraph
    digits = func.length(paragraph) - func.length(func.ltrim(paragraph, "0123456789"))
    return [digits, func.substr(paragraph, 1, digits), func.length(paragraph), paragraph]


SORTS = ("relevance", "date", "reference")
# Enough for any real combination; a longer list is an attack or a mistake, not a search.
MAX_VALUES_PER_FILTER = 20
MAX_PER_PAGE = 100
ENUM_FACETS = {"family": MechanismFamily, "position": UprPosition,
                "status": ImplementationStatus, "type": RecommendationType}


@dataclass(frozen=True)
class Filters:
    """What the visitor asked the list for: values of a filter are OR-ed, filters AND-ed.

    Each filter holds its values as the URL writes them (ids, codes); empty means 'any'.
    """

    family: tuple[str, ...] = ()
    mechanism: tuple[str, ...] = ()
    document: tuple[str, ...] = ()
    cycle: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    position: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    sdg: tuple[str, ...] = ()
    pillar: tuple[str, ...] = ()
    institution: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    q: str = ""
    # Empty: the default order (relevance with a text query, else date).
    sort: str = ""

    def chosen(self, facet: str) -> tuple[str, ...]:
        return getattr(self, facet)

    @property
    def order(self) -> str:
        return self.sort or ("relevance" if self.q else "date")

    def as_args(self) -> dict[str, str | list[str]]:
        """Return the filters as URL query arguments, leaving out the unset ones."""
        args: dict[str, str | list[str]] = {}
        for name in FACET_NAMES:
            values = self.chosen(name)
            if values:
                args[name] = values[0] if len(values) == 1 else list(values)
        if self.q:
            args["q"] = self.q
        if self.sort:
            args["sort"] = self.sort
        return args

    def toggled(self, facet: str, value: str) -> Filters:
        """Return these filters with the value chosen, or no longer chosen if it was."""
        values = self.chosen(facet)
        changed = tuple(v for v in values if v != value) if value in values else (*values, value)
        return replace(self, **{facet: changed})

    def without(self, facet: str) -> Filters:
        """Return these filters without any value of one filter (or the text, for ``q``)."""
        return replace(self, **{facet: "" if facet in ("q", "sort") else ()})

    @property
    def is_empty(self) -> bool:
        return not self.q and not any(self.chosen(name) for name in FACET_NAMES)


class Ignored(NamedTuple):
    """A query argument left out because its value names nothing the list knows."""

    name: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


def _arg_values(args: Mapping[str, str], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        return getlist(name)
    value = args.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [value]


def _clean_text(raw: str | None) -> str:
    """Collapse spaces and drop control characters (PostgreSQL refuses NUL in text)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    return " ".join(printable.split())[:MAX_QUERY_LENGTH]


def _short_number(raw: str, top: int) -> str | None:
    value = parse_id(raw)
    return str(value) if value is not None and value <= top else None


def parse_filters(user, args: Mapping[str, str]) -> tuple[Filters, list[Ignored]]:
    """Read the filters from query arguments; return them and the values ignored."""
    index = facet_index(user)
    ignored: list[Ignored] = []

    def valid(facet: str, raw: str) -> str | None:
        if facet in ENUM_FACETS:
            return raw if raw in {e.value for e in ENUM_FACETS[facet]} else None
        if facet == "year":
            return _short_number(raw, 9999)
        if facet == "cycle":
            return _short_number(raw, 99)
        value = raw.upper() if facet == "state" else _short_number(raw, MAX_ID)
        return value if value is not None and index.knows(facet, value) else None

    chosen: dict[str, tuple[str, ...]] = {}
    for facet in FACET_NAMES:
        values: list[str] = []
        for raw in _arg_values(args, facet):
            raw = _clean_text(raw)
            if not raw:
                continue
            value = valid(facet, raw) if len(values) < MAX_VALUES_PER_FILTER else None
            if value is None:
                ignored.append(Ignored(facet, raw[:40]))
            elif value not in values:
                values.append(value)
        chosen[facet] = tuple(values)
    q = _clean_text(args.get("q"))
    sort = _clean_text(args.get("sort"))
    if sort and sort not in SORTS:
        ignored.append(Ignored("sort", sort[:40]))
        sort = ""
    if sort == ("relevance" if q else "date") or (sort == "relevance" and not q):
        sort = ""
    return Filters(**chosen, q=q, sort=sort), ignored


def parse_paging(args: Mapping[str, str], per_page: int) -> tuple[int, int, list[Ignored]]:
    """Read ``page`` and ``per_page``; return them and the values that could not be used."""
    ignored: list[Ignored] = []
    raw_page = _clean_text(args.get("page"))
    page = parse_page(raw_page) if raw_page else 1
    if raw_page and parse_id(raw_page) is None:
        ignored.append(Ignored("page", raw_page[:40]))
    raw_size = _clean_text(args.get("per_page"))
    if raw_size:
        asked = parse_id(raw_size)
        if asked is None or asked > MAX_PER_PAGE:
            ignored.append(Ignored("per_page", raw_size[:40]))
            per_page = MAX_PER_PAGE if asked is not None else per_page
        else:
            per_page = asked
    return page, per_page, ignored


def _in_documents(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return Recommendation.document_id.in_(select(Document.id).where(condition))


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """Return the filters as SQL conditions on Recommendation (lists and exports use them)."""
    conditions: list[ColumnElement[bool]] = []
    ints = {name: [int(v) for v in filters.chosen(name)]
            for name in ("mechanism", "document", "cycle", "year", "institution", *TERM_FACETS)}
    if filters.family:
        conditions.append(Recommendation.mechanism_id.in_(
            select(Mechanism.id).where(
                Mechanism.family.in_([MechanismFamily(v) for v in filters.family]))))
    if ints["mechanism"]:
        conditions.append(Recommendation.mechanism_id.in_(ints["mechanism"]))
    if ints["document"]:
        conditions.append(Recommendation.document_id.in_(ints["document"]))
    if ints["cycle"]:
        conditions.append(_in_documents(Document.upr_cycle.in_(ints["cycle"])))
    if ints["year"]:
        # Date ranges, not a year function: the same on both databases, and indexable.
        conditions.append(_in_documents(or_(*(
            and_(Document.date >= date(y, 1, 1), Document.date < date(y + 1, 1, 1))
            for y in ints["year"]))))
    if filters.position:
        conditions.append(Recommendation.upr_position.in_(
            [UprPosition(v) for v in filters.position]))
    if filters.state:
        conditions.append(Recommendation.id.in_(
            select(recommendation_state.c.recommendation_id)
            .join(Country, recommendation_state.c.country_id == Country.id)
            .where(Country.iso2.in_(filters.state))))
    for facet in TERM_FACETS:
        # One condition per facet: terms of one facet are OR-ed, facets AND-ed.
        if ints[facet]:
            conditions.append(Recommendation.id.in_(
                select(recommendation_term.c.recommendation_id)
                .where(recommendation_term.c.term_id.in_(ints[facet]))))
    if ints["institution"]:
        conditions.append(Recommendation.id.in_(
            select(Assignment.recommendation_id).where(
                Assignment.active.is_(True), Assignment.institution_id.in_(ints["institution"]))))
    if filters.status:
        conditions.append(Recommendation.status.in_(
            [ImplementationStatus(v) for v in filters.status]))
    if filters.type:
        conditions.append(Recommendation.type.in_(
            [RecommendationType(v) for v in filters.type]))
    if filters.q:
        conditions.append(text_condition(filters.q))
    return conditions


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

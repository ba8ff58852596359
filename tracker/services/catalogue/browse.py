"""Answers from the facet index: a page of the list, every facet's counts, the home's counts.

Counts of a facet apply every other filter (and the text), not its own: each says what
choosing that value, besides the values already chosen, would give.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from babel.numbers import format_decimal
from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from tracker import policy
from tracker.extensions import db
from tracker.i18n import current_language, label
from tracker.models import ImplementationStatus, Mechanism, Recommendation
from tracker.services.catalogue import text_search
from tracker.services.catalogue.facets import FACET_NAMES, TERM_FACETS, FacetIndex, facet_index
from tracker.services.catalogue.listing import ENUM_FACETS, Filters, Page


@dataclass
class Summary:
    """The home page's counts."""

    total: int
    by_status: list[tuple[ImplementationStatus, int]]
    by_mechanism: list[tuple[Mechanism, int]]
    documents: int


@dataclass
class FacetValue:
    """One value of a facet, with how many matches choosing it would give."""

    value: str
    label: str
    count: int
    chosen: bool


@dataclass
class Facet:
    """A filter as the list offers it: its values with counts, the most used first."""

    name: str
    values: list[FacetValue]
    # Values left out of ``values`` (a long facet shows its top ones unless expanded).
    hidden: int = 0
    expanded: bool = False

    @property
    def chosen(self) -> list[FacetValue]:
        return [v for v in self.values if v.chosen]


@dataclass
class Results:
    """A page of the list, its facets, and a spelling to suggest when nothing matched."""

    page: Page
    facets: list[Facet]
    suggestion: str | None = None
    # The page asked for, when it was past the last one (the last one is shown instead).
    page_past_end: int | None = None


# Facets with many values show this many unless the visitor asks to see them all.
TOP_VALUES = 8
# Even "see all" stops there: past it, the visitor narrows the list with another filter.
MAX_VALUES_SHOWN = 150
_LONG_FACETS = ("mechanism", "document", "state", *TERM_FACETS, "institution")


def _match_sets(index: FacetIndex, filters: Filters) -> tuple[BitMap | None, dict, dict]:
    """Return the text's matches (None: no text) and each chosen facet's set; and the ranks."""
    text, ranks = None, {}
    if filters.q:
        ranked = text_search.matching_ids(filters.q)
        text = index.positions_of(ranked)
        if len(set(ranked.values())) > 1:
            ranks = {index.positions[index.id_set.rank(i) - 1]: r
                     for i, r in ranked.items() if i in index.id_set}
    selected = {f: index.select(f, filters.chosen(f)) for f in FACET_NAMES if filters.chosen(f)}
    return text, selected, ranks


def _intersect(index: FacetIndex, sets: list[BitMap]) -> BitMap | None:
    """Intersect the sets, smallest first (None when there is none: every position)."""
    if not sets:
        return None
    ordered = sorted(sets, key=len)
    return BitMap.intersection(*ordered) if len(ordered) > 1 else BitMap(ordered[0])


def _page_positions(index: FacetIndex, matches: BitMap | None, filters: Filters,
                    ranks: dict[int, float], start: int, stop: int) -> list[int]:
    order = filters.order
    if order == "reference":
        if matches is None:
            return list(index.by_reference[start:stop])
        ranked = BitMap(map(index.reference_rank.__getitem__, matches))
        return [index.by_reference[r] for r in ranked[start:stop]]
    if order == "relevance" and ranks and matches:
        return sorted(matches, key=lambda p: (-ranks.get(p, 0.0), p))[start:stop]
    if matches is None:
        return list(range(start, min(stop, index.size)))
    return list(matches[start:stop])


def _load(ids: list[int], user) -> list[Recommendation]:
    if not ids:
        return []
    found = db.session.scalars(policy.recommendations_visible_to(
        user,
        select(Recommendation)
        .join(Recommendation.document)
        .where(Recommendation.id.in_(ids))
        .options(contains_eager(Recommendation.document), selectinload(Recommendation.mechanism)),
    )).all()
    by_id = {rec.id: rec for rec in found}
    return [by_id[i] for i in ids if i in by_id]


def _value_label(index: FacetIndex, facet: str, value: str, lang: str) -> str:
    if facet in ENUM_FACETS:
        return label("upr_position" if facet == "position" else facet, value)
    if facet in ("year", "cycle"):
        return format_decimal(int(value), format="0")
    names = index.labels.get(facet, {}).get(value)
    if names is None:
        return value
    return (names[0] if lang == "es" else names[1]) or names[0] or names[1]


def _facet(index: FacetIndex, facet: str, counts: dict[str, int], filters: Filters,
           expanded: bool, lang: str) -> Facet:
    chosen = filters.chosen(facet)

    def value(v: str) -> FacetValue:
        return FacetValue(v, _value_label(index, facet, v, lang), counts.get(v, 0), v in chosen)

    if facet in ENUM_FACETS:
        order = [e.value for e in ENUM_FACETS[facet]]
        return Facet(facet, [value(v) for v in order if counts.get(v) or v in chosen])
    if facet in ("year", "cycle"):
        values = sorted({*counts, *chosen}, key=lambda v: -int(v))
        return Facet(facet, [value(v) for v in values if counts.get(v) or v in chosen])
    limit = MAX_VALUES_SHOWN if expanded else TOP_VALUES
    if facet not in _LONG_FACETS:
        limit = len(counts)
    # Only the values shown are named and sorted: a facet may have thousands (documents).
    top = heapq.nsmallest(limit, counts, key=lambda v: (-counts[v], v))
    shown = [value(v) for v in dict.fromkeys([*chosen, *top])]
    shown.sort(key=lambda v: (not v.chosen, -v.count, v.label.casefold()))
    if expanded:
        shown.sort(key=lambda v: (not v.chosen, v.label.casefold()))
    hidden = len(counts) - sum(1 for v in shown if v.count)
    return Facet(facet, shown, hidden=max(hidden, 0), expanded=expanded)


def _facets(index: FacetIndex, filters: Filters, text: BitMap | None, selected: dict,
            matches: BitMap | None, expand: str | None) -> list[Facet]:
    lang = current_language()
    facets = []
    for facet in FACET_NAMES:
        if facet in selected:
            others = [s for f, s in selected.items() if f != facet]
            base = _intersect(index, [s for s in (text, *others) if s is not None])
        else:
            base = matches
        counts = index.counts(facet, base)
        shown = _facet(index, facet, counts, filters, expand == facet, lang)
        if shown.values:
            facets.append(shown)
    return facets


def browse(user, filters: Filters, page: int, per_page: int,
           expand: str | None = None) -> Results:
    """Return one page of the visible recommendations matching the filters, and every facet.

    A facet's counts apply every other filter (and the text), not its own: each count is
    what choosing that value, besides the values already chosen, would give.
    """
    index = facet_index(user)
    text, selected, ranks = _match_sets(index, filters)
    everything = [s for s in (text, *selected.values()) if s is not None]
    matches = _intersect(index, everything)
    total = index.size if matches is None else len(matches)
    pages = max(1, math.ceil(total / per_page))
    past_end = page if page > pages else None
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    positions = _page_positions(index, matches, filters, ranks, start, start + per_page)
    items = _load([index.ids[p] for p in positions], user)
    facets = _facets(index, filters, text, selected, matches, expand)
    suggestion = text_search.suggest(filters.q) if filters.q and not total else None
    return Results(page=Page(items=items, total=total, page=page, per_page=per_page),
                   facets=facets, suggestion=suggestion, page_past_end=past_end)


@dataclass
class Slice:
    """Some results that follow a given one, for lists walked by a cursor."""

    items: list[Recommendation]
    total: int
    # Where the slice ends, to resume from: the offset past it, and its last item's id.
    end: int
    last_id: int | None
    facets: list[Facet]

    @property
    def has_more(self) -> bool:
        return self.end < self.total


def _resume_at(index: FacetIndex, matches: BitMap | None, filters: Filters,
               ranks: dict[int, float], after_id: int, fallback: int) -> int:
    """Return the offset just past a recommendation, wherever it now sits among the matches.

    A recommendation no longer among them (withdrawn, changed) leaves the fallback offset.
    """
    if after_id not in index.id_set:
        return fallback
    position = index.positions[index.id_set.rank(after_id) - 1]
    if matches is not None and position not in matches:
        return fallback
    order = filters.order
    if order == "reference":
        rank = index.reference_rank[position]
        if matches is None:
            return rank + 1
        return BitMap(map(index.reference_rank.__getitem__, matches)).rank(rank)
    if order == "relevance" and ranks and matches:
        key = (-ranks.get(position, 0.0), position)
        return sum(1 for p in matches if (-ranks.get(p, 0.0), p) <= key)
    return position + 1 if matches is None else matches.rank(position)


def browse_after(user, filters: Filters, after_id: int | None, fallback: int, limit: int,
                 with_facets: bool = False) -> Slice:
    """Return up to ``limit`` visible matches that follow ``after_id`` in the list's order.

    Resuming after an item rather than at an offset keeps a walk exact while other
    recommendations are published or withdrawn meanwhile.
    """
    index = facet_index(user)
    text, selected, ranks = _match_sets(index, filters)
    matches = _intersect(index, [s for s in (text, *selected.values()) if s is not None])
    total = index.size if matches is None else len(matches)
    start = fallback if after_id is None else _resume_at(
        index, matches, filters, ranks, after_id, fallback)
    start = min(max(start, 0), total)
    positions = _page_positions(index, matches, filters, ranks, start, start + limit)
    ids = [index.ids[p] for p in positions]
    facets = _facets(index, filters, text, selected, matches, None) if with_facets else []
    return Slice(items=_load(ids, user), total=total, end=start + len(ids),
                 last_id=ids[-1] if ids else None, facets=facets)


def count_recommendations(user, filters: Filters) -> int:
    """Count the visible recommendations matching the filters."""
    index = facet_index(user)
    text, selected, _ranks = _match_sets(index, filters)
    matches = _intersect(index, [s for s in (text, *selected.values()) if s is not None])
    return index.size if matches is None else len(matches)


def search_recommendations(user, filters: Filters, page: int, per_page: int) -> Page:
    """Return one page of the visible recommendations matching the filters."""
    return browse(user, filters, page, per_page).page


def summarise(user, top_mechanisms: int = 8) -> Summary:
    """Count the visible recommendations in total, by status, by mechanism, and their documents."""
    index = facet_index(user)
    statuses = index.counts("status", None)
    by_status = [(s, statuses.get(s.value, 0)) for s in ImplementationStatus]
    counted = sorted(((n, int(m)) for m, n in index.counts("mechanism", None).items()),
                     key=lambda c: (-c[0], c[1]))[:top_mechanisms]
    mechanisms = {m.id: m for m in db.session.scalars(
        select(Mechanism).where(Mechanism.id.in_([m for _n, m in counted])))} if counted else {}
    return Summary(
        total=index.size,
        by_status=by_status,
        by_mechanism=[(mechanisms[m], n) for n, m in counted if m in mechanisms],
        documents=len(index.sets.get("document", {})),
    )

"""An in-memory index of the visible recommendations, for the public list's facets.

Counting the catalogue in SQL read the whole table several times a page (a count, a
sort of every match, one ``DISTINCT`` per drop-down): seconds at the size of the UN
index. Here the visible recommendations are numbered once in the list's default order
(newest document first), and every facet value keeps the set of its positions as a
compressed bitmap. A page then costs a few set intersections, however deep it is, and
every facet's counts come from the same sets.

One index per audience (the public sees published recommendations only, staff see
all), built per process from a few set-based queries and built again once the
catalogue's data version moves (``data_versions.cached``).
"""

from __future__ import annotations

import logging
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import g, has_request_context
from pyroaring import BitMap
from sqlalchemy import String, literal, select, type_coerce

from tracker import policy
from tracker.extensions import db
from tracker.models import (
    Assignment,
    Country,
    Document,
    Institution,
    Mechanism,
    Recommendation,
    Term,
    Vocabulary,
)
from tracker.models.recommendation import recommendation_state, recommendation_term
from tracker.services import data_versions

log = logging.getLogger(__name__)

# URL argument of a term facet -> the vocabulary whose terms it offers.
TERM_FACETS = {"theme": "themes", "persons": "affected_persons", "sdg": "sdg",
               "pillar": "pillar"}
FACET_NAMES = ("family", "mechanism", "document", "cycle", "year", "position", "state",
               *TERM_FACETS, "institution", "status", "type")
# Above this many values, a single-valued facet may be counted by a pass over the matches.
_MANY_VALUES = 64
_PASS_PER_VALUE = 16


@dataclass
class FacetIndex:
    """The visible recommendations numbered in the default order, and each facet's sets."""

    size: int
    # The recommendation ids, in position order; the positions in reference order, and
    # each position's rank in that order.
    ids: array
    by_reference: array
    reference_rank: array
    # Position of each id: ``positions[id_set.rank(id) - 1]``.
    id_set: BitMap
    positions: array
    # facet -> value (as written in the URL) -> positions holding it.
    sets: dict[str, dict[str, BitMap]]
    # facet -> per-position index into ``value_keys[facet]`` (single-valued facets of many
    # values only: counting them over a match set is one pass over it).
    value_of: dict[str, array] = field(default_factory=dict)
    value_keys: dict[str, list[str]] = field(default_factory=dict)
    # facet -> value -> (label_es, label_en, sort key): the names shown for each value.
    labels: dict[str, dict[str, tuple]] = field(default_factory=dict)
    # facet -> value -> how many positions hold it (the counts before any filter).
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    built_in: float = 0.0

    def positions_of(self, ids: Iterable[int]) -> BitMap:
        """Return the positions of those recommendation ids that the index holds."""
        found = self.id_set & BitMap(ids)
        return BitMap(self.positions[self.id_set.rank(i) - 1] for i in found)

    def select(self, facet: str, values: Iterable[str]) -> BitMap:
        """Return the positions holding any of the values (OR within a facet)."""
        sets = self.sets.get(facet, {})
        return BitMap.union(BitMap(), *(sets[v] for v in values if v in sets))

    def counts(self, facet: str, base: BitMap | None) -> dict[str, int]:
        """Count each value of a facet among ``base`` (None: among every position)."""
        if base is None:
            return self.totals.get(facet, {})
        sets = self.sets.get(facet, {})
        # A value's set is mostly runs (a document's recommendations sit together), so one
        # intersection per value is cheap; a pass over the matches wins only when few match.
        if facet in self.value_of and len(base) < _PASS_PER_VALUE * len(sets):
            keys, of = self.value_keys[facet], self.value_of[facet]
            counted = Counter(map(of.__getitem__, base))
            return {keys[k]: n for k, n in counted.items() if k >= 0}
        return {value: n for value, bm in sets.items()
                if (n := base.intersection_cardinality(bm))}

    def knows(self, facet: str, value: str) -> bool:
        """Whether the value names something of this facet (used or not)."""
        return value in self.labels.get(facet, {}) or value in self.sets.get(facet, {})

    def memory(self) -> int:
        """Return roughly how many bytes the index holds."""
        arrays = (self.ids, self.by_reference, self.reference_rank, self.positions,
                  *self.value_of.values())
        total = sum(a.itemsize * len(a) for a in arrays) + len(self.id_set.serialize())
        for values in self.sets.values():
            total += sum(len(bm.serialize()) for bm in values.values())
        return total


def _staff_key(user) -> str:
    return "staff" if policy.is_staff(user) else "public"


def facet_index(user) -> FacetIndex:
    """Return the index of the recommendations the user may see, built once per change."""
    audience = _staff_key(user)
    # Held for the request too: while its own changes are not committed, ``cached``
    # builds again at every call, and a page asks for the index more than once.
    seen = g.setdefault("facet_indexes", {}) if has_request_context() else {}
    if audience not in seen:
        seen[audience] = data_versions.cached(data_versions.CATALOGUE, ("facets", audience),
                                              lambda: build_index(user))
    return seen[audience]


def _fetch(statement) -> list[tuple]:
    """Run a SELECT of plain columns and return the driver's own tuples.

    SQLAlchemy's result rows cost about 3 µs each: seconds for the million link rows of
    the UN index, against a fraction of that for the driver's tuples.
    """
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _grouped(values: Iterable) -> dict[str, BitMap]:
    """Group positions by the value each holds (None holds nothing)."""
    members: dict[object, list[int]] = defaultdict(list)
    for position, value in enumerate(values):
        members[value].append(position)
    return {str(value): BitMap(found) for value, found in members.items() if value is not None}


def _unions(sets: dict[str, BitMap], key_of: dict[str, object]) -> dict[str, BitMap]:
    """Group sets by a property of their value (a document's year): one union per group."""
    groups: dict[str, list[BitMap]] = defaultdict(list)
    for value, found in sets.items():
        key = key_of.get(value)
        if key is not None:
            groups[str(key)].append(found)
    return {key: BitMap.union(*found) for key, found in groups.items()}


def build_index(user) -> FacetIndex:
    """Number the recommendations the user may see and gather each facet's sets."""
    from tracker.services.catalogue.listing import paragraph_order

    started = time.perf_counter()
    # Core rows and raw codes: ORM rows and enum objects cost seconds at 270,000.
    rows = _fetch(
        policy.recommendations_visible_to(
            user,
            select(Recommendation.id, Recommendation.reference, Recommendation.document_id,
                   Recommendation.mechanism_id, type_coerce(Recommendation.status, String),
                   type_coerce(Recommendation.type, String),
                   type_coerce(Recommendation.upr_position, String))
            .join(Document, Recommendation.document_id == Document.id)
            .order_by(Document.date.desc().nulls_last(), Document.id.desc(),
                      *paragraph_order(), Recommendation.reference, Recommendation.id),
        )
    )
    size = len(rows)
    id_column, references, documents, mechanisms, statuses, types, upr_positions = (
        zip(*rows, strict=True) if rows else ((),) * 7)
    del rows
    ids = array("I", id_column)
    by_reference = array("l", sorted(range(size), key=references.__getitem__))
    del references
    reference_rank = array("l", [0]) * size
    for rank, position in enumerate(by_reference):
        reference_rank[position] = rank
    id_set = BitMap(ids)
    # Positions in the order of their ids: the position of an id is at its rank.
    positions = array("l", sorted(range(size), key=ids.__getitem__))

    sets: dict[str, dict[str, BitMap]] = {
        "document": _grouped(documents), "mechanism": _grouped(mechanisms),
        "status": _grouped(statuses), "type": _grouped(types),
        "position": _grouped(upr_positions),
    }
    document_rows = db.session.execute(
        select(Document.id, Document.date, Document.upr_cycle)).all()
    sets["year"] = _unions(sets["document"], {str(d.id): d.date.year
                                              for d in document_rows if d.date})
    sets["cycle"] = _unions(sets["document"], {str(d.id): d.upr_cycle for d in document_rows})
    sets["family"] = _unions(sets["mechanism"], {
        str(m.id): m.family for m in db.session.execute(
            select(Mechanism.id, type_coerce(Mechanism.family, String)))})
    # Only a facet of many values is counted by a pass over the matches (see counts()).
    value_of: dict[str, array] = {}
    value_keys: dict[str, list[str]] = {}
    for facet, column in (("document", documents), ("mechanism", mechanisms)):
        if len(sets[facet]) > _MANY_VALUES:
            keys = list(sets[facet])
            number = {int(key): n for n, key in enumerate(keys)}
            value_of[facet] = array("l", map(number.__getitem__, column))
            value_keys[facet] = keys
    del documents, mechanisms, statuses, types, upr_positions

    position_of = dict(zip(ids, range(size), strict=True))

    def gather(pairs: Iterable[tuple[int, object, str]]) -> None:
        members: dict[tuple[str, str], list[int]] = defaultdict(list)
        for rec_id, value, facet in pairs:
            position = position_of.get(rec_id)
            if position is not None:
                members[(facet, str(value))].append(position)
        for (facet, value), found in members.items():
            sets[facet][value] = BitMap(found)

    for facet in ("state", *TERM_FACETS, "institution"):
        sets[facet] = {}
    gather(_fetch(
        select(recommendation_state.c.recommendation_id, Country.iso2, literal("state"))
        .join(Country, recommendation_state.c.country_id == Country.id)))
    facet_of = {code: facet for facet, code in TERM_FACETS.items()}
    gather((rec_id, term_id, facet_of[code]) for rec_id, term_id, code in _fetch(
        policy.terms_visible_to(
            user,
            select(recommendation_term.c.recommendation_id, recommendation_term.c.term_id,
                   Vocabulary.code)
            .join(Term, recommendation_term.c.term_id == Term.id)
            .join(Vocabulary, Term.vocabulary_id == Vocabulary.id)
            .where(Vocabulary.code.in_(facet_of)),
        )))
    gather(_fetch(
        select(Assignment.recommendation_id, Assignment.institution_id, literal("institution"))
        .where(Assignment.active.is_(True))))

    index = FacetIndex(size=size, ids=ids, by_reference=by_reference,
                       reference_rank=reference_rank, id_set=id_set,
                       positions=positions, sets=sets, value_of=value_of,
                       value_keys=value_keys, labels=_labels(user, sets))
    index.totals = {facet: {value: len(bm) for value, bm in values.items()}
                    for facet, values in sets.items()}
    index.built_in = time.perf_counter() - started
    log.info("facet index (%s): %d recommendations in %.2f s, about %d kB",
             _staff_key(user), size, index.built_in, index.memory() // 1024)
    return index


def _labels(user, sets: dict[str, dict[str, BitMap]]) -> dict[str, dict[str, tuple]]:
    """Name every value a facet can take: (Spanish, English, sort key)."""
    labels: dict[str, dict[str, tuple]] = {}
    labels["mechanism"] = {
        str(m.id): (f"{m.name_es} ({m.acronym_es or m.code})",
                    f"{m.name_en} ({m.acronym_en or m.code})", (m.sort_order, m.code))
        for m in db.session.execute(
            select(Mechanism.id, Mechanism.code, Mechanism.name_es, Mechanism.name_en,
                   Mechanism.acronym_es, Mechanism.acronym_en, Mechanism.sort_order))
    }
    used_documents = [int(v) for v in sets["document"]]
    labels["document"] = {}
    for start in range(0, len(used_documents), 5000):
        for d in db.session.execute(
            select(Document.id, Document.symbol, Document.date)
            .where(Document.id.in_(used_documents[start:start + 5000]))
        ):
            name = f"{d.symbol} ({d.date.year})" if d.date else d.symbol
            labels["document"][str(d.id)] = (name, name, d.symbol)
    labels["state"] = {
        c.iso2: (c.name_es, c.name_en, c.iso2)
        for c in db.session.execute(select(Country.iso2, Country.name_es, Country.name_en))
    }
    vocabulary_of = {code: facet for facet, code in TERM_FACETS.items()}
    for facet in TERM_FACETS:
        labels[facet] = {}
    for t in db.session.execute(
        policy.terms_visible_to(
            user,
            select(Term.id, Term.name_es, Term.name_en, Term.sort_order, Vocabulary.code)
            .join(Vocabulary, Term.vocabulary_id == Vocabulary.id)
            .where(Vocabulary.code.in_(vocabulary_of)),
        )
    ):
        labels[vocabulary_of[t.code]][str(t.id)] = (t.name_es, t.name_en, (t.sort_order,))
    labels["institution"] = {
        str(i.id): (f"{i.name_es} ({i.acronym})", f"{i.name_en} ({i.acronym})", i.acronym)
        for i in db.session.execute(
            select(Institution.id, Institution.acronym, Institution.name_es,
                   Institution.name_en))
    }
    return labels

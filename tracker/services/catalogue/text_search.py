"""Full-text search over every language version, the reference, paragraph and document symbol.

The same on SQLite and PostgreSQL: both index one search document per recommendation
(``tracker.models.search``), PostgreSQL in a GIN index over a ``tsvector``, SQLite in FTS5;
the query syntax is ``search_query``'s. Answers and the vocabulary behind "did you
mean" are cached per process, and dropped when a search document changes.
"""

from __future__ import annotations

import re
import time
from collections import Counter, OrderedDict

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import (
    ColumnElement,
    column,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from tracker.extensions import db
from tracker.models import Recommendation, RecommendationText
from tracker.models.search import (
    FTS_TABLE,
    SEARCH,
    VOCABULARY_TABLE,
    search_generation,
)
from tracker.services import data_versions
from tracker.services.catalogue.search_query import Query, Term, clean, parse_query
from tracker.text_analysis import fold, stem, words

__all__ = ["matching_ids", "parse_query", "suggest", "text_condition"]

_CACHED_ANSWERS = 128
_CACHED_IDS = 500_000
# How often a process asks whether others changed the data its vocabulary was built from.
VOCABULARY_CHECK_SECONDS = 60
# Texts read to find how a suggested word is written (with its accents).
_SURFACE_SAMPLE = 20

_PG_SEARCH = table(SEARCH.name, column("recommendation_id"), column("terms", TSVECTOR))
_FTS = table(FTS_TABLE, column("rowid"))
_answers: OrderedDict[tuple, dict[int, float]] = OrderedDict()
_vocabulary: dict = {}


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _matches(query: Query):
    """Return (a select of the matching recommendation ids, its rank: higher is better)."""
    if _dialect() == "postgresql":
        tsquery = func.to_tsquery(literal_column("'simple'::regconfig"),
                                  literal(query.tsquery()))
        rank = func.ts_rank(_PG_SEARCH.c.terms, tsquery)
        return (select(_PG_SEARCH.c.recommendation_id)
                .where(_PG_SEARCH.c.terms.op("@@")(tsquery)), rank)
    # bm25() is lower for a better match.
    rank = -func.bm25(literal_column(FTS_TABLE))
    return (select(_FTS.c.rowid.label("recommendation_id"))
            .where(literal_column(FTS_TABLE).op("MATCH")(literal(query.fts5()))),
            rank)


def text_condition(q: str) -> ColumnElement[bool]:
    """Match q (search box syntax) in a recommendation's texts, reference, paragraph, symbol."""
    query = parse_query(q)
    if not query:
        return false()
    ids, _rank = _matches(query)
    return Recommendation.id.in_(ids)


def _database() -> str:
    """Name the database the session reads (its bind is a connection under test)."""
    bind = db.session.get_bind()
    return str(getattr(bind, "engine", bind).url)


def _stamp() -> tuple:
    """What tells cached answers are stale: this process's writes (committed or not),
    and the catalogue's counter, which every committed change moves on."""
    return _database(), search_generation(), data_versions.current(data_versions.CATALOGUE)


def matching_ids(q: str) -> dict[int, float]:
    """Return {recommendation id: relevance, higher first} for every recommendation matching q."""
    query = parse_query(q)
    if not query:
        return {}
    key = (query, _stamp())
    if key in _answers:
        _answers.move_to_end(key)
        return dict(_answers[key])
    ids, rank = _matches(query)
    found = dict(db.session.execute(ids.add_columns(rank)).tuples().all())
    _answers[key] = found
    # Bounded by the ids held too: a common word's answer holds a tenth of the table.
    while len(_answers) > _CACHED_ANSWERS or (
            len(_answers) > 1 and sum(map(len, _answers.values())) > _CACHED_IDS):
        _answers.popitem(last=False)
    return dict(found)


# -- "did you mean" ------------------------------------------------------------------------


def _indexed_words() -> dict[str, int]:
    """Return {indexed word: how many recommendations hold it}, cached per process."""
    url, generation, _newest = stamp = _stamp()
    cached = _vocabulary.get(url)
    now = time.monotonic()
    if cached is not None and cached["generation"] == generation and (
            now - cached["checked"] < VOCABULARY_CHECK_SECONDS or cached["stamp"] == stamp):
        cached["checked"] = now
        return cached["words"]
    if _dialect() == "postgresql":
        rows = db.session.execute(select(column("word"), column("ndoc")).select_from(
            func.ts_stat("SELECT terms FROM recommendation_search"))).tuples()
    else:
        rows = db.session.execute(select(column("term"), column("doc")).select_from(
            table(VOCABULARY_TABLE))).tuples()
    # Digits and very short words are not worth correcting to.
    indexed = {word: count for word, count in rows if len(word) >= 3 and word.isalpha()}
    _vocabulary[url] = {"generation": generation, "stamp": stamp, "checked": now,
                        "words": indexed, "choices": list(indexed)}
    return indexed


def _closest(word: str, indexed: dict[str, int]) -> str | None:
    """Return the indexed word nearest to a typed one (1 or 2 edits), the commonest first."""
    choices = _vocabulary[_database()]["choices"]
    limit = 1 if len(word) < 5 else 2
    found = []
    for form in Term((word,)).forms():
        for choice, distance, _index in process.extract(
                form[0], choices, scorer=OSA.distance, score_cutoff=limit, limit=10):
            found.append((distance, -indexed[choice], choice))
    return min(found)[2] if found else None


def _written_as(indexed_word: str, typed: str) -> str | None:
    """Return the word as texts write it (accents kept) whose indexed form is indexed_word."""
    ids, _rank = _matches(Query(((Term((indexed_word,)),),)))
    texts = db.session.execute(
        select(RecommendationText.language, RecommendationText.text)
        .where(RecommendationText.recommendation_id.in_(ids.limit(_SURFACE_SAMPLE)))).all()
    seen: Counter[str] = Counter()
    for language, text in texts:
        for written in re.findall(r"[^\W_]+", text.lower()):
            folded = fold(written)
            if indexed_word in (folded, stem(language, folded)):
                seen[written] += 1
    if not seen:
        return None
    return min(seen, key=lambda w: (OSA.distance(fold(w), typed), -seen[w]))


def suggest(q: str) -> str | None:
    """Return q with its unknown words corrected, when q finds nothing and that would."""
    q = clean(q or "")
    query = parse_query(q)
    if not query or matching_ids(q):
        return None
    indexed = _indexed_words()
    corrections: dict[str, str] = {}
    for word in query.words():
        if len(word) < 3 or not word.isalpha() or word in corrections:
            continue
        if any(form[0] in indexed for form in Term((word,)).forms()):
            continue
        nearest = _closest(word, indexed)
        written = nearest and _written_as(nearest, word)
        if written:
            corrections[word] = written
    if not corrections:
        return None

    def correct(found: re.Match) -> str:
        typed = words(found.group())
        return corrections.get(typed[0], found.group()) if len(typed) == 1 else found.group()

    corrected = re.sub(r"[^\W_]+", correct, q)
    return corrected if corrected != q and matching_ids(corrected) else None

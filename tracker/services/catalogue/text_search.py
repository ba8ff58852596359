"""Text search that ignores case and Spanish accents, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, select, union_all

from tracker.extensions import db
from tracker.models import Recommendation, RecommendationText

# A letter typed in the search box also matches its accented and upper-case forms.
_LETTER_VARIANTS = {
    "a": "aáàâäAÁÀÂÄ",
    "e": "eéèêëEÉÈÊË",
    "i": "iíìîïIÍÌÎÏ",
    "o": "oóòôöOÓÒÔÖ",
    "u": "uúùûüUÚÙÛÜ",
    "n": "nñNÑ",
    "ñ": "ñÑ",
    "c": "cçCÇ",
}


def _base_of(ch: str) -> str:
    """Lower-case a letter and drop its accent, keeping ñ (a letter of its own in Spanish)."""
    lowered = ch.lower()
    if lowered == "ñ":
        return lowered
    return unicodedata.normalize("NFD", lowered)[0]


def text_pattern(q: str) -> str:
    """Return a case- and accent-insensitive regular expression for the words of q.

    The syntax is the common ground of PostgreSQL's ARE and Python's ``re`` (which
    SQLAlchemy installs as SQLite's REGEXP), so both databases read it the same way.
    """
    words = []
    for word in q.split():
        parts = []
        for ch in word:
            base = _base_of(ch)
            if base in _LETTER_VARIANTS:
                parts.append(f"[{_LETTER_VARIANTS[base]}]")
            elif ch.isalnum():
                parts.append(ch)
            else:
                parts.append("\\" + ch)
        words.append("".join(parts))
    return "(?i)" + r"\s+".join(words)


def _like_skeleton(q: str) -> str:
    """A LIKE pattern matching at least every row the regular expression matches.

    SQLite runs REGEXP in Python, row by row; this cheap pre-filter keeps it to the
    few rows that can match (LIKE already ignores ASCII case there).
    """
    words = []
    for word in q.split():
        parts = []
        for ch in word:
            if ch in "%_\\":
                parts.append("\\" + ch)
            elif ch.isascii() and ch.isalnum() and _base_of(ch) not in _LETTER_VARIANTS:
                parts.append(ch)
            else:
                parts.append("_")
        words.append("".join(parts))
    return "%" + "%".join(words) + "%"


def _matches(column, q: str) -> ColumnElement[bool]:
    matches = column.regexp_match(text_pattern(q))
    if db.session.get_bind().dialect.name == "sqlite":
        return column.like(_like_skeleton(q), escape="\\") & matches
    return matches


def text_condition(q: str) -> ColumnElement[bool]:
    """Match q in a recommendation's reference or its text in any language.

    One ``IN`` over the union of both matches, not an ``OR``: PostgreSQL runs an ``OR``
    with a subquery as a hashed subplan that every parallel worker computes again (over
    two seconds at 270,000 recommendations), but the union as a parallel semi-join.
    """
    matching = union_all(
        select(RecommendationText.recommendation_id).where(
            _matches(RecommendationText.text, q)),
        select(Recommendation.id).where(_matches(Recommendation.reference, q)),
    )
    return Recommendation.id.in_(matching)


def matching_ids(q: str) -> dict[int, float]:
    """Return the ids of the recommendations matching q, each with its rank (visible or not)."""
    found = db.session.scalars(select(Recommendation.id).where(text_condition(q)))
    return dict.fromkeys(found, 1.0)


def suggest(q: str) -> str | None:
    """Return a spelling of q more likely to match, or None when there is none to offer."""
    return None
